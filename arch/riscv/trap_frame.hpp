// The register frame a trap saves: all 31 integer registers plus the trap
// CSRs. Offsets are shared with trap_entry.S through the TF_* macros below
// and pinned by static_asserts, so the two can never disagree.
#pragma once

#define TF_REG(n) ((n) * 8)
#define TF_SEPC 256
#define TF_SSTATUS 264
#define TF_SCAUSE 272
#define TF_STVAL 280
#define TF_KERNEL_SP 288
#define TF_KERNEL_TP 296
#define TF_SIZE 304

#ifndef __ASSEMBLER__
#include "lib/types.hpp"

namespace arch::riscv {

struct TrapFrame {
    u64 regs[32]; // x0..x31 by number; regs[0] is unused (x0 is zero)
    u64 sepc;
    u64 sstatus;
    u64 scause;
    u64 stval;
    // Only in a process's user frame: where the trap entry finds the
    // kernel stack and the hart pointer (tp) when coming from user mode.
    u64 kernel_sp;
    u64 kernel_tp;

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
static_assert(__builtin_offsetof(TrapFrame, kernel_sp) == TF_KERNEL_SP);
static_assert(__builtin_offsetof(TrapFrame, kernel_tp) == TF_KERNEL_TP);
static_assert(sizeof(TrapFrame) == TF_SIZE);

// The saved floating-point state (D extension): f0-f31 and fcsr.
struct FpState {
    u64 f[32];
    u64 fcsr;
};

extern "C" void fp_save(FpState*);
extern "C" void fp_restore(const FpState*);

} // namespace arch::riscv
#endif
