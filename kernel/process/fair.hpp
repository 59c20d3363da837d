// The weighted fair policy (after Linux's CFS), one object per run queue.
// See fair.cpp for how it decides.
#pragma once

#include "kernel/process/sched_policy.hpp"

namespace kernel {

class FairPolicy final : public SchedulerPolicy {
public:
    static constexpr u64 DEFAULT_TICK_NS = 10'000'000;
    // Linux's weight of nice 0 (NICE_0_LOAD without the fixed-point shift).
    static constexpr u32 NICE_0_WEIGHT = 1024;
    // Linux's sched_prio_to_weight: each nice step is about 1.25x.
    static constexpr u32 WEIGHTS[40] = {
        88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
        3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,  335,  272,  215,
        172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
    };

    constexpr explicit FairPolicy(PolicyMemory memory) : m_memory(memory) {}

    // The timer period: the CPU time one tick charges (0: the default).
    void configure(u64 tick_ns) { m_tick_ns = tick_ns ? tick_ns : DEFAULT_TICK_NS; }

    void enqueue(SchedEntity& e) override;
    void remove(SchedEntity& e) override;
    SchedEntity* pick_next() override;
    bool tick(SchedEntity& running) override;
    // Inline: every switch calls it.
    void started(SchedEntity& e) override
    {
        if (e.vruntime > m_min_vruntime)
            m_min_vruntime = e.vruntime;
    }
    void renice(SchedEntity& e, int nice) override;
    usize room_needed(usize n) const override;
    void* adopt_room(void* block, usize bytes) override;
    // Both steps at once through the memory seam, for a caller with no
    // concurrency to fear (the host tests).
    bool reserve(usize n);
    const char* name() const override { return "fair"; }
    u64 clock() const override { return m_min_vruntime; }
    SchedEntity* find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit) override;

    // Linux's WEIGHT_IDLEPRIO: SCHED_IDLE weighs less than nice 19.
    static constexpr u32 IDLE_WEIGHT = 3;
    // An entity's weight: by its nice, or IDLE_WEIGHT under SCHED_IDLE.
    static u32 weight_of(const SchedEntity& e)
    {
        return e.policy == SchedEntity::POLICY_IDLE ? IDLE_WEIGHT : WEIGHTS[e.nice - SchedEntity::NICE_MIN];
    }
    // Linux's sched_prio_to_weight for nice (clamped to NICE_MIN..NICE_MAX).
    static u32 weight_of_nice(int nice) { return WEIGHTS[SchedEntity::clamp_nice(nice) - SchedEntity::NICE_MIN]; }
    // How far behind the queue's virtual clock a waking entity may be
    // placed: one latency period, three nice-0 ticks.
    u64 wake_credit_ns() const { return 3 * m_tick_ns; }

    usize ready_count() const { return m_count; }
    u64 min_vruntime() const { return m_min_vruntime; }
    // Heap key comparisons since construction: the cost of the decisions,
    // which must grow as log n (the host tests count them).
    u64 comparisons() const { return m_comparisons; }

private:
    bool grow(usize needed);
    bool less(usize a, usize b);
    void swap_at(usize a, usize b);
    void sift_up(usize i);
    void sift_down(usize i);

    PolicyMemory m_memory;
    SchedEntity** m_heap = nullptr;
    usize m_count = 0, m_capacity = 0;
    u64 m_min_vruntime = 0;
    u64 m_tick_ns = DEFAULT_TICK_NS;
    u64 m_comparisons = 0;
};

} // namespace kernel
