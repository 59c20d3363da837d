// Kernel panic: report once, then power off with a failure status so CI
// sees it (QEMU exits non-zero).
#include "kernel/panic.hpp"
#include "arch/arch.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"

namespace kernel {

static constinit u32 s_panicking = 0;

void panic_begin()
{
    arch::interrupts_disable();
    if (__atomic_fetch_add(&s_panicking, 1, __ATOMIC_SEQ_CST) != 0) {
        // A panic while panicking: say so through firmware and stop.
        const char* msg = "\nnested panic\n";
        for (const char* p = msg; *p; ++p)
            arch::firmware_putchar(*p);
        arch::firmware_shutdown(3);
    }
}

void panic_end()
{
    panic_print("---[ end Kernel panic ]---\n");
    power_off(3);
}

void panic_message(const char* file, int line, const char* message)
{
    panic_begin();
    panic_print("\nKERNEL PANIC at {}:{}: {}\nbacktrace:\n", file, line, message);
    u64 fp = u64(__builtin_frame_address(0));
    arch::print_backtrace(u64(__builtin_return_address(0)), fp);
    panic_end();
}

} // namespace kernel
