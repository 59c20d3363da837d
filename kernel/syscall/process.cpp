// Process system calls: exit, ids, clone (fork), execve, wait4, limits.
#include "kernel/exec.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/time.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/syscall/user_path.hpp"

namespace kernel {

namespace {

// clone flags (include/uapi/linux/sched.h).
constexpr u64 CSIGNAL = 0xff, CLONE_VM = 0x100, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
              CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;

[[noreturn]] void exit_with(i32 status)
{
    Process& p = current_process();
    // CLONE_CHILD_CLEARTID: zero the tid word (a futex waiter would be
    // woken here once threads exist). A bad pointer is ignored, as Linux does.
    if (p.clear_child_tid)
        (void)mm::write_user<u32>(p.clear_child_tid, 0);
    exit_current(wait_status_exited(status & 0xff));
}

} // namespace

Result<u64> sys_exit(i32 status) { exit_with(status); }
Result<u64> sys_exit_group(i32 status) { exit_with(status); }
Result<u64> sys_getpid(Process& p) { return u64(p.pid); }
Result<u64> sys_gettid(Process& p) { return u64(p.pid); }
// No users yet: every process runs as root (uid 0).
static u32 current_uid() { return 0; }
Result<u64> sys_getuid() { return u64(current_uid()); }

Result<u64> sys_getppid(Process& p)
{
    SpinLockGuard guard(process_lock());
    Process* parent = p.parent;
    return u64(parent ? parent->pid : 0);
}

Result<u64> sys_clone(arch::TrapFrame& frame, u64 flags, u64 stack, UserPtr<u32> parent_tid, u64 tls,
                      UserPtr<u32> child_tid)
{
    constexpr u64 supported = CSIGNAL | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
    // Threads (CLONE_VM and friends) are not supported yet.
    if ((flags & ~supported) || (flags & CLONE_VM))
        return Errno::einval;
    u64 exit_signal = flags & CSIGNAL;
    if (exit_signal != SIGCHLD && exit_signal != 0)
        return Errno::einval; // only SIGCHLD until signals arrive
    ForkOptions options;
    options.stack = stack;
    options.set_tls = flags & CLONE_SETTLS;
    options.tls = tls;
    options.clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? child_tid.address() : 0;
    options.child_settid = (flags & CLONE_CHILD_SETTID) ? child_tid.address() : 0;
    auto forked = fork_current(options);
    if (forked.is_error() && forked.code() == Errno::eintr) {
        // ERESTARTNOINTR: back onto the ecall with a0 as it was; the
        // pending signal is handled on the way out (or ends the caller),
        // then clone runs again -- whatever SA_RESTART says.
        frame.restart_syscall(flags);
        return flags;
    }
    Pid pid = TRY(forked);
    if (flags & CLONE_PARENT_SETTID)
        (void)mm::write_user(parent_tid, u32(pid));
    return u64(pid);
}

Result<u64> sys_execve(UserPtr<const char> path_name, UserPtr<const UserPtr<const char>> argv,
                       UserPtr<const UserPtr<const char>> envp)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    ExecArgs args;
    auto collected = collect_user_args(argv.address(), envp.address(), args);
    if (collected.is_error()) {
        args.release();
        return collected.error();
    }
    auto result = exec_into(current_process(), path.view(), args);
    args.release();
    TRY(result);
    return u64(0); // a0 of the new program (rtld_fini = NULL for static)
}

Result<u64> sys_wait4(Pid pid, UserPtr<i32> status, u32 options, UserPtr<Rusage> usage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
        return Errno::einval;
    if (pid == INT32_MIN)
        return Errno::esrch;
    WaitResult r = TRY(wait_for_child(pid, options));
    if (r.pid == 0)
        return u64(0);
    // Linux reaps first, then reports a bad status pointer as EFAULT.
    if (status)
        TRY(mm::write_user(status, r.status));
    if (usage) {
        Rusage ru{};
        ru.ru_utime = {i64(r.user_ns / 1000000000), i64(r.user_ns / 1000 % 1000000)};
        ru.ru_stime = {i64(r.system_ns / 1000000000), i64(r.system_ns / 1000 % 1000000)};
        TRY(mm::write_user(usage, ru));
    }
    return u64(r.pid);
}

Result<u64> sys_sched_yield()
{
    SpinLockGuard guard(process_lock());
    yield_proc_locked();
    return u64(0);
}

Result<u64> sys_set_tid_address(Process& p, UserPtr<u32> tid)
{
    p.clear_child_tid = tid.address();
    return u64(p.pid);
}

Result<u64> sys_set_robust_list(Process& p, UserPtr<RobustListHead> head, usize length)
{
    if (length != 24) // sizeof(struct robust_list_head)
        return Errno::einval;
    p.robust_list = head.address();
    return u64(0);
}

static Result<u64> limits(Process& p, u32 resource, UserPtr<const Rlimit> new_limit, UserPtr<Rlimit> old_limit)
{
    if (resource >= Process::RLIMIT_COUNT)
        return Errno::einval;
    Rlimit wanted;
    if (new_limit) {
        wanted = TRY(mm::read_user(new_limit));
        if (wanted.rlim_cur > wanted.rlim_max)
            return Errno::einval;
    }
    if (old_limit)
        TRY(mm::write_user(old_limit, Rlimit{p.rlimit_cur[resource], p.rlimit_max[resource]}));
    if (new_limit) {
        // Raising a hard limit needs CAP_SYS_RESOURCE (setrlimit(2)); every
        // process is uid 0 until users exist, so the check always passes.
        if (wanted.rlim_max > p.rlimit_max[resource] && current_uid() != 0)
            return Errno::eperm;
        p.rlimit_cur[resource] = wanted.rlim_cur;
        p.rlimit_max[resource] = wanted.rlim_max;
    }
    return u64(0);
}

Result<u64> sys_prlimit64(Process& p, Pid pid, u32 resource, UserPtr<const Rlimit> new_limit,
                          UserPtr<Rlimit> old_limit)
{
    if (pid != 0 && pid != p.pid)
        return Errno::esrch; // other processes' limits: with /proc and signals
    return limits(p, resource, new_limit, old_limit);
}

Result<u64> sys_getrlimit(Process& p, u32 resource, UserPtr<Rlimit> old_limit)
{
    return limits(p, resource, {}, old_limit);
}

Result<u64> sys_setrlimit(Process& p, u32 resource, UserPtr<const Rlimit> new_limit)
{
    return limits(p, resource, new_limit, {});
}

} // namespace kernel

namespace kernel {

namespace {
constexpr u64 NS_PER_TICK = 1000000000ull / 100; // USER_HZ = 100
}

// times(2): user and system time of the process and its reaped children,
// in clock ticks; returns ticks since boot.
Result<u64> sys_times(Process& p, UserPtr<Tms> buf)
{
    if (buf) {
        Tms t{p.cpu.user_ns() / NS_PER_TICK, p.cpu.system_ns(true) / NS_PER_TICK,
              p.children_user_ns / NS_PER_TICK, p.children_system_ns / NS_PER_TICK};
        TRY(mm::write_user(buf, t));
    }
    return monotonic_ns() / NS_PER_TICK;
}

// getrusage(2): RUSAGE_SELF (0), RUSAGE_CHILDREN (-1), RUSAGE_THREAD (1).
Result<u64> sys_getrusage(Process& p, i32 who, UserPtr<Rusage> usage)
{
    u64 user, system;
    if (who == 0 || who == 1) {
        user = p.cpu.user_ns();
        system = p.cpu.system_ns(true);
    } else if (who == -1) {
        SpinLockGuard guard(process_lock());
        user = p.children_user_ns;
        system = p.children_system_ns;
    } else {
        return Errno::einval;
    }
    Rusage r{};
    r.ru_utime = {i64(user / 1000000000), i64(user / 1000 % 1000000)};
    r.ru_stime = {i64(system / 1000000000), i64(system / 1000 % 1000000)};
    if (who != -1 && p.address_space)
        r.ru_maxrss = i64(p.address_space->resident_pages() * 4); // KiB resident now, as an approximation
    TRY(mm::write_user(usage, r));
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_process(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
