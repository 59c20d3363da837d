// rt_wakeup: instructions from a fair thread's FUTEX_WAKE of a SCHED_FIFO
// thread to the woken thread's first instruction in user mode, on one CPU
// where a fair CPU hog runs too (the waker reads the counter just before
// its call, the woken thread just after its wait returns). The real-time
// thread must take the CPU at once: the wake-up sets the waker's resched
// flag and the switch happens on its way back to user mode. Run in a
// child (the policies stay there), which sends the figure to the parent
// to report.
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <linux/futex.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "bench/bench.hpp"

namespace bench {

namespace {

struct Shared {
    std::atomic<unsigned> word{0};
    std::atomic<bool> stop{false};
    std::atomic<u64> woken_at{0};
    u64 waking_at = 0;
};

void wait_word(std::atomic<unsigned>& w, unsigned expected)
{
    syscall(SYS_futex, &w, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, nullptr, nullptr, 0);
}

struct Result {
    u64 instructions, rounds, ticks;
    int error;
};

Result run(u64 warm, u64 iters)
{
    Result r{0, 0, 0, 0};
    pin_to_cpu(0);
    Shared s;
    std::thread hog([&] {
        setpriority(PRIO_PROCESS, 0, 19);
        while (!s.stop.load(std::memory_order_relaxed))
            asm volatile("");
    });
    std::atomic<bool> ready{false}, failed{false};
    std::thread rt([&] {
        sched_param p{};
        p.sched_priority = 50;
        if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
            failed = true;
            ready = true;
            return;
        }
        ready = true;
        for (unsigned k = 1;; ++k) {
            while (s.word.load(std::memory_order_acquire) < k)
                wait_word(s.word, k - 1);
            s.woken_at.store(read_instret(), std::memory_order_release);
            if (s.stop.load(std::memory_order_relaxed))
                return;
        }
    });
    while (!ready)
        sched_yield();
    if (failed) {
        r.error = 1;
    } else {
        u64 t0 = 0;
        for (u64 k = 1; k <= warm + iters; ++k) {
            if (k == warm + 1)
                t0 = read_time();
            s.woken_at.store(0, std::memory_order_relaxed);
            u64 before = read_instret();
            s.word.store(unsigned(k), std::memory_order_release);
            syscall(SYS_futex, &s.word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr, nullptr, 0);
            // The woken thread ran before this line, or (a kernel without
            // wake-up preemption) runs at some later switch: wait for it.
            while (s.woken_at.load(std::memory_order_acquire) == 0)
                sched_yield();
            if (k > warm) {
                r.instructions += s.woken_at.load() - before;
                ++r.rounds;
            }
        }
        r.ticks = read_time() - t0;
    }
    s.stop = true;
    s.word.store(~0u);
    syscall(SYS_futex, &s.word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr, nullptr, 0);
    rt.join();
    hog.join();
    return r;
}

} // namespace

void bench_rt_wakeup(u64 iters)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");
    pid_t pid = fork_or_die();
    if (pid == 0) {
        Result r = run(iters / 10 ? iters / 10 : 1, iters);
        _exit(write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
    }
    Result r{};
    bool got = read(fds[0], &r, sizeof r) == sizeof r;
    reap(pid);
    close(fds[0]);
    close(fds[1]);
    if (!got)
        die("rt_wakeup: no result from the child");
    if (r.error) {
        skip("rt_wakeup", "sched_setscheduler(SCHED_FIFO) refused");
        return;
    }
    report("rt_wakeup", r.instructions, r.rounds, r.ticks);
}

} // namespace bench
