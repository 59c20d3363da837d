// The real-time class (Linux's SCHED_FIFO and SCHED_RR), one object per
// run queue, stacked above the fair class: see realtime.cpp.
#pragma once

#include "kernel/process/sched_policy.hpp"

namespace kernel {

class RealtimePolicy final : public SchedulerPolicy {
public:
    static constexpr usize LEVELS = SchedEntity::RT_PRIO_MAX; // priorities 1..99
    // Linux's RR_TIMESLICE (include/linux/sched/rt.h): 100 ms.
    static constexpr u64 RR_SLICE_NS = 100'000'000;

    constexpr RealtimePolicy() = default;

    // The timer period, from which the RR slice in ticks follows (0: 10 ms).
    void configure(u64 tick_ns);

    void enqueue(SchedEntity& e) override;
    void remove(SchedEntity& e) override;
    SchedEntity* pick_next() override;
    bool tick(SchedEntity& running) override;
    void started(SchedEntity& e) override;
    const char* name() const override { return "rt"; }
    SchedEntity* find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit) override;

    // The cheap test every pick makes first: anything ready at all.
    bool has_ready() const { return (m_bitmap[0] | m_bitmap[1]) != 0; }
    // The highest priority ready (0: none).
    u32 top_priority() const;
    usize ready_count() const { return m_count; }
    u32 slice_ticks() const { return m_slice_ticks; }

private:
    using Queue = lib::IntrusiveList<SchedEntity, &SchedEntity::run_node>;
    void mark(u32 prio) { m_bitmap[prio >> 6] |= 1ull << (prio & 63); }
    void unmark_if_empty(u32 prio)
    {
        if (m_ready[prio - 1].is_empty())
            m_bitmap[prio >> 6] &= ~(1ull << (prio & 63));
    }

    Queue m_ready[LEVELS]; // m_ready[p - 1]: priority p, oldest first
    u64 m_bitmap[2] = {};  // bit p: m_ready[p - 1] is not empty
    usize m_count = 0;
    u32 m_slice_ticks = 10;
};

} // namespace kernel
