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
    TrapC,                  // user_trap: accounting, FP check, decode
    Dispatch,               // syscall_dispatch around the handler
    Handler,                // the system call itself
    Scheduler,              // policy, run queues, switch bookkeeping
    Switch,                 // address-space switch + switch_context
    Preempt,                // preempt_if_needed
    Signals,                // deliver_signals
    Exit,                   // return_to_user after signals, up to user_return
    Interrupt,              // timer / external interrupt handling
    Firmware,               // SBI calls (timer)
    Fault,                  // user page faults and other exceptions
    Calibrate,
};

#ifdef MYRIAD_PHASE_PROFILE
// Ends the running phase, starts `next`; returns the phase that ran.
Phase mark(Phase next);
void profile_dump();
#else
inline Phase mark(Phase next) { return next; }
inline void profile_dump() {}
#endif

} // namespace arch::riscv::prof
#endif
