// Signal and process-group system calls. Dispositions today: SIG_DFL and
// SIG_IGN; installing a handler returns ENOSYS (the signals issue delivers
// handlers with a Linux signal frame).
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr u64 SIG_DFL = 0, SIG_IGN = 1;
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
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    auto send = [&](Process& p) {
        if (sig)
            send_signal_locked(p, int(sig));
    };
    if (pid > 0) {
        Process* p = find_process_locked(pid);
        if (!p)
            return Errno::esrch;
        send(*p);
        return u64(0);
    }
    if (pid == -1) { // everyone but init and ourselves
        bool any = false;
        for_each_process_locked([&](Process& p) {
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
        for_each_process_locked([&](Process& p) { any |= p.pgid == group && p.state != ProcessState::Zombie; });
        return any ? Result<u64>(u64(0)) : Result<u64>(Errno::esrch);
    }
    TRY(signal_group_locked(group, int(sig)));
    return u64(0);
}

// One thread per process: a thread id is a pid.
Result<u64> sys_tkill(const SyscallArgs& a)
{
    if (i32(a.a0) <= 0)
        return Errno::einval;
    SyscallArgs k{a.a0, a.a1, 0, 0, 0, 0, a.frame};
    return sys_kill(k);
}

Result<u64> sys_tgkill(const SyscallArgs& a)
{
    if (i32(a.a0) <= 0 || i32(a.a1) <= 0)
        return Errno::einval;
    if (a.a0 != a.a1)
        return Errno::esrch; // the thread is not in that thread group
    SyscallArgs k{a.a1, a.a2, 0, 0, 0, 0, a.frame};
    return sys_kill(k);
}

Result<u64> sys_rt_sigaction(const SyscallArgs& a)
{
    u64 sig = a.a0;
    if (!valid_signal(sig) || a.a3 != 8) // sigsetsize must be sizeof(kernel sigset_t)
        return Errno::einval;
    Process& p = current_process();
    u64 bit = signal_bit(int(sig));
    KernelSigaction old{(p.signals_ignored & bit) ? SIG_IGN : SIG_DFL, 0, 0};
    if (a.a1) {
        auto act = TRY(mm::read_user<KernelSigaction>(a.a1));
        if (bit & UNBLOCKABLE)
            return Errno::einval;
        if (act.handler != SIG_DFL && act.handler != SIG_IGN)
            return Errno::enosys; // user handlers: the signals issue
        if (a.a2)
            TRY(mm::write_user(a.a2, old));
        if (act.handler == SIG_IGN) {
            p.signals_ignored |= bit;
            SpinLockGuard guard(process_lock());
            p.signals_pending &= ~bit; // POSIX: setting SIG_IGN discards a pending one
        } else {
            p.signals_ignored &= ~bit;
        }
        return u64(0);
    }
    if (a.a2)
        TRY(mm::write_user(a.a2, old));
    return u64(0);
}

Result<u64> sys_rt_sigprocmask(const SyscallArgs& a)
{
    if (a.a3 != 8)
        return Errno::einval;
    Process& p = current_process();
    u64 old = p.signals_blocked;
    if (a.a1) {
        u64 set = TRY(mm::read_user<u64>(a.a1));
        switch (a.a0) {
        case SIG_BLOCK: p.signals_blocked |= set; break;
        case SIG_UNBLOCK: p.signals_blocked &= ~set; break;
        case SIG_SETMASK: p.signals_blocked = set; break;
        default: return Errno::einval;
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
    Process* target = find_process_locked(pid);
    if (!target || (target != &self && target->parent != &self))
        return Errno::esrch;
    if (target->sid != self.sid)
        return Errno::eperm;
    if (target->pid == target->sid)
        return Errno::eperm; // a session leader cannot move
    if (pgid != target->pid) {
        bool exists = false;
        for_each_process_locked([&](Process& p) { exists |= p.pgid == pgid && p.sid == self.sid; });
        if (!exists)
            return Errno::eperm;
    }
    target->pgid = pgid;
    return u64(0);
}

Result<u64> sys_getpgid(const SyscallArgs& a)
{
    SpinLockGuard guard(process_lock());
    Process* p = i32(a.a0) ? find_process_locked(i32(a.a0)) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->pgid);
}

Result<u64> sys_getsid(const SyscallArgs& a)
{
    SpinLockGuard guard(process_lock());
    Process* p = i32(a.a0) ? find_process_locked(i32(a.a0)) : &current_process();
    if (!p)
        return Errno::esrch;
    return u64(p->sid);
}

Result<u64> sys_setsid(const SyscallArgs&)
{
    Process& self = current_process();
    SpinLockGuard guard(process_lock());
    bool leads_a_group = false;
    for_each_process_locked([&](Process& p) { leads_a_group |= p.pgid == self.pid; });
    if (leads_a_group)
        return Errno::eperm;
    self.sid = self.pgid = self.pid;
    return u64(self.sid);
}

} // namespace kernel
