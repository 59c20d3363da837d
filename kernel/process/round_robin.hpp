// The round-robin policy, one object per run queue: see round_robin.cpp.
#pragma once

#include "kernel/process/sched_policy.hpp"

namespace kernel {

class RoundRobinPolicy final : public SchedulerPolicy {
public:
    constexpr RoundRobinPolicy() = default;

    // The time slice, in ticks (0: one tick).
    void set_slice(u64 slice_ticks) { m_slice_ticks = slice_ticks ? u32(slice_ticks) : 1; }

    void enqueue(SchedEntity& e) override;
    void remove(SchedEntity& e) override;
    SchedEntity* pick_next() override;
    bool tick(SchedEntity& running) override;
    void started(SchedEntity& e) override;
    const char* name() const override { return "rr"; }
    SchedEntity* find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit) override;

    bool is_empty() const { return m_ready.is_empty(); }
    usize ready_count() const { return m_ready.count(); }

private:
    using Queue = lib::IntrusiveList<SchedEntity, &SchedEntity::run_node>;
    Queue m_ready;
    u32 m_slice_ticks = 1;
};

} // namespace kernel
