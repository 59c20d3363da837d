// What the benchmark files share: the counters, the result lines, and a
// few process helpers. bench.cpp has the process and scale benchmarks and
// main(); threads.cpp has the ones that need the kernel's thread support;
// smp.cpp pins the benchmark to one CPU and has the throughput run.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace bench {

using u64 = std::uint64_t;
using i64 = std::int64_t;

// Instructions retired by this hart: exact under QEMU's -icount shift=0.
// Under qemu-user (the Linux reference runs) the CSR read does not trap;
// QEMU answers with a host tick count, so the figures there are not
// instructions, but every benchmark still runs its logic and checks.
inline u64 read_instret() {
    u64 v;
    asm volatile("rdinstret %0" : "=r"(v));
    return v;
}

inline u64 read_time() {
    u64 v;
    asm volatile("rdtime %0" : "=r"(v));
    return v;
}

[[noreturn]] void die(const char* what);

// Prints "name instructions_per_op iterations ns_per_op" and keeps the
// figure for the closing BENCH-JSON line.
void report(const std::string& name, u64 instructions, u64 iters, u64 ticks);

// Prints "name skipped: why": the benchmark cannot run on this kernel (a
// feature it needs is missing). tests/tools/bench.py tells this apart from
// a benchmark that crashed or hung, which prints nothing.
void skip(const std::string& name, const std::string& why);

// Runs body(warm) untimed, then body(iters) between counter reads, and
// reports the result.
template <typename Body>
void measure(const std::string& name, u64 iters, Body body) {
    if (iters == 0)
        iters = 1;
    u64 warm = iters / 10;
    if (warm < 1)
        warm = 1;
    if (warm > 1000)
        warm = 1000;
    body(warm);
    u64 t0 = read_time();
    u64 i0 = read_instret();
    body(iters);
    u64 i1 = read_instret();
    u64 t1 = read_time();
    report(name, i1 - i0, iters, t1 - t0);
}

// Waits for pid; returns its wait status.
int reap(pid_t pid);

pid_t fork_or_die();

// threads.cpp
void bench_thread_create_join(u64 iters);
void bench_futex_pingpong(u64 iters);
void bench_mutex_uncontended(u64 iters);
void bench_mutex_contended(u64 iters);
void bench_posix_spawn_wait(u64 iters);

// realtime.cpp
void bench_rt_wakeup(u64 iters);

// smp.cpp
// Allows this process (and what it forks) only `cpu`, and checks it moved.
void pin_to_cpu(int cpu);
void bench_throughput(u64 procs, u64 rounds, u64 reps);
void bench_contention(const std::string& kind, u64 workers, u64 rounds, u64 reps); // smp.cpp

} // namespace bench
