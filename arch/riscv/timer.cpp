// Supervisor timer interrupts: through the Sstc extension's stimecmp CSR
// when the device tree's ISA string says "sstc" and firmware lets S-mode
// use it, otherwise through SBI set_timer (TIME extension).
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/phase_profile.hpp"
#include "arch/riscv/sbi.hpp"

extern "C" bool probe_write_stimecmp(u64);

namespace arch::riscv {

static constinit bool s_use_sstc = false;

} // namespace arch::riscv

namespace arch {

void timer_init(bool isa_has_sstc)
{
    // Far future first, so probing cannot fire an interrupt.
    riscv::s_use_sstc = isa_has_sstc && probe_write_stimecmp(~0ull);
    if (!riscv::s_use_sstc)
        riscv::sbi::set_timer(~0ull);
    csr_set(sie, riscv::SIE_STIE);
}

void timer_program(u64 when)
{
    if (riscv::s_use_sstc)
        asm volatile("csrw 0x14d, %0" ::"r"(when) : "memory");
    else {
        auto was = riscv::prof::mark(riscv::prof::Phase::Firmware);
        riscv::sbi::set_timer(when);
        riscv::prof::mark(was);
    }
}

const char* timer_mechanism() { return riscv::s_use_sstc ? "sstc" : "sbi"; }

} // namespace arch
