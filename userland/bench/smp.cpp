// The user side of the SMP benchmarks: pinning the benchmark to one CPU
// (so that a -smp 4 run measures the same work as a -smp 1 run, the
// other harts idle) and the throughput run (N CPU-bound processes spread
// over the harts against the same N on one hart).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sched.h>
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

} // namespace

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
