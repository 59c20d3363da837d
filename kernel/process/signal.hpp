// Signals with Linux semantics (signal(7)): sending (kill, the tty, pipes,
// faults, child state changes, alarms), the blocked mask, dispositions
// (default, ignore, a handler), and acting on them on the way back to user
// mode: terminate, ignore, stop, continue, or run the handler on a Linux
// signal frame (kernel/trap/signal_frame.cpp) that returns through a
// kernel-provided trampoline page with rt_sigreturn.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

inline constexpr int NSIG = 64;
inline constexpr int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
                     SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
                     SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
                     SIGTTOU = 22, SIGURG = 23, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28;

// sigaction flags (include/uapi/asm-generic/signal.h).
inline constexpr u64 SA_NOCLDSTOP = 1, SA_NOCLDWAIT = 2, SA_SIGINFO = 4, SA_ONSTACK = 0x08000000,
                     SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
inline constexpr u64 SIG_DFL = 0, SIG_IGN = 1;
// si_code values (include/uapi/asm-generic/siginfo.h).
inline constexpr int SI_USER = 0, SI_KERNEL = 0x80, SI_TKILL = -6, CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3,
                     CLD_STOPPED = 5, CLD_CONTINUED = 6, SEGV_MAPERR = 1, SEGV_ACCERR = 2, ILL_ILLOPC = 1,
                     BUS_ADRALN = 1, BUS_ADRERR = 2, TRAP_BRKPT = 1;

constexpr u64 signal_bit(int sig) { return 1ull << (sig - 1); }
// The signals no mask can block and no handler can catch (signal(7)).
inline constexpr u64 UNBLOCKABLE = signal_bit(SIGKILL) | signal_bit(SIGSTOP);

// Queue a process-directed sig for p (process lock held), with who sent
// it and why: any thread of p that does not block it takes it (the first
// such is told, and woken if a blocking call should be interrupted);
// continues a stopped p on SIGCONT/SIGKILL.
// uid: si_uid, the sending process's real uid (0 for the kernel's own).
void send_signal_proc_locked(Process& p, int sig, int code = SI_USER, Pid sender = 0, i32 status = 0, u32 uid = 0);
// Queue a thread-directed sig for t (tkill, tgkill, the group's SIGKILL):
// only t takes it, though its action is the process's.
void send_thread_signal_proc_locked(Thread& t, int sig, int code = SI_TKILL, Pid sender = 0, i32 status = 0,
                                   u32 uid = 0);
// A POSIX timer's signal (si_code SI_TIMER) for p, or for its thread t
// if not null: true if it was queued (not ignored, not a standard signal
// pending already).
bool send_timer_signal_proc_locked(Process& p, Thread* t, int sig, i32 timer_id);
// To every member of a process group; ESRCH when it has none.
Result<void> signal_group_proc_locked(Pid pgid, int sig, Pid sender = 0);
// Is there a signal (or a group stop) that would interrupt a blocking call
// of t? Every sleep asks twice; the inline part answers when nothing is
// pending, which is nearly always.
bool signal_interrupts_slow_proc_locked(const Thread& t);
inline bool signal_interrupts_proc_locked(const Thread& t)
{
    if (!t.has_work(Thread::WORK_GROUP_STOP) && !(t.signals.pending | t.process->signals.pending)) [[likely]]
        return false;
    return signal_interrupts_slow_proc_locked(t);
}
// Without the process lock: the signals pending for t that it does not
// block. A sleep that is not under the process lock looks here after
// marking itself blocked and a full fence (a sender fences after marking
// the signal pending, then looks at the state: one of the two sees the
// other); the full judgement (an ignored signal does not interrupt)
// needs the lock.
inline u64 signal_deliverable_unlocked(const Thread& t)
{
    u64 pending = __atomic_load_n(&t.signals.pending, __ATOMIC_RELAXED) |
                  __atomic_load_n(&t.process->signals.pending, __ATOMIC_RELAXED);
    return pending & ~(__atomic_load_n(&t.signals_blocked, __ATOMIC_RELAXED) & ~UNBLOCKABLE);
}
// rt_sigtimedwait: take a pending signal of `set` off t's queue (its own
// first, then the process's), with who sent it; 0 when none is pending.
int take_signal_of_proc_locked(Thread& t, u64 set, int& code, Pid& sender, i32& status, u32& uid);
// t's signal mask changed (sigprocmask, sigreturn, sigsuspend): if the
// process's pending set holds one it no longer blocks, it takes it on
// its way out. Process lock held.
void signals_unblocked_proc_locked(Thread& t);
// On return to user mode: act on deliverable pending signals (may stop the
// thread, may not return at all, may set up a handler frame).
void deliver_signals(Thread& t);
// A fault in user mode: the handler runs on the faulting thread if there
// is one and the signal is not blocked; otherwise the whole process dies of
// it (with one line of report).
void fault_signal(Thread& t, int sig, int code, u64 address, const char* cause, u64 sepc);
// The child changed state (exited, was killed, stopped, continued): tell the parent.
void notify_parent_proc_locked(Process& child, int code, i32 status);
// A tick charged to `running`: its process's ITIMER_VIRTUAL (user time)
// and ITIMER_PROF (user and system time) fire SIGVTALRM / SIGPROF when
// due, its CPU-clock POSIX timers fire, and RLIMIT_CPU sends SIGXCPU /
// SIGKILL. Process lock held; nothing to do unless one is set.
void cpu_itimers_tick_proc_locked(Thread& running);
const char* signal_name(int sig);
// The user address of the sigreturn trampoline page (in every address space).
u64 sigreturn_trampoline();

} // namespace kernel
