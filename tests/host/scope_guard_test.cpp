// lib/scope_guard.hpp: the callback runs exactly once when the scope ends
// (by falling off, or by an early return), and an armed guard that was
// disarmed never runs it.
#include "lib/scope_guard.hpp"

#include <gtest/gtest.h>

namespace {

int returns_early(int& runs, bool early)
{
    lib::ScopeGuard guard([&] { ++runs; });
    if (early)
        return 1;
    return 2;
}

int commit_or_roll_back(int& rollbacks, bool fail_first, bool fail_second)
{
    lib::ArmedScopeGuard undo_first([&] { ++rollbacks; });
    if (fail_first)
        return -1;
    lib::ArmedScopeGuard undo_second([&] { rollbacks += 10; });
    if (fail_second)
        return -2;
    undo_first.disarm();
    undo_second.disarm();
    return 0;
}

} // namespace

TEST(ScopeGuard, RunsOnceAtScopeEnd)
{
    int runs = 0;
    {
        lib::ScopeGuard guard([&] { ++runs; });
        EXPECT_EQ(runs, 0);
    }
    EXPECT_EQ(runs, 1);
}

TEST(ScopeGuard, RunsOnEveryReturnPath)
{
    int runs = 0;
    EXPECT_EQ(returns_early(runs, true), 1);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(returns_early(runs, false), 2);
    EXPECT_EQ(runs, 2);
}

TEST(ArmedScopeGuard, RunsWhenArmed)
{
    int runs = 0;
    {
        lib::ArmedScopeGuard guard([&] { ++runs; });
        EXPECT_TRUE(guard.is_armed());
    }
    EXPECT_EQ(runs, 1);
}

TEST(ArmedScopeGuard, DisarmedNeverRuns)
{
    int runs = 0;
    {
        lib::ArmedScopeGuard guard([&] { ++runs; });
        guard.disarm();
        EXPECT_FALSE(guard.is_armed());
    }
    EXPECT_EQ(runs, 0);
}

TEST(ArmedScopeGuard, RollsBackOnlyTheStepsTakenInReverseOrder)
{
    int rollbacks = 0;
    EXPECT_EQ(commit_or_roll_back(rollbacks, true, false), -1);
    EXPECT_EQ(rollbacks, 1); // the second step was never reached
    rollbacks = 0;
    EXPECT_EQ(commit_or_roll_back(rollbacks, false, true), -2);
    EXPECT_EQ(rollbacks, 11); // both undone
    rollbacks = 0;
    EXPECT_EQ(commit_or_roll_back(rollbacks, false, false), 0);
    EXPECT_EQ(rollbacks, 0); // committed: nothing undone
}

TEST(ArmedScopeGuard, ReverseOrderOfDestruction)
{
    char order[3] = {};
    int n = 0;
    {
        lib::ArmedScopeGuard first([&] { order[n++] = 'a'; });
        lib::ArmedScopeGuard second([&] { order[n++] = 'b'; });
    }
    EXPECT_EQ(n, 2);
    EXPECT_EQ(order[0], 'b'); // the later step is undone first
    EXPECT_EQ(order[1], 'a');
}
