// Signal, timer, priority and process-group system calls.
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr i32 SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

bool valid_signal(i32 sig) { return sig >= 1 && sig <= NSIG; }

// May `sender` signal `target` (kernel/signal.c, check_kill_permission)?
// Its own process, always; another when the sender's real or effective
// uid is the target's real or saved uid, or with CAP_KILL; SIGCONT within
// the session, always.
bool may_signal_proc_locked(const Process& sender, const Process& target, int sig)
{
    process_lock().assert_held();
    if (&sender == &target)
        return true;
    const Credentials &s = sender.creds, &t = target.creds;
    if (s.euid == t.suid || s.euid == t.uid || s.uid == t.suid || s.uid == t.uid)
        return true;
    if (s.capable(Cap::kill))
        return true;
    return sig == SIGCONT && sender.sid == target.sid;
}

} // namespace

Result<u64> sys_kill(Pid pid, i32 sig)
{
    if (sig != 0 && !valid_signal(sig))
        return Errno::einval;
    // The group of pid < -1 is -pid, which INT_MIN does not have: Linux
    // answers ESRCH (kernel/signal.c, kill_something_info).
    if (pid == INT32_MIN)
        return Errno::esrch;
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    auto send = [&](Process& p) {
        if (sig)
            send_signal_proc_locked(p, int(sig), SI_USER, self.pid, 0, self.creds.uid);
    };
    if (pid > 0) {
        // A thread's id names its process too (Linux's kill_pid_info).
        Process* p = find_process_proc_locked(pid);
        if (!p || p->zombie) {
            Thread* t = find_thread_proc_locked(pid);
            if (t)
                p = t->process;
        }
        if (!p)
            return Errno::esrch;
        if (!may_signal_proc_locked(self, *p, sig))
            return Errno::eperm;
        send(*p);
        return u64(0);
    }
    if (pid == -1) { // everyone but init and ourselves we may signal; EPERM is never the answer
        bool any = false;
        for_each_process_proc_locked([&](Process& p) {
            if (p.pid != 1 && &p != &self && !p.zombie) {
                if (may_signal_proc_locked(self, p, sig))
                    send(p);
                any = true;
            }
        });
        return any ? Result<u64>(u64(0)) : Result<u64>(Errno::esrch);
    }
    // A process group: success if any member took it, else the last
    // member's error (EPERM), ESRCH for an empty group.
    Pid group = pid == 0 ? self.pgid : -pid;
    Result<u64> result = Errno::esrch;
    bool delivered = false;
    for_each_process_proc_locked([&](Process& p) {
        if (p.pgid != group || p.zombie)
            return;
        if (may_signal_proc_locked(self, p, sig)) {
            send(p);
            delivered = true;
        } else {
            result = Errno::eperm;
        }
    });
    return delivered ? Result<u64>(u64(0)) : result;
}

// tkill/tgkill: a thread-directed signal (tgid 0: any process).
static Result<u64> thread_kill(Pid tgid, Pid tid, i32 sig)
{
    if (tid <= 0 || (sig != 0 && !valid_signal(sig)))
        return Errno::einval;
    SpinLockGuard guard(process_lock());
    Thread* t = find_thread_proc_locked(tid);
    if (!t || t->state == ThreadState::Dead || (tgid && t->process->pid != tgid))
        return Errno::esrch; // gone, or not in that thread group
    if (!may_signal_proc_locked(current_process(), *t->process, sig))
        return Errno::eperm;
    if (sig)
        send_thread_signal_proc_locked(*t, int(sig), SI_TKILL, current_process().pid, 0, current_process().creds.uid);
    return u64(0);
}

Result<u64> sys_tkill(Pid tid, i32 sig) { return thread_kill(0, tid, sig); }

Result<u64> sys_tgkill(Pid tgid, Pid tid, i32 sig)
{
    if (tgid <= 0)
        return Errno::einval;
    return thread_kill(tgid, tid, sig);
}

Result<u64> sys_rt_sigaction(i32 sig, UserPtr<const KernelSigaction> new_action, UserPtr<KernelSigaction> old_action,
                             usize sigsetsize)
{
    if (!valid_signal(sig) || sigsetsize != sizeof(Sigset))
        return Errno::einval;
    Process& p = current_process();
    u64 bit = signal_bit(sig);
    KernelSigaction old;
    {
        // Every thread of the process may change them: read under the lock.
        SpinLockGuard guard(process_lock());
        const Process::SignalAction& current = p.actions[sig - 1];
        old = {current.handler, current.flags, current.mask};
    }
    if (new_action) {
        auto act = TRY(mm::read_user(new_action));
        if (bit & UNBLOCKABLE)
            return Errno::einval;
        if (old_action)
            TRY(mm::write_user(old_action, old));
        // Senders (and the timer's SIGALRM) read the action and its
        // mirrors under the process lock: change them all under it.
        SpinLockGuard guard(process_lock());
        p.actions[sig - 1] = {act.handler, act.flags, act.mask & ~UNBLOCKABLE};
        p.signals_ignored &= ~bit;
        p.signals_caught &= ~bit;
        if (act.handler == SIG_IGN)
            p.signals_ignored |= bit;
        else if (act.handler != SIG_DFL)
            p.signals_caught |= bit;
        // POSIX: a pending signal that is now ignored is discarded.
        if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH))) {
            p.signals.pending &= ~bit;
            for_each_thread_proc_locked(p, [&](Thread& t) { t.signals.pending &= ~bit; });
        }
        return u64(0);
    }
    if (old_action)
        TRY(mm::write_user(old_action, old));
    return u64(0);
}

// Wait with `mask` in place until a signal that does something arrives
// (sigsuspend); the old mask comes back through the handler frame. ppoll
// and friends do the same with descriptors (kernel/syscall/poll.cpp).
static Result<u64> suspend_with(u64 mask)
{
    Thread& t = current_thread();
    t.saved_mask = t.signals_blocked;
    t.set_work(Thread::WORK_MASK_SAVED);
    SpinLockGuard guard(process_lock());
    t.signals_blocked = mask & ~UNBLOCKABLE;
    signals_unblocked_proc_locked(t);
    WaitQueue never; // nobody wakes it: only a signal does
    while (!block_on_proc_locked(never)) {
    }
    return Errno::eintr;
}

Result<u64> sys_rt_sigsuspend(UserPtr<const Sigset> mask, usize sigsetsize)
{
    if (sigsetsize != sizeof(Sigset))
        return Errno::einval;
    return suspend_with(TRY(mm::read_user(mask)));
}

// rt_sigtimedwait (sigwaitinfo, sigtimedwait): take a pending signal of
// the set instead of delivering it, waiting up to the timeout for one.
// While it waits the set's signals are unblocked (Linux's real_blocked),
// so that one arriving wakes it as any deliverable signal would; they
// are never delivered meanwhile, since delivery happens on the way back
// to user mode, after the old mask is back. Another signal that
// interrupts the wait runs its handler: EINTR, never restarted.
Result<u64> sys_rt_sigtimedwait(Thread& t, UserPtr<const Sigset> set, UserPtr<u8> info, UserPtr<const Timespec> timeout,
                                usize sigsetsize)
{
    if (sigsetsize != sizeof(Sigset))
        return Errno::einval;
    u64 wanted = TRY(mm::read_user(set)) & ~UNBLOCKABLE;
    u64 deadline = ~0ull;
    if (timeout) {
        Timespec ts = TRY(mm::read_user(timeout));
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return Errno::einval;
        u64 now = monotonic_ns();
        u64 wait = u64(ts.tv_sec) > (~0ull - now) / 1000000000 ? ~0ull - now : u64(ts.tv_sec) * 1000000000 + u64(ts.tv_nsec);
        deadline = now + lib::min<u64>(wait, ~0ull - now);
    }
    int sig = 0, code = 0;
    Pid sender = 0;
    u32 uid = 0;
    i32 status = 0;
    for (;;) {
        u64 saved;
        {
            SpinLockGuard guard(process_lock());
            sig = take_signal_of_proc_locked(t, wanted, code, sender, status, uid);
            if (sig)
                break;
            if (monotonic_ns() >= deadline)
                return Errno::eagain;
            saved = t.signals_blocked;
            t.signals_blocked &= ~wanted;
            t.sigwait_set = wanted;
        }
        bool interrupted = !sleep_until(deadline);
        {
            SpinLockGuard guard(process_lock());
            t.signals_blocked = saved;
            t.sigwait_set = 0;
            sig = take_signal_of_proc_locked(t, wanted, code, sender, status, uid);
        }
        if (sig)
            break;
        if (interrupted)
            return Errno::eintr; // another signal: its handler runs on the way out
    }
    TimerSignalInfo timer;
    if (code == SI_TIMER) {
        SpinLockGuard guard(process_lock());
        if (!posix_timer_signal_taken_proc_locked(*t.process, sig, timer))
            timer = {i32(sender), 0, 0};
    }
    if (info) {
        // siginfo_t: signo, errno, code, then (for a sender) pid, uid and,
        // for SIGCHLD, the status; for a timer its id, overrun and value.
        i32 head[7] = {sig, 0, code, 0, i32(sender), i32(uid), sig == SIGCHLD ? status : 0};
        u8 whole[SIGINFO_SIZE] = {};
        if (code == SI_TIMER) {
            head[4] = timer.timer_id;
            head[5] = timer.overrun;
            head[6] = 0;
        }
        __builtin_memcpy(whole, head, sizeof(head));
        if (code == SI_TIMER)
            __builtin_memcpy(whole + 24, &timer.value, sizeof(timer.value));
        TRY(mm::copy_to_user(info.address(), whole, sizeof(whole)));
    }
    return u64(sig);
}

// setitimer/getitimer: ITIMER_REAL (SIGALRM after wall-clock time; glibc's
// alarm() uses it), ITIMER_VIRTUAL (SIGVTALRM after user CPU time) and
// ITIMER_PROF (SIGPROF after user + system CPU time) of the process; the
// CPU ones are checked at each tick (cpu_itimers_tick_proc_locked).
namespace {

constexpr i32 ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

Result<void> write_itimerval(UserPtr<Itimerval> to, u64 value_ns, u64 interval_ns)
{
    Itimerval v{{i64(interval_ns / 1000000000), i64(interval_ns / 1000 % 1000000)},
                {i64(value_ns / 1000000000), i64(value_ns / 1000 % 1000000)}};
    return mm::write_user(to, v);
}

struct TimerState {
    u64 left_ns, interval_ns;
};

// The timer `which` of p now: time left and reload. Process lock held.
TimerState timer_state_proc_locked(Process& p, i32 which, u64 now)
{
    u64 expiry = which == ITIMER_REAL ? p.alarm_deadline_ns
                 : which == ITIMER_VIRTUAL ? p.virtual_expiry_ns
                                           : p.prof_expiry_ns;
    u64 interval = which == ITIMER_REAL ? p.alarm_interval_ns
                   : which == ITIMER_VIRTUAL ? p.virtual_interval_ns
                                             : p.prof_interval_ns;
    // An armed timer that is due but not yet fired is not shown as 0 (that
    // reads as disarmed): Linux says 1 us for ITIMER_REAL, a tick for the
    // CPU timers.
    u64 due = which == ITIMER_REAL ? 1000 : tick_period_ns();
    u64 left = !expiry ? 0 : expiry > now ? expiry - now : due;
    return {left, interval};
}

// "now" on the timer's own clock.
u64 timer_clock_proc_locked(Process& p, i32 which)
{
    if (which == ITIMER_REAL)
        return monotonic_ns();
    ProcessTimes times = process_times_proc_locked(p);
    return which == ITIMER_VIRTUAL ? times.user_ns : times.user_ns + times.system_ns;
}

} // namespace

Result<u64> sys_getitimer(i32 which, UserPtr<Itimerval> value)
{
    if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
        return Errno::einval;
    Process& p = current_process();
    TimerState state;
    {
        SpinLockGuard guard(process_lock());
        state = timer_state_proc_locked(p, which, timer_clock_proc_locked(p, which));
    }
    TRY(write_itimerval(value, state.left_ns, state.interval_ns));
    return u64(0);
}

Result<u64> sys_setitimer(i32 which, UserPtr<const Itimerval> new_value, UserPtr<Itimerval> old_value)
{
    // Linux reads and checks the new value before it looks at `which`
    // (kernel/time/itimer.c): a bad pointer is EFAULT whatever the timer.
    // it_interval then it_value, each seconds and microseconds.
    i64 v[4] = {};
    if (new_value)
        TRY(mm::copy_from_user(v, new_value.as<const i64>(), 4));
    for (int i = 0; i < 4; i += 2)
        if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] >= 1000000)
            return Errno::einval;
    if (which != ITIMER_REAL && which != ITIMER_VIRTUAL && which != ITIMER_PROF)
        return Errno::einval;
    Process& p = current_process();
    u64 interval = u64(v[0]) * 1000000000ull + u64(v[1]) * 1000, value = u64(v[2]) * 1000000000ull + u64(v[3]) * 1000;
    TimerState old;
    {
        SpinLockGuard guard(process_lock());
        u64 now = timer_clock_proc_locked(p, which);
        old = timer_state_proc_locked(p, which, now);
        if (which == ITIMER_REAL) {
            if (value)
                alarm_arm_proc_locked(p, now + value, interval);
            else
                alarm_cancel_proc_locked(p);
        } else {
            u64& expiry = which == ITIMER_VIRTUAL ? p.virtual_expiry_ns : p.prof_expiry_ns;
            u64& reload = which == ITIMER_VIRTUAL ? p.virtual_interval_ns : p.prof_interval_ns;
            expiry = value ? now + value : 0;
            reload = value ? interval : 0;
        }
    }
    if (old_value)
        TRY(write_itimerval(old_value, old.left_ns, old.interval_ns));
    return u64(0);
}

namespace {

// The threads setpriority/getpriority name: PRIO_PROCESS a thread id (as
// Linux, one thread; 0 the caller), PRIO_PGRP every thread of the group's
// processes (0: the caller's group), PRIO_USER every thread of the user's
// processes, by real uid (0: the caller's).
constexpr i32 PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

template <typename F> bool for_each_prio_target_proc_locked(i32 which, i32 who, F&& f)
{
    process_lock().assert_held();
    bool found = false;
    if (which == PRIO_PROCESS) {
        Thread* t = who ? find_thread_proc_locked(who) : &current_thread();
        if (t && t->state != ThreadState::Dead) {
            f(*t);
            found = true;
        }
        return found;
    }
    Pid group = who ? who : current_process().pgid;
    u32 user = who ? u32(who) : current_process().creds.uid;
    for_each_process_proc_locked([&](Process& p) {
        if ((which == PRIO_USER ? p.creds.uid == user : p.pgid == group) && !p.zombie)
            for_each_thread_proc_locked(p, [&](Thread& t) {
                f(t);
                found = true;
            });
    });
    return found;
}

} // namespace

// setpriority/getpriority (kernel/sys.c): nice values are clamped to
// -20..19 as Linux does. Renicing another user's thread (the caller's
// effective uid is neither its real nor its effective uid) needs
// CAP_SYS_NICE (EPERM), and so does lowering a nice value below what the
// target's RLIMIT_NICE allows (EACCES); a thread refused is left alone,
// the others named are changed, and the call reports the refusal.
// getpriority's raw result is 20 - nice, of the best (lowest nice)
// thread named.
Result<u64> sys_setpriority(i32 which, i32 who, i32 nice)
{
    constexpr unsigned RLIMIT_NICE = 13;
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return Errno::einval;
    nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    SpinLockGuard guard(process_lock());
    const Credentials& me = current_process().creds;
    Result<u64> result = u64(0);
    bool found = for_each_prio_target_proc_locked(which, who, [&](Thread& t) {
        const Process& target = *t.process;
        if (target.creds.uid != me.euid && target.creds.euid != me.euid && !me.capable(Cap::sys_nice)) {
            result = Errno::eperm;
            return;
        }
        if (nice < t.sched.nice && u64(20 - nice) > target.rlimit_cur[RLIMIT_NICE] && !me.capable(Cap::sys_nice)) {
            result = Errno::eacces;
            return;
        }
        set_nice_proc_locked(t, nice);
    });
    return found ? result : Result<u64>(Errno::esrch);
}

Result<u64> sys_getpriority(i32 which, i32 who)
{
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return Errno::einval;
    SpinLockGuard guard(process_lock());
    int best = 40; // lowest nice wins: the highest priority
    for_each_prio_target_proc_locked(which, who, [&](Thread& t) {
        if (t.sched.nice < best)
            best = t.sched.nice;
    });
    if (best == 40)
        return Errno::esrch;
    return u64(20 - best);
}

// The mask is the calling thread's.
Result<u64> sys_rt_sigprocmask(Thread& p, i32 how, UserPtr<const Sigset> set_in, UserPtr<Sigset> old_set,
                               usize sigsetsize)
{
    if (sigsetsize != sizeof(Sigset))
        return Errno::einval;
    u64 old = p.signals_blocked; // ours: only we write it
    if (set_in) {
        u64 set = TRY(mm::read_user(set_in));
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
            return Errno::einval;
        // Senders read the mask under the process lock.
        SpinLockGuard guard(process_lock());
        switch (how) {
        case SIG_BLOCK: p.signals_blocked |= set; break;
        case SIG_UNBLOCK: p.signals_blocked &= ~set; break;
        case SIG_SETMASK: p.signals_blocked = set; break;
        }
        p.signals_blocked &= ~UNBLOCKABLE;
        signals_unblocked_proc_locked(p);
    }
    if (old_set)
        TRY(mm::write_user(old_set, old));
    return u64(0);
}

Result<u64> sys_rt_sigpending(UserPtr<Sigset> set, usize sigsetsize)
{
    if (sigsetsize != sizeof(Sigset))
        return Errno::einval;
    u64 pending;
    {
        SpinLockGuard guard(process_lock());
        Thread& t = current_thread();
        pending = (t.signals.pending | t.process->signals.pending) & t.signals_blocked;
    }
    TRY(mm::write_user(set, pending));
    return u64(0);
}

Result<u64> sys_setpgid(Pid pid_in, Pid pgid_in)
{
    Process& self = current_process();
    Pid pid = pid_in ? pid_in : self.pid;
    Pid pgid = pgid_in ? pgid_in : pid;
    if (pgid < 0)
        return Errno::einval;
    SpinLockGuard guard(process_lock());
    Process* target = find_process_proc_locked(pid);
    if (!target || (target != &self && target->parent != &self))
        return Errno::esrch;
    if (target->sid != self.sid)
        return Errno::eperm;
    if (target->pid == target->sid)
        return Errno::eperm; // a session leader cannot move
    if (target != &self && target->execed)
        return Errno::eacces; // a child that has exec'd
    if (pgid != target->pid) {
        bool exists = false;
        for_each_process_proc_locked([&](Process& p) { exists |= p.pgid == pgid && p.sid == self.sid; });
        if (!exists)
            return Errno::eperm;
    }
    target->pgid = pgid;
    return u64(0);
}

Result<u64> sys_getpgid(Pid pid)
{
    SpinLockGuard guard(process_lock());
    Process* p = pid ? find_process_proc_locked(pid) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->pgid);
}

Result<u64> sys_getsid(Pid pid)
{
    SpinLockGuard guard(process_lock());
    Process* p = pid ? find_process_proc_locked(pid) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->sid);
}

Result<u64> sys_setsid()
{
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    bool leads_a_group = false;
    for_each_process_proc_locked([&](Process& p) { leads_a_group |= p.pgid == self.pid; });
    if (leads_a_group)
        return Errno::eperm;
    self.sid = self.pgid = self.pid;
    return u64(self.sid);
}

} // namespace kernel

#define MYRIAD_THUNKS_signals(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
