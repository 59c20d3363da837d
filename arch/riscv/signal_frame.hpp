// The RISC-V Linux signal frame (arch/riscv/kernel/signal.c): siginfo,
// then a ucontext whose mcontext holds the 32 integer registers (pc in
// slot 0) and the D-extension state. glibc's ucontext_t has the same
// layout. The portable kernel writes and reads it as a whole
// (kernel/trap/signal_frame.cpp); only this file knows what is inside.
#pragma once

#include "arch/riscv/trap_frame.hpp"

namespace arch::riscv {

struct SigInfo {
    i32 signo, errno_value, code, pad;
    union {
        struct {
            i32 pid;
            u32 uid;
            i32 status;
            i32 pad;
            i64 utime, stime;
        } child;
        struct {
            i32 id;       // si_timerid
            i32 overrun;  // si_overrun
            u64 value;    // si_value
        } timer;
        u64 address;
        u8 raw[112];
    };
};
static_assert(sizeof(SigInfo) == 128);

struct Ucontext {
    u64 flags;
    u64 link;
    u64 stack_sp;
    i32 stack_flags, stack_pad;
    u64 stack_size;
    u64 sigmask;          // the kernel's 64-bit sigset_t...
    u8 unused[120];       // ...padded to glibc's 128-byte sigset_t
    u64 pad_to_16;        // uc_mcontext is 16-byte aligned (the Q-extension union)
    u64 regs[32];         // pc, then x1..x31
    u64 f[32];            // __riscv_d_ext_state
    u32 fcsr;
    u8 fp_reserved[528 - 256 - 4];
};
static_assert(__builtin_offsetof(Ucontext, regs) == 176, "uc_mcontext offset as in glibc");
static_assert(sizeof(Ucontext) == 176 + 256 + 528);

struct SignalFrame {
    SigInfo info;
    Ucontext uc;
};

} // namespace arch::riscv
