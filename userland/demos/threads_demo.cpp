// threads_demo: an ordinary C++ program on the standard thread library --
// std::thread, std::mutex, std::condition_variable, std::async -- built as
// anyone would build one (g++ -static -pthread, no project headers or
// flags). It prints the same lines on every run and exits 0 only if every
// result is right; /bin/threads_demo in the boot image.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace {

bool g_all_right = true;

void report(const char* what, long long got, long long expected)
{
    std::printf("threads_demo: %s: %lld\n", what, got);
    if (got != expected) {
        std::printf("threads_demo: FAILED: expected %lld\n", expected);
        g_all_right = false;
    }
}

bool is_prime(int n)
{
    if (n < 2)
        return false;
    for (int d = 2; d * d <= n; ++d) {
        if (n % d == 0)
            return false;
    }
    return true;
}

// Eight threads count the primes below 100 000, each every eighth number,
// and add their counts to a total under a mutex.
long long primes_with_threads()
{
    constexpr int k_threads = 8, k_limit = 100000;
    std::mutex mutex;
    long long total = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&, i] {
            long long count = 0;
            for (int n = i; n < k_limit; n += k_threads)
                count += is_prime(n);
            std::lock_guard guard(mutex);
            total += count;
        });
    }
    for (auto& thread : threads)
        thread.join();
    return total;
}

// Four producers and four consumers pass 4 000 numbers through a queue
// of 16; the consumers' sums add up to 0 + 1 + ... + 3 999.
long long queue_with_condition_variables()
{
    constexpr int k_producers = 4, k_consumers = 4, k_items = 1000;
    constexpr std::size_t k_capacity = 16;
    std::mutex mutex;
    std::condition_variable not_full, not_empty;
    std::deque<int> queue;
    int producers_left = k_producers;
    long long total = 0;
    std::vector<std::thread> threads;
    for (int p = 0; p < k_producers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = 0; i < k_items; ++i) {
                std::unique_lock lock(mutex);
                not_full.wait(lock, [&] { return queue.size() < k_capacity; });
                queue.push_back(p * k_items + i);
                not_empty.notify_one();
            }
            std::lock_guard guard(mutex);
            if (--producers_left == 0)
                not_empty.notify_all();
        });
    }
    for (int c = 0; c < k_consumers; ++c) {
        threads.emplace_back([&] {
            long long sum = 0;
            std::unique_lock lock(mutex);
            for (;;) {
                not_empty.wait(lock, [&] { return !queue.empty() || producers_left == 0; });
                if (queue.empty())
                    break;
                sum += queue.front();
                queue.pop_front();
                not_full.notify_one();
            }
            total += sum;
        });
    }
    for (auto& thread : threads)
        thread.join();
    return total;
}

// std::async sums 1..1 000 000 in four parts.
long long sum_with_async()
{
    constexpr long long k_n = 1000000, k_parts = 4;
    std::vector<std::future<long long>> parts;
    for (long long part = 0; part < k_parts; ++part) {
        parts.push_back(std::async(std::launch::async, [part] {
            long long sum = 0;
            for (long long i = part * k_n / k_parts + 1; i <= (part + 1) * k_n / k_parts; ++i)
                sum += i;
            return sum;
        }));
    }
    long long total = 0;
    for (auto& part : parts)
        total += part.get();
    return total;
}

} // namespace

int main()
{
    report("primes below 100000, counted by 8 threads", primes_with_threads(), 9592);
    report("sum of 4000 items through a queue of 16, 4 producers, 4 consumers", queue_with_condition_variables(),
           3999LL * 4000 / 2);
    report("sum of 1..1000000 by 4 std::async tasks", sum_with_async(), 1000000LL * 1000001 / 2);
    std::puts(g_all_right ? "threads_demo: ok" : "threads_demo: FAILED");
    return g_all_right ? 0 : 1;
}
