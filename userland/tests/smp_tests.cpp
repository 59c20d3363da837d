// The `smp` group: what more than one hart must give user space. Pinned
// CPU-bound processes and threads run at the same time (not time-shared),
// atomics and acquire/release work between harts, a page another hart
// reads is gone for it as soon as mprotect or munmap returns (the TLB
// shootdown), and -- in smp_tests_processes.cpp -- fork, exec, pipes,
// kill and affinity across harts.
//
// Each case uses N = min(4, usable harts) CPUs, or two, and says SKIP
// with the counts it saw when there are fewer (on a kernel that runs one
// hart, most do). Under the Linux reference (qemu-riscv64-static) the
// host's CPUs are the harts.
#include "smp_tests.h"

#include "groups.h"
#include "harness.h"

#include <atomic>
#include <csetjmp>
#include <csignal>
#include <ctime>
#include <memory>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace smp_tests {

std::vector<int> allowed_cpus()
{
    cpu_set_t mask;
    CPU_ZERO(&mask);
    std::vector<int> cpus;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0)
        return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &mask))
            cpus.push_back(cpu);
    return cpus;
}

std::vector<int> require_harts(ut::Test& t, int needed)
{
    std::vector<int> cpus = allowed_cpus();
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    const std::size_t allowed = cpus.size();
    if (online > 0 && cpus.size() > std::size_t(online))
        cpus.resize(std::size_t(online));
    if (cpus.size() > std::size_t(k_max_harts))
        cpus.resize(k_max_harts);
    if (int(cpus.size()) >= needed)
        return cpus;
    t.skip("needs " + std::to_string(needed) + " harts: sched_getaffinity allows " + std::to_string(allowed) +
           ", _SC_NPROCESSORS_ONLN is " + std::to_string(online));
    return {};
}

bool pin_to(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
}

int current_cpu() { return sched_getcpu(); }

void* shared_memory(std::size_t bytes)
{
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
}

std::int64_t monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::uint64_t burn(std::uint64_t x, int rounds)
{
    for (int i = 0; i < rounds; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        asm volatile("" : "+r"(x));
    }
    return x;
}

void yield() { sched_yield(); }

std::int64_t StartLine::arrive_and_wait(int parties)
{
    if (arrived.fetch_add(1) + 1 == parties)
        start_ns.store(monotonic_ns(), std::memory_order_release);
    if (!spin_until([&] { return start_ns.load(std::memory_order_acquire) != 0; }))
        return 0;
    return start_ns.load(std::memory_order_acquire);
}

} // namespace smp_tests

namespace {

using namespace ut;
using namespace smp_tests;

double cpu_clock_seconds(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// --- CPU-bound work on every hart at once ----------------------------------

constexpr double k_spin_window = 0.3; // seconds of CLOCK_MONOTONIC
constexpr double k_min_cpu_share = 0.6;
constexpr int k_spin_attempts = 3;

// What one pinned spinner saw. In shared memory for processes.
struct SpinReport {
    int cpu = -1;           // where it was pinned
    int setup_error = 0;    // errno of a failed sched_setaffinity; -1: the start never came
    long long iterations = 0;
    double cpu_seconds = 0; // its CPU clock from the start to the end of the window
    int samples = 0;        // sched_getcpu() calls while spinning
    int elsewhere = 0;      // ... that named another CPU
    int seen_elsewhere = -1; // the last such CPU
};

struct SpinShared {
    StartLine line;
    SpinReport reports[k_max_harts];
};

// Pins the caller to `cpu`, waits at the start line with the other
// `parties`, then spins until the window after the common start has gone
// by, counting iterations and asking sched_getcpu() now and then. `clock`
// is the caller's CPU clock (CLOCK_PROCESS_CPUTIME_ID for a process,
// CLOCK_THREAD_CPUTIME_ID for a thread).
void spin_pinned(SpinShared& shared, int index, int cpu, int parties, clockid_t clock)
{
    SpinReport& r = shared.reports[index];
    r.cpu = cpu;
    if (!pin_to(cpu))
        r.setup_error = errno;
    const std::int64_t start = shared.line.arrive_and_wait(parties);
    if (r.setup_error)
        return;
    if (start == 0) {
        r.setup_error = -1;
        return;
    }
    const double cpu_at_start = cpu_clock_seconds(clock);
    const std::int64_t end = start + std::int64_t(k_spin_window * 1e9);
    std::uint64_t x = std::uint64_t(index) + 1;
    long long iterations = 0;
    while (monotonic_ns() < end) {
        x = burn(x, 1000);
        if ((++iterations & 31) == 0) {
            const int now = current_cpu();
            ++r.samples;
            if (now != cpu) {
                ++r.elsewhere;
                r.seen_elsewhere = now;
            }
        }
    }
    r.cpu_seconds = cpu_clock_seconds(clock) - cpu_at_start;
    r.iterations = iterations + static_cast<long long>(x & 0);
}

// Checks one attempt's reports. Hard failures (a spinner ran elsewhere, a
// call failed) go to `t`; a spinner that got less CPU than concurrency
// gives only makes the attempt unconvincing, which the caller may retry
// (the Linux reference's host may be busy with other work).
bool spinners_ran_concurrently(Test& t, const SpinShared& shared, int count, const char* what)
{
    bool concurrent = true;
    std::string shares;
    for (int i = 0; i < count; ++i) {
        const SpinReport& r = shared.reports[i];
        if (r.setup_error > 0) {
            t.fail(__FILE_NAME__, __LINE__, std::string(what) + ": " + std::to_string(i) + ": sched_setaffinity to CPU " +
                                                std::to_string(r.cpu) + ": " + errno_name(r.setup_error));
            continue;
        }
        if (r.setup_error < 0) {
            t.fail(__FILE_NAME__, __LINE__, std::string(what) + ": " + std::to_string(i) + ": the others never arrived");
            continue;
        }
        EXPECT(r.samples > 0);
        if (r.elsewhere)
            t.fail(__FILE_NAME__, __LINE__,
                   std::string(what) + ": the one pinned to CPU " + std::to_string(r.cpu) + ": sched_getcpu() said " +
                       std::to_string(r.seen_elsewhere) + " in " + std::to_string(r.elsewhere) + " of " +
                       std::to_string(r.samples) + " samples");
        EXPECT(r.iterations > 0);
        const double share = r.cpu_seconds / k_spin_window;
        char text[96];
        std::snprintf(text, sizeof text, "%sCPU %d: %.0f%% (%lld iterations)", shares.empty() ? "" : ", ", r.cpu,
                      share * 100, r.iterations);
        shares += text;
        if (share < k_min_cpu_share)
            concurrent = false;
    }
    std::printf("# %d %s, CPU time in the %.1f s window: %s\n", count, what, k_spin_window, shares.c_str());
    return concurrent;
}

// 1. N processes, each pinned to its own hart, spin for the same 300 ms:
// each must get at least 60% of it as CPU time. Time-shared on fewer
// harts they would get 1/N at best.
void pinned_processes_run_concurrently(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    const int n = int(cpus.size());
    auto* shared = shared_object<SpinShared>();
    ASSERT(shared != nullptr);
    for (int attempt = 1; attempt <= k_spin_attempts; ++attempt) {
        new (shared) SpinShared{};
        std::vector<pid_t> children;
        for (int i = 0; i < n; ++i) {
            pid_t pid = spawn([&, i] {
                spin_pinned(*shared, i, cpus[i], n, CLOCK_PROCESS_CPUTIME_ID);
                return 0;
            });
            ASSERT(pid > 0);
            children.push_back(pid);
        }
        for (pid_t pid : children)
            EXPECT_EQ(describe_status(wait_for_at_most(pid, 15)), describe_status(0));
        if (t.failed())
            break;
        if (spinners_ran_concurrently(t, *shared, n, "processes") || t.failed())
            break;
        if (attempt == k_spin_attempts)
            t.fail(__FILE_NAME__, __LINE__,
                   "in each of " + std::to_string(k_spin_attempts) + " attempts a process got less than " +
                       std::to_string(int(k_min_cpu_share * 100)) + "% of the window as CPU time (see above)");
        else
            sleep_seconds(0.2); // past a burst of the Linux reference's host's other work
    }
    munmap(shared, sizeof *shared);
}

// 2. The same with N threads of one process, each pinned to its own hart
// (each thread's own CPU clock).
void pinned_threads_run_concurrently(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    const int n = int(cpus.size());
    for (int attempt = 1; attempt <= k_spin_attempts; ++attempt) {
        auto shared = std::make_unique<SpinShared>();
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&, i] { spin_pinned(*shared, i, cpus[i], n, CLOCK_THREAD_CPUTIME_ID); });
        for (auto& thread : threads)
            thread.join();
        if (spinners_ran_concurrently(t, *shared, n, "threads") || t.failed())
            break;
        if (attempt == k_spin_attempts)
            t.fail(__FILE_NAME__, __LINE__,
                   "in each of " + std::to_string(k_spin_attempts) + " attempts a thread got less than " +
                       std::to_string(int(k_min_cpu_share * 100)) + "% of the window as CPU time (see above)");
        else
            sleep_seconds(0.2); // past a burst of the Linux reference's host's other work
    }
}

// --- Atomics between harts ---------------------------------------------------

// 3. N processes on different harts increment counters in one shared
// anonymous page 100000 times each: one with an AMO (fetch_add: amoadd),
// one with a compare-and-swap loop (lr/sc). Both totals are exact.
void shared_counter_across_processes(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    constexpr long k_increments = 100000;
    const int n = int(cpus.size());
    struct Shared {
        StartLine line;
        std::atomic<std::uint64_t> amo;
        std::atomic<std::uint64_t> cas;
    };
    static_assert(std::atomic<std::uint64_t>::is_always_lock_free); // address-free across processes
    auto* shared = shared_object<Shared>();
    ASSERT(shared != nullptr);
    std::vector<pid_t> children;
    for (int i = 0; i < n; ++i) {
        pid_t pid = spawn([&, i] {
            CHILD_CHECK(pin_to(cpus[i]));
            CHILD_CHECK(shared->line.arrive_and_wait(n) != 0);
            for (long k = 0; k < k_increments; ++k) {
                shared->amo.fetch_add(1, std::memory_order_relaxed);
                std::uint64_t v = shared->cas.load(std::memory_order_relaxed);
                while (!shared->cas.compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
                }
            }
            CHILD_CHECK(current_cpu() == cpus[i]);
            return 0;
        });
        ASSERT(pid > 0);
        children.push_back(pid);
    }
    for (pid_t pid : children)
        EXPECT_EQ(describe_status(wait_for_at_most(pid, 25)), describe_status(0));
    EXPECT_EQ(shared->amo.load(), std::uint64_t(n) * k_increments);
    EXPECT_EQ(shared->cas.load(), std::uint64_t(n) * k_increments);
    munmap(shared, sizeof *shared);
}

// 4. Two threads on two harts pass a token back and forth through one
// atomic flag. Before each release store the sender writes plain data;
// after the acquire load that sees the token the receiver must find all
// of it. 5000 rounds, no mismatch. Each round needs both harts' QEMU
// threads to run: on a host with fewer free cores than harts a round can
// cost a host time slice, and 20000 rounds ran into the 30 s limit on a
// loaded 2-core host.
void acquire_release_hand_off(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    constexpr int k_rounds = 5000;
    constexpr int k_words = 8;
    struct alignas(64) Message {
        std::uint64_t words[k_words];
    };
    struct Side {
        int setup_error = 0;
        int mismatches = 0;
        int first_mismatch = -1;
        bool stuck = false;
    };
    Message message{};
    alignas(64) std::atomic<int> turn{0}; // whose turn: 0 or 1
    Side sides[2];
    auto pattern = [](int side, int round, int word) {
        return (std::uint64_t(side + 1) << 56) ^ (std::uint64_t(round) << 16) ^ std::uint64_t(word * 0x9e37);
    };
    auto player = [&](int me) {
        Side& s = sides[me];
        if (!pin_to(cpus[me])) {
            s.setup_error = errno;
            // The other side must still finish: play without pinning.
        }
        const int other = 1 - me;
        for (int round = 0; round < k_rounds; ++round) {
            if (!spin_until([&] { return turn.load(std::memory_order_acquire) == me; })) {
                s.stuck = true;
                return;
            }
            // What the other side wrote before handing over: its message
            // of this round (side 1 answers side 0's round), or of the
            // previous one (side 0 reads side 1's answer).
            const int expected_round = me == 1 ? round : round - 1;
            if (expected_round >= 0) {
                for (int w = 0; w < k_words; ++w)
                    if (message.words[w] != pattern(other, expected_round, w)) {
                        if (s.mismatches++ == 0)
                            s.first_mismatch = round;
                        break;
                    }
            }
            for (int w = 0; w < k_words; ++w)
                message.words[w] = pattern(me, round, w);
            turn.store(other, std::memory_order_release);
        }
    };
    std::thread second(player, 1);
    player(0);
    second.join();
    for (int me = 0; me < 2; ++me) {
        const Side& s = sides[me];
        EXPECT_EQ(errno_name(s.setup_error), errno_name(0));
        EXPECT(!s.stuck);
        if (s.mismatches)
            t.fail(__FILE_NAME__, __LINE__,
                   "thread on CPU " + std::to_string(cpus[me]) + ": " + std::to_string(s.mismatches) +
                       " rounds with stale data, the first in round " + std::to_string(s.first_mismatch));
    }
}

// --- The TLB shootdown -------------------------------------------------------

// 5. A thread pinned to one hart reads a page in a loop while the main
// thread, pinned to another, takes it away (mprotect PROT_NONE, or
// munmap) and then raises a flag. Whenever the reader sees the flag, its
// very next read of the page must fault: once the call has returned, no
// hart may still reach the page through a stale TLB entry.

sigjmp_buf g_reader_jump;
std::atomic<void*> g_fault_address{nullptr};

void reader_fault(int, siginfo_t* info, void*)
{
    g_fault_address.store(info->si_addr, std::memory_order_relaxed);
    siglongjmp(g_reader_jump, 1);
}

struct Shootdown {
    std::atomic<int> round{0};          // main -> reader: read the page of this round
    std::atomic<int*> page{nullptr};
    std::atomic<long> reads{0};         // reader: reads so far
    std::atomic<int> taken_away{0};     // main: the call of this round returned
    std::atomic<int> done{0};           // reader: finished this round
    std::atomic<int> violations{0};     // a read after the flag that did not fault
    std::atomic<int> wrong_values{0};
    std::atomic<int> wrong_addresses{0};
    std::atomic<int> faults_after_flag{0}, faults_before_flag{0};
    std::atomic<bool> saw_flag{false};
    std::atomic<bool> stop{false};       // main gave up: the reader returns
    int setup_error = 0;
};

void shootdown_reader(Shootdown& s, int cpu, int rounds)
{
    if (!pin_to(cpu))
        s.setup_error = errno;
    for (int r = 1; r <= rounds; ++r) {
        if (!spin_until([&] { return s.round.load(std::memory_order_acquire) == r || s.stop.load(); }) ||
            s.stop.load())
            return;
        volatile int* page = s.page.load(std::memory_order_relaxed);
        s.saw_flag.store(false, std::memory_order_relaxed);
        g_fault_address.store(nullptr, std::memory_order_relaxed);
        if (sigsetjmp(g_reader_jump, 1) == 0) {
            for (;;) {
                if (*page != r)
                    s.wrong_values.fetch_add(1, std::memory_order_relaxed);
                s.reads.fetch_add(1, std::memory_order_relaxed);
                if (s.stop.load(std::memory_order_relaxed))
                    return;
                if (s.taken_away.load(std::memory_order_acquire) == r) {
                    s.saw_flag.store(true, std::memory_order_relaxed);
                    (void)*page; // must fault
                    s.violations.fetch_add(1, std::memory_order_relaxed);
                    break;
                }
            }
        } else {
            if (g_fault_address.load(std::memory_order_relaxed) != const_cast<int*>(page))
                s.wrong_addresses.fetch_add(1, std::memory_order_relaxed);
            (s.saw_flag.load(std::memory_order_relaxed) ? s.faults_after_flag : s.faults_before_flag)
                .fetch_add(1, std::memory_order_relaxed);
        }
        s.done.store(r, std::memory_order_release);
    }
}

void page_taken_away_faults_on_other_hart(Test& t, bool unmap)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    constexpr int k_rounds = 300;
    constexpr long k_reads_first = 200; // the reader has the page in its TLB
    const long page_size = sysconf(_SC_PAGESIZE);
    struct sigaction action {}, old {};
    action.sa_sigaction = reader_fault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ASSERT_EQ(sigaction(SIGSEGV, &action, &old), 0);
    ASSERT(pin_to(cpus[0]));
    Shootdown s;
    std::thread reader(shootdown_reader, std::ref(s), cpus[1], k_rounds);
    int completed = 0;
    std::string problem;
    for (int r = 1; r <= k_rounds; ++r) {
        void* p = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            problem = "mmap: " + errno_name(errno);
            break;
        }
        *static_cast<int*>(p) = r;
        s.page.store(static_cast<int*>(p), std::memory_order_relaxed);
        const long reads_before = s.reads.load();
        s.round.store(r, std::memory_order_release);
        if (!spin_until([&] { return s.reads.load(std::memory_order_relaxed) >= reads_before + k_reads_first; })) {
            problem = "the reader did not read in round " + std::to_string(r);
            break;
        }
        if (unmap ? munmap(p, page_size) != 0 : mprotect(p, page_size, PROT_NONE) != 0) {
            problem = std::string(unmap ? "munmap: " : "mprotect: ") + errno_name(errno);
            break;
        }
        s.taken_away.store(r, std::memory_order_release);
        if (!spin_until([&] { return s.done.load(std::memory_order_acquire) == r; })) {
            problem = "the reader did not finish round " + std::to_string(r);
            break;
        }
        if (!unmap)
            munmap(p, page_size);
        completed = r;
    }
    if (completed != k_rounds) {
        s.stop.store(true); // the reader returns

        t.fail(__FILE_NAME__, __LINE__, problem);
    }
    reader.join();
    sigaction(SIGSEGV, &old, nullptr);
    EXPECT_EQ(errno_name(s.setup_error), errno_name(0));
    // Every round ends in a fault; a read after the flag that did not fault
    // is a stale TLB entry on the reader's hart.
    EXPECT_EQ(s.violations.load(), 0);
    EXPECT_EQ(s.faults_after_flag.load() + s.faults_before_flag.load(), completed);
    EXPECT_EQ(s.wrong_values.load(), 0);
    EXPECT_EQ(s.wrong_addresses.load(), 0);
}

void mprotect_none_faults_on_other_hart_at_once(Test& t) { page_taken_away_faults_on_other_hart(t, false); }
void munmap_faults_on_other_hart_at_once(Test& t) { page_taken_away_faults_on_other_hart(t, true); }

} // namespace

std::vector<ut::Case> smp_cases()
{
    std::vector<ut::Case> cases = {
        {"pinned_processes_run_concurrently", pinned_processes_run_concurrently},
        {"pinned_threads_run_concurrently", pinned_threads_run_concurrently},
        {"shared_counter_across_processes", shared_counter_across_processes},
        {"acquire_release_hand_off", acquire_release_hand_off},
        {"mprotect_none_faults_on_other_hart_at_once", mprotect_none_faults_on_other_hart_at_once},
        {"munmap_faults_on_other_hart_at_once", munmap_faults_on_other_hart_at_once},
    };
    for (const ut::Case& c : smp_process_cases())
        cases.push_back(c);
    for (const ut::Case& c : smp_wakeup_cases())
        cases.push_back(c);
    return cases;
}
