// Per-hart data through tp, interrupt enable nesting, and the counters:
// the RISC-V side of arch/arch.hpp that is not timer or firmware.
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "kernel/panic.hpp"

namespace arch {

using namespace arch::riscv;

void set_this_hart(Hart* h) { asm volatile("mv tp, %0" ::"r"(h) : "memory"); }

void interrupt_nesting_broken(bool interrupts_were_on)
{
    if (interrupts_were_on)
        kernel::panic_message(__FILE__, __LINE__, "VERIFY(!interrupts_enabled()) failed in pop_interrupts_off");
    kernel::panic_message(__FILE__, __LINE__, "VERIFY(irq_off_depth > 0) failed in pop_interrupts_off");
}

void wait_for_interrupt() { asm volatile("wfi" ::: "memory"); }
void sync_instruction_cache() { asm volatile("fence.i" ::: "memory"); }

void halt_forever()
{
    interrupts_disable();
    for (;;)
        wait_for_interrupt();
}

u64 read_instret() { return riscv::read_instret(); }

} // namespace arch
