// Signals, the part that exists today: sending (kill, the tty's ^C, a
// pipe's SIGPIPE), the blocked mask, SIG_IGN, and the default actions
// "terminate" and "ignore" taken on the way back to user mode. A signal
// sent to a blocked process wakes it; its system call returns EINTR.
// User handlers, stop/continue and job-control stops are the next issue's.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

inline constexpr int NSIG = 64;
inline constexpr int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
                     SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
                     SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21,
                     SIGTTOU = 22, SIGURG = 23, SIGWINCH = 28;

constexpr u64 signal_bit(int sig) { return 1ull << (sig - 1); }

// Queue sig for p (process lock held); wakes p if a blocking call should
// be interrupted by it.
void send_signal_locked(Process& p, int sig);
// To every member of a process group; ESRCH when it has none.
Result<void> signal_group_locked(Pid pgid, int sig);
// Is there a signal that would interrupt a blocking call of p?
bool signal_interrupts_locked(const Process& p);
// On return to user mode: act on deliverable pending signals (may not
// return: the default action of most signals terminates).
void deliver_signals(Process& p);
const char* signal_name(int sig);

} // namespace kernel
