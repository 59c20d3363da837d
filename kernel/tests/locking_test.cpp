// ktests for the lock-order checker (kernel/locking.hpp): the order rule
// itself, and real locks taken in the documented order leave the per-hart
// record of held ranks exactly as it was. The violations themselves panic,
// so CTest checks them by booting panic_test=lock_order|lock_twice|... .
#include "kernel/fs/inode.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/process.hpp"
#include "kernel/spinlock.hpp"

using namespace kernel;

KTEST(locking, order_rule)
{
    // Nothing held: anything may be taken.
    EXPECT_TRUE(lock_order_allows(0, LockRank::Vfs));
    EXPECT_TRUE(lock_order_allows(0, LockRank::ConsoleOut));
    // Inner after outer: allowed.
    u64 process = lock_rank_bit(LockRank::Process);
    EXPECT_TRUE(lock_order_allows(process, LockRank::Tty));
    EXPECT_TRUE(lock_order_allows(process | lock_rank_bit(LockRank::Kmalloc), LockRank::PageAlloc));
    // The same class again, and an outer lock under an inner one: refused.
    EXPECT_FALSE(lock_order_allows(process, LockRank::Process));
    EXPECT_FALSE(lock_order_allows(process, LockRank::Vfs));
    EXPECT_FALSE(lock_order_allows(lock_rank_bit(LockRank::PageAlloc), LockRank::Kmalloc));
    EXPECT_FALSE(lock_order_allows(process | lock_rank_bit(LockRank::ConsoleOut), LockRank::Tty));
}

KTEST(locking, ranks_are_distinct_and_named)
{
    const LockRank all[] = {LockRank::Pipe,         LockRank::AddressSpace, LockRank::FileTable,
                            LockRank::Vfs,          LockRank::PipeRing, LockRank::Process, LockRank::RunQueue, LockRank::Tty, LockRank::Irq,
                            LockRank::KernelVm,     LockRank::KernelStacks, LockRank::Random, LockRank::ConsoleIn,
                            LockRank::Kmalloc,      LockRank::PageCache, LockRank::PageAlloc, LockRank::ConsoleOut};
    u64 seen = 0;
    for (LockRank r : all) {
        EXPECT_LT(unsigned(r), 64u); // one bit each in Hart::held_lock_ranks
        EXPECT_EQ(seen & lock_rank_bit(r), 0u);
        seen |= lock_rank_bit(r);
        EXPECT_NE(lock_rank_name(r)[0], '?');
    }
    EXPECT_TRUE(lib::StringView(lock_rank_name(LockRank::Process)) == lib::StringView("process"));
    EXPECT_TRUE(lib::StringView(lock_rank_name(LockRank::Vfs)) == lib::StringView("vfs"));
}

KTEST(locking, documented_order_does_not_panic)
{
    u64 before = arch::this_hart().held_lock_ranks;
    EXPECT_EQ(before, 0u);
    {
        MutexGuard vfs(fs::vfs_lock());
        EXPECT_TRUE(fs::vfs_lock().is_held_by_current());
        {
            SpinLockGuard guard(process_lock());
            process_lock().assert_held();
            if constexpr (TEST_BUILD)
                EXPECT_EQ(arch::this_hart().held_lock_ranks, lock_rank_bit(LockRank::Process));
            // An inner lock (console-out) under it: printk is allowed anywhere.
            printk("# locking: printk (console-out) under the process lock\n");
        }
        EXPECT_EQ(arch::this_hart().held_lock_ranks, 0u);
    }
    EXPECT_FALSE(fs::vfs_lock().is_held_by_current());
    EXPECT_FALSE(process_lock().is_held_by_this_hart());
    EXPECT_EQ(arch::this_hart().held_lock_ranks, before);
}

KTEST(locking, mutex_owner_and_release)
{
    Mutex m(LockRank::Vfs);
    EXPECT_FALSE(m.is_held_by_current());
    {
        MutexGuard guard(m);
        EXPECT_TRUE(m.is_held_by_current());
        // A mutex is not a spinlock: the hart's record stays empty, and
        // allocating under it is allowed.
        EXPECT_EQ(arch::this_hart().held_lock_ranks, 0u);
        void* p = mm::kmalloc(32);
        EXPECT_TRUE(p != nullptr);
        mm::kfree(p);
    }
    EXPECT_FALSE(m.is_held_by_current());
    // Free again: a second owner gets it at once.
    MutexGuard again(m);
    EXPECT_TRUE(m.is_held_by_current());
}

KTEST(locking, contention_is_counted_per_rank)
{
    // The slow paths call note_contention (a spinlock found taken, a mutex
    // slept for); the counts are per rank and only ever grow.
    LockContention random = lock_contention(LockRank::Random);
    LockContention tty = lock_contention(LockRank::Tty);
    note_contention(LockRank::Random, 7);
    note_contention(LockRank::Random, 5);
    LockContention after = lock_contention(LockRank::Random);
    EXPECT_EQ(after.contentions - random.contentions, 2u);
    EXPECT_EQ(after.wait_ticks - random.wait_ticks, 12u);
    EXPECT_EQ(lock_contention(LockRank::Tty).contentions, tty.contentions);
}
