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

    // The portable view (arch::UserFrame in arch/arch.hpp): the Linux
    // riscv64 syscall convention is ecall with the number in a7, the
    // arguments in a0-a5 and the result in a0.
    u64 syscall_number() const { return regs[17]; }
    void set_syscall_number(u64 number) { regs[17] = number; }
    u64 syscall_arg(unsigned n) const { return regs[10 + n]; }
    void set_syscall_result(u64 value) { regs[10] = value; }
    // Run the system call again on return: back onto the ecall (4 bytes,
    // no compressed form) with a0 as it was on entry.
    void restart_syscall(u64 first_arg)
    {
        sepc -= 4;
        regs[10] = first_arg;
    }
    u64 user_pc() const { return sepc; }
    void set_user_pc(u64 pc) { sepc = pc; }
    u64 user_sp() const { return regs[2]; }
    void set_user_sp(u64 value) { regs[2] = value; }
    void set_tls(u64 value) { regs[4] = value; } // tp (psABI: the thread pointer)
    // Every register zero, ready to enter `entry` in user mode with `stack`
    // (exec): SPP = 0 (U-mode), SPIE = 1 (interrupts on after sret), FS =
    // Initial (the FP registers usable, nothing to save yet); priv spec
    // 4.1.1.
    void start_user(u64 entry, u64 stack)
    {
        u64 sp = kernel_sp, tp = kernel_tp; // the thread stays where it is
        *this = {};
        kernel_sp = sp;
        kernel_tp = tp;
        sepc = entry;
        regs[2] = stack;
        sstatus = (1ull << 5) | (1ull << 13);
    }
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
