// bench: micro-benchmarks of the kernel's hot paths, counted in guest
// instructions (rdinstret; exact under QEMU's -icount shift=0) and in
// wall time (rdtime, converted to ns with a frequency calibrated against
// CLOCK_MONOTONIC at startup).
//
//   bench [NAME [ITERATIONS]]     NAME omitted or "all": every benchmark
//   bench --cpu C ARGS...         any of these pinned to CPU C (and what it
//                                 forks inherits the mask)
//   bench throughput N ROUNDS REPS  N spinners on CPU 0, then on every CPU,
//                                 REPS times: wall time (smp.cpp)
//   bench contention KIND N ROUNDS REPS  the same with N workers making
//                                 system calls (getpid, pipe, fork, brk),
//                                 and the locks they contended (smp.cpp)
//   bench sleepers N [ITERATIONS] the sleepers benchmark for any N
//   bench capacity [MAX]          how many sleeping processes fit, and the
//                                 memory each costs (a scale run)
//   bench forkbomb                a fork bomb for the shell: runs until ^C
//   bench forkbomb_recovery       a fork bomb, then SIGINT to all of it: the
//                                 instructions until every process is gone
//                                 and whether every page came back
//
// Output: one line per benchmark, "name instructions_per_op iterations
// ns_per_op" (or "name skipped: why" when this kernel lacks what it
// needs), then "BENCH-JSON {"name": instructions_per_op, ...}".
//
// The thread benchmarks (threads, futexes, std::mutex, posix_spawn) are in
// threads.cpp.
//
// rdinstret reads the hart's counter, so the count covers everything the
// hart retires meanwhile: our code, the kernel, and whichever other
// process (a forked child, the ping-pong partner) runs on the same hart.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sched.h>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bench/bench.hpp"

extern char** environ;

namespace bench {

namespace {

struct Result {
    std::string name;
    bool skipped = false;
    u64 instructions_per_op = 0;
};

std::vector<Result> g_results;

// rdtime ticks per second, measured over ~2 ms of CLOCK_MONOTONIC.
double g_time_hz = 10e6;

u64 monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

void calibrate_time() {
    u64 n0 = monotonic_ns(), t0 = read_time();
    u64 n1 = n0;
    while (n1 - n0 < 2000000)
        n1 = monotonic_ns();
    u64 t1 = read_time();
    if (t1 > t0)
        g_time_hz = double(t1 - t0) * 1e9 / double(n1 - n0);
}

} // namespace

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "bench: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

void report(const std::string& name, u64 instructions, u64 iters, u64 ticks) {
    u64 per_op = instructions / iters;
    u64 ns = u64(double(ticks) * 1e9 / g_time_hz / double(iters));
    std::printf("%s %llu %llu %llu\n", name.c_str(), (unsigned long long)per_op, (unsigned long long)iters,
                (unsigned long long)ns);
    std::fflush(stdout);
    g_results.push_back({name, false, per_op});
}

void skip(const std::string& name, const std::string& why) {
    std::printf("%s skipped: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
    g_results.push_back({name, true, 0});
}

int reap(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return status;
}

pid_t fork_or_die() {
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    return pid;
}

} // namespace bench

namespace {

using namespace bench;

void fork_exit_wait(u64 n) {
    for (u64 i = 0; i < n; ++i) {
        pid_t pid = fork_or_die();
        if (pid == 0)
            _exit(0);
        reap(pid);
    }
}

// --- the benchmarks ---------------------------------------------------------

void bench_null_syscall(u64 iters) {
    measure("null_syscall", iters, [](u64 n) {
        for (u64 i = 0; i < n; ++i)
            syscall(SYS_getpid);
    });
}

void bench_fork_exit_wait(u64 iters) { measure("fork_exit_wait", iters, fork_exit_wait); }

// Returns the child's wait status.
int fork_exec_once() {
    pid_t pid = fork_or_die();
    if (pid == 0) {
        char arg0[] = "true";
        char* argv[] = {arg0, nullptr};
        execve("/bin/true", argv, environ);
        _exit(127);
    }
    return reap(pid);
}

void bench_fork_exec_wait(u64 iters) {
    int status = fork_exec_once();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        skip("fork_exec_wait", "/bin/true did not exit with status 0");
        return;
    }
    measure("fork_exec_wait", iters, [](u64 n) {
        for (u64 i = 0; i < n; ++i)
            fork_exec_once();
    });
}

// A partner process that echoes each byte it reads until EOF; the parent
// writes to `to` and reads the echo from `from`.
struct PingPong {
    int to = -1, from = -1;
    pid_t partner = -1;

    void start() {
        int down[2], up[2];
        if (pipe(down) < 0 || pipe(up) < 0)
            die("pipe");
        partner = fork_or_die();
        if (partner == 0) {
            close(down[1]);
            close(up[0]);
            char c;
            while (read(down[0], &c, 1) == 1)
                if (write(up[1], &c, 1) != 1)
                    _exit(1);
            _exit(0);
        }
        close(down[0]);
        close(up[1]);
        to = down[1];
        from = up[0];
    }

    void round_trips(u64 n) {
        char c = 'x';
        for (u64 i = 0; i < n; ++i) {
            if (write(to, &c, 1) != 1)
                die("pingpong write");
            if (read(from, &c, 1) != 1)
                die("pingpong read");
        }
    }

    void stop() {
        close(to);
        close(from);
        reap(partner);
    }
};

void run_pingpong(const std::string& name, u64 iters) {
    PingPong pp;
    pp.start();
    measure(name, iters, [&](u64 n) { pp.round_trips(n); });
    pp.stop();
}

void bench_pipe_pingpong(u64 iters) { run_pingpong("pipe_pingpong", iters); }

void bench_brk_grow_shrink(u64 iters) {
    measure("brk_grow_shrink", iters, [](u64 n) {
        for (u64 i = 0; i < n; ++i) {
            auto* p = static_cast<volatile char*>(sbrk(4096));
            if (p == reinterpret_cast<void*>(-1))
                die("sbrk +4096");
            *p = 1;
            if (sbrk(-4096) == reinterpret_cast<void*>(-1))
                die("sbrk -4096");
        }
    });
}

void bench_fork_heap(u64 mib, u64 iters) {
    std::size_t size = mib << 20;
    void* heap = std::malloc(size);
    if (heap == nullptr)
        die("malloc");
    std::memset(heap, 0x5a, size);
    measure("fork_heap_" + std::to_string(mib) + "m", iters, fork_exit_wait);
    std::free(heap);
}

void raise_process_limit();

void bench_sleepers(u64 count, u64 iters) {
    if (count > 256)
        raise_process_limit();
    int idle[2];
    if (pipe(idle) < 0)
        die("pipe");
    std::vector<pid_t> sleepers;
    sleepers.reserve(count);
    for (u64 i = 0; i < count; ++i) {
        pid_t pid = fork_or_die();
        if (pid == 0) {
            close(idle[1]);
            char c;
            (void)!read(idle[0], &c, 1); // nobody writes: blocks until killed
            _exit(0);
        }
        sleepers.push_back(pid);
    }
    run_pingpong("sleepers_" + std::to_string(count), iters);
    for (pid_t pid : sleepers)
        kill(pid, SIGKILL);
    for (pid_t pid : sleepers)
        reap(pid);
    close(idle[0]);
    close(idle[1]);
}

// --- scale runs -------------------------------------------------------------

// Prints a figure in the benchmark line format ("name value count 0") so
// that tests/tools/bench.py collects it like the others.
void figure(const std::string& name, u64 value, u64 count)
{
    std::printf("%s %llu %llu 0\n", name.c_str(), (unsigned long long)value, (unsigned long long)count);
    std::fflush(stdout);
    g_results.push_back({name, false, value});
}

u64 process_count()
{
    struct sysinfo si {};
    if (sysinfo(&si) != 0)
        die("sysinfo");
    return si.procs;
}

u64 free_ram_bytes()
{
    struct sysinfo si {};
    if (sysinfo(&si) != 0)
        die("sysinfo");
    return u64(si.freeram) * si.mem_unit;
}

// The scale runs need more processes than RLIMIT_NPROC's default (Linux's:
// half of RAM / 128 KiB). Raising the hard limit needs uid 0 (or
// CAP_SYS_RESOURCE), which bench has when it runs as init.
void raise_process_limit()
{
    rlimit unlimited {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_NPROC, &unlimited) != 0)
        die("setrlimit(RLIMIT_NPROC)");
}

// Forks children that block reading a pipe nobody writes, until fork fails
// or `max` are alive, keeping `reserve` bytes free so that the parent's own
// copy-on-write faults (its stack and data pages are shared with the last
// child) can still be served. Each child writes a byte to `ready` on its
// way into read(2), and the parent waits for it before the next fork: so
// every child has taken its copy-on-write faults before free memory is
// checked again, and all of its memory is counted. The parent keeps no
// list of pids (storing one would dirty a page per fork that every child
// then keeps a copy of, inflating the figure with the benchmark's own
// bookkeeping); waitpid(-1) reaps them. Returns how many it forked.
u64 fork_sleepers(u64 max, u64 reserve, int idle[2], std::string& stopped_by)
{
    int ready[2];
    if (pipe(ready) < 0)
        die("pipe");
    u64 count = 0;
    stopped_by = "the maximum asked for";
    while (count < max) {
        if (free_ram_bytes() < reserve) {
            stopped_by = "memory (the reserve kept for the parent)";
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            stopped_by = std::string("fork: ") + std::strerror(errno);
            break;
        }
        if (pid == 0) {
            close(idle[1]);
            close(ready[0]);
            char c = 'r';
            (void)!write(ready[1], &c, 1);
            close(ready[1]);
            (void)!read(idle[0], &c, 1); // blocks until the parent closes idle[1]
            _exit(0);
        }
        ++count;
        char c;
        if (read(ready[0], &c, 1) != 1)
            die("capacity: a child died before it got going");
    }
    close(ready[0]);
    close(ready[1]);
    return count;
}

// capacity: processes alive at once, and the memory each costs (every
// byte: control block, kernel stack, page tables, private pages, slab
// rounding), from sysinfo(2)'s free RAM before and after. (Not from
// /proc/meminfo: opening anything under /proc brings the directory in line
// with the process table, which makes /proc inodes for every process, and
// that would count against the sleepers.)
void bench_capacity(u64 max)
{
    raise_process_limit();
    constexpr u64 reserve = 256 * 1024;
    int idle[2];
    if (pipe(idle) < 0)
        die("pipe");
    // Warm up: children forked and reaped, so that the parent's pages that
    // fork makes copy-on-write are private copies already, and g_results
    // has room (no heap growth while memory is short).
    fork_exit_wait(2);
    g_results.reserve(16);
    u64 before = free_ram_bytes();
    std::string stopped_by;
    stopped_by.reserve(128);
    u64 i0 = read_instret();
    u64 n = fork_sleepers(max, reserve, idle, stopped_by);
    u64 i1 = read_instret();
    u64 during = free_ram_bytes();
    u64 procs_during = process_count();
    if (n == 0)
        die("capacity: no child");
    std::printf("capacity: %llu sleeping processes (stopped by %s); %llu processes in all\n", (unsigned long long)n,
                stopped_by.c_str(), (unsigned long long)procs_during);
    std::printf("capacity: free RAM %llu kB before, %llu kB with them\n", (unsigned long long)(before >> 10),
                (unsigned long long)(during >> 10));
    figure("capacity", n, n);
    figure("capacity_bytes_per_process", (before - during) / n, n);
    figure("capacity_fork_instructions", (i1 - i0) / n, n);
    // EOF on the idle pipe ends them all; every page must come back.
    close(idle[1]);
    u64 reaped = 0;
    int status;
    while (waitpid(-1, &status, 0) > 0)
        ++reaped;
    if (reaped != n)
        std::fprintf(stderr, "bench: reaped %llu of %llu\n", (unsigned long long)reaped, (unsigned long long)n);
    close(idle[0]);
    u64 after = free_ram_bytes();
    std::printf("capacity: after reaping them: free RAM %llu kB, %llu processes\n", (unsigned long long)(after >> 10),
                (unsigned long long)process_count());
    figure("capacity_lost_kib", after < before ? (before - after) >> 10 : 0, n);
}

// The body of a fork bomb: every process forks forever; a fork refused
// (RLIMIT_NPROC: EAGAIN, or no memory) is simply tried again after
// yielding. `announce` is set in the first process only.
[[noreturn]] void fork_forever(bool announce)
{
    pid_t root = getpid();
    bool reported = false;
    u64 forks = 0;
    for (;;) {
        pid_t pid = fork();
        if (pid == 0)
            continue; // the child bombs too
        if (pid > 0) {
            ++forks;
            continue;
        }
        if (announce && !reported && getpid() == root) {
            std::printf("forkbomb: fork failed after %llu forks: %s; %llu processes\n", (unsigned long long)forks,
                        std::strerror(errno), (unsigned long long)process_count());
            std::fflush(stdout);
            reported = true;
        }
        sched_yield();
    }
}

// forkbomb: the classic, from the shell: `bench forkbomb`, ^C ends it.
void bench_forkbomb()
{
    std::printf("forkbomb: pid %d; RLIMIT_NPROC bounds it; ^C ends it\n", int(getpid()));
    std::fflush(stdout);
    fork_forever(true);
}

// forkbomb_recovery: a bomb in its own process group until the process
// count stops growing (the limit bites), then SIGINT to the group; counts
// the instructions until every bomb process is gone (reaped by us as init,
// or by init otherwise) and compares free RAM (sysinfo: /proc would make
// inodes for every bomb process) with before.
void bench_forkbomb_recovery()
{
    g_results.reserve(16);
    u64 before = free_ram_bytes();
    u64 base = process_count();
    pid_t leader = fork_or_die();
    if (leader == 0) {
        setpgid(0, 0);
        fork_forever(false);
    }
    setpgid(leader, leader);
    // Wait until the count has not grown for a while.
    u64 peak = 0, stable = 0;
    while (stable < 20) {
        timespec tick {0, 10 * 1000 * 1000};
        nanosleep(&tick, nullptr);
        u64 now = process_count();
        stable = now > peak ? 0 : stable + 1;
        peak = now > peak ? now : peak;
    }
    rlimit limit {};
    getrlimit(RLIMIT_NPROC, &limit);
    std::printf("forkbomb_recovery: %llu processes (RLIMIT_NPROC %llu), free RAM %llu kB\n",
                (unsigned long long)peak, (unsigned long long)limit.rlim_cur,
                (unsigned long long)(free_ram_bytes() >> 10));
    u64 t0 = read_time(), i0 = read_instret();
    if (kill(-leader, SIGINT) != 0)
        die("kill");
    for (;;) {
        int status;
        while (waitpid(-1, &status, WNOHANG) > 0) {
        }
        if (process_count() <= base)
            break;
        sched_yield();
    }
    u64 i1 = read_instret(), t1 = read_time();
    u64 after = free_ram_bytes();
    u64 ms = u64(double(t1 - t0) * 1e3 / g_time_hz);
    std::printf("forkbomb_recovery: all gone in %llu instructions (%llu ms); free RAM %llu kB before, %llu kB after\n",
                (unsigned long long)(i1 - i0), (unsigned long long)ms, (unsigned long long)(before >> 10),
                (unsigned long long)(after >> 10));
    figure("forkbomb_processes", peak - base, peak - base);
    figure("forkbomb_recovery_instructions", i1 - i0, peak - base);
    figure("forkbomb_lost_kib", after < before ? (before - after) >> 10 : 0, peak - base);
}

struct Bench {
    const char* name;
    u64 default_iters;
    void (*run)(u64 iters);
};

constexpr Bench k_benches[] = {
    {"null_syscall", 100000, bench_null_syscall},
    {"fork_exit_wait", 1000, bench_fork_exit_wait},
    {"fork_exec_wait", 200, bench_fork_exec_wait},
    {"pipe_pingpong", 10000, bench_pipe_pingpong},
    {"brk_grow_shrink", 1000, bench_brk_grow_shrink},
    {"thread_create_join", 1000, bench_thread_create_join},
    {"posix_spawn_wait", 200, bench_posix_spawn_wait},
    {"futex_pingpong", 10000, bench_futex_pingpong},
    {"rt_wakeup", 1000, bench_rt_wakeup},
    {"mutex_uncontended", 100000, bench_mutex_uncontended},
    {"mutex_contended", 100000, bench_mutex_contended},
    {"fork_heap_1m", 20, [](u64 n) { bench_fork_heap(1, n); }},
    {"fork_heap_16m", 20, [](u64 n) { bench_fork_heap(16, n); }},
    {"fork_heap_64m", 5, [](u64 n) { bench_fork_heap(64, n); }},
    {"sleepers_0", 2000, [](u64 n) { bench_sleepers(0, n); }},
    {"sleepers_64", 2000, [](u64 n) { bench_sleepers(64, n); }},
    {"sleepers_1024", 2000, [](u64 n) { bench_sleepers(1024, n); }},
    {"sleepers_4096", 2000, [](u64 n) { bench_sleepers(4096, n); }},
};

u64 parse_count(const char* s, bool allow_zero = false) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || (v == 0 && !allow_zero)) {
        std::fprintf(stderr, "bench: bad count '%s'\n", s);
        std::exit(2);
    }
    return v;
}

void print_json() {
    std::printf("BENCH-JSON {");
    bool first = true;
    for (const Result& r : g_results) {
        if (r.skipped)
            continue;
        std::printf("%s\"%s\": %llu", first ? "" : ", ", r.name.c_str(),
                    (unsigned long long)r.instructions_per_op);
        first = false;
    }
    std::printf("}\n");
}

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: bench [all|NAME [ITERATIONS]]\n"
                         "       bench sleepers N [ITERATIONS]\n"
                         "       bench capacity [MAX]\n"
                         "       bench forkbomb | forkbomb_recovery\n"
                         "       bench throughput PROCESSES ROUNDS REPETITIONS\n"
                         "       bench contention getpid|pipe|fork|brk WORKERS ROUNDS REPETITIONS\n"
                         "       bench --cpu C ARGS...\nbenchmarks:");
    for (const Bench& b : k_benches)
        std::fprintf(stderr, " %s", b.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    // Children must not flush a copy of our buffered output.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    calibrate_time();
    if (argc > 2 && std::string_view(argv[1]) == "--cpu") {
        pin_to_cpu(int(parse_count(argv[2], true)));
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    std::string_view which = argc > 1 ? argv[1] : "all";

    if (which == "capacity") {
        if (argc > 3)
            usage();
        bench_capacity(argc > 2 ? parse_count(argv[2]) : 1ull << 20);
    } else if (which == "forkbomb" && argc == 2) {
        bench_forkbomb();
    } else if (which == "forkbomb_recovery" && argc == 2) {
        bench_forkbomb_recovery();
    } else if (which == "throughput") {
        if (argc != 5)
            usage();
        bench_throughput(parse_count(argv[2]), parse_count(argv[3]), parse_count(argv[4]));
    } else if (which == "contention") {
        if (argc != 6)
            usage();
        bench_contention(argv[2], parse_count(argv[3]), parse_count(argv[4]), parse_count(argv[5]));
    } else if (which == "sleepers") {
        if (argc < 3 || argc > 4)
            usage();
        bench_sleepers(parse_count(argv[2], true), argc > 3 ? parse_count(argv[3]) : 2000);
    } else {
        if (argc > 3)
            usage();
        bool found = false;
        for (const Bench& b : k_benches) {
            if (which != "all" && which != b.name)
                continue;
            found = true;
            b.run(argc > 2 ? parse_count(argv[2]) : b.default_iters);
        }
        if (!found)
            usage();
    }
    print_json();
    return 0;
}
