// Kernel panic: report once, then power off with a failure status so CI
// sees it (QEMU exits non-zero).
#include "kernel/panic.hpp"
#include "arch/arch.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"

namespace kernel {

static constinit u32 s_panicking = 0;
static constinit arch::Hart* s_panicking_hart = nullptr;

void panic_begin()
{
    arch::interrupts_disable();
    arch::Hart* me = &arch::this_hart();
    arch::Hart* expected = nullptr;
    if (!__atomic_compare_exchange_n(&s_panicking_hart, &expected, me, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
        expected != me)
        arch::halt_forever(); // another hart panics and prints: stay quiet
    // The first panic stops every other hart, so that it prints alone.
    if (__atomic_load_n(&s_panicking, __ATOMIC_SEQ_CST) == 0)
        smp_stop_others();
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
