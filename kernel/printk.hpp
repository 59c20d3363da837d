// printk: formatted kernel log lines on the console, prefixed with the
// monotonic time like Linux's "[    1.234567] ". Formatting is lib/format.
#pragma once

#include "lib/format.hpp"

namespace kernel {

// Formats into a line buffer, then writes it in one piece under the console
// lock so lines from different contexts never interleave.
class PrintkSink final : public lib::FormatSink {
public:
    explicit PrintkSink(bool on_console = true) : m_on_console(on_console) {}
    void write(const char* s, usize n) override;
    void flush();

private:
    char m_buffer[256];
    usize m_length = 0;
    bool m_on_console;
};

void printk_prefix(PrintkSink&);

// A log line: time prefix, message; a trailing newline is the caller's.
template <typename... Args> void printk(lib::StringView fmt, const Args&... args)
{
    PrintkSink sink;
    printk_prefix(sink);
    lib::format(sink, fmt, args...);
    sink.flush();
}

// A line for the kernel log only (dmesg), not the console: figures a
// tool reads afterwards, where a console line would land in the middle
// of what the user is typing (Linux's KERN_DEBUG below the console level).
template <typename... Args> void printk_log_only(lib::StringView fmt, const Args&... args)
{
    PrintkSink sink(false);
    printk_prefix(sink);
    lib::format(sink, fmt, args...);
    sink.flush();
}

// Raw output without the time prefix (continuations, KTAP lines).
template <typename... Args> void print_raw(lib::StringView fmt, const Args&... args)
{
    PrintkSink sink;
    lib::format(sink, fmt, args...);
    sink.flush();
}

// For the panic path: no lock, no prefix.
class UnlockedConsoleSink final : public lib::FormatSink {
public:
    void write(const char* s, usize n) override;
};

template <typename... Args> void panic_print(lib::StringView fmt, const Args&... args)
{
    UnlockedConsoleSink sink;
    lib::format(sink, fmt, args...);
}

} // namespace kernel
