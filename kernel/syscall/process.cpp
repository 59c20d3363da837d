// Process system calls: exit, ids, clone (fork), execve, wait4, limits.
#include "kernel/exec.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/time.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/syscall/user_path.hpp"

namespace kernel {

namespace {

// clone flags (include/uapi/linux/sched.h).
constexpr u64 CSIGNAL = 0xff, CLONE_VM = 0x100, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
              CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;
constexpr u64 SIGCHLD = 17;

// wait4 options (include/uapi/linux/wait.h).
constexpr u64 WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WNOTHREAD = 0x20000000, WALL = 0x40000000,
              WCLONE = 0x80000000;

[[noreturn]] void exit_with(const SyscallArgs& a)
{
    Process& p = current_process();
    // CLONE_CHILD_CLEARTID: zero the tid word (a futex waiter would be
    // woken here once threads exist). A bad pointer is ignored, as Linux does.
    if (p.clear_child_tid)
        (void)mm::write_user<u32>(p.clear_child_tid, 0);
    exit_current(wait_status_exited(int(a.a0 & 0xff)));
}

} // namespace

Result<u64> sys_exit(const SyscallArgs& a) { exit_with(a); }
Result<u64> sys_exit_group(const SyscallArgs& a) { exit_with(a); }
Result<u64> sys_getpid(const SyscallArgs&) { return u64(current_process().pid); }
Result<u64> sys_gettid(const SyscallArgs&) { return u64(current_process().pid); }
// No users yet: every process runs as root (uid 0).
static u32 current_uid() { return 0; }
Result<u64> sys_getuid(const SyscallArgs&) { return u64(current_uid()); }

Result<u64> sys_getppid(const SyscallArgs&)
{
    SpinLockGuard guard(process_lock());
    Process* parent = current_process().parent;
    return u64(parent ? parent->pid : 0);
}

Result<u64> sys_clone(const SyscallArgs& a)
{
    u64 flags = a.a0, new_sp = a.a1, parent_tid = a.a2, tls = a.a3, child_tid = a.a4;
    constexpr u64 supported = CSIGNAL | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
    // Threads (CLONE_VM and friends) are not supported yet.
    if ((flags & ~supported) || (flags & CLONE_VM))
        return Errno::einval;
    u64 exit_signal = flags & CSIGNAL;
    if (exit_signal != SIGCHLD && exit_signal != 0)
        return Errno::einval; // only SIGCHLD until signals arrive
    ForkOptions options;
    options.stack = new_sp;
    options.set_tls = flags & CLONE_SETTLS;
    options.tls = tls;
    options.clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? child_tid : 0;
    options.child_settid = (flags & CLONE_CHILD_SETTID) ? child_tid : 0;
    auto forked = fork_current(options);
    if (forked.is_error() && forked.code() == Errno::eintr) {
        // ERESTARTNOINTR: back onto the ecall with a0 as it was; the
        // pending signal is handled on the way out (or ends the caller),
        // then clone runs again -- whatever SA_RESTART says.
        a.frame.restart_syscall(a.a0);
        return a.a0;
    }
    Pid pid = TRY(forked);
    if (flags & CLONE_PARENT_SETTID)
        (void)mm::write_user<u32>(parent_tid, u32(pid));
    return u64(pid);
}

Result<u64> sys_execve(const SyscallArgs& a)
{
    UserPath path;
    TRY(path.copy_from(a.a0));
    ExecArgs args;
    auto collected = collect_user_args(a.a1, a.a2, args);
    if (collected.is_error()) {
        args.release();
        return collected.error();
    }
    auto result = exec_into(current_process(), path.view(), args);
    args.release();
    TRY(result);
    return u64(0); // a0 of the new program (rtld_fini = NULL for static)
}

Result<u64> sys_wait4(const SyscallArgs& a)
{
    i64 pid = i64(i32(a.a0));
    u64 status_address = a.a1, options = a.a2, rusage_address = a.a3;
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
        return Errno::einval;
    if (pid == i64(-2147483648LL))
        return Errno::esrch;
    WaitResult r = TRY(wait_for_child(Pid(pid), options));
    if (r.pid == 0)
        return u64(0);
    // Linux reaps first, then reports a bad status pointer as EFAULT.
    if (status_address)
        TRY(mm::write_user<i32>(status_address, r.status));
    if (rusage_address) {
        u64 rusage[18] = {}; // struct rusage: two timevals, then 14 longs
        rusage[0] = r.user_ns / 1000000000;
        rusage[1] = r.user_ns / 1000 % 1000000;
        rusage[2] = r.system_ns / 1000000000;
        rusage[3] = r.system_ns / 1000 % 1000000;
        TRY(mm::copy_to_user(rusage_address, rusage, sizeof(rusage)));
    }
    return u64(r.pid);
}

Result<u64> sys_sched_yield(const SyscallArgs&)
{
    SpinLockGuard guard(process_lock());
    yield_proc_locked();
    return u64(0);
}

Result<u64> sys_set_tid_address(const SyscallArgs& a)
{
    current_process().clear_child_tid = a.a0;
    return u64(current_process().pid);
}

Result<u64> sys_set_robust_list(const SyscallArgs& a)
{
    if (a.a1 != 24) // sizeof(struct robust_list_head)
        return Errno::einval;
    current_process().robust_list = a.a0;
    return u64(0);
}

static Result<u64> limits(Process& p, u64 resource, u64 new_address, u64 old_address)
{
    if (resource >= Process::RLIMIT_COUNT)
        return Errno::einval;
    u64 new_limit[2];
    if (new_address) {
        TRY(mm::copy_from_user(new_limit, new_address, sizeof(new_limit)));
        if (new_limit[0] > new_limit[1])
            return Errno::einval;
    }
    if (old_address) {
        u64 old_limit[2] = {p.rlimit_cur[resource], p.rlimit_max[resource]};
        TRY(mm::copy_to_user(old_address, old_limit, sizeof(old_limit)));
    }
    if (new_address) {
        // Raising a hard limit needs CAP_SYS_RESOURCE (setrlimit(2)); every
        // process is uid 0 until users exist, so the check always passes.
        if (new_limit[1] > p.rlimit_max[resource] && current_uid() != 0)
            return Errno::eperm;
        p.rlimit_cur[resource] = new_limit[0];
        p.rlimit_max[resource] = new_limit[1];
    }
    return u64(0);
}

Result<u64> sys_prlimit64(const SyscallArgs& a)
{
    Process& self = current_process();
    if (a.a0 != 0 && Pid(a.a0) != self.pid)
        return Errno::esrch; // other processes' limits: with /proc and signals
    return limits(self, a.a1, a.a2, a.a3);
}

Result<u64> sys_getrlimit(const SyscallArgs& a) { return limits(current_process(), a.a0, 0, a.a1); }
Result<u64> sys_setrlimit(const SyscallArgs& a) { return limits(current_process(), a.a0, a.a1, 0); }

} // namespace kernel

namespace kernel {

namespace {
constexpr u64 NS_PER_TICK = 1000000000ull / 100; // USER_HZ = 100
}

// times(2): user and system time of the process and its reaped children,
// in clock ticks; returns ticks since boot.
Result<u64> sys_times(const SyscallArgs& a)
{
    Process& p = current_process();
    if (a.a0) {
        u64 now = monotonic_ns();
        u64 t[4] = {p.user_ns / NS_PER_TICK, (p.system_ns + now - p.last_switch_ns) / NS_PER_TICK,
                    p.children_user_ns / NS_PER_TICK, p.children_system_ns / NS_PER_TICK};
        TRY(mm::copy_to_user(a.a0, t, sizeof(t)));
    }
    return monotonic_ns() / NS_PER_TICK;
}

// getrusage(2): RUSAGE_SELF (0), RUSAGE_CHILDREN (-1), RUSAGE_THREAD (1).
Result<u64> sys_getrusage(const SyscallArgs& a)
{
    i64 who = i64(i32(a.a0));
    Process& p = current_process();
    u64 user, system;
    if (who == 0 || who == 1) {
        user = p.user_ns;
        system = p.system_ns + (monotonic_ns() - p.last_switch_ns);
    } else if (who == -1) {
        SpinLockGuard guard(process_lock());
        user = p.children_user_ns;
        system = p.children_system_ns;
    } else {
        return Errno::einval;
    }
    u64 r[18] = {}; // struct rusage: two timevals, then 14 longs (ru_maxrss first, in KiB)
    r[0] = user / 1000000000, r[1] = user / 1000 % 1000000;
    r[2] = system / 1000000000, r[3] = system / 1000 % 1000000;
    if (who != -1 && p.address_space)
        r[4] = p.address_space->resident_pages() * 4; // ru_maxrss: resident now, as an approximation
    TRY(mm::copy_to_user(a.a1, r, sizeof(r)));
    return u64(0);
}

} // namespace kernel
