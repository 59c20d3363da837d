// ktests for the futex hash (kernel/process/futex.cpp): which words meet
// (the keys), how waiters spread over the buckets, and what wake, bitsets
// and requeue do to the queued waiters. Waiters here are queued without
// sleeping (the ktests run on the boot hart's idle thread); the sleeping
// itself is exercised by the `threads` usertests.
#include "kernel/fs/inode.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/process/futex_internal.hpp"

using namespace kernel;
using namespace kernel::mm;

namespace {

constexpr u64 SHARED_AT = 0x40000000, OTHER_AT = 0x50000000, PRIVATE_AT = 0x60000000;

AddressSpace::MapRequest shared_map(fs::Inode* file, u64 at)
{
    AddressSpace::MapRequest m;
    m.hint = at;
    m.length = 2 * PAGE_SIZE;
    m.prot = PROT_READ | PROT_WRITE;
    m.fixed = true;
    m.flags = REGION_SHARED | REGION_MAY_WRITE;
    m.file = file;
    return m;
}

} // namespace

KTEST(futex, keys_of_shared_and_private_words)
{
    auto object = fs::new_anonymous_inode(2 * PAGE_SIZE);
    ASSERT_TRUE(object.is_ok());
    AddressSpace* a = AddressSpace::create().value_or(nullptr);
    AddressSpace* b = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(a && b);
    // One object mapped shared at different addresses in two spaces.
    ASSERT_TRUE(a->map(shared_map(object.value(), SHARED_AT)).is_ok());
    ASSERT_TRUE(b->map(shared_map(object.value(), OTHER_AT)).is_ok());
    ASSERT_TRUE(a->mmap_anonymous(PRIVATE_AT, PAGE_SIZE, PROT_READ | PROT_WRITE, true).is_ok());

    // Shared words meet across spaces by the object and the offset...
    FutexKey ka = futex_key(*a, SHARED_AT + PAGE_SIZE + 8, true);
    FutexKey kb = futex_key(*b, OTHER_AT + PAGE_SIZE + 8, true);
    EXPECT_TRUE(ka == kb);
    EXPECT_TRUE(ka.object == object.value());
    EXPECT_EQ(ka.offset, PAGE_SIZE + 8);
    EXPECT_FALSE(futex_key(*a, SHARED_AT + 4, true) == futex_key(*b, OTHER_AT + 8, true));
    // ...but FUTEX_PRIVATE_FLAG keeps them apart (the space and the address).
    EXPECT_FALSE(futex_key(*a, SHARED_AT + 8, false) == futex_key(*b, OTHER_AT + 8, false));
    EXPECT_TRUE(futex_key(*a, SHARED_AT + 8, false).object == a);
    // Private memory: shared or not, the space and the address (Linux's
    // key for an anonymous private page), so that CLONE_CHILD_CLEARTID's
    // shared wake meets pthread_join's wait.
    EXPECT_TRUE(futex_key(*a, PRIVATE_AT, true) == futex_key(*a, PRIVATE_AT, false));
    EXPECT_FALSE(futex_key(*a, PRIVATE_AT, true) == futex_key(*b, PRIVATE_AT, true));

    AddressSpace::destroy(a);
    AddressSpace::destroy(b);
    fs::inode_unref(*object.value());
}

KTEST(futex, words_spread_over_the_buckets)
{
    // 4096 consecutive words of one space (a dense array of locks) and the
    // same offsets of 64 spaces: no bucket gets much more than its share.
    static u16 counts[FUTEX_BUCKETS];
    for (auto& c : counts)
        c = 0;
    static u8 spaces[64];
    for (u64 i = 0; i < 4096; ++i)
        ++counts[futex_bucket(FutexKey{&spaces[0], 0x10000 + 4 * i})];
    for (u64 s = 0; s < 64; ++s)
        for (u64 i = 0; i < 64; ++i)
            ++counts[futex_bucket(FutexKey{&spaces[s], 0x20000 + 64 * i})];
    u32 worst = 0, used = 0;
    for (u16 c : counts) {
        worst = c > worst ? c : worst;
        used += c != 0;
    }
    // 8192 keys over 1024 buckets: 8 each on average.
    EXPECT_LE(worst, 24u);
    EXPECT_GE(used, u32(FUTEX_BUCKETS * 9 / 10));
}

KTEST(futex, wake_counts_bitsets_and_requeue)
{
    static u8 space;
    FutexKey one{&space, 0x1000}, two{&space, 0x2000}, near{&space, 0x1004};
    FutexWaiter w[6];
    SpinLockGuard guard(process_lock());
    for (int i = 0; i < 4; ++i) {
        w[i].key = one;
        w[i].bitset = 0x1;
        enqueue_proc_locked(w[i]);
    }
    w[4].key = near;
    enqueue_proc_locked(w[4]);
    w[5].key = one;
    w[5].bitset = 0x2;
    enqueue_proc_locked(w[5]);

    // Wake 2 of `one`, in queue order; `near` is another word.
    EXPECT_EQ(wake_key_proc_locked(one, 2, FUTEX_MATCH_ANY), 2u);
    EXPECT_TRUE(w[0].woken && w[1].woken);
    EXPECT_FALSE(w[2].woken || w[4].woken);
    // A bitset wake finds only waiters whose bitset meets it (a wake
    // without one, FUTEX_MATCH_ANY, meets every waiter).
    EXPECT_EQ(wake_key_proc_locked(one, 10, 0x2), 1u);
    EXPECT_TRUE(w[5].woken);
    EXPECT_FALSE(w[2].woken || w[3].woken);
    // Requeue: wake 1, move the other to `two`; then `one` is empty.
    EXPECT_EQ(requeue_key_proc_locked(one, two, 1, 10), 2u);
    EXPECT_TRUE(w[2].woken);
    EXPECT_FALSE(w[3].woken);
    EXPECT_TRUE(w[3].key == two);
    EXPECT_EQ(wake_key_proc_locked(one, 10, FUTEX_MATCH_ANY), 0u);
    EXPECT_EQ(wake_key_proc_locked(two, 10, FUTEX_MATCH_ANY), 1u);
    EXPECT_TRUE(w[3].woken);
    // The neighbouring word's waiter is still there; take it out.
    EXPECT_TRUE(w[4].node.is_linked());
    dequeue_proc_locked(w[4]);
    EXPECT_FALSE(w[4].node.is_linked());
}
