// The user side of the SMP benchmarks: pinning the benchmark to one CPU
// (so that a -smp 4 run measures the same work as a -smp 1 run, the
// other harts idle) and the throughput run (N CPU-bound processes spread
// over the harts against the same N on one hart).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bench/bench.hpp"

namespace bench {

namespace {

u64 monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

// Work with no memory traffic and no system call: what one hart does
// alone, whatever the others do. The result is returned so the compiler
// keeps the loop.
u64 spin_work(u64 rounds) {
    u64 x = 88172645463325252ull;
    for (u64 i = 0; i < rounds; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

// Runs `procs` children of `rounds` rounds each, every child allowed only
// the CPUs in `allowed`; returns the wall time until the last is reaped.
u64 run_spinners(u64 procs, u64 rounds, const cpu_set_t& allowed) {
    std::vector<pid_t> pids;
    u64 t0 = monotonic_ns();
    for (u64 i = 0; i < procs; ++i) {
        pid_t pid = fork_or_die();
        if (pid == 0) {
            if (sched_setaffinity(0, sizeof(allowed), &allowed) != 0)
                _exit(3);
            _exit(spin_work(rounds) == 0 ? 2 : 0);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = reap(pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "bench: spinner exited with status %d\n", status);
            std::exit(1);
        }
    }
    return monotonic_ns() - t0;
}

// What one contention worker does `rounds` times: system calls that take
// the kernel's shared locks, and nothing else.
void contention_work(const std::string& kind, u64 rounds) {
    if (kind == "getpid") {
        for (u64 i = 0; i < rounds; ++i)
            (void)getpid();
    } else if (kind == "pipe") {
        // A ping-pong pair, both on this worker's CPU: every round trip is
        // two writes, two reads, two sleeps and two wake-ups.
        int there[2], back[2];
        if (pipe(there) != 0 || pipe(back) != 0)
            _exit(4);
        pid_t partner = fork();
        if (partner < 0)
            _exit(5);
        char c = 0;
        if (partner == 0) {
            for (u64 i = 0; i < rounds; ++i)
                if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
                    _exit(6);
            _exit(0);
        }
        for (u64 i = 0; i < rounds; ++i)
            if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
                _exit(7);
        int status = 0;
        if (waitpid(partner, &status, 0) != partner || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            _exit(8);
    } else if (kind == "fork") {
        for (u64 i = 0; i < rounds; ++i) {
            pid_t pid = fork();
            if (pid < 0)
                _exit(9);
            if (pid == 0)
                _exit(0);
            int status = 0;
            if (waitpid(pid, &status, 0) != pid)
                _exit(10);
        }
    } else if (kind == "brk") {
        char* base = static_cast<char*>(sbrk(0));
        for (u64 i = 0; i < rounds; ++i) {
            if (brk(base + 4096) != 0)
                _exit(11);
            base[0] = char(i); // fault the page in
            if (brk(base) != 0)
                _exit(12);
        }
    } else {
        _exit(13);
    }
}

// Runs `workers` children of `kind`, worker i pinned to CPU cpu_of(i);
// returns the wall time until the last is reaped.
template <typename CpuOf> u64 run_contention(const std::string& kind, u64 workers, u64 rounds, CpuOf cpu_of) {
    std::vector<pid_t> pids;
    u64 t0 = monotonic_ns();
    for (u64 i = 0; i < workers; ++i) {
        pid_t pid = fork_or_die();
        if (pid == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu_of(i), &one);
            if (sched_setaffinity(0, sizeof(one), &one) != 0)
                _exit(3);
            contention_work(kind, rounds);
            _exit(0);
        }
        pids.push_back(pid);
    }
    for (pid_t pid : pids) {
        int status = reap(pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "bench: contention worker (%s) exited with status %d\n", kind.c_str(), status);
            std::exit(1);
        }
    }
    return monotonic_ns() - t0;
}

// /proc/lock_stat as {class name: (contentions, wait time in us)}; empty
// where the kernel has no such file (Linux without CONFIG_LOCK_STAT).
std::map<std::string, std::pair<u64, u64>> lock_stat() {
    std::map<std::string, std::pair<u64, u64>> stat;
    std::ifstream in("/proc/lock_stat");
    std::string line;
    std::getline(in, line); // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        u64 contentions = 0, wait_us = 0;
        if (fields >> name >> contentions >> wait_us)
            stat[name] = {contentions, wait_us};
    }
    return stat;
}

} // namespace

// contention: for each repetition, `workers` workers of `kind` (getpid,
// pipe, fork, brk) all on CPU 0, then worker i on CPU i mod the CPUs
// online; prints "contention KIND REP one_cpu_ns all_cpus_ns
// speedup_x1000", then one "lock KIND NAME contentions wait_us" line per
// lock that was contended during the spread run (from /proc/lock_stat).
// Wall time: run it without -icount, as the throughput run.
void bench_contention(const std::string& kind, u64 workers, u64 rounds, u64 reps) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    std::printf("contention: %llu %s workers of %llu rounds, %ld cpus online\n", (unsigned long long)workers,
                kind.c_str(), (unsigned long long)rounds, cpus);
    std::fflush(stdout);
    run_contention(kind, workers, rounds / 10 + 1, [](u64) { return 0; }); // warm
    for (u64 r = 0; r < reps; ++r) {
        u64 serial = run_contention(kind, workers, rounds, [](u64) { return 0; });
        auto before = lock_stat();
        u64 parallel = run_contention(kind, workers, rounds, [cpus](u64 i) { return int(i % u64(cpus)); });
        auto after = lock_stat();
        std::printf("contention %s %llu %llu %llu %llu\n", kind.c_str(), (unsigned long long)r,
                    (unsigned long long)serial, (unsigned long long)parallel,
                    (unsigned long long)(serial * 1000 / (parallel ? parallel : 1)));
        for (const auto& [name, now] : after) {
            auto was = before.count(name) ? before[name] : std::pair<u64, u64>{0, 0};
            if (now.first > was.first)
                std::printf("lock %s %s %llu %llu\n", kind.c_str(), name.c_str(),
                            (unsigned long long)(now.first - was.first), (unsigned long long)(now.second - was.second));
        }
        std::fflush(stdout);
    }
}

void pin_to_cpu(int cpu) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0)
        die("sched_setaffinity");
    // The affinity must hold before the first benchmark: a move happens
    // at the next switch, so give it one.
    sched_yield();
    if (sched_getcpu() != cpu) {
        std::fprintf(stderr, "bench: pinned to cpu %d but running on %d\n", cpu, sched_getcpu());
        std::exit(1);
    }
    std::printf("pinned to cpu %d of %ld\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    std::fflush(stdout);
}

// throughput: for each repetition, `procs` spinners on CPU 0 alone, then
// the same spinners free to use every CPU; prints one line per
// repetition, "throughput REP one_cpu_ns all_cpus_ns speedup_x1000".
// Wall time, not instructions: run it without -icount, where QEMU gives
// every hart a host thread (tests/tools/bench.py).
void bench_throughput(u64 procs, u64 rounds, u64 reps) {
    cpu_set_t one, all;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CPU_ZERO(&all);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < cpus && i < CPU_SETSIZE; ++i)
        CPU_SET(int(i), &all);
    std::printf("throughput: %llu processes of %llu rounds, %ld cpus online\n", (unsigned long long)procs,
                (unsigned long long)rounds, cpus);
    std::fflush(stdout);
    run_spinners(procs, rounds / 10 + 1, all); // warm: page cache, first faults
    for (u64 r = 0; r < reps; ++r) {
        u64 serial = run_spinners(procs, rounds, one);
        u64 parallel = run_spinners(procs, rounds, all);
        std::printf("throughput %llu %llu %llu %llu\n", (unsigned long long)r, (unsigned long long)serial,
                    (unsigned long long)parallel, (unsigned long long)(serial * 1000 / (parallel ? parallel : 1)));
        std::fflush(stdout);
    }
}

} // namespace bench
