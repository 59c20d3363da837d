// The per-thread state a scheduling policy keeps: one SchedEntity is
// embedded in each Process (Process::sched), and the policies
// (fair.cpp, round_robin.cpp) see nothing else of the process. Pure
// logic: no arch header, no lock, so the policies build and are tested on
// the host. Every field is guarded by the lock of the run queue the entity
// is on (the process lock, on one run queue).
#pragma once

#include "lib/list.hpp"

namespace kernel {

struct SchedEntity {
    static constexpr int NICE_MIN = -20, NICE_MAX = 19;
    static constexpr u32 NOT_QUEUED = ~0u;

    int nice = 0;                  // NICE_MIN..NICE_MAX; set through SchedulerPolicy::renice
    u64 vruntime = 0;              // fair: weighted CPU time received (ns at nice 0)
    u32 heap_index = NOT_QUEUED;   // fair: place in the ready heap
    u32 slice_left = 0;            // round-robin: ticks left of the running slice
    lib::ListNode run_node;        // round-robin: place in the ready FIFO

    static constexpr int clamp_nice(int nice)
    {
        return nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
    }

    // A child of fork keeps its parent's nice; it has had no CPU time and
    // is in no queue (the policy places it when it is first enqueued).
    void inherit_from(const SchedEntity& parent) { nice = parent.nice; }
};

} // namespace kernel
