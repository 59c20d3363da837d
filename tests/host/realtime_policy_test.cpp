// The real-time policy (kernel/process/realtime.cpp, built unchanged for
// the host): highest priority first whatever the order of arrival, FIFO
// within a priority, a preempted entity back at the head and a yielding
// one at the tail, SCHED_FIFO never sliced, SCHED_RR sliced only when
// another of its priority waits, and O(1) picks over 99 levels.
#include "kernel/process/realtime.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using kernel::RealtimePolicy;
using kernel::SchedEntity;

constexpr u64 TICK_NS = 10'000'000;

SchedEntity rt(u8 policy, u8 prio)
{
    SchedEntity e;
    e.policy = policy;
    e.rt_priority = prio;
    return e;
}

} // namespace

TEST(RealtimePolicy, HighestPriorityFirstThenFifo)
{
    RealtimePolicy p;
    p.configure(TICK_NS);
    EXPECT_FALSE(p.has_ready());
    EXPECT_EQ(p.pick_next(), nullptr);
    std::vector<SchedEntity> es = {rt(1, 5), rt(1, 99), rt(2, 5), rt(1, 1), rt(1, 64), rt(1, 63)};
    for (auto& e : es)
        p.enqueue(e);
    EXPECT_TRUE(p.has_ready());
    EXPECT_EQ(p.top_priority(), 99u);
    std::vector<SchedEntity*> order;
    while (SchedEntity* e = p.pick_next())
        order.push_back(e);
    std::vector<SchedEntity*> want = {&es[1], &es[4], &es[5], &es[0], &es[2], &es[3]};
    EXPECT_EQ(order, want);
    EXPECT_FALSE(p.has_ready());
    EXPECT_EQ(p.ready_count(), 0u);
}

TEST(RealtimePolicy, PreemptedGoesToHeadYieldToTail)
{
    RealtimePolicy p;
    p.configure(TICK_NS);
    SchedEntity a = rt(1, 10), b = rt(1, 10), c = rt(1, 10);
    p.enqueue(b);
    p.enqueue(c);
    a.preempted = true; // lost the CPU to a higher priority
    p.enqueue(a);
    EXPECT_FALSE(a.preempted); // consumed
    EXPECT_EQ(p.pick_next(), &a);
    p.enqueue(a); // yielded: behind b and c
    EXPECT_EQ(p.pick_next(), &b);
    EXPECT_EQ(p.pick_next(), &c);
    EXPECT_EQ(p.pick_next(), &a);
}

TEST(RealtimePolicy, FifoIsNeverSlicedRrIsWhenAnotherWaits)
{
    RealtimePolicy p;
    p.configure(TICK_NS);
    ASSERT_EQ(p.slice_ticks(), 10u); // 100 ms at 10 ms ticks, Linux's RR_TIMESLICE
    SchedEntity f = rt(1, 50), other = rt(1, 50);
    p.enqueue(other);
    p.started(f);
    for (int i = 0; i < 1000; ++i)
        ASSERT_FALSE(p.tick(f));
    SchedEntity r = rt(2, 50);
    p.started(r);
    for (int i = 0; i < 9; ++i)
        EXPECT_FALSE(p.tick(r)) << i;
    EXPECT_TRUE(p.tick(r)); // the 10th tick ends the slice: `other` waits
    r.preempted = true;     // even if preempted, a used slice goes to the tail
    p.enqueue(r);
    EXPECT_EQ(p.pick_next(), &other);
    EXPECT_EQ(p.pick_next(), &r);
    // Alone at its level: a new slice, no switch.
    p.started(r);
    for (int i = 0; i < 25; ++i)
        EXPECT_FALSE(p.tick(r));
}

TEST(RealtimePolicy, PreemptedRrKeepsRestOfSlice)
{
    RealtimePolicy p;
    p.configure(TICK_NS);
    SchedEntity r = rt(2, 7), other = rt(2, 7);
    p.started(r);
    for (int i = 0; i < 4; ++i)
        p.tick(r);
    EXPECT_EQ(r.slice_left, 6u);
    r.preempted = true;
    p.enqueue(other);
    p.enqueue(r);
    EXPECT_EQ(p.pick_next(), &r); // head
    p.started(r);
    EXPECT_EQ(r.slice_left, 6u); // not refilled
}

TEST(RealtimePolicy, RemoveKeepsBitmapRight)
{
    RealtimePolicy p;
    SchedEntity a = rt(1, 70), b = rt(1, 3);
    p.enqueue(a);
    p.enqueue(b);
    p.remove(a);
    p.remove(a); // not queued: nothing happens
    EXPECT_EQ(p.top_priority(), 3u);
    EXPECT_EQ(p.ready_count(), 1u);
    auto accept = [](const SchedEntity& e, void*) { return e.rt_priority == 3; };
    EXPECT_EQ(p.find_queued(accept, nullptr, 8), &b);
    EXPECT_EQ(p.find_queued(accept, nullptr, 0), nullptr);
    p.remove(b);
    EXPECT_FALSE(p.has_ready());
    EXPECT_EQ(p.top_priority(), 0u);
}
