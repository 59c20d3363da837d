// The benchmarks of the thread work: thread creation, futexes between
// threads, std::mutex without and with contention, and posix_spawn (glibc
// spawns with clone(CLONE_VM | CLONE_VFORK), or clone3).
//
//   thread_create_join   pthread_create + pthread_join of a thread that
//                        returns at once
//   futex_pingpong       two threads taking turns on two futex words (raw
//                        FUTEX_WAIT / FUTEX_WAKE, private): one round trip
//                        = one op, four system calls and two switches,
//                        like pipe_pingpong
//   mutex_uncontended    std::mutex lock + unlock in one thread
//   mutex_contended      two threads locking one std::mutex around a
//                        counter increment: per lock + unlock, both
//                        threads' together
//   posix_spawn_wait     posix_spawn /bin/true + waitpid (fork_exec_wait
//                        runs the same program)
//
// A kernel without threads refuses clone's thread flags, and one with
// half of them may hang a thread or kill the process. So each benchmark
// that needs threads first runs its logic a few times in a child process
// (the probe, given two seconds); if that fails, the benchmark prints
// "NAME skipped: why" and the others still run.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <linux/futex.h>
#include <mutex>
#include <pthread.h>
#include <spawn.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.hpp"

extern char** environ;

namespace bench {

namespace {

using u32 = std::uint32_t;

static_assert(sizeof(std::atomic<u32>) == sizeof(u32) && std::atomic<u32>::is_always_lock_free,
              "a futex word is a plain 32-bit word");

// What went wrong, or "" for nothing.
using Outcome = std::string;

Outcome error(const char* what, int code) { return std::string(what) + ": " + std::strerror(code); }

// Outside a probe a failure is fatal: no figure, so bench.py reports it.
void check(const Outcome& outcome) {
    if (!outcome.empty()) {
        std::fprintf(stderr, "bench: %s\n", outcome.c_str());
        std::exit(1);
    }
}

constexpr u64 k_probe_timeout_ns = 2'000'000'000;

u64 monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

// Runs attempt() in a child process. Returns "" if it succeeded and the
// child exited with status 0 within the timeout, else why not.
Outcome probe(Outcome (*attempt)()) {
    int why_pipe[2];
    if (pipe(why_pipe) < 0)
        die("pipe");
    pid_t pid = fork_or_die();
    if (pid == 0) {
        close(why_pipe[0]);
        Outcome why = attempt();
        if (!why.empty())
            (void)!write(why_pipe[1], why.data(), why.size());
        _exit(why.empty() ? 0 : 1);
    }
    close(why_pipe[1]);
    u64 deadline = monotonic_ns() + k_probe_timeout_ns;
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            die("waitpid");
        if (monotonic_ns() > deadline) {
            kill(pid, SIGKILL);
            reap(pid);
            close(why_pipe[0]);
            return "the probe did not finish in 2 s (a thread that never ran or was never woken?)";
        }
        timespec pause{0, 1000000};
        nanosleep(&pause, nullptr);
    }
    char why[256];
    ssize_t len = read(why_pipe[0], why, sizeof why);
    close(why_pipe[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return {};
    if (len > 0)
        return std::string(why, std::size_t(len));
    if (WIFSIGNALED(status))
        return "the probe was killed by signal " + std::to_string(WTERMSIG(status));
    return "the probe exited with status " + std::to_string(WEXITSTATUS(status)) + " (its message is above)";
}

// Probes, then either measures (what run() does) or says why not.
template <typename Run>
void probe_then_run(const char* name, Outcome (*attempt)(), Run run) {
    Outcome why = probe(attempt);
    if (!why.empty()) {
        skip(name, why);
        return;
    }
    run();
}

// --- futex words ------------------------------------------------------------

void futex_wait(std::atomic<u32>& word, u32 expected) {
    if (syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expected, nullptr, nullptr, 0) < 0 &&
        errno != EAGAIN && errno != EINTR)
        die("futex wait");
}

void futex_wake(std::atomic<u32>& word) {
    if (syscall(SYS_futex, &word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr, nullptr, 0) < 0)
        die("futex wake");
}

// --- thread_create_join -----------------------------------------------------

void* return_arg(void* arg) { return arg; }

// The thread returns its argument: getting it back from pthread_join shows
// that it ran, in this address space.
Outcome create_join(u64 n) {
    char token;
    for (u64 i = 0; i < n; ++i) {
        pthread_t thread;
        if (int e = pthread_create(&thread, nullptr, return_arg, &token))
            return error("pthread_create", e);
        void* back = nullptr;
        if (int e = pthread_join(thread, &back))
            return error("pthread_join", e);
        if (back != &token)
            return "pthread_join: not the value the thread returned";
    }
    return {};
}

// --- futex_pingpong ---------------------------------------------------------

// The main thread sets ping and wakes the partner, then sleeps until pong
// is set; the partner sleeps until ping is set, clears it, sets pong and
// wakes the main thread, which clears pong. Each side sleeps on its word
// until the other sets it, so on one hart every round trip is two
// FUTEX_WAKE, two FUTEX_WAIT and two switches.
struct FutexPingPong {
    std::atomic<u32> ping{0}, pong{0};
    std::atomic<bool> stopping{false};
    pthread_t partner{};

    static void* partner_main(void* arg) {
        auto& pp = *static_cast<FutexPingPong*>(arg);
        for (;;) {
            while (pp.ping.load(std::memory_order_acquire) == 0)
                futex_wait(pp.ping, 0);
            pp.ping.store(0, std::memory_order_relaxed);
            if (pp.stopping.load(std::memory_order_relaxed))
                return nullptr;
            pp.pong.store(1, std::memory_order_release);
            futex_wake(pp.pong);
        }
    }

    Outcome start() {
        if (int e = pthread_create(&partner, nullptr, partner_main, this))
            return error("pthread_create", e);
        return {};
    }

    void round_trips(u64 n) {
        for (u64 i = 0; i < n; ++i) {
            ping.store(1, std::memory_order_release);
            futex_wake(ping);
            while (pong.load(std::memory_order_acquire) == 0)
                futex_wait(pong, 0);
            pong.store(0, std::memory_order_relaxed);
        }
    }

    Outcome stop() {
        stopping.store(true, std::memory_order_relaxed);
        ping.store(1, std::memory_order_release);
        futex_wake(ping);
        if (int e = pthread_join(partner, nullptr))
            return error("pthread_join", e);
        return {};
    }
};

// --- mutex_contended --------------------------------------------------------

// A helper thread waits (on a futex) for a round to start, does its share
// of lock/unlock pairs while the main thread does the rest, and says
// (another futex) when it is done. The counter they both increment under
// the mutex must come out exact.
struct ContendedMutex {
    std::mutex mutex;
    u64 counter = 0; // guarded by mutex
    u64 expected = 0;
    u64 helper_share = 0;       // set before round is bumped
    std::atomic<u32> round{0};  // bumped by the main thread: go
    std::atomic<u32> done{0};   // set by the helper: its share is done
    std::atomic<bool> stopping{false};
    pthread_t helper{};

    void hammer(u64 n) {
        for (u64 i = 0; i < n; ++i) {
            std::lock_guard<std::mutex> guard(mutex);
            ++counter;
        }
    }

    static void* helper_main(void* arg) {
        auto& c = *static_cast<ContendedMutex*>(arg);
        u32 seen = 0;
        for (;;) {
            u32 now;
            while ((now = c.round.load(std::memory_order_acquire)) == seen)
                futex_wait(c.round, seen);
            seen = now;
            if (c.stopping.load(std::memory_order_relaxed))
                return nullptr;
            c.hammer(c.helper_share);
            c.done.store(1, std::memory_order_release);
            futex_wake(c.done);
        }
    }

    Outcome start() {
        if (int e = pthread_create(&helper, nullptr, helper_main, this))
            return error("pthread_create", e);
        return {};
    }

    // n lock/unlock pairs in all, half of them on each thread.
    void run(u64 n) {
        helper_share = n / 2;
        expected += n;
        done.store(0, std::memory_order_relaxed);
        round.fetch_add(1, std::memory_order_release);
        futex_wake(round);
        hammer(n - n / 2);
        while (done.load(std::memory_order_acquire) == 0)
            futex_wait(done, 0);
    }

    Outcome stop() {
        stopping.store(true, std::memory_order_relaxed);
        round.fetch_add(1, std::memory_order_release);
        futex_wake(round);
        if (int e = pthread_join(helper, nullptr))
            return error("pthread_join", e);
        std::lock_guard<std::mutex> guard(mutex);
        if (counter != expected)
            return "mutex_contended: the counter is " + std::to_string(counter) + ", expected " +
                   std::to_string(expected);
        return {};
    }
};

// --- posix_spawn_wait -------------------------------------------------------

Outcome spawn_true_wait() {
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    pid_t pid;
    if (int e = posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ))
        return error("posix_spawn /bin/true", e);
    int status = reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "/bin/true did not exit with status 0";
    return {};
}

// --- the probes: a few rounds of each ---------------------------------------

Outcome probe_create_join() { return create_join(3); }

Outcome probe_futex_pingpong() {
    FutexPingPong pp;
    Outcome why = pp.start();
    if (!why.empty())
        return why;
    pp.round_trips(3);
    return pp.stop();
}

Outcome probe_mutex_contended() {
    ContendedMutex c;
    Outcome why = c.start();
    if (!why.empty())
        return why;
    c.run(100);
    c.run(100);
    return c.stop();
}

Outcome probe_spawn() {
    for (int i = 0; i < 3; ++i) {
        Outcome why = spawn_true_wait();
        if (!why.empty())
            return why;
    }
    return {};
}

} // namespace

void bench_thread_create_join(u64 iters) {
    probe_then_run("thread_create_join", probe_create_join, [&] {
        measure("thread_create_join", iters, [](u64 n) { check(create_join(n)); });
    });
}

void bench_futex_pingpong(u64 iters) {
    probe_then_run("futex_pingpong", probe_futex_pingpong, [&] {
        FutexPingPong pp;
        check(pp.start());
        measure("futex_pingpong", iters, [&](u64 n) { pp.round_trips(n); });
        check(pp.stop());
    });
}

// No probe: it needs no thread (glibc's mutex is in libc, its fast path a
// compare-and-swap, with no system call unless a waiter is recorded).
void bench_mutex_uncontended(u64 iters) {
    std::mutex mutex;
    measure("mutex_uncontended", iters, [&](u64 n) {
        for (u64 i = 0; i < n; ++i) {
            mutex.lock();
            mutex.unlock();
        }
    });
}

void bench_mutex_contended(u64 iters) {
    probe_then_run("mutex_contended", probe_mutex_contended, [&] {
        ContendedMutex c;
        check(c.start());
        measure("mutex_contended", iters, [&](u64 n) { c.run(n); });
        check(c.stop());
    });
}

void bench_posix_spawn_wait(u64 iters) {
    probe_then_run("posix_spawn_wait", probe_spawn, [&] {
        measure("posix_spawn_wait", iters, [](u64 n) {
            for (u64 i = 0; i < n; ++i)
                check(spawn_true_wait());
        });
    });
}

} // namespace bench
