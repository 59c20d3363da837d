// BuddyAllocator: the bookkeeping of free physical pages as a binary buddy
// system over page frame numbers. It knows nothing of addresses or locks: the
// kernel hands it a PageMeta array and RAM ranges, and wraps it in a spinlock.
#pragma once

#include "lib/mm/page_meta.hpp"
#include "lib/optional.hpp"
#include "lib/result.hpp"

namespace lib::mm {

class BuddyAllocator {
public:
    constexpr BuddyAllocator() = default;
    BuddyAllocator(const BuddyAllocator&) = delete;
    BuddyAllocator& operator=(const BuddyAllocator&) = delete;

    // Manage pfns [base_pfn, base_pfn + page_count) with meta[0..page_count).
    // Every page starts Reserved; add_free_range() hands RAM in. page_count is
    // capped below 2^32 because free-list links are u32 indices (16 TiB).
    void init(PageMeta* meta, u64 base_pfn, u64 page_count);

    // Hand pfns [pfn, pfn + count) to the allocator, as the largest naturally
    // aligned blocks that fit, merged with free neighbours. The range is
    // clipped to the managed span and pages already handed in are skipped, so
    // overlapping firmware ranges cannot corrupt the lists. Returns the
    // number of pages actually added.
    u64 add_free_range(u64 pfn, u64 count);

    // First pfn of a free block of 2^order pages, aligned to 2^order pfns.
    // Its head page gets Head, the order, and refcount 1.
    Optional<u64> allocate(unsigned order);

    // Return a block from allocate(). A pfn outside the allocator, misaligned
    // for order, not the head of an allocated block (double free, tail page,
    // reserved page) or allocated with another order is EINVAL and changes
    // nothing.
    Result<void> free(u64 pfn, unsigned order);

    u64 free_pages() const { return m_free_pages; }
    // For a reader without the owner's lock: a moment old, never torn.
    u64 free_pages_relaxed() const { return __atomic_load_n(&m_free_pages, __ATOMIC_RELAXED); }
    // Pages ever handed in by add_free_range(), free or allocated.
    u64 total_pages() const { return m_total_pages; }
    u64 free_blocks(unsigned order) const { return order <= MAX_ORDER ? m_free_blocks[order] : 0; }

    u64 base_pfn() const { return m_base_pfn; }
    u64 page_count() const { return m_page_count; }
    bool owns(u64 pfn) const { return pfn >= m_base_pfn && pfn - m_base_pfn < m_page_count; }
    // Precondition: owns(pfn).
    PageMeta& meta(u64 pfn) { return m_meta[pfn - m_base_pfn]; }
    const PageMeta& meta(u64 pfn) const { return m_meta[pfn - m_base_pfn]; }

    // Walk every page and free list and check that they agree (O(pages)), for
    // tests and a kernel self-check; false means the bookkeeping is broken.
    bool check_invariants() const;

private:
    u32 index_of(u64 pfn) const { return u32(pfn - m_base_pfn); }
    void push_free(u64 pfn, unsigned order);
    void remove_free(u64 pfn, unsigned order);
    // Put a block on the free lists, merging it with its buddy while the buddy
    // is a free block of the same order.
    void release_block(u64 pfn, unsigned order);

    PageMeta* m_meta = nullptr;
    u64 m_base_pfn = 0;
    u64 m_page_count = 0;
    // An empty list is m_free_blocks[order] == 0, so a never-initialised
    // allocator is simply empty; heads are set by init().
    u32 m_free_head[MAX_ORDER + 1] = {};
    u64 m_free_blocks[MAX_ORDER + 1] = {};
    u64 m_free_pages = 0;
    u64 m_total_pages = 0;
};

} // namespace lib::mm
