// printk's line buffering and time prefix.
#include "kernel/printk.hpp"
#include "kernel/console.hpp"
#include "kernel/time.hpp"

namespace kernel {

void PrintkSink::write(const char* s, usize n)
{
    for (usize i = 0; i < n; ++i) {
        if (m_length == sizeof(m_buffer))
            flush();
        m_buffer[m_length++] = s[i];
    }
}

void PrintkSink::flush()
{
    if (m_length)
        console_log(m_buffer, m_length, m_on_console);
    m_length = 0;
}

void printk_prefix(PrintkSink& sink)
{
    u64 ns = monotonic_ns();
    lib::format(sink, "[{:5}.{:06}] ", ns / 1000000000, (ns / 1000) % 1000000);
}

void UnlockedConsoleSink::write(const char* s, usize n) { console_write_unlocked(s, n); }

} // namespace kernel
