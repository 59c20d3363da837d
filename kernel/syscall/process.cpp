// Process system calls: exit, ids, clone (fork), execve, wait4, waitid, limits.
#include "kernel/smp.hpp"
#include "kernel/exec.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/time.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/syscall/user_path.hpp"

namespace kernel {

Result<u64> sys_exit(i32 status) { exit_thread(wait_status_exited(status & 0xff)); }
Result<u64> sys_exit_group(i32 status) { exit_current(wait_status_exited(status & 0xff)); }
Result<u64> sys_getpid(Process& p) { return u64(p.pid); }
Result<u64> sys_gettid(Thread& t) { return u64(t.tid); }

Result<u64> sys_getppid(Process& p)
{
    SpinLockGuard guard(process_lock());
    Process* parent = p.parent;
    return u64(parent ? parent->pid : 0);
}

namespace {

constexpr u64 CSIGNAL = 0xff;

// The flag rules of Linux's copy_process and clone3 (kernel/fork.c), in
// its order. Namespaces, pidfds and cgroups do not exist here: EINVAL, as
// a Linux built without them answers.
Result<void> check_clone_flags(u64 flags, int exit_signal)
{
    if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
        (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
        return Errno::einval;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return Errno::einval; // thread groups share signal handlers
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return Errno::einval; // shared handlers need a shared address space
    if ((flags & CLONE_PARENT) && current_process().pid == 1)
        return Errno::einval; // init has no parent to share
    if ((flags & CLONE_PIDFD) && ((flags & CLONE_DETACHED) || (flags & CLONE_THREAD)))
        return Errno::einval;
    constexpr u64 unsupported = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                CLONE_NEWPID | CLONE_NEWNET | CLONE_PIDFD | CLONE_INTO_CGROUP;
    if (flags & unsupported)
        return Errno::einval;
    if (exit_signal < 0 || exit_signal > NSIG)
        return Errno::einval;
    return {};
}

Result<u64> do_clone(arch::TrapFrame& frame, CloneArgs args, u64 restart_a0)
{
    if (args.flags & CLONE_THREAD)
        args.exit_signal = 0; // threads send none (Linux: exit_signal = -1)
    if (args.flags & CLONE_CLEAR_SIGHAND) {
        // Handlers reset in the child: only where it has its own.
        if (args.flags & CLONE_SIGHAND)
            return Errno::einval;
    }
    auto cloned = clone_current(args);
    if (cloned.is_error() && cloned.code() == Errno::eintr) {
        // ERESTARTNOINTR: back onto the ecall with a0 as it was; the
        // pending signal is handled on the way out (or ends the caller),
        // then clone runs again -- whatever SA_RESTART says.
        frame.restart_syscall(restart_a0);
        return restart_a0;
    }
    return u64(TRY(cloned));
}

} // namespace

Result<u64> sys_clone(arch::TrapFrame& frame, u64 flags, u64 stack, UserPtr<u32> parent_tid, u64 tls,
                      UserPtr<u32> child_tid)
{
    // The legacy call: 32 bits of flags, the exit signal in the low byte;
    // CLONE_DETACHED is ignored, as Linux has for years.
    u64 f = u64(u32(flags)) & ~CSIGNAL & ~u64(CLONE_DETACHED);
    CloneArgs args;
    args.flags = f;
    args.exit_signal = int(flags & CSIGNAL);
    args.stack = stack;
    args.tls = tls;
    args.parent_tid = parent_tid.address();
    args.child_tid = child_tid.address();
    TRY(check_clone_flags(f, args.exit_signal));
    return do_clone(frame, args, flags);
}

Result<u64> sys_clone3(arch::TrapFrame& frame, UserPtr<const CloneArgsV2> user_args, usize size)
{
    constexpr usize VER0 = 64; // flags..tls
    if (size < VER0)
        return Errno::einval;
    if (size > 4096)
        return Errno::e2big;
    CloneArgsV2 a{};
    TRY(mm::copy_from_user(&a, user_args.address(), lib::min(size, sizeof(a))));
    // A newer caller's extra fields must be zero (copy_struct_from_user).
    for (usize at = sizeof(a); at < size; at += 8) {
        u64 word = 0;
        TRY(mm::copy_from_user(&word, user_args.address() + at, lib::min<usize>(8, size - at)));
        if (word)
            return Errno::e2big;
    }
    constexpr u64 known = 0xffffffffull & ~CSIGNAL;
    if ((a.flags & ~(known | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) || (a.flags & CLONE_DETACHED))
        return Errno::einval;
    if (a.exit_signal & ~CSIGNAL)
        return Errno::einval;
    if ((a.stack == 0) != (a.stack_size == 0))
        return Errno::einval;
    if ((a.flags & (CLONE_THREAD | CLONE_PARENT)) && a.exit_signal)
        return Errno::einval; // a thread or a sibling signals no one (clone3_args_valid)
    if (a.set_tid || a.set_tid_size)
        return Errno::einval; // choosing the tid needs pid namespaces
    CloneArgs args;
    args.flags = a.flags;
    args.exit_signal = int(a.exit_signal);
    args.stack = a.stack ? a.stack + a.stack_size : 0; // the stack grows down from its top
    args.tls = a.tls;
    args.parent_tid = a.parent_tid;
    args.child_tid = a.child_tid;
    TRY(check_clone_flags(args.flags, args.exit_signal));
    return do_clone(frame, args, user_args.address());
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
    auto result = exec_into(current_thread(), path.view(), args);
    args.release();
    TRY(result);
    return u64(0); // a0 of the new program (rtld_fini = NULL for static)
}

namespace {

Result<void> write_rusage_times(UserPtr<Rusage> usage, u64 user_ns, u64 system_ns)
{
    Rusage ru{};
    ru.ru_utime = {i64(user_ns / 1000000000), i64(user_ns / 1000 % 1000000)};
    ru.ru_stime = {i64(system_ns / 1000000000), i64(system_ns / 1000 % 1000000)};
    return mm::write_user(usage, ru);
}

} // namespace

Result<u64> sys_wait4(Pid pid, UserPtr<i32> status, u32 options, UserPtr<Rusage> usage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
        return Errno::einval;
    if (pid == INT32_MIN)
        return Errno::esrch;
    // pid > 0 one child, -1 any, 0 the caller's process group, < -1 the group -pid.
    WaitTarget target;
    if (pid > 0)
        target = {WaitTarget::Kind::pid, pid};
    else if (pid < -1)
        target = {WaitTarget::Kind::pgid, -pid};
    else if (pid == 0) {
        SpinLockGuard guard(process_lock());
        target = {WaitTarget::Kind::pgid, current_process().pgid};
    }
    WaitResult r = TRY(wait_for_child(target, options | WEXITED));
    if (r.pid == 0)
        return u64(0);
    // Linux reaps first, then reports a bad status pointer as EFAULT.
    if (status)
        TRY(mm::write_user(status, r.status));
    if (usage)
        TRY(write_rusage_times(usage, r.user_ns, r.system_ns));
    return u64(r.pid);
}

// waitid(2) (kernel/exit.c): the child's state as a SIGCHLD siginfo,
// decoded from the wait status wait4 would return.
Result<u64> sys_waitid(i32 idtype, Pid id, UserPtr<u8> info, u32 options, UserPtr<Rusage> usage)
{
    constexpr i32 P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
    if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | WNOTHREAD | WALL | WCLONE))
        return Errno::einval;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return Errno::einval;
    WaitTarget target;
    switch (idtype) {
    case P_ALL: break;
    case P_PID:
        if (id <= 0)
            return Errno::einval;
        target = {WaitTarget::Kind::pid, id};
        break;
    case P_PGID:
        if (id < 0)
            return Errno::einval;
        if (id == 0) { // the caller's group (Linux 5.4)
            SpinLockGuard guard(process_lock());
            id = current_process().pgid;
        }
        target = {WaitTarget::Kind::pgid, id};
        break;
    case P_PIDFD:
        // No descriptor is a pidfd here: Linux's pidfd_get_pid answers
        // EBADF for a closed one, EINVAL for any other.
        if (id < 0)
            return Errno::einval;
        {
            FileRef f{TRY(current_process().files->get_ref(int(id)))};
        }
        return Errno::einval;
    default: return Errno::einval;
    }
    WaitResult r = TRY(wait_for_child(target, options));
    SiginfoChld si{};
    if (r.pid) {
        si.si_signo = SIGCHLD;
        si.si_pid = r.pid;
        si.si_uid = r.uid;
        i32 st = r.status;
        if (st == 0xffff) {
            si.si_code = CLD_CONTINUED;
            si.si_status = SIGCONT;
        } else if ((st & 0xff) == 0x7f) {
            si.si_code = CLD_STOPPED;
            si.si_status = (st >> 8) & 0xff;
        } else if (st & 0x7f) {
            si.si_code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
            si.si_status = st & 0x7f;
        } else {
            si.si_code = CLD_EXITED;
            si.si_status = (st >> 8) & 0xff;
        }
        if (usage)
            TRY(write_rusage_times(usage, r.user_ns, r.system_ns));
    }
    // Nothing ready under WNOHANG still writes a zeroed head (si_pid 0).
    // As in Linux the child is reaped before a bad pointer shows, and the
    // whole siginfo_t must be a user range.
    if (info) {
        if (!mm::user_range_ok(info.address(), SIGINFO_SIZE))
            return Errno::efault;
        TRY(mm::copy_to_user(info.address(), &si, 12));
        TRY(mm::copy_to_user(info.address() + 16, &si.si_pid, 12));
    }
    return u64(0);
}

Result<u64> sys_sched_yield()
{
    yield_current();
    return u64(0);
}

Result<u64> sys_set_tid_address(Thread& t, UserPtr<u32> tid)
{
    t.clear_child_tid = tid.address();
    return u64(t.tid);
}

constexpr usize ROBUST_LIST_HEAD_SIZE = 24; // sizeof(struct robust_list_head)

Result<u64> sys_set_robust_list(Thread& t, UserPtr<RobustListHead> head, usize length)
{
    if (length != ROBUST_LIST_HEAD_SIZE)
        return Errno::einval;
    t.robust_list = head.address();
    return u64(0);
}

Result<u64> sys_get_robust_list(Pid tid, UserPtr<u64> head, UserPtr<usize> length)
{
    u64 address;
    {
        SpinLockGuard guard(process_lock());
        Thread* t = tid ? find_thread_proc_locked(tid) : &current_thread();
        if (!t || t->state == ThreadState::Dead)
            return Errno::esrch;
        address = t->robust_list;
    }
    TRY(mm::write_user(head, address));
    TRY(mm::write_user(length, ROBUST_LIST_HEAD_SIZE));
    return u64(0);
}

namespace {

constexpr usize AFFINITY_BYTES = 8; // one u64: harts 0..63

} // namespace

Result<u64> sys_sched_setaffinity(Pid tid, usize length, UserPtr<const u8> mask)
{
    u8 bytes[AFFINITY_BYTES] = {};
    TRY(mm::copy_from_user(bytes, mask.address(), lib::min(length, AFFINITY_BYTES)));
    u64 wanted = 0;
    for (usize i = 0; i < AFFINITY_BYTES; ++i)
        wanted |= u64(bytes[i]) << (8 * i);
    wanted &= online_harts_mask();
    if (!wanted)
        return Errno::einval; // no hart that exists: Linux's EINVAL
    SpinLockGuard guard(process_lock());
    Thread* t = tid ? find_thread_proc_locked(tid) : &current_thread();
    if (!t || t->state == ThreadState::Dead)
        return Errno::esrch;
    t->affinity = wanted;
    affinity_changed_proc_locked(*t);
    return u64(0);
}

Result<u64> sys_sched_getaffinity(Pid tid, usize length, UserPtr<u8> mask)
{
    // Linux: the buffer must hold the kernel's mask (nr_cpu_ids bits,
    // rounded to longs) and be a multiple of a long.
    if (length < AFFINITY_BYTES || (length & (sizeof(u64) - 1)))
        return Errno::einval;
    u64 have;
    {
        SpinLockGuard guard(process_lock());
        Thread* t = tid ? find_thread_proc_locked(tid) : &current_thread();
        if (!t || t->state == ThreadState::Dead)
            return Errno::esrch;
        have = t->affinity & online_harts_mask();
    }
    u8 bytes[AFFINITY_BYTES];
    for (usize i = 0; i < AFFINITY_BYTES; ++i)
        bytes[i] = u8(have >> (8 * i));
    TRY(mm::copy_to_user(mask.address(), bytes, AFFINITY_BYTES));
    return u64(AFFINITY_BYTES);
}

Result<u64> sys_getcpu(Thread&, UserPtr<u32> cpu, UserPtr<u32> node)
{
    if (cpu)
        TRY(mm::write_user(cpu, arch::this_hart().index));
    if (node)
        TRY(mm::write_user(node, u32(0)));
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
        constexpr u32 RLIMIT_NOFILE = 7;
        if (resource == RLIMIT_NOFILE && wanted.rlim_max > NR_OPEN)
            return Errno::eperm; // above /proc/sys/fs/nr_open, even for root
    }
    if (old_limit)
        TRY(mm::write_user(old_limit, Rlimit{p.rlimit_cur[resource], p.rlimit_max[resource]}));
    if (new_limit) {
        // Raising a hard limit needs CAP_SYS_RESOURCE (setrlimit(2)).
        if (wanted.rlim_max > p.rlimit_max[resource] && !current_process().creds.capable(Cap::sys_resource))
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
        Tms t;
        {
            SpinLockGuard guard(process_lock());
            ProcessTimes own = process_times_proc_locked(p);
            t = {own.user_ns / NS_PER_TICK, own.system_ns / NS_PER_TICK, p.children_user_ns / NS_PER_TICK,
                 p.children_system_ns / NS_PER_TICK};
        }
        TRY(mm::write_user(buf, t));
    }
    return monotonic_ns() / NS_PER_TICK;
}

// getrusage(2): RUSAGE_SELF (0), RUSAGE_CHILDREN (-1), RUSAGE_THREAD (1).
Result<u64> sys_getrusage(Thread& t, Process& p, i32 who, UserPtr<Rusage> usage)
{
    u64 user, system;
    if (who == 0) {
        SpinLockGuard guard(process_lock());
        ProcessTimes own = process_times_proc_locked(p);
        user = own.user_ns;
        system = own.system_ns;
    } else if (who == 1) {
        user = t.cpu.user_ns();
        system = t.cpu.system_ns(true);
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
