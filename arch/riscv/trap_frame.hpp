// The register frame a trap saves: all 31 integer registers plus the trap
// CSRs. Offsets are shared with trap_entry.S through the TF_* macros below
// and pinned by static_asserts, so the two can never disagree.
#pragma once

#define TF_REG(n) ((n) * 8)
#define TF_SEPC 256
#define TF_SSTATUS 264
#define TF_SCAUSE 272
#define TF_STVAL 280
#define TF_SIZE 288

#ifndef __ASSEMBLER__
#include "lib/types.hpp"

namespace arch::riscv {

struct TrapFrame {
    u64 regs[32]; // x0..x31 by number; regs[0] is unused (x0 is zero)
    u64 sepc;
    u64 sstatus;
    u64 scause;
    u64 stval;

    u64& ra() { return regs[1]; }
    u64& sp() { return regs[2]; }
    u64& fp() { return regs[8]; }
    u64& a(unsigned i) { return regs[10 + i]; }
};

static_assert(__builtin_offsetof(TrapFrame, regs) == TF_REG(0));
static_assert(__builtin_offsetof(TrapFrame, sepc) == TF_SEPC);
static_assert(__builtin_offsetof(TrapFrame, sstatus) == TF_SSTATUS);
static_assert(__builtin_offsetof(TrapFrame, scause) == TF_SCAUSE);
static_assert(__builtin_offsetof(TrapFrame, stval) == TF_STVAL);
static_assert(sizeof(TrapFrame) == TF_SIZE && TF_SIZE % 16 == 0);

} // namespace arch::riscv
#endif
