// Threads as a program uses them through glibc and libstdc++: create and
// join with values, mutexes, condition variables, futures, thread-local
// storage, thread ids, detached threads, barriers, a thousand threads one
// after another, a big stack. Underneath: clone with the thread flags,
// set_tid_address and CLONE_CHILD_CLEARTID (join), futex (everything
// that blocks), TLS through tp.
#include "groups.h"
#include "harness.h"
#include "thread_tests.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <latch>
#include <mutex>
#include <pthread.h>
#include <semaphore.h>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace thread_tests;

void* square_plus_one(void* arg)
{
    auto i = reinterpret_cast<std::uintptr_t>(arg);
    return reinterpret_cast<void*>(i * i + 1);
}

[[noreturn]] void exit_from_deep_inside(std::uintptr_t value) { pthread_exit(reinterpret_cast<void*>(value)); }

void create_join_return_values(Test& t)
{
    constexpr std::uintptr_t k_threads = 8;
    pthread_t threads[k_threads];
    for (std::uintptr_t i = 0; i < k_threads; ++i)
        ASSERT_EQ(pthread_create(&threads[i], nullptr, square_plus_one, reinterpret_cast<void*>(i)), 0);
    for (std::uintptr_t i = 0; i < k_threads; ++i) {
        void* value = nullptr;
        EXPECT_EQ(pthread_join(threads[i], &value), 0);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(value), i * i + 1);
    }

    // pthread_exit from a function the thread called; and a thread that
    // has not ended cannot be joined yet (its tid word, which the kernel
    // clears when it exits, is still set).
    static std::uint32_t gate;
    store(gate, 0);
    pthread_t blocked;
    ASSERT_EQ(pthread_create(
                  &blocked, nullptr,
                  [](void*) -> void* {
                      wait_while(gate, 0);
                      exit_from_deep_inside(0x5eed);
                  },
                  nullptr),
              0);
    EXPECT_EQ(pthread_tryjoin_np(blocked, nullptr), EBUSY);
    set_and_wake(gate, 1);
    void* value = nullptr;
    EXPECT_EQ(pthread_join(blocked, &value), 0);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(value), std::uintptr_t(0x5eed));
    EXPECT_EQ(pthread_join(pthread_self(), nullptr), EDEADLK);
}

void mutex_64_threads_exact_count(Test& t)
{
    constexpr int k_threads = 64, k_rounds = 1000;
    std::mutex mutex;
    long counter = 0; // guarded by mutex
    std::latch start(k_threads);
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait(); // all at once: contention, not a relay
            for (int round = 0; round < k_rounds; ++round) {
                std::lock_guard guard(mutex);
                ++counter; // a load and a store: unguarded, updates get lost
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(counter, long(k_threads) * k_rounds);
}

// Two producers, two consumers, a queue of four: every item is taken
// exactly once, and nobody sleeps through a notification.
void condition_variable_producer_consumer(Test& t)
{
    constexpr int k_producers = 2, k_consumers = 2, k_items = 500, k_capacity = 4;
    constexpr int k_done = -1;
    std::mutex mutex;
    std::condition_variable not_full, not_empty;
    std::deque<int> queue; // guarded by mutex
    std::vector<std::vector<int>> taken(k_consumers);
    std::vector<std::thread> threads;
    for (int p = 0; p < k_producers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < k_items; ++i) {
                std::unique_lock lock(mutex);
                not_full.wait(lock, [&] { return queue.size() < k_capacity; });
                queue.push_back(p * k_items + i);
                not_empty.notify_one();
            }
        });
    }
    for (int c = 0; c < k_consumers; ++c) {
        threads.emplace_back([&, c] {
            for (;;) {
                std::unique_lock lock(mutex);
                not_empty.wait(lock, [&] { return !queue.empty(); });
                int item = queue.front();
                if (item == k_done)
                    return; // left in the queue for the other consumers
                queue.pop_front();
                not_full.notify_one();
                taken[c].push_back(item);
            }
        });
    }
    for (int p = 0; p < k_producers; ++p)
        threads[p].join();
    {
        std::lock_guard guard(mutex);
        queue.push_back(k_done);
    }
    not_empty.notify_all();
    for (int c = 0; c < k_consumers; ++c)
        threads[k_producers + c].join();

    std::multiset<int> all;
    for (const auto& list : taken)
        all.insert(list.begin(), list.end());
    EXPECT_EQ(all.size(), size_t(k_producers * k_items));
    EXPECT_EQ(std::set<int>(all.begin(), all.end()).size(), all.size()); // no item twice
    EXPECT(!all.empty() && *all.begin() == 0 && *all.rbegin() == k_producers * k_items - 1);
}

void async_and_future(Test& t)
{
    auto sum = std::async(std::launch::async, [] {
        long total = 0;
        for (int i = 1; i <= 1000; ++i)
            total += i;
        return std::pair<long, pid_t>(total, gettid());
    });
    auto [total, tid] = sum.get();
    EXPECT_EQ(total, 500500L);
    EXPECT(tid != gettid()); // it ran on a thread of its own

    auto thrown = std::async(std::launch::async, []() -> int { throw std::runtime_error("from the thread"); });
    std::string message;
    try {
        thrown.get();
    } catch (const std::runtime_error& e) {
        message = e.what();
    }
    EXPECT_EQ(message, std::string("from the thread"));

    // A promise kept by a thread that waits to be told: until then the
    // future times out (a futex wait with a timeout), then it is ready.
    std::promise<int> promise;
    std::future<int> future = promise.get_future();
    std::binary_semaphore go(0);
    std::thread keeper([&] {
        go.acquire();
        promise.set_value(42);
    });
    EXPECT(future.wait_for(std::chrono::milliseconds(20)) == std::future_status::timeout);
    go.release();
    EXPECT(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    EXPECT_EQ(future.get(), 42);
    keeper.join();
}

__thread int t_gnu = 42;
thread_local int t_cxx = 7;
std::atomic<int> g_objects_destroyed;
struct PerThread {
    pid_t owner = gettid(); // a dynamic initializer: runs in each thread on first use
    ~PerThread() { g_objects_destroyed.fetch_add(1); }
};
thread_local PerThread t_object;

void thread_local_storage(Test& t)
{
    constexpr int k_threads = 8;
    struct Seen {
        int gnu_initial = 0, cxx_initial = 0, gnu = 0, cxx = 0;
        const void* address = nullptr;
        pid_t owner = 0, tid = 0;
    };
    std::vector<Seen> seen(k_threads);
    std::latch all_written(k_threads);
    g_objects_destroyed = 0;
    t_gnu = -1; // the main thread's copies only
    t_cxx = -1;
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&, i] {
            Seen& s = seen[i];
            s.gnu_initial = t_gnu; // each thread starts from the initial image
            s.cxx_initial = t_cxx;
            t_gnu = 100 + i;
            t_cxx = 200 + i;
            all_written.arrive_and_wait(); // everyone has written before anyone reads
            s.gnu = t_gnu;
            s.cxx = t_cxx;
            s.address = &t_gnu;
            s.owner = t_object.owner;
            s.tid = gettid();
        });
    }
    for (auto& thread : threads)
        thread.join();
    std::set<const void*> addresses{&t_gnu};
    for (int i = 0; i < k_threads; ++i) {
        EXPECT_EQ(seen[i].gnu_initial, 42);
        EXPECT_EQ(seen[i].cxx_initial, 7);
        EXPECT_EQ(seen[i].gnu, 100 + i);
        EXPECT_EQ(seen[i].cxx, 200 + i);
        EXPECT_EQ(seen[i].owner, seen[i].tid);
        addresses.insert(seen[i].address);
    }
    EXPECT_EQ(addresses.size(), size_t(k_threads + 1));
    EXPECT_EQ(t_gnu, -1);
    EXPECT_EQ(t_cxx, -1);
    EXPECT_EQ(g_objects_destroyed.load(), k_threads); // each thread's object, at its exit
}

void gettid_and_getpid(Test& t)
{
    const pid_t pid = getpid();
    EXPECT_EQ(gettid(), pid); // the main thread leads the group: its tid is the pid
    EXPECT_EQ(pid_t(syscall(SYS_gettid)), pid);
    constexpr int k_threads = 4;
    struct Ids {
        pid_t tid = 0, pid = 0, ppid = 0;
    };
    std::vector<Ids> ids(k_threads);
    std::latch all_alive(k_threads); // so that no tid is reused by a later thread
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&, i] {
            ids[i] = {pid_t(syscall(SYS_gettid)), pid_t(syscall(SYS_getpid)), getppid()};
            all_alive.arrive_and_wait();
        });
    }
    for (auto& thread : threads)
        thread.join();
    std::set<pid_t> tids{pid};
    for (const auto& id : ids) {
        EXPECT_EQ(id.pid, pid);
        EXPECT_EQ(id.ppid, getppid());
        EXPECT(id.tid > 0 && id.tid != pid);
        tids.insert(id.tid);
    }
    EXPECT_EQ(tids.size(), size_t(k_threads + 1));
}

// A thread nobody joins still goes away: once it has said it is done,
// tgkill(pid, its tid, 0) soon answers ESRCH.
void detached_threads(Test& t)
{
    static sem_t done;
    static std::atomic<pid_t> tids[2];
    ASSERT_EQ(sem_init(&done, 0, 0), 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    ASSERT_EQ(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
    auto body = [](void* arg) -> void* {
        tids[reinterpret_cast<std::uintptr_t>(arg)] = gettid();
        sem_post(&done);
        return nullptr;
    };
    pthread_t detached_at_birth, detached_later;
    ASSERT_EQ(pthread_create(&detached_at_birth, &attr, body, reinterpret_cast<void*>(0)), 0);
    ASSERT_EQ(pthread_create(&detached_later, nullptr, body, reinterpret_cast<void*>(1)), 0);
    EXPECT_EQ(pthread_detach(detached_later), 0);
    pthread_attr_destroy(&attr);
    for (int i = 0; i < 2; ++i) {
        const timespec deadline = after(CLOCK_REALTIME, 5);
        ASSERT_EQ(sem_timedwait(&done, &deadline), 0);
    }
    for (auto& tid : tids) {
        ASSERT(tid > 0);
        const double give_up = monotonic_seconds() + 2;
        while (syscall(SYS_tgkill, getpid(), tid.load(), 0) == 0 && monotonic_seconds() < give_up)
            sched_yield();
        EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), tid.load(), 0), ESRCH);
    }
}

// Eight threads meet 100 times: nobody leaves a round before all have
// arrived, and each round has exactly one serial thread.
void barrier_8_threads_100_rounds(Test& t)
{
    constexpr int k_threads = 8, k_rounds = 100;
    pthread_barrier_t barrier;
    ASSERT_EQ(pthread_barrier_init(&barrier, nullptr, k_threads), 0);
    std::vector<std::atomic<int>> arrived(k_rounds), serial(k_rounds);
    std::atomic<int> early_leavers{0}, bad_results{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&] {
            for (int round = 0; round < k_rounds; ++round) {
                arrived[round].fetch_add(1);
                int r = pthread_barrier_wait(&barrier);
                if (r == PTHREAD_BARRIER_SERIAL_THREAD)
                    serial[round].fetch_add(1);
                else if (r != 0)
                    bad_results.fetch_add(1);
                if (arrived[round].load() != k_threads)
                    early_leavers.fetch_add(1);
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(early_leavers.load(), 0);
    EXPECT_EQ(bad_results.load(), 0);
    int rounds_with_one_serial = 0;
    for (auto& s : serial)
        rounds_with_one_serial += s.load() == 1;
    EXPECT_EQ(rounds_with_one_serial, k_rounds);
    EXPECT_EQ(pthread_barrier_destroy(&barrier), 0);
}

// MemFree of /proc/meminfo, in kB (0 if unreadable).
long long mem_free_kib()
{
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("MemFree:", 0) == 0)
            return std::atoll(line.c_str() + 8);
    }
    return 0;
}

// In a forked driver: `threads` threads, created and joined `batch` at a
// time; every create must succeed. The driver's exit status is 0 if so.
int threads_in_batches(int threads, int batch)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024); // 50 default (8 MiB) stacks are 400 MiB
    static std::atomic<long> sum;
    sum = 0;
    std::vector<pthread_t> ids(batch);
    for (int base = 0; base < threads; base += batch) {
        for (int i = 0; i < batch; ++i) {
            int r = pthread_create(
                &ids[i], &attr,
                [](void* arg) -> void* {
                    sum.fetch_add(reinterpret_cast<long>(arg));
                    return arg;
                },
                reinterpret_cast<void*>(long(base + i)));
            if (r != 0) {
                child_diagnostic(__FILE_NAME__, __LINE__,
                                 "pthread_create of thread " + std::to_string(base + i) + ": " + errno_name(r));
                return 1;
            }
        }
        for (int i = 0; i < batch; ++i) {
            void* value = nullptr;
            CHILD_CHECK(pthread_join(ids[i], &value) == 0);
            CHILD_CHECK(value == reinterpret_cast<void*>(long(base + i)));
        }
    }
    CHILD_CHECK(sum.load() == long(threads) * (threads - 1) / 2);
    return 0;
}

// 1 000 threads, 50 alive at a time. On Myriad the memory comes back
// exactly, as leak_tests.cpp asks of processes: the driver runs once to
// warm up (caches the kernel keeps, the program's pages), then between
// two readings of MemFree; a difference is measured once more before it
// counts (leak_tests' measure_twice) -- a leak recurs, a one-off growth
// does not.
void thousand_threads_in_batches(Test& t)
{
    constexpr int k_threads = 1000, k_batch = 50;
    auto run = [&](int threads) {
        pid_t driver = spawn([&] { return threads_in_batches(threads, k_batch); });
        return describe_status(wait_for(driver));
    };
    if (!platform().myriad) {
        EXPECT_EQ(run(k_threads), describe_status(0));
        return;
    }
    ASSERT_EQ(run(2 * k_batch), describe_status(0));
    for (int measurement = 1; measurement <= 2; ++measurement) {
        const long long before = mem_free_kib();
        ASSERT_EQ(run(k_threads), describe_status(0));
        const long long after = mem_free_kib();
        ASSERT(before > 0);
        if (after == before)
            return;
        std::string what = "MemFree " + std::to_string(before) + " -> " + std::to_string(after) + " kB over " +
                           std::to_string(k_threads) + " threads";
        if (measurement == 2)
            return t.fail(__FILE_NAME__, __LINE__, what);
        std::printf("# first measurement: %s; measuring again\n", what.c_str());
    }
}

// A thread with an 8 MiB stack can use all of it: the bottom page (just
// above the guard page) is there, and the guard page below it faults.
void eight_mib_thread_stack(Test& t)
{
    constexpr size_t k_size = 8 << 20;
    struct Stack {
        char* low = nullptr;
        size_t size = 0;
        bool local_inside = false, bottom_ok = false;
    };
    static Stack stack;
    static bool touch_guard;
    auto body = [](void*) -> void* {
        pthread_attr_t attr;
        void* low = nullptr;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &attr) != 0 || pthread_attr_getstack(&attr, &low, &size) != 0)
            return nullptr;
        pthread_attr_destroy(&attr);
        stack.low = static_cast<char*>(low);
        stack.size = size;
        char local = 0;
        auto here = reinterpret_cast<std::uintptr_t>(&local), base = reinterpret_cast<std::uintptr_t>(low);
        stack.local_inside = here >= base && here < base + size;
        volatile char* bottom = stack.low;
        for (size_t i = 0; i < 4096; i += 64)
            bottom[i] = char(i / 64 + 1);
        bool ok = true;
        for (size_t i = 0; i < 4096; i += 64)
            ok &= bottom[i] == char(i / 64 + 1);
        stack.bottom_ok = ok;
        if (touch_guard)
            *(stack.low - 1) = 1; // the guard page: SIGSEGV
        return nullptr;
    };
    auto run = [&] {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_t thread;
        int r = pthread_attr_setstacksize(&attr, k_size);
        if (r == 0)
            r = pthread_create(&thread, &attr, body, nullptr);
        pthread_attr_destroy(&attr);
        return r == 0 ? pthread_join(thread, nullptr) : r;
    };
    touch_guard = false;
    ASSERT_EQ(run(), 0);
    EXPECT(stack.size >= k_size);
    EXPECT(stack.local_inside);
    EXPECT(stack.bottom_ok);
    touch_guard = true;
    EXPECT_DEATH(SIGSEGV, run());
}

} // namespace

std::vector<ut::Case> thread_basic_cases()
{
    return {
        {"create_join_return_values", create_join_return_values},
        {"mutex_64_threads_exact_count", mutex_64_threads_exact_count},
        {"condition_variable_producer_consumer", condition_variable_producer_consumer},
        {"async_and_future", async_and_future},
        {"thread_local_storage", thread_local_storage},
        {"gettid_and_getpid", gettid_and_getpid},
        {"detached_threads", detached_threads},
        {"barrier_8_threads_100_rounds", barrier_8_threads_100_rounds},
        {"thousand_threads_in_batches", thousand_threads_in_batches},
        {"eight_mib_thread_stack", eight_mib_thread_stack},
    };
}
