// Sending and acting on signals (default actions and SIG_IGN).
#include "kernel/process/signal.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

namespace {

// Signals whose default action is to ignore (signal(7)); SIGCONT too,
// until stopping exists. Stop signals are ignored by default for now.
constexpr u64 DEFAULT_IGNORED = signal_bit(SIGCHLD) | signal_bit(SIGURG) | signal_bit(SIGWINCH) |
                                signal_bit(SIGCONT) | signal_bit(SIGSTOP) | signal_bit(SIGTSTP) |
                                signal_bit(SIGTTIN) | signal_bit(SIGTTOU);
constexpr u64 UNBLOCKABLE = signal_bit(SIGKILL) | signal_bit(SIGSTOP);

u64 deliverable(const Process& p) { return p.signals_pending & ~(p.signals_blocked & ~UNBLOCKABLE); }

bool would_act(const Process& p, int sig)
{
    u64 bit = signal_bit(sig);
    if (bit & UNBLOCKABLE)
        return true;
    return !(p.signals_ignored & bit) && !(DEFAULT_IGNORED & bit);
}

} // namespace

const char* signal_name(int sig)
{
    static constexpr const char* NAMES[] = {"0",       "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",  "SIGTRAP",
                                            "SIGABRT", "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1", "SIGSEGV",
                                            "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
                                            "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"};
    return sig >= 0 && sig < int(sizeof(NAMES) / sizeof(NAMES[0])) ? NAMES[sig] : "signal";
}

void send_signal_locked(Process& p, int sig)
{
    if (p.state == ProcessState::Zombie || sig <= 0 || sig > NSIG)
        return;
    u64 bit = signal_bit(sig);
    // init only gets the signals it asked for (Linux's SIGNAL_UNKILLABLE):
    // with no handlers yet, none.
    if (p.pid == 1)
        return;
    // An ignored signal is discarded at once (SIGKILL cannot be ignored).
    if (!(bit & UNBLOCKABLE) && ((p.signals_ignored & bit) || (DEFAULT_IGNORED & bit)))
        return;
    p.signals_pending |= bit;
    if (p.state == ProcessState::Blocked && (deliverable(p) & bit)) {
        p.queue_node.unlink(); // off its wait queue or the sleep list
        make_ready_locked(p);
    }
}

Result<void> signal_group_locked(Pid pgid, int sig)
{
    // Over the process table (O(processes)); a per-group member list can
    // replace it when job control needs it often.
    bool found = false;
    for_each_process_locked([&](Process& p) {
        if (p.pgid == pgid && p.state != ProcessState::Zombie) {
            send_signal_locked(p, sig);
            found = true;
        }
    });
    if (!found)
        return Errno::esrch;
    return {};
}

bool signal_interrupts_locked(const Process& p)
{
    u64 d = deliverable(p);
    for (int sig = 1; sig <= NSIG; ++sig)
        if ((d & signal_bit(sig)) && would_act(p, sig))
            return true;
    return false;
}

void deliver_signals(Process& p)
{
    int fatal = 0;
    {
        SpinLockGuard guard(process_lock());
        u64 d = deliverable(p);
        for (int sig = 1; sig <= NSIG && !fatal; ++sig) {
            if (!(d & signal_bit(sig)))
                continue;
            p.signals_pending &= ~signal_bit(sig);
            if (would_act(p, sig))
                fatal = sig; // the default action of every other signal: terminate
        }
    }
    if (fatal)
        exit_current(wait_status_signaled(fatal));
}

} // namespace kernel
