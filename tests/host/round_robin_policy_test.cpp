// The round-robin policy (kernel/process/round_robin.cpp, built unchanged
// for the host): FIFO order, the time slice, removal of a queued entity,
// no starvation, and nice having no effect on the share.
#include "kernel/process/round_robin.hpp"
#include "sched_sim.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using kernel::RoundRobinPolicy;
using kernel::SchedEntity;
using sched_test::Sim;
using sched_test::Task;

} // namespace

TEST(RoundRobinPolicy, PicksInFifoOrderAndRequeuesAtTheBack)
{
    RoundRobinPolicy rr;
    SchedEntity a, b, c;
    rr.enqueue(a);
    rr.enqueue(b);
    rr.enqueue(c);
    EXPECT_EQ(rr.pick_next(), &a);
    rr.enqueue(a); // a's slice ended: behind c
    EXPECT_EQ(rr.pick_next(), &b);
    EXPECT_EQ(rr.pick_next(), &c);
    EXPECT_EQ(rr.pick_next(), &a);
    EXPECT_EQ(rr.pick_next(), nullptr);
}

// A slice of 3 ticks: the running entity is preempted on its third tick
// if someone waits, never while alone; started() gives a fresh slice.
TEST(RoundRobinPolicy, TimeSlice)
{
    RoundRobinPolicy rr;
    rr.set_slice(3);
    SchedEntity running, waiting;
    rr.started(running);
    EXPECT_EQ(running.slice_left, 3u);
    for (int i = 0; i < 10; ++i)
        EXPECT_FALSE(rr.tick(running)) << "alone, tick " << i;
    rr.enqueue(waiting);
    EXPECT_TRUE(rr.tick(running)); // its slice is long used up
    rr.started(running);
    EXPECT_FALSE(rr.tick(running));
    EXPECT_FALSE(rr.tick(running));
    EXPECT_TRUE(rr.tick(running));
    rr.set_slice(0); // means one tick
    rr.started(running);
    EXPECT_TRUE(rr.tick(running));
}

// Each policy object is one run queue (one per hart): starting or ticking
// on one leaves the other's entities and queue alone.
TEST(RoundRobinPolicy, InstancesAreIndependentRunQueues)
{
    RoundRobinPolicy one, two;
    one.set_slice(2);
    two.set_slice(2);
    SchedEntity x, y, wait_one, wait_two;
    one.enqueue(wait_one);
    two.enqueue(wait_two);
    one.started(x);
    EXPECT_FALSE(one.tick(x));
    two.started(y); // must not reset x's slice
    EXPECT_TRUE(one.tick(x));
    EXPECT_FALSE(two.tick(y));
    EXPECT_TRUE(two.tick(y));
    EXPECT_EQ(one.pick_next(), &wait_one);
    EXPECT_EQ(one.pick_next(), nullptr);
    EXPECT_EQ(two.pick_next(), &wait_two);
}

TEST(RoundRobinPolicy, RemoveOfQueuedEntity)
{
    RoundRobinPolicy rr;
    SchedEntity a, b, c, stranger;
    rr.enqueue(a);
    rr.enqueue(b);
    rr.enqueue(c);
    rr.remove(b);
    EXPECT_FALSE(b.run_node.is_linked());
    rr.remove(b);        // not queued any more: nothing happens
    rr.remove(stranger); // never queued
    EXPECT_EQ(rr.ready_count(), 2u);
    EXPECT_EQ(rr.pick_next(), &a);
    EXPECT_EQ(rr.pick_next(), &c);
    EXPECT_EQ(rr.pick_next(), nullptr);
    rr.enqueue(b); // a removed entity can come back
    EXPECT_EQ(rr.pick_next(), &b);
}

// 10 000 ticks of hogs and sleepers with a 2-tick slice: everyone runs and
// nobody waits longer than one slice of each other task.
TEST(RoundRobinPolicy, NoStarvationOverTenThousandTicks)
{
    RoundRobinPolicy rr;
    rr.set_slice(2);
    Sim sim(rr);
    std::vector<Task> tasks(9);
    for (size_t i = 4; i < tasks.size(); ++i) {
        tasks[i].burst = unsigned(i - 3);
        tasks[i].sleep = unsigned(7 * i);
    }
    for (Task& t : tasks)
        sim.add(t);
    sim.run(10'000);
    for (size_t i = 0; i < tasks.size(); ++i) {
        EXPECT_GT(tasks[i].cpu_ticks, 0u) << "task " << i;
        EXPECT_LE(tasks[i].max_wait, 2 * (tasks.size() - 1)) << "task " << i;
    }
}

// Round-robin ignores nice: hogs at nice -20, 0 and 19 get equal shares.
TEST(RoundRobinPolicy, NiceDoesNotChangeTheShare)
{
    RoundRobinPolicy rr;
    Sim sim(rr);
    Task tasks[3];
    tasks[0].se.nice = -20;
    tasks[2].se.nice = 19;
    for (Task& t : tasks)
        sim.add(t);
    rr.renice(tasks[1].se, 10);
    EXPECT_EQ(tasks[1].se.nice, 10);
    sim.run(3000);
    for (Task& t : tasks)
        EXPECT_NEAR(double(t.cpu_ticks), 1000.0, 1.0);
}
