// futex(2) called directly: how many waiters a wake wakes, timeouts
// (relative, absolute on CLOCK_MONOTONIC and CLOCK_REALTIME), the value
// check, requeueing, FUTEX_WAKE_OP, and a futex shared by two processes.
// Everything glibc builds its locks on.
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"
#include "thread_tests.h"

#include <atomic>
#include <climits>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace thread_tests;

constexpr std::uint32_t k_all = INT_MAX;

// Threads that each make one FUTEX_WAIT on a word (10 s at most) and
// record how it ended: 0 when woken, else the errno.
class Waiters {
public:
    Waiters(std::uint32_t* word, int count, int op = FUTEX_WAIT_PRIVATE)
        : m_results(count)
        , m_tids(count)
    {
        const std::uint32_t expected = load(*word);
        for (int i = 0; i < count; ++i) {
            m_threads.emplace_back([this, word, op, expected, i] {
                m_tids[i] = gettid();
                const timespec limit{10, 0};
                long r = futex(word, op, expected, &limit);
                m_results[i] = r == 0 ? 0 : errno;
                m_woken.fetch_add(1);
            });
        }
    }
    ~Waiters() { join(); }

    // Until each is asleep in its FUTEX_WAIT.
    bool all_asleep()
    {
        bool asleep = true;
        for (auto& tid : m_tids) {
            const double give_up = monotonic_seconds() + 2;
            while (tid.load() == 0 && monotonic_seconds() < give_up)
                sched_yield();
            asleep &= tid.load() != 0 && wait_until_asleep(tid.load());
        }
        return asleep;
    }
    // Until `count` have returned (false after 2 s).
    bool woken_reaches(int count)
    {
        return signal_tests::poll_until([&] { return m_woken.load() >= count; }, 2);
    }
    int woken() const { return m_woken.load(); }
    void join()
    {
        for (auto& thread : m_threads) {
            if (thread.joinable())
                thread.join();
        }
    }
    // How many ended in each way, once joined.
    int count(int result) const
    {
        int n = 0;
        for (const auto& r : m_results)
            n += r.load() == result;
        return n;
    }

private:
    std::vector<std::atomic<int>> m_results;
    std::vector<std::atomic<pid_t>> m_tids;
    std::atomic<int> m_woken{0};
    std::vector<std::thread> m_threads;
};

void futex_wake_counts(Test& t)
{
    static std::uint32_t word, elsewhere;
    Waiters waiters(&word, 5);
    ASSERT(waiters.all_asleep());
    EXPECT_EQ(futex_n(&elsewhere, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 0L); // nobody waits there
    EXPECT_EQ(futex_n(&word, FUTEX_WAKE_PRIVATE, 2, 0, nullptr, 0), 2L);
    EXPECT(waiters.woken_reaches(2));
    EXPECT_EQ(futex_n(&word, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 3L); // the rest
    waiters.join();
    EXPECT_EQ(waiters.count(0), 5);
    EXPECT_EQ(futex_n(&word, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 0L);
}

// A wait that times out took at least its timeout, measured on the clock
// the timeout is on, and not much more.
void futex_wait_timeouts(Test& t)
{
    static std::uint32_t word;
    constexpr double k_timeout = 0.05;

    const timespec relative{0, long(k_timeout * 1e9)};
    double start = clock_seconds(CLOCK_MONOTONIC);
    EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &relative), ETIMEDOUT);
    double took = clock_seconds(CLOCK_MONOTONIC) - start;
    EXPECT(took >= k_timeout);
    EXPECT(took < 5);

    // FUTEX_WAIT_BITSET: an absolute deadline, on CLOCK_MONOTONIC unless
    // FUTEX_CLOCK_REALTIME.
    for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_REALTIME}) {
        const int op = FUTEX_WAIT_BITSET_PRIVATE | (clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
        const timespec deadline = after(clock, k_timeout);
        EXPECT_ERRNO(futex(&word, op, 0, &deadline, nullptr, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
        const double now = clock_seconds(clock);
        EXPECT(now >= seconds(deadline));
        EXPECT(now < seconds(deadline) + 5);
        // A deadline already past: at once. (1 ns after the clock's zero:
        // "now - 1 s" would be negative, so EINVAL, within a second of boot.)
        const timespec past{0, 1};
        start = clock_seconds(CLOCK_MONOTONIC);
        EXPECT_ERRNO(futex(&word, op, 0, &past, nullptr, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
        EXPECT(clock_seconds(CLOCK_MONOTONIC) - start < 1);
    }

    const timespec bad{0, 1000000000};
    EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad), EINVAL);
    const timespec negative{-1, 0};
    EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &negative), EINVAL);
    EXPECT_ERRNO(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &relative, nullptr, 0), EINVAL); // empty bitset
}

void futex_errors(Test& t)
{
    alignas(8) static std::uint32_t words[2] = {1, 0};
    // The value is not the expected one: EAGAIN at once, even with no
    // timeout.
    EXPECT_ERRNO(futex(&words[0], FUTEX_WAIT_PRIVATE, 0), EAGAIN);
    EXPECT_ERRNO(futex(&words[0], FUTEX_WAIT, 0), EAGAIN);
    EXPECT_ERRNO(futex(&words[0], FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, FUTEX_BITSET_MATCH_ANY), EAGAIN);
    // A word must be 4-byte aligned (Linux futex(2) EINVAL).
    auto* misaligned = reinterpret_cast<std::uint32_t*>(reinterpret_cast<char*>(words) + 2);
    EXPECT_ERRNO(futex(misaligned, FUTEX_WAIT_PRIVATE, 0), EINVAL);
    EXPECT_ERRNO(futex_n(misaligned, FUTEX_WAKE_PRIVATE, 1, 0, nullptr, 0), EINVAL);
    // A word the kernel cannot read.
    void* hole = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT(hole != MAP_FAILED);
    EXPECT_ERRNO(futex(static_cast<std::uint32_t*>(hole), FUTEX_WAIT_PRIVATE, 0), EFAULT);
    munmap(hole, 4096);
    // An operation that does not exist.
    EXPECT_ERRNO(futex(&words[1], 99 | FUTEX_PRIVATE_FLAG, 0), ENOSYS);
}

// Waiters moved from one word to another without waking them: a wake on
// the first word then finds nobody, one on the second finds them all.
void futex_cmp_requeue_moves_waiters(Test& t)
{
    static std::uint32_t from, to;
    constexpr int k_waiters = 4;
    Waiters waiters(&from, k_waiters);
    // Requeue (wake none) until all four have been moved: each call moves
    // whoever is already waiting, so no sleep is needed.
    long moved = 0;
    const double give_up = monotonic_seconds() + 5;
    while (moved < k_waiters && monotonic_seconds() < give_up) {
        long r = futex_n(&from, FUTEX_CMP_REQUEUE_PRIVATE, 0, k_all, &to, 0);
        if (r < 0) {
            t.fail(__FILE_NAME__, __LINE__, "FUTEX_CMP_REQUEUE: " + errno_name(errno));
            break;
        }
        moved += r;
        sched_yield();
    }
    EXPECT_EQ(moved, long(k_waiters));
    EXPECT_EQ(waiters.woken(), 0); // moved, not woken
    EXPECT_EQ(futex_n(&from, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 0L);
    // The value check: `from` is 0, not 1.
    EXPECT_ERRNO(futex_n(&from, FUTEX_CMP_REQUEUE_PRIVATE, 0, k_all, &to, 1), EAGAIN);
    // Back: wake one, move one; the result counts both.
    EXPECT_EQ(futex_n(&to, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &from, 0), 2L);
    EXPECT(waiters.woken_reaches(1));
    EXPECT_EQ(futex_n(&from, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 1L);
    EXPECT_EQ(futex_n(&to, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 2L);
    waiters.join();
    EXPECT_EQ(waiters.count(0), k_waiters);
}

// FUTEX_WAKE_OP: change the second word, wake on the first, and on the
// second too when the old value passes the comparison (Linux futex(2)).
void futex_wake_op(Test& t)
{
    static std::uint32_t first, second;
    struct Step {
        std::uint32_t op;
        std::uint32_t before, after;
    };
    const Step steps[] = {
        {FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5), 5, 8},
        {FUTEX_OP(FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_EQ, 0), 8, 0x18},
        {FUTEX_OP(FUTEX_OP_ANDN, 0x8, FUTEX_OP_CMP_EQ, 0), 0x18, 0x10},
        {FUTEX_OP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_EQ, 0), 0x10, 0xef},
        {FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0), 0xef, 1},
        {std::uint32_t(FUTEX_OP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0)), 1, 16}, // 1 << 4
    };
    for (const auto& step : steps) {
        store(second, step.before);
        EXPECT_EQ(futex_n(&first, FUTEX_WAKE_OP_PRIVATE, 1, 1, &second, step.op), 0L); // nobody waits
        EXPECT_EQ(load(second), step.after);
    }

    // A waiter on each word. The comparison holds (old value 16 > 15):
    // both wake.
    store(second, 16);
    {
        Waiters on_first(&first, 1), on_second(&second, 1);
        ASSERT(on_first.all_asleep() && on_second.all_asleep());
        EXPECT_EQ(futex_n(&first, FUTEX_WAKE_OP_PRIVATE, 1, 1, &second, FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_GT, 15)),
                  2L);
        on_first.join();
        on_second.join();
        EXPECT_EQ(on_first.count(0) + on_second.count(0), 2);
        EXPECT_EQ(load(second), 7u);
    }
    // It does not (old value 7 is not 8): only the first word's waiter
    // wakes; the second's still waits, though its word changed.
    {
        Waiters on_first(&first, 1), on_second(&second, 1);
        ASSERT(on_first.all_asleep() && on_second.all_asleep());
        EXPECT_EQ(futex_n(&first, FUTEX_WAKE_OP_PRIVATE, 1, 1, &second, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 8)),
                  1L);
        on_first.join();
        EXPECT_EQ(on_first.count(0), 1);
        EXPECT_EQ(on_second.woken(), 0);
        EXPECT_EQ(load(second), 8u);
        EXPECT_EQ(futex_n(&second, FUTEX_WAKE_PRIVATE, 1, 0, nullptr, 0), 1L);
        on_second.join();
        EXPECT_EQ(on_second.count(0), 1);
    }
}

// A word in a MAP_SHARED page is one futex for every process that maps
// it, when neither side says FUTEX_PRIVATE_FLAG.
void shared_futex_across_processes(Test& t)
{
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT(page != MAP_FAILED);
    auto* word = static_cast<std::uint32_t*>(page);
    pid_t child = spawn([word] {
        const timespec limit{10, 0};
        long r = futex(word, FUTEX_WAIT, 0, &limit);
        CHILD_CHECK(r == 0); // woken: not EAGAIN, not ETIMEDOUT
        return 0;
    });
    ASSERT(child > 0);
    // A private wake names our own address space: never the child.
    signal_tests::wait_for_state(child, 'S');
    EXPECT_EQ(futex_n(word, FUTEX_WAKE_PRIVATE, k_all, 0, nullptr, 0), 0L);
    // Wake until the child was there to be woken (each try before it
    // waits finds nobody and changes nothing).
    long woken = 0;
    const double give_up = monotonic_seconds() + 5;
    while (woken == 0 && monotonic_seconds() < give_up) {
        woken = futex_n(word, FUTEX_WAKE, 1, 0, nullptr, 0);
        if (woken == 0)
            sleep_seconds(0.001);
    }
    EXPECT_EQ(woken, 1L);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(0));
    munmap(page, 4096);
}

} // namespace

std::vector<ut::Case> thread_futex_cases()
{
    return {
        {"futex_wake_counts", futex_wake_counts},
        {"futex_wait_timeouts", futex_wait_timeouts},
        {"futex_errors", futex_errors},
        {"futex_cmp_requeue_moves_waiters", futex_cmp_requeue_moves_waiters},
        {"futex_wake_op", futex_wake_op},
        {"shared_futex_across_processes", shared_futex_across_processes},
    };
}
