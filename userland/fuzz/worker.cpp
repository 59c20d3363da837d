// The worker's loop (see worker.h): pick a call by weight, make its
// arguments, record it, make it, learn from the result.
#include "worker.h"

#include "args.h"
#include "calls.h"
#include "mutants.h"
#include "sequences.h"
#include "syscall_table.h"
#include "threads.h"
#include "worker_context.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fuzz {

namespace {

constexpr unsigned k_reassert_every = 32;  // calls between restoring the worker's own setup
constexpr unsigned k_child_calls = 8;      // at most, in a fork-style child
constexpr std::size_t k_max_fds = 48;
constexpr std::size_t k_scratch_pages = 16;
constexpr long k_alarm_interval_us = 20000; // interrupts any blocking call within 20 ms
constexpr unsigned k_storm_one_in = 120;    // worker steps per thread storm, on average

void on_signal(int) {}

// The calls that return a new descriptor.
bool returns_fd(long n)
{
    switch (n) {
    case SYS_openat: case SYS_dup: case SYS_dup3: case SYS_eventfd2: case SYS_epoll_create1:
    case SYS_inotify_init1: case SYS_timerfd_create: case SYS_signalfd4: case SYS_socket: case SYS_accept:
    case 279: /* memfd_create */ case 434: /* pidfd_open */ case 282: /* userfaultfd */ case 242: /* accept4 */
    case 428: /* open_tree */ case 430: /* fsopen */ case 432: /* fsmount */ case 433: /* fspick */
    case 438: /* pidfd_getfd */ case 425: /* io_uring_setup */ case 241: /* perf_event_open */
    case 180: /* mq_open */ case 262: /* fanotify_init */ case 444: /* landlock_create_ruleset */
    case 447: /* memfd_secret */ case 265: /* open_by_handle_at */ case 437: /* openat2 */
        return true;
    default:
        return false;
    }
}

void install_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal; // no SA_RESTART: blocking calls return EINTR
    for (int sig = 1; sig < NSIG; ++sig) {
        // Faults must still kill (an empty handler would retry the faulting
        // instruction forever); SIGCHLD keeps its default (see fix_up).
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS ||
            sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS)
            continue;
        sigaction(sig, &sa, nullptr);
    }
}

// Numbers no table entry has: the gaps, past the end, negative.
const Syscall& unknown_call(Rng& rng)
{
    static Syscall s{0, "unknown", 1, k_normal, {Arg::any, Arg::any, Arg::any, Arg::any, Arg::any, Arg::any}};
    const long numbers[] = {38, 244, 250, 257, 295, 300, 400, 423, 463, 500, 511, 512, 1024, 4096, 0x7fffffff, -1};
    s.number = int(rng.pick(numbers));
    return s;
}

void write_shared_words(WorkerContext& ctx, std::uint64_t tag)
{
    // Odd words only: the even ones are the watchdog's canaries.
    for (int i = 0; i < 4; ++i) {
        std::size_t index = ctx.rng.below(k_canary_pages * k_words_per_page) | 1;
        ctx.canary_block[index] = (std::uint64_t(ctx.self) << 32) ^ tag ^ index;
    }
}

// The worker's descriptors 0-2 are /dev/null and it opens no device that
// writes to the console: one that refers to the console came from a kernel
// bug (a descriptor leaked across processes). Ends the worker, recorded.
void check_console(WorkerContext& ctx, int fd)
{
    struct stat st {};
    if (ctx.console_rdev == 0 || fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != ctx.console_rdev)
        return;
    std::uint64_t a[6] = {std::uint64_t(fd), std::uint64_t(st.st_ino), 0, 0, 0, 0};
    ring_begin(*ctx.ring, Where::worker, k_console_record, a, ctx.who).result = 0;
    _exit(k_exit_holds_console);
}

void check_all_fds(WorkerContext& ctx)
{
    for (int fd = 0; fd < 3; ++fd)
        check_console(ctx, fd);
    for (int fd : ctx.fds)
        check_console(ctx, fd);
}

void learn(const Syscall& call, const std::uint64_t (&a)[6], long r, WorkerContext& ctx)
{
    if (r < 0)
        return;
    auto in_scratch = [&](std::uint64_t p, std::size_t n) {
        auto s = reinterpret_cast<std::uint64_t>(ctx.scratch);
        return p >= s && p + n <= s + ctx.scratch_size;
    };
    long n = call.number;
    if (returns_fd(n) || (n == SYS_fcntl && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC))) {
        ctx.fds.push_back(int(r));
        check_console(ctx, int(r));
    } else if ((n == SYS_pipe2 || n == SYS_socketpair) && in_scratch(a[n == SYS_pipe2 ? 0 : 3], 8)) {
        int pair[2];
        std::memcpy(pair, reinterpret_cast<void*>(a[n == SYS_pipe2 ? 0 : 3]), sizeof pair);
        ctx.fds.push_back(pair[0]);
        ctx.fds.push_back(pair[1]);
    } else if (n == SYS_close) {
        ctx.forget_fd(int(a[0]));
    } else if (n == SYS_mmap) {
        std::size_t length = (a[1] + k_page - 1) & ~(k_page - 1);
        if (overlaps_forbidden(std::uint64_t(r), length)) // placed next to the rings: give it back
            munmap(reinterpret_cast<void*>(r), length);
        else if (length)
            ctx.mappings.push_back({std::uintptr_t(r), length});
    } else if (n == SYS_munmap) {
        ctx.forget_range(a[0], a[1]);
    } else if (n == SYS_mremap) {
        ctx.forget_range(a[0], a[1]);
        std::size_t length = (a[2] + k_page - 1) & ~(k_page - 1);
        if (overlaps_forbidden(std::uint64_t(r), length))
            munmap(reinterpret_cast<void*>(r), length);
        else if (length)
            ctx.mappings.push_back({std::uintptr_t(r), length});
    } else if (n == SYS_wait4 && r > 0) {
        ctx.forget_child(pid_t(r));
    } else if (n == SYS_waitid) {
        // waitid says whom it reaped only through its (maybe bad) siginfo
        // pointer: ask each child whether it is still ours.
        std::vector<pid_t> alive;
        for (pid_t c : ctx.children) {
            siginfo_t info{};
            if (waitid(P_PID, id_t(c), &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0)
                alive.push_back(c);
        }
        ctx.children = alive;
    }
    while (ctx.fds.size() > k_max_fds) {
        std::size_t i = ctx.rng.below(ctx.fds.size());
        close(ctx.fds[i]);
        ctx.fds.erase(ctx.fds.begin() + long(i));
    }
}

bool is_skipped(const WorkerContext& ctx, std::uint32_t seq)
{
    return ctx.skip && std::find(ctx.skip->begin(), ctx.skip->end(), seq) != ctx.skip->end();
}

// A fork-style child: touches shared and private memory, makes a few calls
// of its own, exits. It never forks again (bounded process count).
[[noreturn]] void fork_child(WorkerContext& ctx, const CallPicker& picker)
{
    ctx.self = getpid();
    ctx.is_fork_child = true;
    ctx.children.clear();
    ctx.sibling_tids = nullptr; // a fork has one thread, whatever its parent had
    ctx.progress = nullptr;
    reassert(); // interval timers are not inherited
    write_shared_words(ctx, 0xc41d);
    std::memset(ctx.scratch, 0x5a, ctx.scratch_size); // copy-on-write of the parent's scratch
    run_calls(ctx, picker, unsigned(ctx.rng.below(k_child_calls + 1)), Where::fork_child);
    _exit(0);
}

// Calls that replace or end the caller run in a child made for them.
void run_in_child(WorkerContext& ctx, const Syscall& call, const std::uint64_t (&a)[6], Where where)
{
    if (call.number == SYS_clone3) { // the new task must not come back into this code
        run_clone_in_child(ctx, call.number, a, where);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        ctx.self = getpid();
        CallRecord& record = ring_begin(*ctx.ring, Where::throwaway_child, call.number, a, ctx.who);
        std::uint32_t seq = record.seq;
        ring_end(record, seq, make_call(call.number, a));
        _exit(0);
    }
    if (pid > 0)
        wait_bounded(pid, 2);
}

} // namespace

void run_step(WorkerContext& ctx, const CallPicker& picker, unsigned i, Where where)
{
    if (ctx.progress)
        ctx.progress->fetch_add(1, std::memory_order_relaxed);
    if (i % k_reassert_every == k_reassert_every - 1)
        reassert();
    if (i % 16 == 0) {
        write_shared_words(ctx, i);
        check_all_fds(ctx);
    }
    if (where == Where::worker && ctx.rng.one_in(120)) {
        run_mutant(ctx);
        return;
    }
    if (where == Where::worker && ctx.rng.one_in(150)) {
        run_file_mapping_sequence(ctx);
        return;
    }
    if (where == Where::worker && !ctx.sibling_tids && ctx.rng.one_in(k_storm_one_in)) {
        run_thread_storm(ctx, picker);
        return;
    }
    const Syscall& call = ctx.rng.one_in(200) ? unknown_call(ctx.rng) : picker.pick(ctx.rng);
    // Forks come from the worker and its storm threads only (bounded
    // process count: a fork child never forks again).
    if ((call.flags & k_fork) && where != Where::worker && where != Where::thread)
        return;
    std::uint64_t a[6];
    generate_args(call, ctx, a);
    if (call.flags & k_in_child) {
        run_in_child(ctx, call, a, where);
        return;
    }
    if ((call.flags & k_fork) && !clone_is_fork_style(a[0])) {
        // Thread flags (CLONE_VM, THREAD, VFORK, SETTLS...): the new
        // task shares or replaces what the worker needs, so the clone
        // happens in a throwaway child, through a trampoline that keeps the
        // new task out of this code.
        complete_thread_clone_args(ctx, a);
        run_clone_in_child(ctx, call.number, a, where);
        return;
    }
    CallRecord& record = ring_begin(*ctx.ring, where, call.number, a, ctx.who);
    std::uint32_t seq = record.seq;
    if (where == Where::worker && is_skipped(ctx, record.seq)) {
        record.result = k_skipped;
        return;
    }
    long r;
    if (call.flags & k_fork) {
        // clone(flags, newsp = 0: the child runs on a copy of this stack,
        // parent_tid, tls, child_tid) -- the riscv64 argument order.
        r = make_call(call.number, {a[0], 0, a[2], 0, a[4], 0});
        if (r == 0)
            fork_child(ctx, picker);
        if (r > 0) {
            ctx.children.push_back(pid_t(r));
            ctx.ring->forks.fetch_add(1, std::memory_order_relaxed);
        }
    } else {
        r = make_call(call.number, a);
    }
    ring_end(record, seq, r);
    learn(call, a, r, ctx);
    // The call may have taken the worker's wake-up away (disarmed the
    // timer, ignored or blocked SIGALRM): give it back at once, so the
    // next blocking call is still interrupted.
    if (call.number == SYS_setitimer || call.number == SYS_rt_sigprocmask ||
        (call.number == SYS_rt_sigaction && a[0] == SIGALRM))
        reassert();
}

void run_calls(WorkerContext& ctx, const CallPicker& picker, unsigned calls, Where where)
{
    for (unsigned i = 0; i < calls; ++i)
        run_step(ctx, picker, i, where);
}

namespace {

void open_initial_fds(WorkerContext& ctx)
{
    const std::pair<std::string, int> files[] = {
        {ctx.dir + "/f0", O_RDWR},         {ctx.dir + "/f2", O_RDONLY}, {ctx.dir + "/d0", O_RDONLY | O_DIRECTORY},
        {"/dev/null", O_RDWR},             {"/dev/zero", O_RDONLY},     {"/proc/self/stat", O_RDONLY},
        {"/proc/meminfo", O_RDONLY},       {ctx.dir, O_RDONLY | O_DIRECTORY},
    };
    for (const auto& [path, flags] : files) {
        int fd = open(path.c_str(), flags);
        if (fd >= 0)
            ctx.fds.push_back(fd);
    }
    int pipe_fds[2];
    if (pipe(pipe_fds) == 0) {
        ctx.fds.push_back(pipe_fds[0]);
        ctx.fds.push_back(pipe_fds[1]);
    }
    ctx.fds.push_back(ctx.fds.empty() ? 3 : ctx.fds.back() + 5); // a closed number
}

} // namespace

CallPicker::CallPicker()
{
    for (const Syscall& s : syscall_table()) {
        if (s.flags & k_denied)
            continue;
        m_total += s.weight;
        m_cumulative[m_count] = m_total;
        m_calls[m_count++] = &s;
    }
}

const Syscall& CallPicker::pick(Rng& rng) const
{
    unsigned r = unsigned(rng.below(m_total));
    const unsigned* it = std::upper_bound(m_cumulative, m_cumulative + m_count, r);
    return *m_calls[it - m_cumulative];
}

void reassert()
{
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    // The calling thread's mask (sigprocmask is pthread_sigmask in glibc).
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    itimerval timer{{0, k_alarm_interval_us}, {0, k_alarm_interval_us}};
    setitimer(ITIMER_REAL, &timer, nullptr);
}

long make_call(long number, const std::uint64_t (&a)[6])
{
    long r = syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    return r == -1 ? -errno : r;
}

std::int64_t wait_bounded(pid_t pid, double seconds)
{
    auto now = [] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
    };
    double start = now();
    bool killed = false;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG | __WALL);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -errno; // reaped by another call of ours (wait4(-1)...)
        double elapsed = now() - start;
        if (!killed && elapsed > seconds) {
            kill(pid, SIGKILL);
            killed = true;
        }
        if (killed && elapsed > seconds + 2)
            return k_pending;
        timespec pause{0, 2000000};
        nanosleep(&pause, nullptr);
    }
}

void WorkerContext::forget_fd(int fd)
{
    std::erase(fds, fd);
}

void WorkerContext::forget_child(pid_t pid)
{
    std::erase(children, pid);
}

void WorkerContext::forget_range(std::uintptr_t start, std::size_t length)
{
    std::uintptr_t end = start + length;
    std::erase_if(mappings, [&](const Mapping& m) { return m.start < end && start < m.start + m.length; });
}

std::string worker_dir(std::uint64_t serial)
{
    return "/tmp/fz." + std::to_string(serial);
}

void worker_main(const WorkerSetup& setup)
{
    WorkerContext ctx;
    ctx.rng = Rng(setup.seed);
    ctx.ring = setup.ring;
    ctx.canary_block = setup.canary_block;
    ctx.program = setup.program;
    ctx.console_rdev = setup.console_rdev;
    ctx.skip = setup.skip;
    ctx.self = getpid();
    ctx.ring->pid = ctx.self;
    // One malloc arena for all the storm threads (threads.h): glibc would
    // otherwise reserve 64 MiB of address space per thread that allocates.
    mallopt(M_ARENA_MAX, 1);
    // A process group of our own: kill(0, ...) and kill(-pgid, ...) then
    // reach only this worker and its children.
    ctx.own_group = setpgid(0, 0) == 0;

    // Quiet: a worker never writes to the console the watchdog reports on.
    int null_fd = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) {
        if (null_fd < 0 || dup2(null_fd, fd) != fd)
            close(fd);
    }
    if (null_fd > 2)
        close(null_fd);
    install_handlers();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);

    // Scratch with unmapped guard pages on both sides.
    auto* area = static_cast<std::uint8_t*>(mmap(nullptr, (k_scratch_pages + 2) * k_page, PROT_READ | PROT_WRITE,
                                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (area == MAP_FAILED)
        _exit(2);
    munmap(area, k_page);
    munmap(area + (k_scratch_pages + 1) * k_page, k_page);
    ctx.scratch = area + k_page;
    ctx.scratch_size = k_scratch_pages * k_page;

    ctx.dir = worker_dir(setup.serial);
    populate_worker_dir(ctx);
    if (chdir(ctx.dir.c_str()) != 0)
        _exit(3);
    open_initial_fds(ctx);
    reassert();

    if (setup.break_canary)
        ctx.canary_block[3 * k_words_per_page + 64] = 0xbad; // an even word: the watchdog's

    static const CallPicker picker;
    run_calls(ctx, picker, setup.calls, Where::worker);

    // Leave nothing behind: the children die with us (they are ours to reap).
    for (pid_t c : ctx.children)
        kill(c, SIGKILL);
    signal(SIGALRM, SIG_IGN);
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
    while (!ctx.children.empty()) {
        pid_t r = waitpid(-1, nullptr, __WALL);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0)
            ctx.forget_child(r);
    }
    _exit(0);
}

} // namespace fuzz
