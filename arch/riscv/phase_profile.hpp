// Per-phase instruction counts of the user/kernel boundary (a build-time
// option, MYRIAD_PHASE_PROFILE; without it every mark compiles to nothing).
// Each mark reads instret, charges the instructions since the previous mark
// to the phase that was running, and starts the next phase. The mark's own
// bookkeeping is excluded (instret is read again at its end); what remains
// per mark (the call and the first read) is measured at boot and
// subtracted. tests/tools/phase_profile.py builds such a kernel and turns
// two runs into per-operation figures (docs/performance.md).
#pragma once

#define PROF_PHASE_USER 0 // sret .. the probe after the user registers are saved
#define PROF_PHASE_COUNT 13

#ifndef __ASSEMBLER__
#include "lib/types.hpp"

namespace arch::riscv::prof {

enum class Phase : u32 {
    User = PROF_PHASE_USER, // user code + trap-entry save + trap-exit restore (asm)
    TrapC,                  // user_trap for faults and interrupts: decode, accounting
    Dispatch,               // on_syscall around the handler: accounting, table, EINTR test
    Handler,                // the system call itself
    Scheduler,              // policy, run queues, switch bookkeeping
    Switch,                 // address-space switch + switch_context
    Preempt,                // preempt_if_needed
    Signals,                // deliver_signals
    Exit,                   // the way back: work test, FP load, timestamp, up to user_return
    Interrupt,              // timer / external interrupt handling
    Firmware,               // SBI calls (timer)
    Fault,                  // user page faults and other exceptions
    Calibrate,
};

#ifdef MYRIAD_PHASE_PROFILE
} // namespace arch::riscv::prof

// Shared with trap_entry.S's PROF_MARK: last instret, running phase, then
// per-phase sums and mark counts.
extern "C" struct ProfState {
    u64 last;
    u64 phase;
    u64 sum[PROF_PHASE_COUNT];
    u64 marks[PROF_PHASE_COUNT];
} prof_state;

namespace arch::riscv::prof {

// Ends the running phase, starts `next`; returns the phase that ran.
// Inline, so that little but the two instret reads is left to calibrate.
[[gnu::always_inline]] inline Phase mark(Phase next)
{
    u64 now;
    asm volatile("rdinstret %0" : "=r"(now)::"memory");
    u64 ran = prof_state.phase;
    prof_state.sum[ran] += now - prof_state.last;
    ++prof_state.marks[ran];
    prof_state.phase = u64(next);
    asm volatile("rdinstret %0" : "=r"(now)::"memory");
    prof_state.last = now;
    return Phase(ran);
}
void profile_dump();
#else
inline Phase mark(Phase next) { return next; }
inline void profile_dump() {}
#endif

} // namespace arch::riscv::prof
#endif
