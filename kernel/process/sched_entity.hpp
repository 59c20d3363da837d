// The per-thread state a scheduling policy keeps: one SchedEntity is
// embedded in each Process (Process::sched), and the policies
// (fair.cpp, round_robin.cpp, realtime.cpp) see nothing else of the
// process. Pure
// logic: no arch header, no lock, so the policies build and are tested on
// the host. Every field is guarded by the lock of the run queue the entity
// is on (the process lock, on one run queue).
#pragma once

#include "lib/list.hpp"

namespace kernel {

struct SchedEntity {
    static constexpr int NICE_MIN = -20, NICE_MAX = 19;
    static constexpr u32 NOT_QUEUED = ~0u;
    // Linux's scheduling policies (include/uapi/linux/sched.h). FIFO and
    // RR are the real-time class (rt_priority 1..99); the others share
    // the fair class.
    static constexpr u8 POLICY_OTHER = 0, POLICY_FIFO = 1, POLICY_RR = 2, POLICY_BATCH = 3, POLICY_IDLE = 5;
    static constexpr u8 RT_PRIO_MIN = 1, RT_PRIO_MAX = 99;

    int nice = 0;                  // NICE_MIN..NICE_MAX; set through SchedulerPolicy::renice
    u64 vruntime = 0;              // fair: weighted CPU time received (ns at nice 0)
    u32 heap_index = NOT_QUEUED;   // fair: place in the ready heap
    u32 slice_left = 0;            // round-robin: ticks left of the running slice
    lib::ListNode run_node;        // round-robin, real-time: place in a ready FIFO
    u8 policy = POLICY_OTHER;      // POLICY_*; set with the run queue's lock held
    u8 rt_priority = 0;            // 1..99 for FIFO and RR, else 0
    bool reset_on_fork = false;    // SCHED_RESET_ON_FORK: a child starts as SCHED_OTHER
    bool preempted = false;        // real-time: requeued at the head of its list (it lost the CPU to a higher one)

    bool is_rt() const { return rt_priority != 0; }

    static constexpr int clamp_nice(int nice)
    {
        return nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
    }

    // A child of fork keeps its parent's nice and policy; it has had no
    // CPU time and is in no queue (the policy places it when it is first
    // enqueued). With reset-on-fork (Linux's sched_fork) a real-time
    // parent's child is SCHED_OTHER at nice 0, a negative nice becomes 0,
    // and the child does not pass the reset on.
    void inherit_from(const SchedEntity& parent)
    {
        nice = parent.nice;
        policy = parent.policy;
        rt_priority = parent.rt_priority;
        if (parent.reset_on_fork) {
            if (is_rt()) {
                policy = POLICY_OTHER;
                rt_priority = 0;
                nice = 0;
            } else if (nice < 0) {
                nice = 0;
            }
        }
    }
};

} // namespace kernel
