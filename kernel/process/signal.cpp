// Sending signals and acting on them.
#include "kernel/process/signal.hpp"
#include "kernel/printk.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/trap/trap.hpp"


namespace kernel {

namespace {

enum class DefaultAction { Terminate, Ignore, Stop, Continue };

DefaultAction default_action(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH: return DefaultAction::Ignore;
    case SIGCONT: return DefaultAction::Continue;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU: return DefaultAction::Stop;
    default: return DefaultAction::Terminate;
    }
}

constexpr u64 STOP_SIGNALS = signal_bit(SIGSTOP) | signal_bit(SIGTSTP) | signal_bit(SIGTTIN) | signal_bit(SIGTTOU);

u64 deliverable(const Process& p) { return p.signals_pending & ~(p.signals_blocked & ~UNBLOCKABLE); }

// Would this signal do anything if delivered now (not ignored)?
bool would_act(const Process& p, int sig)
{
    u64 bit = signal_bit(sig);
    if (bit & UNBLOCKABLE)
        return true;
    if (p.signals_caught & bit)
        return true;
    if (p.signals_ignored & bit)
        return false;
    DefaultAction a = default_action(sig);
    return a == DefaultAction::Terminate || a == DefaultAction::Stop;
}

// A group is orphaned when no member has a parent in another group of the
// same session (POSIX): nobody is left to continue it, so the terminal
// stop signals must not stop it.
bool group_orphaned_proc_locked(Pid pgid)
{
    process_lock().assert_held();
    bool orphaned = true;
    for_each_process_proc_locked([&](Process& m) {
        if (m.pgid == pgid && m.parent && m.parent->pgid != pgid && m.parent->sid == m.sid)
            orphaned = false;
    });
    return orphaned;
}

void continue_proc_locked(Process& p)
{
    process_lock().assert_held();
    p.signals_pending &= ~STOP_SIGNALS;
    if (p.state != ProcessState::Stopped)
        return;
    p.stop_unreported = false;
    p.continue_unreported = true;
    make_ready_proc_locked(p);
    if (p.parent)
        notify_parent_proc_locked(p, CLD_CONTINUED, SIGCONT);
}

} // namespace

u64 sigreturn_trampoline() { return mm::SIGRETURN_TRAMPOLINE_VA; }

const char* signal_name(int sig)
{
    static constexpr const char* NAMES[] = {"0",       "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",    "SIGTRAP",
                                            "SIGABRT", "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV",
                                            "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
                                            "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"};
    return sig >= 0 && sig < int(sizeof(NAMES) / sizeof(NAMES[0])) ? NAMES[sig] : "signal";
}

void send_signal_proc_locked(Process& p, int sig, int code, Pid sender, i32 status)
{
    process_lock().assert_held();
    if (p.state == ProcessState::Zombie || sig <= 0 || sig > NSIG)
        return;
    u64 bit = signal_bit(sig);
    // init gets only the signals it installed handlers for (Linux's
    // SIGNAL_UNKILLABLE).
    if (p.pid == 1 && !(p.signals_caught & bit))
        return;
    if (sig == SIGCONT || sig == SIGKILL)
        continue_proc_locked(p);
    if (bit & STOP_SIGNALS)
        p.signals_pending &= ~signal_bit(SIGCONT);
    // An ignored signal is discarded at once -- unless it is blocked: then
    // it stays pending (Linux's sig_ignored), and is dropped at delivery.
    if (!would_act(p, sig) && !(p.signals_blocked & bit))
        return;
    if ((p.signals_pending & bit) && sig >= 32) {
        // Real-time signals queue every instance (signal(7)).
        if (p.signal_queued[sig - 1] < 255)
            ++p.signal_queued[sig - 1];
        return;
    }
    p.signals_pending |= bit;
    p.signal_sender[sig - 1] = sender;
    p.signal_code[sig - 1] = code;
    p.signal_status[sig - 1] = status;
    if (sig == SIGKILL && p.state == ProcessState::Stopped)
        make_ready_proc_locked(p);
    if (p.state == ProcessState::Blocked && (deliverable(p) & bit)) {
        p.queue_node.unlink(); // off its wait queue, the sleep list or the alarm wait
        make_ready_proc_locked(p);
    }
}

Result<void> signal_group_proc_locked(Pid pgid, int sig, Pid sender)
{
    process_lock().assert_held();
    // Over the process table (O(processes)); a per-group member list can
    // replace it if job control makes this hot.
    bool found = false;
    for_each_process_proc_locked([&](Process& p) {
        if (p.pgid == pgid && p.state != ProcessState::Zombie) {
            send_signal_proc_locked(p, sig, SI_USER, sender);
            found = true;
        }
    });
    if (!found)
        return Errno::esrch;
    return {};
}

bool signal_interrupts_proc_locked(const Process& p)
{
    process_lock().assert_held();
    u64 d = deliverable(p);
    for (int sig = 1; sig <= NSIG; ++sig)
        if ((d & signal_bit(sig)) && would_act(p, sig))
            return true;
    return false;
}

void notify_parent_proc_locked(Process& child, int code, i32 status)
{
    process_lock().assert_held();
    Process* parent = child.parent;
    if (!parent)
        return;
    wake_all_proc_locked(parent->child_event);
    // SA_NOCLDSTOP: no SIGCHLD for stops and continues.
    if ((code == CLD_STOPPED || code == CLD_CONTINUED) && (parent->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP))
        return;
    send_signal_proc_locked(*parent, SIGCHLD, code, child.pid, status);
}

void deliver_signals(Process& p)
{
    // The common case on every return to user mode: nothing pending and
    // nothing to restart. A racy read is fine: a signal sent after it wakes
    // or reaches us on the next return.
    if (__atomic_load_n(&p.signals_pending, __ATOMIC_RELAXED) == 0 &&
        !p.has_work(Process::WORK_RESTART_SYSCALL | Process::WORK_MASK_SAVED))
        return;
    for (;;) {
        int sig = 0, code = 0;
        Pid sender = 0;
        i32 status = 0;
        {
            SpinLockGuard guard(process_lock());
            u64 d = deliverable(p);
            if (!d)
                break;
            sig = __builtin_ctzll(d) + 1;
            // SIGKILL first, whatever else is pending.
            if (d & signal_bit(SIGKILL))
                sig = SIGKILL;
            if (p.signal_queued[sig - 1] > 0)
                --p.signal_queued[sig - 1]; // another instance stays pending
            else
                p.signals_pending &= ~signal_bit(sig);
            code = p.signal_code[sig - 1];
            sender = p.signal_sender[sig - 1];
            status = p.signal_status[sig - 1];
        }
        Process::SignalAction action = p.actions[sig - 1];
        if (sig == SIGKILL || action.handler == SIG_DFL) {
            switch (sig == SIGKILL ? DefaultAction::Terminate : default_action(sig)) {
            case DefaultAction::Ignore:
            case DefaultAction::Continue:
                continue;
            case DefaultAction::Terminate:
                exit_current(wait_status_signaled(sig));
            case DefaultAction::Stop: {
                SpinLockGuard guard(process_lock());
                if (sig != SIGSTOP && group_orphaned_proc_locked(p.pgid))
                    continue; // discarded (POSIX: an orphaned group "shall not stop")
                p.state = ProcessState::Stopped;
                p.stop_signal = sig;
                p.stop_unreported = true;
                p.continue_unreported = false;
                notify_parent_proc_locked(p, CLD_STOPPED, sig);
                switch_away_proc_locked(); // until SIGCONT or SIGKILL
                continue;
            }
            }
        }
        if (action.handler == SIG_IGN)
            continue;
        // A handler: the interrupted call restarts after it if SA_RESTART.
        if (p.has_work(Process::WORK_RESTART_SYSCALL) && (action.flags & SA_RESTART)) {
            p.frame.restart_syscall(p.syscall_a0);
        }
        p.clear_work(Process::WORK_RESTART_SYSCALL);
        u64 old_mask = p.has_work(Process::WORK_MASK_SAVED) ? p.saved_mask : p.signals_blocked;
        p.clear_work(Process::WORK_MASK_SAVED);
        auto framed = setup_signal_frame(p, sig, code, sender, status, 0, old_mask);
        if (framed.is_error()) {
            // No room for the frame (a bad stack): Linux forces SIGSEGV.
            printk("pid {} ({}): cannot deliver {}: bad user stack; killed by SIGSEGV\n", p.pid, p.name,
                   signal_name(sig));
            exit_current(wait_status_signaled(SIGSEGV));
        }
        SpinLockGuard guard(process_lock()); // senders read the mask and actions
        p.signals_blocked |= action.mask | ((action.flags & SA_NODEFER) ? 0 : signal_bit(sig));
        p.signals_blocked &= ~UNBLOCKABLE;
        if (action.flags & SA_RESETHAND) {
            p.actions[sig - 1] = {};
            p.signals_caught &= ~signal_bit(sig);
        }
        return; // one frame per return to user mode
    }
    if (p.has_work(Process::WORK_MASK_SAVED)) { // sigsuspend woke for no handler: put the mask back
        SpinLockGuard guard(process_lock());
        p.signals_blocked = p.saved_mask;
        p.clear_work(Process::WORK_MASK_SAVED);
    }
    // No handler ran: a call interrupted only to let a stop or an ignored
    // signal through is restarted transparently, as Linux does.
    if (p.has_work(Process::WORK_RESTART_SYSCALL)) {
        p.frame.restart_syscall(p.syscall_a0);
        p.clear_work(Process::WORK_RESTART_SYSCALL);
    }
}

void fault_signal(Process& p, int sig, int code, u64 address, const char* cause, u64 sepc)
{
    u64 bit = signal_bit(sig);
    if ((p.signals_caught & bit) && !(p.signals_blocked & bit)) {
        u64 old_mask = p.signals_blocked;
        Process::SignalAction action = p.actions[sig - 1];
        if (setup_signal_frame(p, sig, code, 0, 0, address, old_mask).is_ok()) {
            SpinLockGuard guard(process_lock()); // senders read the mask and actions
            p.signals_blocked |= action.mask | ((action.flags & SA_NODEFER) ? 0 : bit);
            if (action.flags & SA_RESETHAND) {
                p.actions[sig - 1] = {};
                p.signals_caught &= ~bit;
            }
            return;
        }
    }
    printk("pid {} ({}): {} at sepc={:#x} stval={:#x}: killed by {}\n", p.pid, p.name, cause, sepc, address,
           signal_name(sig));
    exit_current(wait_status_signaled(sig));
}

} // namespace kernel
