// Scalar argument generators and the per-call fix-ups (see args.h).
// Flag values are Linux's asm-generic ones (include/uapi/asm-generic/
// fcntl.h, mman-common.h, signal.h; include/uapi/linux/sched.h, wait.h).
#include "args.h"

#include <climits>
#include <csignal>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

namespace fuzz {

namespace {

constexpr std::uint64_t k_boundaries[] = {
    0, 1, 2, 7, 8, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
    0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000, ~0ull, ~0ull - 1, ~0xfffull,
};

// Picks a few flags of `set`, sometimes with random bits or none at all.
std::uint64_t flags_from(WorkerContext& ctx, std::span<const std::uint64_t> set)
{
    Rng& rng = ctx.rng;
    std::uint64_t value = 0;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 15)
        return 0;
    unsigned count = 1 + unsigned(rng.below(3));
    for (unsigned i = 0; i < count; ++i)
        value |= set[rng.below(set.size())];
    if (roll >= 90)
        value |= rng.next() & (rng.chance(50) ? 0xffffffffull : ~0ull);
    return value;
}

constexpr std::uint64_t k_open_flags[] = {
    O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, 040000 /* O_DIRECT */,
    0100000 /* O_LARGEFILE */, O_DIRECTORY, O_NOFOLLOW, 01000000 /* O_NOATIME */, O_CLOEXEC, O_SYNC,
    010000000 /* O_PATH */, 020200000 /* O_TMPFILE */, O_CREAT, O_CREAT | O_TRUNC,
};
constexpr std::uint64_t k_at_flags[] = {0x100 /* SYMLINK_NOFOLLOW */, 0x200 /* REMOVEDIR, EACCESS */,
                                        0x400 /* SYMLINK_FOLLOW */, 0x800, 0x1000 /* EMPTY_PATH */};
constexpr std::uint64_t k_prot[] = {PROT_READ, PROT_WRITE, PROT_EXEC, PROT_READ | PROT_WRITE, PROT_NONE,
                                    0x01000000 /* GROWSDOWN */, 0x02000000 /* GROWSUP */, 0x8 /* SEM */};
constexpr std::uint64_t k_map_extra[] = {
    MAP_FIXED, 0x100000 /* FIXED_NOREPLACE */, MAP_GROWSDOWN, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK,
    MAP_STACK, MAP_HUGETLB, MAP_LOCKED, MAP_DENYWRITE, MAP_EXECUTABLE, 0x80000 /* SYNC */,
    0x4000000 /* UNINITIALIZED */,
};
// MADV_HWPOISON (100) and MADV_SOFT_OFFLINE (101) are left out: on Linux,
// as root, they take physical pages out of service for good.
constexpr std::uint64_t k_madvise[] = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                       18, 19, 20, 21, 22, 23, 24, 25, 26, 99, 102, 0xffffffff};
// What a fork-style clone may carry (clone_is_fork_style): with CLONE_VM,
// FS, FILES, SIGHAND, THREAD, VFORK, PARENT, SETTLS or a namespace the
// clone is thread-style (thread_clone_flags) and runs in a throwaway child.
constexpr std::uint64_t k_clone_extra[] = {0x00100000 /* PARENT_SETTID */, 0x01000000 /* CHILD_SETTID */,
                                           0x00200000 /* CHILD_CLEARTID */, 0x00800000 /* UNTRACED */,
                                           0x00040000 /* SYSVSEM */, 0x00001000 /* PIDFD */};
constexpr std::uint64_t k_wait_options[] = {WNOHANG, WUNTRACED, WCONTINUED, WEXITED, WSTOPPED, WNOWAIT,
                                            0x20000000 /* __WNOTHREAD */, 0x40000000 /* __WALL */,
                                            0x80000000 /* __WCLONE */};
constexpr std::uint64_t k_fcntl_cmds[] = {
    F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN, F_GETOWN, 10 /* SETSIG */,
    11 /* GETSIG */, 1024 /* SETLEASE */, 1025 /* GETLEASE */, 1026 /* NOTIFY */, F_DUPFD_CLOEXEC,
    1031 /* SETPIPE_SZ */, 1032 /* GETPIPE_SZ */, 1033 /* ADD_SEALS */, 1034 /* GET_SEALS */, 36, 37, 38,
};
constexpr std::uint64_t k_ioctl_cmds[] = {
    0x5401 /* TCGETS */, 0x5402 /* TCSETS */, 0x5403, 0x5404, 0x540e /* TIOCSCTTY */, 0x540f /* TIOCGPGRP */,
    0x5410 /* TIOCSPGRP */, 0x5413 /* TIOCGWINSZ */, 0x5414 /* TIOCSWINSZ */, 0x541b /* FIONREAD */,
    0x5421 /* FIONBIO */, 0x5422 /* TIOCNOTTY */, 0x5429 /* TIOCGSID */, 0x5450 /* FIONCLEX */,
    0x5451 /* FIOCLEX */, 0x80045430 /* TIOCGPTN */, 0x40045431, 0xc0086611,
};

std::uint64_t signal_number(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 85) {
        std::uint64_t sig = rng.below(65);
        // Stopping ourselves only wastes the deadline: rarely.
        if ((sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) && !rng.one_in(8))
            sig = SIGUSR1;
        return sig;
    }
    constexpr std::uint64_t odd[] = {65, 128, ~0ull, 0x80000000, 0x100000011};
    return rng.pick(odd);
}

// Only the worker itself, its own children and its own process group:
// never the watchdog or another worker (and never -1, "everyone").
std::uint64_t target_pid(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    bool have_child = !ctx.children.empty();
    unsigned roll = unsigned(rng.below(100));
    if (roll < 35)
        return std::uint64_t(std::int64_t(ctx.self));
    if (roll < 65) {
        // In a storm, one of its threads now and then (its id names this
        // process to kill, setpgid, prlimit64...).
        if (ctx.sibling_tids && rng.chance(40)) {
            pid_t tid = ctx.sibling_tids[rng.below(ctx.sibling_count)].load(std::memory_order_relaxed);
            if (tid > 0)
                return std::uint64_t(std::int64_t(tid));
        }
        if (!have_child)
            return std::uint64_t(std::int64_t(ctx.self));
        return std::uint64_t(std::int64_t(rng.pick(ctx.children)));
    }
    if (roll < 80)
        return ctx.own_group ? 0 : std::uint64_t(std::int64_t(ctx.self));
    if (roll < 88)
        return ctx.own_group ? std::uint64_t(-std::int64_t(ctx.self)) : std::uint64_t(std::int64_t(ctx.self));
    // Pids nothing has: past pid_max, INT_MIN (whose negation overflows).
    constexpr std::int64_t none[] = {0x3fffffff, 0x7fffffff, INT_MIN, std::int64_t(0x100000000) + 1};
    return std::uint64_t(rng.pick(none));
}

std::uint64_t any_pid(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::int64_t values[] = {0, -1, 1, INT_MIN, 0x7fffffff, -2, 99999};
    if (rng.chance(50))
        return std::uint64_t(rng.pick(values));
    return target_pid(ctx);
}

} // namespace

std::uint64_t interesting_integer(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 45)
        return rng.pick(k_boundaries);
    if (roll < 75)
        return rng.below(64);
    if (roll < 85)
        return std::uint64_t(-std::int64_t(rng.below(4097)));
    return rng.next();
}

std::uint64_t length_value(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::uint64_t values[] = {0, 1, 2, 7, 8, 16, 63, 64, 255, 256, 511, 512, 4095, 4096, 4097, 8191, 8192,
                                        8193, 65535, 65536, 1 << 20, 0x7fffffff, 0x80000000, 0xffffffff,
                                        0x7ffff000, 0x7fffffffffffffff, ~0ull, ~0ull - 4095};
    unsigned roll = unsigned(rng.below(100));
    if (roll < 60)
        return rng.pick(values);
    if (roll < 90)
        return rng.below(8192);
    return std::uint64_t(-std::int64_t(1 + rng.below(4096)));
}

std::uint64_t generate_scalar(Arg kind, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    switch (kind) {
    case Arg::none: return 0;
    case Arg::any: return interesting_integer(ctx);
    case Arg::small: return rng.chance(90) ? rng.below(17) : interesting_integer(ctx);
    case Arg::fd: {
        unsigned roll = unsigned(rng.below(100));
        if (roll < 75 && !ctx.fds.empty())
            return std::uint64_t(std::int64_t(rng.pick(ctx.fds)));
        if (roll < 85)
            return rng.below(3); // /dev/null in a worker
        constexpr std::int64_t bad[] = {-1, 1023, 1024, 4096, INT_MAX, INT_MIN, -100 /* AT_FDCWD */, 0x100000000};
        return std::uint64_t(rng.pick(bad));
    }
    case Arg::dirfd:
        return rng.chance(55) ? std::uint64_t(std::int64_t(AT_FDCWD)) : generate_scalar(Arg::fd, ctx);
    case Arg::len: return length_value(ctx);
    case Arg::offset: {
        constexpr std::uint64_t values[] = {0, 1, 511, 4095, 4096, 4097, 65536, 1 << 20, 0x7fffffff, 0x80000000,
                                            0xffffffff, 1ull << 40, 0x7fffffffffffffff, 0x7ffffffffffff000,
                                            ~0ull, ~0xfffull};
        return rng.chance(70) ? rng.pick(values) : (rng.chance(50) ? rng.below(70000) : rng.next());
    }
    case Arg::whence: return rng.chance(90) ? rng.below(5) : interesting_integer(ctx);
    case Arg::open_flags: {
        std::uint64_t access = rng.below(rng.chance(95) ? 3 : 4);
        return access | flags_from(ctx, k_open_flags);
    }
    case Arg::at_flags: return flags_from(ctx, k_at_flags);
    case Arg::mode: {
        constexpr std::uint64_t modes[] = {0, 0644, 0755, 0777, 07777, 0600, 0444, 0111, 0170000, 0140755,
                                           0100644, 0010644 /* FIFO */, 0020666 /* char dev */, ~0ull};
        return rng.chance(85) ? rng.pick(modes) : rng.next() & 0xffff;
    }
    case Arg::prot: return flags_from(ctx, k_prot);
    case Arg::mmap_flags: {
        constexpr std::uint64_t types[] = {MAP_PRIVATE, MAP_PRIVATE, MAP_SHARED, 3 /* SHARED_VALIDATE */, 0, 0xf};
        std::uint64_t flags = rng.pick(types);
        if (rng.chance(70))
            flags |= MAP_ANONYMOUS;
        if (rng.chance(50))
            flags |= flags_from(ctx, k_map_extra);
        return flags;
    }
    case Arg::madvise_advice: return rng.pick(k_madvise);
    case Arg::mremap_flags: {
        constexpr std::uint64_t values[] = {0, 1, 1, 3, 5, 7, 2, 4, 8, ~0ull};
        return rng.pick(values);
    }
    case Arg::msync_flags: {
        constexpr std::uint64_t values[] = {MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE,
                                            MS_SYNC | MS_INVALIDATE, MS_ASYNC | MS_SYNC, 0, 8, ~0ull};
        return rng.pick(values);
    }
    case Arg::clone_flags: {
        if (rng.chance(25))
            return thread_clone_flags(ctx, false);
        std::uint64_t exit_signal = rng.chance(85) ? SIGCHLD : (rng.chance(50) ? 0 : rng.below(65));
        if (exit_signal != 0 && exit_signal != SIGCHLD && exit_signal != SIGALRM)
            exit_signal = SIGCHLD; // a default-fatal exit signal would kill the worker, not test anything
        std::uint64_t flags = exit_signal;
        if (rng.chance(30))
            flags |= rng.pick(k_clone_extra);
        return flags;
    }
    case Arg::wait_options: return flags_from(ctx, k_wait_options);
    case Arg::target_pid: return target_pid(ctx);
    case Arg::any_pid: return any_pid(ctx);
    case Arg::signal: return signal_number(ctx);
    case Arg::sigprocmask_how: return rng.chance(90) ? rng.below(3) : interesting_integer(ctx);
    case Arg::iov_count: {
        constexpr std::uint64_t values[] = {0, 1, 2, 3, 4, 8, 16, 1024, 1025, 0x7fffffff, ~0ull};
        return rng.pick(values);
    }
    case Arg::rlimit_resource: return rng.chance(90) ? rng.below(16) : interesting_integer(ctx);
    case Arg::clock_id: {
        // Negative ids name CPU-time clocks of processes (see clock_getcpuclockid).
        constexpr std::int64_t values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1, -2, -6, -7, INT_MIN, 1000};
        return std::uint64_t(rng.pick(values));
    }
    case Arg::fcntl_cmd: return rng.chance(92) ? rng.pick(k_fcntl_cmds) : interesting_integer(ctx);
    case Arg::ioctl_cmd: return rng.chance(85) ? rng.pick(k_ioctl_cmds) : rng.next() & 0xffffffff;
    case Arg::futex_op: {
        std::uint64_t op = rng.below(14);
        if (rng.chance(50))
            op |= 128; // FUTEX_PRIVATE_FLAG
        if (rng.chance(10))
            op |= 256; // FUTEX_CLOCK_REALTIME
        return rng.chance(95) ? op : interesting_integer(ctx);
    }
    case Arg::which: return rng.chance(85) ? rng.below(3) : std::uint64_t(-std::int64_t(rng.below(3)));
    case Arg::tid: return tid_value(ctx);
    case Arg::cpumask_len: return cpumask_length(ctx);
    case Arg::robust_len: {
        constexpr std::uint64_t odd[] = {0, 8, 23, 25, 48, 4096, ~0ull};
        return rng.chance(85) ? 24 : rng.pick(odd);
    }
    case Arg::clone3_size: return clone3_size(ctx);
    case Arg::uid: {
        constexpr std::uint64_t values[] = {0, 0, 1, 1000, 65534, 0xffffffff, 0xfffffffe};
        return rng.pick(values);
    }
    default: return generate_pointer(kind, ctx);
    }
}

bool overlaps_forbidden(std::uint64_t start, std::uint64_t length)
{
    std::uint64_t end = start + length;
    if (end < start) // wraps: covers everything above start
        end = ~0ull;
    return start < k_forbidden_end && end > k_forbidden_start;
}

namespace {

// Calls whose arguments name address ranges: {address arg, length arg}.
struct RangeArgs {
    int number;
    int address;
    int length;
};
constexpr RangeArgs k_ranges[] = {
    {SYS_mmap, 0, 1},   {SYS_munmap, 0, 1},   {SYS_mremap, 0, 1},    {SYS_mremap, 4, 2},
    {SYS_mprotect, 0, 1}, {SYS_msync, 0, 1},  {SYS_madvise, 0, 1},   {SYS_mlock, 0, 1},
    {SYS_munlock, 0, 1}, {SYS_mincore, 0, 1}, {SYS_remap_file_pages, 0, 1}, {SYS_mbind, 0, 1},
    {284 /* mlock2 */, 0, 1}, {288 /* pkey_mprotect */, 0, 1}, {450, 0, 1}, {453, 0, 1}, {462 /* mseal */, 0, 1},
    {SYS_brk, 0, -1}, {SYS_shmat, 1, -1}, {SYS_shmdt, 0, -1}, {259 /* riscv_flush_icache */, 0, -1},
};

void fix_up(const Syscall& call, WorkerContext& ctx, std::uint64_t (&a)[6])
{
    Rng& rng = ctx.rng;
    switch (call.number) {
    case SYS_fcntl:
        if (a[1] == F_SETOWN || a[1] == 15 /* F_SETOWN_EX */)
            a[2] = target_pid(ctx); // SIGIO/SIGURG go to the owner: never the watchdog
        else if (a[1] == F_GETLK || a[1] == F_SETLK || a[1] == F_SETLKW)
            a[2] = generate_pointer(Arg::struct_in, ctx);
        else if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)
            a[2] = rng.chance(80) ? rng.below(64) : interesting_integer(ctx);
        break;
    case SYS_rt_sigaction:
        // SIGCHLD keeps its default: ignoring it would reap children behind
        // the worker's back, and a reaped child's pid may be given to another
        // worker, which the worker could then signal.
        if (a[0] == SIGCHLD)
            a[1] = 0;
        // SIGALRM's handler is what wakes the worker from blocking calls:
        // changing it mostly ends in a worker killed by its own timer.
        if (a[0] == SIGALRM && !rng.one_in(10))
            a[1] = 0;
        if (rng.chance(85))
            a[3] = 8;
        break;
    case SYS_rt_sigprocmask:
    case SYS_rt_sigpending:
    case SYS_rt_sigtimedwait:
        if (rng.chance(85))
            a[call.number == SYS_rt_sigpending ? 1 : 3] = 8;
        break;
    case SYS_rt_sigsuspend:
        if (rng.chance(85))
            a[1] = 8;
        break;
    case SYS_ppoll:
    case SYS_epoll_pwait:
        if (rng.chance(85))
            a[call.number == SYS_ppoll ? 4 : 5] = 8;
        break;
    case SYS_mmap:
        if ((a[3] & MAP_ANONYMOUS) && rng.chance(70))
            a[4] = ~0ull;
        if (rng.chance(80))
            a[5] &= ~0xfffull;
        break;
    case SYS_brk:
        if (rng.chance(60)) {
            std::uint64_t current = std::uint64_t(syscall(SYS_brk, 0));
            std::int64_t delta = std::int64_t(rng.below(64) * 4096) - (rng.one_in(20) ? 4 * 4096 : 0);
            a[0] = current + std::uint64_t(delta) + (rng.chance(20) ? rng.below(4096) : 0);
        }
        break;
    case SYS_setpgid:
        // Only ever into a group of our own making (pgid 0: the target's pid).
        if (a[1] != 0 && std::int64_t(a[1]) != ctx.self && std::int64_t(a[1]) != std::int64_t(a[0]))
            a[1] = 0;
        break;
    default:
        break;
    }
    // Never a range over the rings or the canary block (see shared_area.h).
    for (const RangeArgs& r : k_ranges) {
        if (r.number != call.number)
            continue;
        std::uint64_t length = r.length >= 0 ? a[r.length] : 1;
        if (call.number == SYS_mremap && r.address == 4 && !(a[3] & 2 /* MREMAP_FIXED */))
            continue;
        if (length == 0)
            length = 1;
        for (int tries = 0; tries < 8 && overlaps_forbidden(a[r.address], length); ++tries)
            a[r.address] = generate_pointer(Arg::map_addr, ctx);
        // Nor, mostly, over the worker's scratch: losing it ends the worker
        // at its next write there, before it has made its calls.
        auto scratch = reinterpret_cast<std::uint64_t>(ctx.scratch);
        std::uint64_t start = a[r.address], end = start + length;
        if (start < scratch + ctx.scratch_size && end > scratch && end >= start && !rng.one_in(10))
            a[r.address] = 0;
        if (overlaps_forbidden(a[r.address], length)) {
            a[r.address] = 0;
            if (r.length >= 0)
                a[r.length] = 4096;
        }
    }
}

} // namespace

void generate_args(const Syscall& call, WorkerContext& ctx, std::uint64_t (&args)[6])
{
    for (int i = 0; i < 6; ++i) {
        Arg kind = call.args[i];
        // An argument the call ignores still gets a value sometimes: a
        // kernel must not care what is in the registers it does not read.
        if (kind == Arg::none)
            args[i] = ctx.rng.one_in(8) ? interesting_integer(ctx) : 0;
        else
            args[i] = generate_scalar(kind, ctx);
    }
    fix_up(call, ctx, args);
}

} // namespace fuzz
