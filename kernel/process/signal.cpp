// Sending signals and acting on them.
#include "kernel/process/signal.hpp"
#include "kernel/process/coredump.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/printk.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"
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

u64 deliverable(const Thread& t)
{
    return (t.signals.pending | t.process->signals.pending) & ~(t.signals_blocked & ~UNBLOCKABLE);
}

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

// A blocked thread wakes to look at its signals: a blocking call returns
// EINTR (or restarts), a wait that must not fail re-checks and blocks again.
void wake_for_signal_proc_locked(Thread& t)
{
    process_lock().assert_held();
    // The signal (or the stop request) is marked before the state is
    // read; a sleeper not under this lock marks itself blocked before it
    // reads the signals (block_on_locked).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    wake_blocked_proc_locked(t);
}

void drop_from_every_queue_proc_locked(Process& p, u64 bits)
{
    process_lock().assert_held();
    p.signals.pending &= ~bits;
    for_each_thread_proc_locked(p, [&](Thread& t) { t.signals.pending &= ~bits; });
}

void continue_proc_locked(Process& p)
{
    process_lock().assert_held();
    drop_from_every_queue_proc_locked(p, STOP_SIGNALS);
    for_each_thread_proc_locked(p, [&](Thread& t) { t.clear_work(Thread::WORK_GROUP_STOP); });
    if (!p.stopped)
        return;
    p.stopped = false;
    p.stop_unreported = false;
    p.continue_unreported = true;
    for_each_thread_proc_locked(p, [&](Thread& t) {
        if (t.state == ThreadState::Stopped)
            make_ready_proc_locked(t);
    });
    if (p.parent)
        notify_parent_proc_locked(p, CLD_CONTINUED, SIGCONT);
}

// Queue sig in q; false if it was pending already (and not queued again).
void enqueue(SignalQueue& q, int sig, int code, Pid sender, i32 status, u32 uid)
{
    u64 bit = signal_bit(sig);
    if ((q.pending & bit) && sig >= 32) {
        // Real-time signals queue every instance (signal(7)).
        if (q.queued[sig - 1] < 255)
            ++q.queued[sig - 1];
        return;
    }
    q.pending |= bit;
    q.sender[sig - 1] = sender;
    q.code[sig - 1] = i16(code);
    q.status[sig - 1] = i16(status);
    q.uid[sig - 1] = uid;
}

// Take sig off q (one instance of a queued real-time signal).
void dequeue(SignalQueue& q, int sig, int& code, Pid& sender, i32& status, u32& uid)
{
    if (q.queued[sig - 1] > 0)
        --q.queued[sig - 1]; // another instance stays pending
    else
        q.pending &= ~signal_bit(sig);
    code = q.code[sig - 1];
    sender = q.sender[sig - 1];
    status = q.status[sig - 1];
    uid = q.uid[sig - 1];
}

} // namespace

int take_signal_of_proc_locked(Thread& t, u64 set, int& code, Pid& sender, i32& status, u32& uid)
{
    process_lock().assert_held();
    u64 mine = t.signals.pending & set, shared = t.process->signals.pending & set;
    // The thread's own first (as Linux's dequeue_signal), lowest number first.
    u64 from = mine ? mine : shared;
    if (!from)
        return 0;
    int sig = __builtin_ctzll(from) + 1;
    dequeue(mine ? t.signals : t.process->signals, sig, code, sender, status, uid);
    return sig;
}

namespace {

// Checks common to both kinds of sending: false if sig is to be dropped.
bool accept_signal_proc_locked(Process& p, int sig, u64 blocked)
{
    process_lock().assert_held();
    if (p.zombie || sig <= 0 || sig > NSIG)
        return false;
    u64 bit = signal_bit(sig);
    // init gets only the signals it installed handlers for (Linux's
    // SIGNAL_UNKILLABLE) -- and the SIGKILL of its own group exit.
    if (p.pid == 1 && !(p.signals_caught & bit) && !(p.group_exit || p.group_exec))
        return false;
    if (sig == SIGCONT || sig == SIGKILL)
        continue_proc_locked(p);
    if (bit & STOP_SIGNALS)
        drop_from_every_queue_proc_locked(p, signal_bit(SIGCONT));
    // An ignored signal is discarded at once -- unless it is blocked: then
    // it stays pending (Linux's sig_ignored), and is dropped at delivery.
    return would_act(p, sig) || (blocked & bit);
}

// Group stop: every thread of p stops (the caller last, by switching away).
void stop_process_proc_locked(Thread& me, int sig)
{
    process_lock().assert_held();
    Process& p = *me.process;
    if (!p.stopped) {
        p.stopped = true;
        p.stop_signal = sig;
        p.stop_unreported = true;
        p.continue_unreported = false;
        for_each_thread_proc_locked(p, [&](Thread& t) {
            if (&t == &me)
                return;
            t.set_work(Thread::WORK_GROUP_STOP);
            wake_for_signal_proc_locked(t);
        });
        notify_parent_proc_locked(p, CLD_STOPPED, sig);
    }
    me.state = ThreadState::Stopped;
    switch_away_proc_locked(); // until SIGCONT or SIGKILL
}

} // namespace

u64 sigreturn_trampoline() { return mm::SIGRETURN_TRAMPOLINE_VA; }

namespace {

constexpr unsigned RLIMIT_CPU = 0;     // include/uapi/asm-generic/resource.h
constexpr u64 RLIM_INFINITY = ~0ull;
constexpr int SIGXCPU = 24;

// RLIMIT_CPU (setrlimit(2), Linux's check_process_timers): past the soft
// limit SIGXCPU, and the soft limit moves up a second (so the next comes
// a second later); at the hard limit SIGKILL, which ends the climb.
void cpu_rlimit_check_proc_locked(Process& p, u64 cpu_ns)
{
    u64 soft = p.rlimit_cur[RLIMIT_CPU], hard = p.rlimit_max[RLIMIT_CPU];
    auto seconds_ns = [](u64 s) { return s > ~0ull / 1000000000 ? ~0ull : s * 1000000000; };
    if (soft == RLIM_INFINITY)
        return; // Linux looks at the hard limit only below a finite soft one
    if (hard != RLIM_INFINITY && cpu_ns >= seconds_ns(hard)) {
        send_signal_proc_locked(p, SIGKILL, SI_KERNEL, 0);
        return;
    }
    if (cpu_ns >= seconds_ns(soft)) {
        send_signal_proc_locked(p, SIGXCPU, SI_KERNEL, 0);
        p.rlimit_cur[RLIMIT_CPU] = soft + 1;
    }
}

} // namespace

bool send_timer_signal_proc_locked(Process& p, Thread* t, int sig, i32 timer_id)
{
    process_lock().assert_held();
    SignalQueue& q = t ? t->signals : p.signals;
    u64 bit = signal_bit(sig);
    // A standard signal is queued once: a timer's expiry while another
    // instance is pending is dropped (Linux's legacy_queue).
    if ((q.pending & bit) && sig < 32)
        return false;
    u64 before = (q.pending & bit) ? 1 + q.queued[sig - 1] : 0;
    if (t)
        send_thread_signal_proc_locked(*t, sig, SI_TIMER, timer_id);
    else
        send_signal_proc_locked(p, sig, SI_TIMER, timer_id);
    u64 after = (q.pending & bit) ? 1 + q.queued[sig - 1] : 0;
    return after > before;
}

void cpu_itimers_tick_proc_locked(Thread& running)
{
    process_lock().assert_held();
    Process& p = *running.process;
    posix_cpu_timers_tick_proc_locked(running);
    bool cpu_limit = p.rlimit_cur[RLIMIT_CPU] != RLIM_INFINITY;
    if (!p.virtual_expiry_ns && !p.prof_expiry_ns && !cpu_limit)
        return;
    ProcessTimes times = process_times_proc_locked(p);
    if (cpu_limit)
        cpu_rlimit_check_proc_locked(p, times.user_ns + times.system_ns);
    auto check = [&](u64& expiry, u64 interval, u64 now, int sig) {
        if (!expiry || now < expiry)
            return;
        expiry = interval ? now + interval : 0;
        send_signal_proc_locked(p, sig, SI_KERNEL, 0);
    };
    check(p.virtual_expiry_ns, p.virtual_interval_ns, times.user_ns, SIGVTALRM);
    check(p.prof_expiry_ns, p.prof_interval_ns, times.user_ns + times.system_ns, SIGPROF);
}

const char* signal_name(int sig)
{
    static constexpr const char* NAMES[] = {"0",       "SIGHUP",  "SIGINT",  "SIGQUIT", "SIGILL",    "SIGTRAP",
                                            "SIGABRT", "SIGBUS",  "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV",
                                            "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
                                            "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"};
    return sig >= 0 && sig < int(sizeof(NAMES) / sizeof(NAMES[0])) ? NAMES[sig] : "signal";
}

void send_signal_proc_locked(Process& p, int sig, int code, Pid sender, i32 status, u32 uid)
{
    process_lock().assert_held();
    if (p.group_exit || p.group_exec)
        return; // every thread but (at most) one is on its way out
    Thread* main = main_thread_proc_locked(p);
    if (!main || !accept_signal_proc_locked(p, sig, main->signals_blocked | main->sigwait_set))
        return;
    u64 bit = signal_bit(sig);
    enqueue(p.signals, sig, code, sender, status, uid);
    // SIGKILL reaches every thread at once; another signal the first
    // thread (the leader first) that does not block it, as Linux's
    // complete_signal prefers the main thread. When all block it, it waits
    // until one unblocks it (signals_unblocked_proc_locked).
    for_each_thread_proc_locked(p, [&](Thread& t) {
        if (!bit || (t.signals_blocked & bit & ~UNBLOCKABLE) || t.state == ThreadState::Dead)
            return;
        t.set_work(Thread::WORK_SIGNALS);
        wake_for_signal_proc_locked(t);
        if (sig != SIGKILL)
            bit = 0; // told one: done
    });
}

void send_thread_signal_proc_locked(Thread& t, int sig, int code, Pid sender, i32 status, u32 uid)
{
    process_lock().assert_held();
    if (t.state == ThreadState::Dead || !accept_signal_proc_locked(*t.process, sig, t.signals_blocked | t.sigwait_set))
        return;
    u64 bit = signal_bit(sig);
    enqueue(t.signals, sig, code, sender, status, uid);
    if (sig == SIGKILL && t.state == ThreadState::Stopped)
        make_ready_proc_locked(t);
    if (deliverable(t) & bit)
        wake_for_signal_proc_locked(t);
}

Result<void> signal_group_proc_locked(Pid pgid, int sig, Pid sender)
{
    process_lock().assert_held();
    // Over the process table (O(processes)); a per-group member list can
    // replace it if job control makes this hot.
    bool found = false;
    for_each_process_proc_locked([&](Process& p) {
        if (p.pgid == pgid && !p.zombie) {
            send_signal_proc_locked(p, sig, SI_USER, sender);
            found = true;
        }
    });
    if (!found)
        return Errno::esrch;
    return {};
}

bool signal_interrupts_slow_proc_locked(const Thread& t)
{
    process_lock().assert_held();
    if (t.has_work(Thread::WORK_GROUP_STOP))
        return true;
    if ((t.signals.pending | t.process->signals.pending) & t.sigwait_set)
        return true; // what rt_sigtimedwait waits for, even if its action is to ignore it
    // Only the pending ones are looked at (usually none).
    for (u64 d = deliverable(t); d; d &= d - 1)
        if (would_act(*t.process, __builtin_ctzll(d) + 1))
            return true;
    return false;
}

void signals_unblocked_proc_locked(Thread& t)
{
    process_lock().assert_held();
    // Only when the process's shared set now holds one it may take (its
    // own set is tested on every way out anyway).
    if (t.process->signals.pending & ~t.signals_blocked)
        t.set_work(Thread::WORK_SIGNALS);
}

void notify_parent_proc_locked(Process& child, int code, i32 status)
{
    process_lock().assert_held();
    Process* parent = child.parent;
    if (!parent)
        return;
    wake_all_proc_locked(parent->child_event);
    // Exits send the exit signal clone chose (none: 0); stops and
    // continues SIGCHLD, unless SA_NOCLDSTOP.
    bool exit = code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED;
    int sig = exit ? child.exit_signal : SIGCHLD;
    if (sig == 0)
        return;
    if (!exit && (parent->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP))
        return;
    send_signal_proc_locked(*parent, sig, code, child.pid, status, child.creds.uid);
}

void deliver_signals(Thread& t)
{
    Process& p = *t.process;
    // The common case on every return to user mode: nothing pending and
    // nothing to restart. A racy read is fine: a signal sent after it wakes
    // or reaches us on the next return.
    constexpr u64 SLOW = Thread::WORK_RESTART_SYSCALL | Thread::WORK_MASK_SAVED | Thread::WORK_SIGNALS |
                         Thread::WORK_GROUP_STOP;
    if (__atomic_load_n(&t.signals.pending, __ATOMIC_RELAXED) == 0 && !t.has_work(SLOW))
        return;
    t.clear_work(Thread::WORK_SIGNALS);
    for (;;) {
        int sig = 0, code = 0;
        Pid sender = 0;
        i32 status = 0;
        u32 uid = 0;
        TimerSignalInfo timer_info;
        {
            SpinLockGuard guard(process_lock());
            if (t.has_work(Thread::WORK_GROUP_STOP)) {
                t.clear_work(Thread::WORK_GROUP_STOP);
                if (p.stopped) {
                    t.state = ThreadState::Stopped;
                    switch_away_proc_locked(); // until SIGCONT or SIGKILL
                }
                continue;
            }
            u64 d = deliverable(t);
            if (!d)
                break;
            sig = __builtin_ctzll(d) + 1;
            // SIGKILL first, whatever else is pending.
            if (d & signal_bit(SIGKILL))
                sig = SIGKILL;
            // The thread's own first, then the process's.
            SignalQueue& q = (t.signals.pending & signal_bit(sig)) ? t.signals : p.signals;
            dequeue(q, sig, code, sender, status, uid);
            if (code == SI_TIMER && !posix_timer_signal_taken_proc_locked(p, sig, timer_info))
                timer_info = {sender, 0, 0};
        }
        Process::SignalAction action = p.actions[sig - 1];
        if (sig == SIGKILL || action.handler == SIG_DFL) {
            switch (sig == SIGKILL ? DefaultAction::Terminate : default_action(sig)) {
            case DefaultAction::Ignore:
            case DefaultAction::Continue:
                continue;
            case DefaultAction::Terminate:
                exit_current_fatal({sig, code, false, 0, sender}); // every thread, maybe a core first
            case DefaultAction::Stop: {
                SpinLockGuard guard(process_lock());
                if (sig != SIGSTOP && group_orphaned_proc_locked(p.pgid))
                    continue; // discarded (POSIX: an orphaned group "shall not stop")
                stop_process_proc_locked(t, sig);
                continue;
            }
            }
        }
        if (action.handler == SIG_IGN)
            continue;
        // A handler: the interrupted call restarts after it if SA_RESTART.
        if (t.has_work(Thread::WORK_RESTART_SYSCALL) && (action.flags & SA_RESTART) &&
            t.restart_kind == Thread::Restart::Always) {
            t.frame.restart_syscall(t.syscall_a0);
        }
        t.clear_work(Thread::WORK_RESTART_SYSCALL);
        t.restart_block = {}; // a handler ran: nothing for restart_syscall (Linux's rt_sigreturn)
        u64 old_mask = t.has_work(Thread::WORK_MASK_SAVED) ? t.saved_mask : t.signals_blocked;
        t.clear_work(Thread::WORK_MASK_SAVED);
        auto framed = setup_signal_frame(t, sig, code, sender, uid, status, 0, old_mask,
                                         code == SI_TIMER ? &timer_info : nullptr);
        if (framed.is_error()) {
            // No room for the frame (a bad stack): Linux forces SIGSEGV.
            printk("pid {} ({}): cannot deliver {}: bad user stack; killed by SIGSEGV\n", p.pid, p.name,
                   signal_name(sig));
            exit_current_fatal({SIGSEGV, SI_KERNEL, false, 0, 0});
        }
        SpinLockGuard guard(process_lock()); // senders read the mask and actions
        t.signals_blocked |= action.mask | ((action.flags & SA_NODEFER) ? 0 : signal_bit(sig));
        t.signals_blocked &= ~UNBLOCKABLE;
        // SA_RESETHAND: the handler goes back to SIG_DFL, but the flags
        // and mask stay as they were (Linux's signal_delivered).
        if (action.flags & SA_RESETHAND) {
            p.actions[sig - 1].handler = 0;
            p.signals_caught &= ~signal_bit(sig);
        }
        // More may be pending: look again on the next way out.
        t.set_work(Thread::WORK_SIGNALS);
        return; // one frame per return to user mode
    }
    if (t.has_work(Thread::WORK_MASK_SAVED)) { // sigsuspend woke for no handler: put the mask back
        SpinLockGuard guard(process_lock());
        t.signals_blocked = t.saved_mask;
        t.clear_work(Thread::WORK_MASK_SAVED);
    }
    // No handler ran: a call interrupted only to let a stop or an ignored
    // signal through is restarted transparently, as Linux does.
    if (t.has_work(Thread::WORK_RESTART_SYSCALL)) {
        t.frame.restart_syscall(t.syscall_a0);
        if (t.restart_kind == Thread::Restart::Block)
            t.frame.set_syscall_number(u64(SyscallNumber::restart_syscall));
        t.clear_work(Thread::WORK_RESTART_SYSCALL);
    }
}

void fault_signal(Thread& t, int sig, int code, u64 address, const char* cause, u64 sepc)
{
    Process& p = *t.process;
    u64 bit = signal_bit(sig);
    if ((p.signals_caught & bit) && !(t.signals_blocked & bit)) {
        u64 old_mask = t.signals_blocked;
        Process::SignalAction action = p.actions[sig - 1];
        if (setup_signal_frame(t, sig, code, 0, 0, 0, address, old_mask).is_ok()) {
            SpinLockGuard guard(process_lock()); // senders read the mask and actions
            t.signals_blocked |= action.mask | ((action.flags & SA_NODEFER) ? 0 : bit);
            if (action.flags & SA_RESETHAND) {
                p.actions[sig - 1].handler = 0; // flags and mask stay (as above)
                p.signals_caught &= ~bit;
            }
            return;
        }
    }
    printk("pid {} ({}): {} at sepc={:#x} stval={:#x}: killed by {}\n", p.pid, p.name, cause, sepc, address,
           signal_name(sig));
    exit_current_fatal({sig, code, true, address, 0}); // the whole process, as Linux's force_sig
}

} // namespace kernel
