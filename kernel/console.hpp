// The kernel console: where printk's bytes go (a UART driver once one
// matched the device tree, the SBI console before that and as fallback) and
// where typed bytes arrive (a ring buffer the UART interrupt fills).
#pragma once

#include "lib/types.hpp"

namespace kernel {

class ConsoleDevice {
public:
    virtual void put_char(char c) = 0;
    virtual const char* name() const = 0;

protected:
    ~ConsoleDevice() = default;
};

void console_set_device(ConsoleDevice*);
const char* console_device_name();
// Write bytes under the console lock ("\n" becomes "\r\n").
void console_write(const char* s, usize n);
// printk's lines: written like console_write (unless !on_console), and
// kept in the kernel log (a ring of the last LOG_CAPACITY bytes, which
// syslog(2) reads).
void console_log(const char* s, usize n, bool on_console = true);
inline constexpr usize LOG_CAPACITY = 64 * 1024;
// Copies the newest whole lines of the log that fit in `length` bytes
// into out; returns how many bytes. `unread_only`: instead, the oldest
// bytes no earlier read_log(.., true) returned, which it then marks read
// (SYSLOG_ACTION_READ).
usize read_log(char* out, usize length, bool unread_only);
usize log_size_kept();
usize log_size_unread();
void clear_log(); // SYSLOG_ACTION_CLEAR: later reads start after this point
// Write without taking the lock: only for panic, when the lock may be held
// by the code that just crashed.
void console_write_unlocked(const char* s, usize n);

// Input side. The driver's interrupt handler pushes; by default bytes
// go to a ring buffer (the kernel monitor polls it); once the tty takes
// over, they go to its line discipline instead.
void console_push_input(char c);
void console_set_input_handler(void (*handler)(char));
// Next typed byte, or -1 if none is waiting.
int console_poll_input();
// With no UART driver, typed bytes come from the firmware console: the
// timer tick polls it.
void console_poll_firmware_input();

} // namespace kernel
