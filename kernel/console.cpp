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
