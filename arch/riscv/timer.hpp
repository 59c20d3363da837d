// Timer set-up for the RISC-V side (arch.hpp has the portable calls).
#pragma once

namespace arch::riscv {

void timer_init(bool isa_has_sstc);

} // namespace arch::riscv
