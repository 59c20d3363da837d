// Per-hart data through tp, interrupt enable nesting, and the counters:
// the RISC-V side of arch/arch.hpp that is not timer or firmware.
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "kernel/panic.hpp"

namespace arch {

using namespace arch::riscv;

Hart& this_hart()
{
    Hart* h;
    asm volatile("mv %0, tp" : "=r"(h));
    return *h;
}

void set_this_hart(Hart* h) { asm volatile("mv tp, %0" ::"r"(h) : "memory"); }

bool interrupts_enabled() { return csr_read(sstatus) & SSTATUS_SIE; }
void interrupts_enable() { csr_set(sstatus, SSTATUS_SIE); }
void interrupts_disable() { csr_clear(sstatus, SSTATUS_SIE); }

void push_interrupts_off()
{
    bool was_on = interrupts_enabled();
    interrupts_disable();
    Hart& h = this_hart();
    if (h.irq_off_depth++ == 0)
        h.irq_was_on = was_on;
}

void pop_interrupts_off()
{
    Hart& h = this_hart();
    VERIFY(!interrupts_enabled());
    VERIFY(h.irq_off_depth > 0);
    if (--h.irq_off_depth == 0 && h.irq_was_on)
        interrupts_enable();
}

void wait_for_interrupt() { asm volatile("wfi" ::: "memory"); }
void sync_instruction_cache() { asm volatile("fence.i" ::: "memory"); }

void halt_forever()
{
    interrupts_disable();
    for (;;)
        wait_for_interrupt();
}

u64 read_time() { return riscv::read_time(); }
u64 read_instret() { return riscv::read_instret(); }

} // namespace arch
