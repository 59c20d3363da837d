// Round-robin policy: one FIFO of ready entities; every entity gets a
// time slice of the configured length (default one tick). O(1) enqueue,
// remove and pick; nice is recorded but does not change the share.
#include "kernel/process/round_robin.hpp"

namespace kernel {

void RoundRobinPolicy::enqueue(SchedEntity& e) { m_ready.push_back(e); }

void RoundRobinPolicy::remove(SchedEntity& e) { Queue::remove(e); }

SchedEntity* RoundRobinPolicy::pick_next() { return m_ready.pop_front(); }

SchedEntity* RoundRobinPolicy::find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit)
{
    usize seen = 0;
    for (SchedEntity& e : m_ready) {
        if (seen++ == limit)
            break;
        if (accept(e, ctx))
            return &e;
    }
    return nullptr;
}

void RoundRobinPolicy::started(SchedEntity& e) { e.slice_left = m_slice_ticks; }

bool RoundRobinPolicy::tick(SchedEntity& running)
{
    if (running.slice_left > 0)
        --running.slice_left;
    // Preempt only if someone else is waiting: a lone entity keeps the CPU
    // without a pointless switch.
    return running.slice_left == 0 && !m_ready.is_empty();
}

} // namespace kernel
