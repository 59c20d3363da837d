// Helpers the smp_tests*.cpp files share: which CPUs (hart indexes) a
// case may use, pinning, a start line that lets processes or threads on
// different harts begin together, bounded spin waits.
//
// A case that needs K harts takes them from require_harts(t, K): the
// CPUs this process may run on (sched_getaffinity) that are online
// (_SC_NPROCESSORS_ONLN), at most k_max_harts of them; with fewer than K
// the case is skipped and says how many it saw.
#pragma once

#include "harness.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

namespace smp_tests {

inline constexpr int k_max_harts = 4;

// The CPUs a case uses (at most k_max_harts, ascending), or an empty
// list after t.skip(...) when there are fewer than `needed`.
std::vector<int> require_harts(ut::Test& t, int needed);
// Every CPU this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();

// Pins the calling thread to `cpu` (sched_setaffinity(0, ...)).
bool pin_to(int cpu);
// sched_getcpu(), -1 on error.
int current_cpu();

// Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS) that forked
// children see too, zero-filled; nullptr on failure.
void* shared_memory(std::size_t bytes);
template<typename T>
T* shared_object()
{
    void* memory = shared_memory(sizeof(T));
    return memory ? new (memory) T{} : nullptr;
}

std::int64_t monotonic_ns();

// Keeps the CPU busy; the empty asm hides the loop from the optimizer.
std::uint64_t burn(std::uint64_t x, int rounds);

void yield(); // sched_yield()

// Waits until `done()` (spinning, and yielding the hart after a while so
// that a time-shared hart still gets there); false after `seconds`.
template<typename Done>
bool spin_until(Done done, double seconds = 10)
{
    const double deadline = ut::monotonic_seconds() + seconds;
    for (unsigned spins = 0; !done(); ++spins) {
        if ((spins & 1023) == 1023 && ut::monotonic_seconds() > deadline)
            return false;
        if (spins >= 256)
            yield();
    }
    return true;
}

// A start line in memory that every party sees (a shared_object for
// processes): the last of `parties` to arrive sets the start time, and
// each returns once it sees it. Returns the start time (monotonic_ns), or
// 0 if not everyone arrived within 10 s.
struct StartLine {
    std::atomic<int> arrived;
    std::atomic<std::int64_t> start_ns;
    std::int64_t arrive_and_wait(int parties);
};

} // namespace smp_tests

std::vector<ut::Case> smp_process_cases(); // smp_tests_processes.cpp
std::vector<ut::Case> smp_wakeup_cases();  // smp_tests_wakeups.cpp
