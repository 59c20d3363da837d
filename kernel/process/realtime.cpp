// The real-time policy, after Linux's rt class (kernel/sched/rt.c): one
// FIFO list per priority 1..99 and a bitmap of the non-empty ones, so
// enqueue, remove and pick are O(1) (the pick finds the highest set bit).
// The highest priority runs; SCHED_FIFO keeps the CPU until it blocks,
// yields or a higher priority wakes; SCHED_RR also gives it up when its
// slice (RR_SLICE_NS) ends, to the tail of its list. An entity that lost
// the CPU to a higher priority goes back to the head of its list
// (`preempted`, set by the mechanism), one that yields or used its slice
// to the tail, as sched(7) says. Pure logic, host-tested.
#include "kernel/process/realtime.hpp"

namespace kernel {

void RealtimePolicy::configure(u64 tick_ns)
{
    u64 ticks = RR_SLICE_NS / (tick_ns ? tick_ns : 10'000'000);
    m_slice_ticks = ticks ? u32(ticks) : 1;
}

void RealtimePolicy::enqueue(SchedEntity& e)
{
    u32 prio = e.rt_priority;
    // An RR entity whose slice ran out goes to the tail however it stopped.
    bool head = e.preempted && !(e.policy == SchedEntity::POLICY_RR && e.slice_left == 0);
    e.preempted = false;
    if (head)
        m_ready[prio - 1].push_front(e);
    else
        m_ready[prio - 1].push_back(e);
    mark(prio);
    ++m_count;
}

void RealtimePolicy::remove(SchedEntity& e)
{
    if (!e.run_node.is_linked())
        return;
    Queue::remove(e);
    unmark_if_empty(e.rt_priority);
    --m_count;
}

u32 RealtimePolicy::top_priority() const
{
    if (m_bitmap[1])
        return 64 + u32(63 - __builtin_clzll(m_bitmap[1]));
    if (m_bitmap[0])
        return u32(63 - __builtin_clzll(m_bitmap[0]));
    return 0;
}

SchedEntity* RealtimePolicy::pick_next()
{
    u32 prio = top_priority();
    if (!prio)
        return nullptr;
    SchedEntity* e = m_ready[prio - 1].pop_front();
    unmark_if_empty(prio);
    --m_count;
    return e;
}

void RealtimePolicy::started(SchedEntity& e)
{
    // A new slice only once the last is used up: preemption by a higher
    // priority does not restart it (Linux keeps time_slice).
    if (e.policy == SchedEntity::POLICY_RR && e.slice_left == 0)
        e.slice_left = m_slice_ticks;
}

bool RealtimePolicy::tick(SchedEntity& running)
{
    if (running.policy != SchedEntity::POLICY_RR)
        return false; // FIFO is never sliced
    if (running.slice_left > 0)
        --running.slice_left;
    if (running.slice_left > 0)
        return false;
    // Slice used: to the tail if another of its priority waits; alone at
    // its level it starts a new slice and runs on (Linux's task_tick_rt).
    if (m_ready[running.rt_priority - 1].is_empty()) {
        running.slice_left = m_slice_ticks;
        return false;
    }
    return true;
}

SchedEntity* RealtimePolicy::find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit)
{
    usize seen = 0;
    for (u32 w = 2; w-- > 0;) {
        for (u64 bits = m_bitmap[w]; bits; bits &= ~(1ull << (63 - __builtin_clzll(bits)))) {
            u32 prio = w * 64 + u32(63 - __builtin_clzll(bits));
            for (SchedEntity& e : m_ready[prio - 1]) {
                if (seen++ == limit)
                    return nullptr;
                if (accept(e, ctx))
                    return &e;
            }
        }
    }
    return nullptr;
}

} // namespace kernel
