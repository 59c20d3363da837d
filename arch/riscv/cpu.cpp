// Per-hart data through tp, interrupt enable nesting, and the counters:
// the RISC-V side of arch/arch.hpp that is not timer or firmware.
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/sbi.hpp"
#include "kernel/arch_hooks.hpp"

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

// scounteren (priv spec 4.1.5): CY, TM and IR.
void enable_user_counters() { csr_write(scounteren, 0x7); }
void enable_external_interrupts() { csr_set(sie, SIE_SEIE); }

// satp's PPN (priv spec 4.1.11) while the boot table is active.
u64 kernel_root_pa_at_boot() { return (csr_read(satp) & ((1ull << 44) - 1)) << 12; }
Pte* boot_root_entries() { return riscv::boot_root_table; }

} // namespace arch
