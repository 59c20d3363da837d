// The lock checker's reports: the order violation and the "no spinlock
// here" rule (kernel/locking.hpp).
#include "kernel/locking.hpp"
#include "kernel/hardening/report.hpp"
#include "kernel/spinlock.hpp"

namespace kernel {

namespace {

LockRank highest_rank(u64 held_ranks) { return LockRank(63 - __builtin_clzll(held_ranks)); }

// By rank (< 64): atomics, since harts note contention on the same rank at
// once; only the slow paths touch them.
constinit LockContention s_contention[64] = {};

} // namespace

void note_contention(LockRank rank, u64 wait_ticks)
{
    LockContention& c = s_contention[unsigned(rank)];
    __atomic_fetch_add(&c.contentions, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c.wait_ticks, wait_ticks, __ATOMIC_RELAXED);
}

LockContention lock_contention(LockRank rank)
{
    const LockContention& c = s_contention[unsigned(rank)];
    return {__atomic_load_n(&c.contentions, __ATOMIC_RELAXED), __atomic_load_n(&c.wait_ticks, __ATOMIC_RELAXED)};
}

void lock_order_violation(LockRank taking, u64 held_ranks)
{
    LockRank held = highest_rank(held_ranks);
    hardening::report_and_panic(u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)),
                                "lock order violation: taking '{}' (rank {}) while holding '{}' (rank {})",
                                lock_rank_name(taking), unsigned(taking), lock_rank_name(held), unsigned(held));
}

void spinlock_held_violation(u64 held_ranks, const char* what)
{
    LockRank rank = highest_rank(held_ranks);
    hardening::report_and_panic(u64(__builtin_return_address(0)), u64(__builtin_frame_address(0)),
                                "{} while holding spinlock '{}' (rank {})", what, lock_rank_name(rank),
                                unsigned(rank));
}

} // namespace kernel
