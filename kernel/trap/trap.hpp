// The portable half of traps from user mode (kernel/trap/): system-call
// entry, faults turned into signals, the out-of-memory kill, and the way
// back (preemption, signal delivery, FP state, time accounting). The
// architecture saves the registers and decodes the cause, then calls
// on_syscall or on_user_trap (kernel/arch_hooks.hpp).
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

// Back to user mode: switch first if a tick asked for it, deliver pending
// signals, account the kernel time, load the FP registers if another
// thread used them, then enter user mode through arch::enter_user.
[[noreturn]] void return_to_user(Thread&);

// Floating-point ownership, per hart (arch::Hart::fp_owner): whose values
// this hart's FP registers hold. A thread's state is saved only when it
// is switched out after changing it, and loaded only on the way to user
// mode when the registers hold someone else's (Thread::WORK_LOAD_FP,
// set as it comes onto a hart).
void fp_switch_out(Thread&);
void fp_switch_in(Thread&);
// t's saved FP state is current (save it now if t changed the registers):
// for clone and signal frames, which copy it.
void fp_sync(Thread&);
// The registers no longer hold t's state (t.fp was replaced, or t died):
// load t.fp on its next return to user mode.
void fp_forget(Thread&);

// Push a signal frame for `sig` on t's user stack and point t's registers
// at the handler (kernel/trap/signal_frame.cpp). EFAULT when the frame
// cannot be written (a bad stack).
struct TimerSignalInfo;
// `timer`: a POSIX timer's signal, whose siginfo carries the timer's id,
// overrun and value instead of a sender.
Result<void> setup_signal_frame(Thread&, int sig, int code, i32 sender, u32 uid, i32 status, u64 address, u64 old_mask,
                                const TimerSignalInfo* timer = nullptr);

} // namespace kernel
