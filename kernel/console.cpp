// Console output routing and the input ring buffer.
#include "kernel/console.hpp"
#include "arch/arch.hpp"
#include "kernel/spinlock.hpp"

namespace kernel {

static constinit ConsoleDevice* s_device = nullptr;
static constinit SpinLock s_output_lock(LockRank::ConsoleOut);

struct InputRing {
    static constexpr usize CAPACITY = 1024;
    char bytes[CAPACITY];
    usize head = 0, tail = 0; // pop at head, push at tail
};
static constinit Protected<InputRing> s_input(LockRank::ConsoleIn);

void console_set_device(ConsoleDevice* d)
{
    SpinLockGuard guard(s_output_lock);
    s_device = d;
}

const char* console_device_name() { return s_device ? s_device->name() : "sbi"; }

void console_write_unlocked(const char* s, usize n)
{
    for (usize i = 0; i < n; ++i) {
        if (s[i] == '\n') {
            if (s_device)
                s_device->put_char('\r');
            else
                arch::firmware_putchar('\r');
        }
        if (s_device)
            s_device->put_char(s[i]);
        else
            arch::firmware_putchar(s[i]);
    }
}

void console_write(const char* s, usize n)
{
    SpinLockGuard guard(s_output_lock);
    console_write_unlocked(s, n);
}

// The kernel log, under the output lock (printk may run under any lock,
// and this one ranks last). `written` counts every byte ever logged; the
// ring holds the last LOG_CAPACITY of them.
namespace {
struct KernelLog {
    char bytes[LOG_CAPACITY] = {};
    u64 written = 0;
    u64 cleared = 0; // reads start no earlier than this
    u64 read = 0;    // SYSLOG_ACTION_READ's position
    u64 first_kept() const
    {
        u64 oldest = written > LOG_CAPACITY ? written - LOG_CAPACITY : 0;
        return lib::max(oldest, cleared);
    }
};
constinit KernelLog s_log;
} // namespace

void console_log(const char* s, usize n, bool on_console)
{
    SpinLockGuard guard(s_output_lock);
    for (usize i = 0; i < n; ++i)
        s_log.bytes[(s_log.written + i) % LOG_CAPACITY] = s[i];
    s_log.written += n;
    if (on_console)
        console_write_unlocked(s, n);
}

usize read_log(char* out, usize length, bool unread_only)
{
    SpinLockGuard guard(s_output_lock);
    u64 from = s_log.first_kept();
    if (unread_only) {
        from = lib::max(from, s_log.read);
    } else if (s_log.written - from > length) {
        // READ_ALL: the newest whole lines that fit (Linux copies whole
        // records; none when the last line alone is too long).
        from = s_log.written - length;
        while (from < s_log.written && s_log.bytes[(from - 1) % LOG_CAPACITY] != '\n')
            ++from;
    }
    usize n = usize(lib::min<u64>(length, s_log.written - from));
    for (usize i = 0; i < n; ++i)
        out[i] = s_log.bytes[(from + i) % LOG_CAPACITY];
    if (unread_only)
        s_log.read = from + n;
    return n;
}

usize log_size_kept()
{
    SpinLockGuard guard(s_output_lock);
    return usize(s_log.written - s_log.first_kept());
}

usize log_size_unread()
{
    SpinLockGuard guard(s_output_lock);
    return usize(s_log.written - lib::max(s_log.first_kept(), s_log.read));
}

void clear_log()
{
    SpinLockGuard guard(s_output_lock);
    s_log.cleared = s_log.written;
}

using InputHandler = void (*)(char);
static constinit InputHandler s_input_handler = nullptr;

void console_set_input_handler(void (*handler)(char)) { s_input_handler = handler; }

void console_push_input(char c)
{
    if (s_input_handler) {
        s_input_handler(c);
        return;
    }
    s_input.with([c](InputRing& r) {
        if (r.tail - r.head == InputRing::CAPACITY)
            return; // full: the byte is lost, as on a real terminal
        r.bytes[r.tail++ % InputRing::CAPACITY] = c;
    });
}

int console_poll_input()
{
    return s_input.with([](InputRing& r) -> int {
        if (r.head == r.tail)
            return -1;
        return u8(r.bytes[r.head++ % InputRing::CAPACITY]);
    });
}

void console_poll_firmware_input()
{
    if (s_device)
        return; // a UART interrupt delivers input
    for (int i = 0; i < 64; ++i) {
        int c = arch::firmware_getchar();
        if (c < 0)
            break;
        console_push_input(char(c));
    }
}

} // namespace kernel
