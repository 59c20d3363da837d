// Host tests of the buddy page allocator's bookkeeping (lib/mm/buddy.cpp):
// block shapes after boot ranges, alignment, coalescing, every error path of
// free(), and a random stress checked against a shadow model.
#include "lib/mm/buddy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <random>
#include <vector>

using lib::mm::BuddyAllocator;
using lib::mm::MAX_ORDER;
using lib::mm::PageFlag;
using lib::mm::PageMeta;

namespace {

// An allocator with its own meta array, all pages Reserved.
struct Pages {
    std::vector<PageMeta> meta;
    BuddyAllocator buddy;

    Pages(u64 base, u64 count) : meta(count) { buddy.init(meta.data(), base, count); }
};

std::vector<u64> block_counts(const BuddyAllocator& b)
{
    std::vector<u64> counts;
    for (unsigned k = 0; k <= MAX_ORDER; ++k)
        counts.push_back(b.free_blocks(k));
    return counts;
}

std::vector<u64> counts_with(std::initializer_list<std::pair<unsigned, u64>> entries)
{
    std::vector<u64> counts(MAX_ORDER + 1, 0);
    for (auto [order, n] : entries)
        counts[order] = n;
    return counts;
}

// Allocate order-0 pages until the allocator is empty.
std::vector<u64> drain_order0(BuddyAllocator& b)
{
    std::vector<u64> pfns;
    while (auto pfn = b.allocate(0))
        pfns.push_back(*pfn);
    return pfns;
}

} // namespace

TEST(Buddy, StartsWithEveryPageReserved)
{
    Pages p(0x80000, 1024);
    EXPECT_EQ(p.buddy.free_pages(), 0u);
    EXPECT_EQ(p.buddy.total_pages(), 0u);
    EXPECT_FALSE(p.buddy.allocate(0).has_value());
    for (u64 pfn = 0x80000; pfn < 0x80000 + 1024; ++pfn)
        ASSERT_TRUE(p.buddy.meta(pfn).has(PageFlag::Reserved));
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, UninitialisedAllocatorIsEmpty)
{
    BuddyAllocator b;
    EXPECT_FALSE(b.allocate(0).has_value());
    EXPECT_FALSE(b.owns(0));
    EXPECT_EQ(b.free(0, 0).code(), Errno::einval);
    EXPECT_EQ(b.add_free_range(0, 100), 0u);
}

TEST(Buddy, AlignedRangeBecomesMaxOrderBlocks)
{
    Pages p(0x80000, 4096);
    EXPECT_EQ(p.buddy.add_free_range(0x80000, 4096), 4096u);
    EXPECT_EQ(block_counts(p.buddy), counts_with({{MAX_ORDER, 4}}));
    EXPECT_EQ(p.buddy.free_pages(), 4096u);
    EXPECT_EQ(p.buddy.total_pages(), 4096u);
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, UnalignedRangeIsCutIntoLargestAlignedBlocks)
{
    Pages p(0, 2048);
    ASSERT_EQ(p.buddy.add_free_range(3, 1000), 1000u);
    // [3,1003): 3 | 4-7 | 8-15 | 16-31 | 32-63 | 64-127 | 128-255 | 256-511 |
    // 512-767 | 768-895 | 896-959 | 960-991 | 992-999 | 1000-1001 | 1002
    EXPECT_EQ(block_counts(p.buddy),
              counts_with({{0, 2}, {1, 1}, {2, 1}, {3, 2}, {4, 1}, {5, 2}, {6, 2}, {7, 2}, {8, 2}}));
    EXPECT_EQ(p.buddy.free_pages(), 1000u);
    EXPECT_TRUE(p.buddy.check_invariants());
    // The edges are exact: pages 0..2 and 1003.. were never handed in.
    std::vector<u64> pfns = drain_order0(p.buddy);
    ASSERT_EQ(pfns.size(), 1000u);
    std::sort(pfns.begin(), pfns.end());
    EXPECT_EQ(pfns.front(), 3u);
    EXPECT_EQ(pfns.back(), 1002u);
    EXPECT_TRUE(p.buddy.meta(2).has(PageFlag::Reserved));
    EXPECT_TRUE(p.buddy.meta(1003).has(PageFlag::Reserved));
}

TEST(Buddy, AdjacentRangesMergeAcrossCalls)
{
    Pages p(0, 2048);
    EXPECT_EQ(p.buddy.add_free_range(0, 512), 512u);
    EXPECT_EQ(block_counts(p.buddy), counts_with({{9, 1}}));
    EXPECT_EQ(p.buddy.add_free_range(512, 512), 512u);
    EXPECT_EQ(block_counts(p.buddy), counts_with({{10, 1}}));
    // Single pages handed in one by one merge all the way up as well.
    for (u64 pfn = 1024; pfn < 2048; ++pfn)
        ASSERT_EQ(p.buddy.add_free_range(pfn, 1), 1u);
    EXPECT_EQ(block_counts(p.buddy), counts_with({{10, 2}}));
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, RangesAreClippedAndNeverAddedTwice)
{
    Pages p(1000, 1000);
    EXPECT_EQ(p.buddy.add_free_range(0, 500), 0u);          // entirely below
    EXPECT_EQ(p.buddy.add_free_range(5000, 500), 0u);       // entirely above
    EXPECT_EQ(p.buddy.add_free_range(900, 200), 100u);      // [1000,1100)
    EXPECT_EQ(p.buddy.add_free_range(1050, 100), 50u);      // overlap: only [1100,1150)
    EXPECT_EQ(p.buddy.add_free_range(1950, ~u64(0)), 50u);  // count overflows pfn + count
    EXPECT_EQ(p.buddy.add_free_range(1000, 150), 0u);       // all already in
    EXPECT_EQ(p.buddy.total_pages(), 200u);
    EXPECT_EQ(p.buddy.free_pages(), 200u);
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, HolesAreNeverAllocatedAndBlocksDoNotSpanThem)
{
    Pages p(0, 4096);
    p.buddy.add_free_range(0, 1000);
    p.buddy.add_free_range(2000, 2096);
    EXPECT_EQ(p.buddy.total_pages(), 3096u);
    for (unsigned order = MAX_ORDER + 1; order-- > 0;) {
        while (auto pfn = p.buddy.allocate(order)) {
            u64 end = *pfn + (u64(1) << order);
            ASSERT_TRUE(end <= 1000 || *pfn >= 2000) << "block " << *pfn << " order " << order;
        }
    }
    EXPECT_EQ(p.buddy.free_pages(), 0u);
    for (u64 pfn = 1000; pfn < 2000; ++pfn)
        ASSERT_TRUE(p.buddy.meta(pfn).has(PageFlag::Reserved));
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, BlocksAreNaturallyAlignedOnUnalignedBase)
{
    // RAM starting at an odd pfn: alignment is of the physical pfn, not of
    // the index into the meta array.
    const u64 base = 0x80003;
    Pages p(base, 5000);
    p.buddy.add_free_range(base, 5000);
    EXPECT_TRUE(p.buddy.check_invariants());
    u64 allocated = 0;
    for (unsigned order = MAX_ORDER + 1; order-- > 0;) {
        while (auto pfn = p.buddy.allocate(order)) {
            ASSERT_EQ(*pfn % (u64(1) << order), 0u) << "order " << order;
            ASSERT_TRUE(p.buddy.owns(*pfn));
            ASSERT_TRUE(p.buddy.owns(*pfn + (u64(1) << order) - 1));
            allocated += u64(1) << order;
        }
    }
    EXPECT_EQ(allocated, 5000u);
}

TEST(Buddy, AllocationSplitsOneBlockPerOrder)
{
    Pages p(0, 1024);
    p.buddy.add_free_range(0, 1024);
    auto pfn = p.buddy.allocate(0);
    ASSERT_TRUE(pfn.has_value());
    EXPECT_EQ(*pfn, 0u);
    std::vector<u64> expected(MAX_ORDER + 1, 1);
    expected[MAX_ORDER] = 0;
    EXPECT_EQ(block_counts(p.buddy), expected);
    EXPECT_EQ(p.buddy.free_pages(), 1023u);
    ASSERT_TRUE(p.buddy.free(0, 0).is_ok());
    EXPECT_EQ(block_counts(p.buddy), counts_with({{MAX_ORDER, 1}}));
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, AllocationSetsHeadMetaAndFreeClearsIt)
{
    Pages p(0, 1024);
    p.buddy.add_free_range(0, 1024);
    auto pfn = p.buddy.allocate(3);
    ASSERT_TRUE(pfn.has_value());
    PageMeta& m = p.buddy.meta(*pfn);
    EXPECT_TRUE(m.has(PageFlag::Head));
    EXPECT_FALSE(m.has(PageFlag::Free));
    EXPECT_EQ(m.order, 3u);
    EXPECT_EQ(m.refcount, 1u);
    for (u64 t = 1; t < 8; ++t)
        EXPECT_TRUE(p.buddy.meta(*pfn + t).is_tail());
    m.set(PageFlag::Slab); // the kernel's flag; free() must drop it
    m.owner = 7;
    ASSERT_TRUE(p.buddy.free(*pfn, 3).is_ok());
    EXPECT_FALSE(p.buddy.meta(*pfn).has(PageFlag::Slab));
    EXPECT_FALSE(p.buddy.meta(*pfn).has(PageFlag::Head));
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, ExhaustWithOrder0ThenFreeInRandomOrderRestoresBlocks)
{
    const u64 base = 0x80000;
    Pages p(base, 3 * 1024 + 300);
    p.buddy.add_free_range(base + 1, 3 * 1024 + 299); // unaligned start too
    const std::vector<u64> initial = block_counts(p.buddy);
    const u64 total = p.buddy.free_pages();

    std::vector<u64> pfns = drain_order0(p.buddy);
    ASSERT_EQ(pfns.size(), total);
    EXPECT_EQ(p.buddy.free_pages(), 0u);
    EXPECT_EQ(block_counts(p.buddy), std::vector<u64>(MAX_ORDER + 1, 0));
    std::sort(pfns.begin(), pfns.end());
    EXPECT_TRUE(std::adjacent_find(pfns.begin(), pfns.end()) == pfns.end()) << "page handed out twice";

    std::mt19937_64 rng(42);
    std::shuffle(pfns.begin(), pfns.end(), rng);
    for (u64 pfn : pfns)
        ASSERT_TRUE(p.buddy.free(pfn, 0).is_ok()) << pfn;
    EXPECT_EQ(block_counts(p.buddy), initial);
    EXPECT_EQ(p.buddy.free_pages(), total);
    EXPECT_TRUE(p.buddy.check_invariants());
}

TEST(Buddy, MixedOrdersDoNotOverlapAndFullyCoalesce)
{
    Pages p(0, 8192);
    p.buddy.add_free_range(0, 8192);
    std::vector<u8> owner(8192, 0);
    std::vector<std::pair<u64, unsigned>> live;
    const unsigned orders[] = {0, 3, 1, 10, 0, 5, 2, 9, 4, 0, 7, 6, 8, 1, 3};
    for (int round = 0; round < 4; ++round) {
        for (unsigned order : orders) {
            auto pfn = p.buddy.allocate(order);
            if (!pfn)
                continue;
            ASSERT_EQ(*pfn % (u64(1) << order), 0u);
            for (u64 q = *pfn; q < *pfn + (u64(1) << order); ++q) {
                ASSERT_EQ(owner[q], 0) << "overlap at " << q;
                owner[q] = 1;
            }
            live.push_back({*pfn, order});
        }
    }
    EXPECT_TRUE(p.buddy.check_invariants());
    std::reverse(live.begin(), live.end());
    for (auto [pfn, order] : live)
        ASSERT_TRUE(p.buddy.free(pfn, order).is_ok());
    EXPECT_EQ(block_counts(p.buddy), counts_with({{MAX_ORDER, 8}}));
}

TEST(Buddy, ExhaustionAndBadOrderReturnNothing)
{
    Pages p(0, 1024);
    p.buddy.add_free_range(0, 1000); // no order-10 block possible
    EXPECT_FALSE(p.buddy.allocate(MAX_ORDER).has_value());
    EXPECT_FALSE(p.buddy.allocate(MAX_ORDER + 1).has_value());
    EXPECT_FALSE(p.buddy.allocate(64).has_value());
    EXPECT_TRUE(p.buddy.allocate(9).has_value());
    EXPECT_EQ(p.buddy.free_pages(), 488u);
    EXPECT_FALSE(p.buddy.allocate(9).has_value());
}

class BuddyErrors : public ::testing::Test {
protected:
    // pfns [0x1000, 0x1000 + 2048), a hole at [0x1400, 0x1410).
    BuddyErrors() : m_pages(0x1000, 2048)
    {
        m_pages.buddy.add_free_range(0x1000, 0x400);
        m_pages.buddy.add_free_range(0x1410, 2048 - 0x410);
    }

    // why: the test's reason; detail: a word the error message must contain,
    // so the right check (not just any) rejected the call.
    void expect_rejected(u64 pfn, unsigned order, const char* why, const char* detail)
    {
        const std::vector<u64> before = block_counts(m_pages.buddy);
        const u64 free_before = m_pages.buddy.free_pages();
        auto r = m_pages.buddy.free(pfn, order);
        ASSERT_TRUE(r.is_error()) << why;
        EXPECT_EQ(r.code(), Errno::einval) << why;
        ASSERT_NE(r.error().what, nullptr) << why;
        EXPECT_NE(std::strstr(r.error().what, detail), nullptr) << why << ": " << r.error().what;
        EXPECT_EQ(block_counts(m_pages.buddy), before) << why;
        EXPECT_EQ(m_pages.buddy.free_pages(), free_before) << why;
        EXPECT_TRUE(m_pages.buddy.check_invariants()) << why;
    }

    Pages m_pages;
};

TEST_F(BuddyErrors, DoubleFree)
{
    auto a = m_pages.buddy.allocate(2);
    auto b = m_pages.buddy.allocate(2); // keeps a's block from merging away
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(m_pages.buddy.free(*a, 2).is_ok());
    expect_rejected(*a, 2, "double free of a free block head", "double free");
    ASSERT_TRUE(m_pages.buddy.free(*b, 2).is_ok());
    // Now merged into a larger block: the pfns are free heads or tails.
    expect_rejected(*a, 2, "double free after coalescing", "double free");
    expect_rejected(*b, 2, "double free of a merged-away head", "not the head");
}

TEST_F(BuddyErrors, MisalignedPfn)
{
    auto a = m_pages.buddy.allocate(3);
    ASSERT_TRUE(a);
    expect_rejected(*a + 1, 3, "pfn not aligned to the order", "misaligned");
    expect_rejected(*a + 4, 3, "pfn aligned to a smaller order only", "misaligned");
    EXPECT_TRUE(m_pages.buddy.free(*a, 3).is_ok());
}

TEST_F(BuddyErrors, TailPageOfAnAllocatedBlock)
{
    auto a = m_pages.buddy.allocate(3);
    ASSERT_TRUE(a);
    expect_rejected(*a + 4, 2, "tail pfn freed as a smaller block", "not the head");
    expect_rejected(*a + 1, 0, "tail pfn freed as one page", "not the head");
    EXPECT_TRUE(m_pages.buddy.free(*a, 3).is_ok());
}

TEST_F(BuddyErrors, OrderMismatch)
{
    auto a = m_pages.buddy.allocate(3);
    ASSERT_TRUE(a);
    expect_rejected(*a, 2, "smaller order than allocated", "order differs");
    ASSERT_EQ(*a % 16, 0u); // first split of the fixture's order-4 block at 0x1410
    expect_rejected(*a, 4, "larger order than allocated", "order differs");
    expect_rejected(*a, MAX_ORDER + 1, "order above MAX_ORDER", "MAX_ORDER");
    EXPECT_TRUE(m_pages.buddy.free(*a, 3).is_ok());
}

TEST_F(BuddyErrors, OutOfRangeAndReserved)
{
    expect_rejected(0xfff, 0, "below base", "outside");
    expect_rejected(0x1000 + 2048, 0, "one past the end", "outside");
    expect_rejected(~u64(0), 0, "huge pfn", "outside");
    expect_rejected(0x1400, 0, "reserved hole", "reserved");
}

TEST_F(BuddyErrors, NeverAllocatedPage)
{
    // Every page is free: any pfn is a free head or a tail, never a Head.
    expect_rejected(0x1000, 0, "free block head", "double free");
    expect_rejected(0x1001, 0, "tail of a free block", "not the head");
    expect_rejected(0x1000, MAX_ORDER, "whole free block", "double free");
}

TEST(Buddy, RandomStressMatchesShadowModel)
{
    const u64 base = 0x80000 + 5;
    const u64 count = 6000;
    Pages p(base, count);
    // Two ranges with a hole and unaligned edges.
    p.buddy.add_free_range(base + 3, 2500);
    p.buddy.add_free_range(base + 2700, count - 2700 - 7);
    const u64 total = p.buddy.total_pages();
    const std::vector<u64> initial = block_counts(p.buddy);

    std::vector<i32> owner(count, -1); // index into live, per page
    struct Live {
        u64 pfn;
        unsigned order;
    };
    std::vector<Live> live;
    u64 live_pages = 0;
    std::mt19937_64 rng(12345);

    for (int op = 0; op < 40000; ++op) {
        bool do_alloc = live.empty() || rng() % 100 < 55;
        if (do_alloc) {
            unsigned order = rng() % 4 == 0 ? unsigned(rng() % (MAX_ORDER + 1)) : unsigned(rng() % 3);
            auto pfn = p.buddy.allocate(order);
            if (!pfn) {
                // Only legal when no free block of that order or above exists.
                for (unsigned k = order; k <= MAX_ORDER; ++k)
                    ASSERT_EQ(p.buddy.free_blocks(k), 0u) << "op " << op;
                continue;
            }
            ASSERT_EQ(*pfn % (u64(1) << order), 0u);
            ASSERT_TRUE(p.buddy.owns(*pfn));
            for (u64 q = *pfn; q < *pfn + (u64(1) << order); ++q) {
                ASSERT_TRUE(p.buddy.owns(q));
                ASSERT_FALSE(p.buddy.meta(q).has(PageFlag::Reserved)) << "allocated a hole page " << q;
                ASSERT_EQ(owner[q - base], -1) << "overlap at op " << op;
                owner[q - base] = i32(live.size());
            }
            live.push_back({*pfn, order});
            live_pages += u64(1) << order;
        } else {
            size_t i = rng() % live.size();
            Live victim = live[i];
            if (rng() % 50 == 0) {
                // Sprinkle bad frees; they must change nothing.
                ASSERT_TRUE(p.buddy.free(victim.pfn, victim.order + 1).is_error());
                if (victim.order > 0) {
                    ASSERT_TRUE(p.buddy.free(victim.pfn + 1, 0).is_error());
                }
            }
            ASSERT_TRUE(p.buddy.free(victim.pfn, victim.order).is_ok()) << "op " << op;
            ASSERT_TRUE(p.buddy.free(victim.pfn, victim.order).is_error()) << "double free accepted";
            for (u64 q = victim.pfn; q < victim.pfn + (u64(1) << victim.order); ++q)
                owner[q - base] = -1;
            live_pages -= u64(1) << victim.order;
            live[i] = live.back();
            live.pop_back();
            if (i < live.size())
                for (u64 q = live[i].pfn; q < live[i].pfn + (u64(1) << live[i].order); ++q)
                    owner[q - base] = i32(i);
        }
        ASSERT_EQ(p.buddy.free_pages() + live_pages, total) << "op " << op;
        if (op % 2000 == 0) {
            ASSERT_TRUE(p.buddy.check_invariants()) << "op " << op;
        }
    }
    ASSERT_TRUE(p.buddy.check_invariants());
    for (const Live& l : live)
        ASSERT_TRUE(p.buddy.free(l.pfn, l.order).is_ok());
    EXPECT_EQ(p.buddy.free_pages(), total);
    EXPECT_EQ(block_counts(p.buddy), initial);
    EXPECT_TRUE(p.buddy.check_invariants());
}
