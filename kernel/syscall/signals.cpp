// Signal, timer, priority and process-group system calls.
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr u64 SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
constexpr u64 UNBLOCKABLE = signal_bit(SIGKILL) | signal_bit(SIGSTOP);

// struct sigaction as the kernel sees it on riscv64 (no sa_restorer).
struct KernelSigaction {
    u64 handler;
    u64 flags;
    u64 mask;
};

bool valid_signal(u64 sig) { return sig >= 1 && sig <= u64(NSIG); }

} // namespace

Result<u64> sys_kill(const SyscallArgs& a)
{
    i32 pid = i32(a.a0);
    u64 sig = a.a1;
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
            send_signal_proc_locked(p, int(sig), SI_USER, self.pid);
    };
    if (pid > 0) {
        Process* p = find_process_proc_locked(pid);
        if (!p)
            return Errno::esrch;
        send(*p);
        return u64(0);
    }
    if (pid == -1) { // everyone but init and ourselves
        bool any = false;
        for_each_process_proc_locked([&](Process& p) {
            if (p.pid != 1 && &p != &self && p.state != ProcessState::Zombie) {
                send(p);
                any = true;
            }
        });
        return any ? Result<u64>(u64(0)) : Result<u64>(Errno::esrch);
    }
    Pid group = pid == 0 ? self.pgid : -pid;
    if (sig == 0) {
        bool any = false;
        for_each_process_proc_locked([&](Process& p) { any |= p.pgid == group && p.state != ProcessState::Zombie; });
        return any ? Result<u64>(u64(0)) : Result<u64>(Errno::esrch);
    }
    TRY(signal_group_proc_locked(group, int(sig), self.pid));
    return u64(0);
}

// One thread per process: a thread id is a pid.
static Result<u64> thread_kill(i32 tid, u64 sig)
{
    if (tid <= 0 || (sig != 0 && !valid_signal(sig)))
        return Errno::einval;
    SpinLockGuard guard(process_lock());
    Process* p = find_process_proc_locked(tid);
    if (!p)
        return Errno::esrch;
    if (sig)
        send_signal_proc_locked(*p, int(sig), SI_TKILL, current_process().pid);
    return u64(0);
}

Result<u64> sys_tkill(const SyscallArgs& a) { return thread_kill(i32(a.a0), a.a1); }

Result<u64> sys_tgkill(const SyscallArgs& a)
{
    if (i32(a.a0) <= 0 || i32(a.a1) <= 0 || (a.a2 != 0 && !valid_signal(a.a2)))
        return Errno::einval;
    if (a.a0 != a.a1)
        return Errno::esrch; // the thread is not in that thread group
    return thread_kill(i32(a.a1), a.a2);
}

Result<u64> sys_rt_sigaction(const SyscallArgs& a)
{
    u64 sig = a.a0;
    if (!valid_signal(sig) || a.a3 != 8) // sigsetsize must be sizeof(kernel sigset_t)
        return Errno::einval;
    Process& p = current_process();
    u64 bit = signal_bit(int(sig));
    // Our own actions: only we write them, so we read them without the lock.
    const Process::SignalAction& current = p.actions[sig - 1];
    KernelSigaction old{current.handler, current.flags, current.mask};
    if (a.a1) {
        auto act = TRY(mm::read_user<KernelSigaction>(a.a1));
        if (bit & UNBLOCKABLE)
            return Errno::einval;
        if (a.a2)
            TRY(mm::write_user(a.a2, old));
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
        if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH)))
            p.signals_pending &= ~bit;
        return u64(0);
    }
    if (a.a2)
        TRY(mm::write_user(a.a2, old));
    return u64(0);
}

// Wait with `mask` in place until a signal that does something arrives
// (sigsuspend, pause through ppoll); the old mask comes back through the
// handler frame.
static Result<u64> suspend_with(u64 mask, u64 deadline_ns)
{
    Process& p = current_process();
    p.saved_mask = p.signals_blocked;
    p.mask_saved = true;
    {
        SpinLockGuard guard(process_lock());
        p.signals_blocked = mask & ~UNBLOCKABLE;
    }
    if (deadline_ns == ~0ull) {
        SpinLockGuard guard(process_lock());
        WaitQueue never; // nobody wakes it: only a signal does
        never.head.prev = never.head.next = &never.head;
        while (!block_on_proc_locked(never)) {
        }
        return Errno::eintr;
    }
    if (!sleep_until(deadline_ns))
        return Errno::eintr;
    SpinLockGuard guard(process_lock());
    p.signals_blocked = p.saved_mask; // timed out: no signal, mask back now
    p.mask_saved = false;
    return u64(0);
}

Result<u64> sys_rt_sigsuspend(const SyscallArgs& a)
{
    if (a.a1 != 8)
        return Errno::einval;
    u64 mask = TRY(mm::read_user<u64>(a.a0));
    return suspend_with(mask, ~0ull);
}

// ppoll with no descriptors is how glibc implements pause() on riscv64:
// sleep until a signal or the timeout. Polling descriptors is not
// supported yet (ENOSYS, so callers can tell).
Result<u64> sys_ppoll(const SyscallArgs& a)
{
    if (a.a1 != 0)
        return Errno::enosys;
    u64 deadline = ~0ull;
    if (a.a2) {
        i64 ts[2];
        TRY(mm::copy_from_user(ts, a.a2, sizeof(ts)));
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
            return Errno::einval;
        deadline = monotonic_ns() + u64(ts[0]) * 1000000000ull + u64(ts[1]);
    }
    u64 mask = current_process().signals_blocked;
    if (a.a3) {
        if (a.a4 != 8)
            return Errno::einval;
        mask = TRY(mm::read_user<u64>(a.a3));
    }
    return suspend_with(mask, deadline);
}

// setitimer/getitimer: ITIMER_REAL (SIGALRM after wall-clock time; glibc's
// alarm() uses it). ITIMER_VIRTUAL and ITIMER_PROF are not supported yet.
static Result<void> write_itimerval(u64 address, u64 value_ns, u64 interval_ns)
{
    i64 v[4] = {i64(interval_ns / 1000000000), i64(interval_ns / 1000 % 1000000), i64(value_ns / 1000000000),
                i64(value_ns / 1000 % 1000000)};
    return mm::copy_to_user(address, v, sizeof(v));
}

Result<u64> sys_getitimer(const SyscallArgs& a)
{
    if (a.a0 != 0)
        return Errno::einval;
    Process& p = current_process();
    u64 now = monotonic_ns(), left, interval;
    {
        SpinLockGuard guard(process_lock());
        left = p.alarm_deadline_ns > now ? p.alarm_deadline_ns - now : 0;
        interval = p.alarm_interval_ns;
    }
    TRY(write_itimerval(a.a1, left, interval));
    return u64(0);
}

Result<u64> sys_setitimer(const SyscallArgs& a)
{
    if (a.a0 != 0)
        return Errno::einval;
    i64 v[4] = {};
    if (a.a1)
        TRY(mm::copy_from_user(v, a.a1, sizeof(v)));
    for (int i = 0; i < 4; i += 2)
        if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] >= 1000000)
            return Errno::einval;
    Process& p = current_process();
    u64 interval = u64(v[0]) * 1000000000ull + u64(v[1]) * 1000, value = u64(v[2]) * 1000000000ull + u64(v[3]) * 1000;
    u64 now = monotonic_ns(), old_left, old_interval;
    {
        SpinLockGuard guard(process_lock());
        old_left = p.alarm_deadline_ns > now ? p.alarm_deadline_ns - now : 0;
        old_interval = p.alarm_interval_ns;
        if (value)
            alarm_arm_proc_locked(p, now + value, interval);
        else
            alarm_cancel_proc_locked(p);
    }
    if (a.a2)
        TRY(write_itimerval(a.a2, old_left, old_interval));
    return u64(0);
}

// setpriority/getpriority: PRIO_PROCESS (0) and PRIO_PGRP (1); nice values
// are clamped to -20..19 as Linux does. getpriority's raw result is 20 - nice.
Result<u64> sys_setpriority(const SyscallArgs& a)
{
    i32 which = i32(a.a0), who = i32(a.a1), nice = i32(a.a2);
    if (which != 0 && which != 1)
        return Errno::einval;
    nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    bool found = false;
    for_each_process_proc_locked([&](Process& p) {
        bool match = which == 0 ? p.pid == (who ? who : self.pid) : p.pgid == (who ? who : self.pgid);
        if (match && p.state != ProcessState::Zombie) {
            p.nice = nice;
            scheduler_policy().renice(p);
            found = true;
        }
    });
    return found ? Result<u64>(u64(0)) : Result<u64>(Errno::esrch);
}

Result<u64> sys_getpriority(const SyscallArgs& a)
{
    i32 which = i32(a.a0), who = i32(a.a1);
    if (which != 0 && which != 1)
        return Errno::einval;
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    int best = 40; // lowest nice wins: the highest priority
    for_each_process_proc_locked([&](Process& p) {
        bool match = which == 0 ? p.pid == (who ? who : self.pid) : p.pgid == (who ? who : self.pgid);
        if (match && p.state != ProcessState::Zombie && p.nice < best)
            best = p.nice;
    });
    if (best == 40)
        return Errno::esrch;
    return u64(20 - best);
}

Result<u64> sys_rt_sigprocmask(const SyscallArgs& a)
{
    if (a.a3 != 8)
        return Errno::einval;
    Process& p = current_process();
    u64 old = p.signals_blocked; // ours: only we write it
    if (a.a1) {
        u64 set = TRY(mm::read_user<u64>(a.a1));
        if (a.a0 != SIG_BLOCK && a.a0 != SIG_UNBLOCK && a.a0 != SIG_SETMASK)
            return Errno::einval;
        // Senders read the mask under the process lock.
        SpinLockGuard guard(process_lock());
        switch (a.a0) {
        case SIG_BLOCK: p.signals_blocked |= set; break;
        case SIG_UNBLOCK: p.signals_blocked &= ~set; break;
        case SIG_SETMASK: p.signals_blocked = set; break;
        }
        p.signals_blocked &= ~UNBLOCKABLE;
    }
    if (a.a2)
        TRY(mm::write_user(a.a2, old));
    return u64(0);
}

Result<u64> sys_rt_sigpending(const SyscallArgs& a)
{
    if (a.a1 != 8)
        return Errno::einval;
    u64 pending;
    {
        SpinLockGuard guard(process_lock());
        Process& p = current_process();
        pending = p.signals_pending & p.signals_blocked;
    }
    TRY(mm::write_user(a.a0, pending));
    return u64(0);
}

Result<u64> sys_setpgid(const SyscallArgs& a)
{
    Process& self = current_process();
    i32 pid = i32(a.a0) ? i32(a.a0) : self.pid;
    i32 pgid = i32(a.a1) ? i32(a.a1) : pid;
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

Result<u64> sys_getpgid(const SyscallArgs& a)
{
    SpinLockGuard guard(process_lock());
    Process* p = i32(a.a0) ? find_process_proc_locked(i32(a.a0)) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->pgid);
}

Result<u64> sys_getsid(const SyscallArgs& a)
{
    SpinLockGuard guard(process_lock());
    Process* p = i32(a.a0) ? find_process_proc_locked(i32(a.a0)) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->sid);
}

Result<u64> sys_setsid(const SyscallArgs&)
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
