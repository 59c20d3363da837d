// ktests for the per-hart page caches (kernel/mm/page_alloc.cpp): pages
// allocated and freed on every hart, some freed on another hart than the
// one that took them, all come back; and an allocation that finds the
// buddy allocator empty takes back the pages the other harts keep.
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/smp.hpp"

using namespace kernel;
using namespace kernel::mm;

namespace {

// A list of pages chained through their own first word: remembering them
// needs no other memory.
struct PageList {
    PhysAddr head{};
    u64 count = 0;

    void push(PhysAddr pa)
    {
        *static_cast<u64*>(phys_to_virt(pa)) = head.value();
        head = pa;
        ++count;
    }
    PhysAddr pop()
    {
        PhysAddr pa = head;
        head = PhysAddr{*static_cast<u64*>(phys_to_virt(pa))};
        --count;
        return pa;
    }
    void free_all()
    {
        while (count > 0)
            free_pages(pop(), 0);
    }
};

// More than a cache holds, so that refills and drains in batches happen.
constexpr u64 CHURN_PAGES = 150;

struct Churn {
    PageList kept;        // left for another hart to free
    u64 failures = 0;     // allocations that found no page
    u32 ran_on = ~0u;
};

// On the target hart: take CHURN_PAGES pages, give back every other one at
// once and the rest through page_put, then take half of them again and
// keep those for another hart.
void churn_on_this_hart(void* arg)
{
    auto& churn = *static_cast<Churn*>(arg);
    churn.ran_on = arch::this_hart().index;
    PageList even, odd;
    for (u64 i = 0; i < CHURN_PAGES; ++i) {
        auto pa = alloc_pages(0);
        if (!pa) {
            ++churn.failures;
            continue;
        }
        (i % 2 ? odd : even).push(*pa);
    }
    even.free_all();
    while (odd.count > 0)
        page_put(odd.pop()); // the last reference: the path exit and munmap take
    for (u64 i = 0; i < CHURN_PAGES / 2; ++i) {
        auto pa = alloc_pages(0);
        if (!pa) {
            ++churn.failures;
            continue;
        }
        churn.kept.push(*pa);
    }
}

void free_kept_pages(void* arg) { static_cast<PageList*>(arg)->free_all(); }

// Leaves this hart's cache holding at least `pages` pages: take them, then
// free them. With `pages` at most the cache's limit (60) minus what a
// refill can leave over (15), no free sends a batch back to the buddy.
void fill_this_hart_cache(void* arg)
{
    auto& pages = *static_cast<u64*>(arg);
    PageList list;
    for (u64 i = 0; i < pages; ++i)
        if (auto pa = alloc_pages(0))
            list.push(*pa);
    list.free_all();
}

} // namespace

KTEST(pcp, every_hart_gives_every_page_back)
{
    u32 harts = online_hart_count();
    u64 before = page_stats().free;
    static Churn churns[MAX_HARTS];
    for (u32 i = 0; i < harts; ++i) {
        churns[i] = Churn{};
        smp_call(i, churn_on_this_hart, &churns[i]);
        EXPECT_EQ(churns[i].ran_on, i);
        EXPECT_EQ(churns[i].failures, 0u);
        EXPECT_EQ(churns[i].kept.count, CHURN_PAGES / 2);
    }
    EXPECT_EQ(page_stats().free, before - harts * (CHURN_PAGES / 2));
    // Each hart frees the pages its neighbour took: into its own cache.
    for (u32 i = 0; i < harts; ++i)
        smp_call(i, free_kept_pages, &churns[(i + 1) % harts].kept);
    auto after = page_stats();
    EXPECT_EQ(after.free, before); // cached pages count as free
    EXPECT_GE(after.hart_cached, u64(harts));
    drain_page_caches();
    after = page_stats();
    EXPECT_EQ(after.hart_cached, 0u);
    EXPECT_EQ(after.free, before); // the drain lost nothing, and the caches hid nothing
}

KTEST(pcp, exhaustion_takes_back_every_hart_cache)
{
    u32 harts = online_hart_count();
    u32 me = arch::this_hart().index;
    u64 before = page_stats().free;
    constexpr u64 FILL = 40;
    u64 fill = FILL;
    for (u32 i = 0; i < harts; ++i)
        smp_call(i, fill_this_hart_cache, &fill);
    EXPECT_GE(page_stats().hart_cached, harts * FILL);
    EXPECT_EQ(page_stats().free, before);

    // Only this hart allocates: the others' cached pages are reachable only
    // through the drain that an empty buddy allocator starts.
    PageList all;
    while (auto pa = alloc_pages(0))
        all.push(*pa);
    EXPECT_EQ(all.count, before);
    auto empty = page_stats();
    EXPECT_EQ(empty.free, 0u);
    EXPECT_EQ(empty.hart_cached, 0u);
    EXPECT_FALSE(alloc_pages(1).has_value());
    all.free_all();
    EXPECT_EQ(arch::this_hart().index, me);
    EXPECT_EQ(page_stats().free, before);
    // A block bigger than a page can be had again: the freed pages that
    // sit in this hart's cache do not break it up for good.
    auto block = alloc_pages(4);
    ASSERT_TRUE(block.has_value());
    free_pages(*block, 4);
    EXPECT_EQ(page_stats().free, before);
}
