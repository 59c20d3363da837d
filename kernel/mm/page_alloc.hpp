// Physical pages: the buddy allocator (lib/mm/buddy) over the device-tree
// RAM minus the kernel image, reserved memory, the device tree and the
// initrd, behind one lock, with a small cache of single pages per hart in
// front of it. Pages are named by physical address (PhysAddr);
// the kernel reaches them through the direct map (phys_to_virt), and these
// two functions are the only conversions between physical and virtual.
#pragma once

#include "lib/addr.hpp"
#include "lib/mm/page_meta.hpp"
#include "lib/optional.hpp"
#include "lib/range_list.hpp"
#include "lib/result.hpp"

namespace kernel::mm {

using lib::mm::PAGE_SIZE;

void* phys_to_virt(PhysAddr pa);
// `va` is in the direct map (a page from alloc_pages, or kmalloc memory).
PhysAddr virt_to_phys(const void* va);

// usable: page-aligned free RAM. ram_base/ram_end bound every RAM range
// (the metadata array covers [ram_base, ram_end)). The metadata itself is
// carved out of `usable`.
Result<void> page_alloc_init(lib::RangeList usable, u64 ram_base, u64 ram_end);

// 2^order contiguous pages, naturally aligned, or empty when out of memory.
lib::Optional<PhysAddr> alloc_pages(unsigned order);
lib::Optional<PhysAddr> alloc_page_zeroed();
void free_pages(PhysAddr pa, unsigned order);

// alloc_page_zeroed for a page-table page source (arch::TablePageSource),
// whose interface names pages by plain u64. Out of line: the sources'
// allocate_table_page stays one tail call.
lib::Optional<u64> alloc_table_page();

// Reference counts of single pages (copy-on-write sharing). Allocation
// gives a count of 1; page_put frees the page when the count reaches 0.
// Inline: fork and exit take and drop hundreds of them.
namespace detail {
// The PageMeta array, addressed by page frame number (set up at boot).
inline constinit uptr g_meta_by_pfn = 0;
inline lib::mm::PageMeta& meta_of(PhysAddr pa)
{
    return *reinterpret_cast<lib::mm::PageMeta*>(g_meta_by_pfn + (pa.value() / PAGE_SIZE) * sizeof(lib::mm::PageMeta));
}
// Given the record rather than the address, so that the fast paths below
// need not keep the address for the failure call.
[[noreturn]] void bad_page_reference(const lib::mm::PageMeta& meta);
void free_unreferenced_page(PhysAddr pa); // the last reference went
} // namespace detail

inline void page_get(PhysAddr pa)
{
    auto& meta = detail::meta_of(pa);
    if (__atomic_fetch_add(&meta.refcount, 1, __ATOMIC_RELAXED) == 0)
        detail::bad_page_reference(meta); // a free page: a kernel bug
}

inline void page_put(PhysAddr pa)
{
    auto& meta = detail::meta_of(pa);
    u32 before = __atomic_fetch_sub(&meta.refcount, 1, __ATOMIC_ACQ_REL);
    if (before == 1)
        detail::free_unreferenced_page(pa);
    else if (before == 0)
        detail::bad_page_reference(meta);
}

// Drop a reference unless it is the last: true when dropped, false when
// the caller holds the only one (it then owns the page and what the page
// refers to: a leaf table two spaces shared, left by the other one on
// another hart between the caller's look and its drop).
inline bool page_put_unless_last(PhysAddr pa)
{
    u32& count = detail::meta_of(pa).refcount;
    u32 n = __atomic_load_n(&count, __ATOMIC_RELAXED);
    while (n > 1)
        if (__atomic_compare_exchange_n(&count, &n, n - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return true;
    return false;
}

inline u32 page_refs(PhysAddr pa) { return __atomic_load_n(&detail::meta_of(pa).refcount, __ATOMIC_ACQUIRE); }
// A 16-bit mark the page's owner may keep in its metadata (0 when the
// page is allocated).
u16 page_mark(PhysAddr pa);
void set_page_mark(PhysAddr pa, u16 mark);

// The page frames the allocator manages: [base_pfn, base_pfn + count).
struct PageFrames {
    u64 base_pfn, count;
};
PageFrames page_frames();
// A single page handed out by alloc_pages(0) and not freed since (for the
// memory invariant checker: what a user PTE may point at).
bool page_is_allocated(PhysAddr pa);

struct PageStats {
    u64 total;    // pages handed to the allocator at boot
    u64 free;     // including the pages in the harts' caches
    u64 metadata; // pages used by the PageMeta array
    u64 hart_cached; // free pages held in the harts' caches
};
PageStats page_stats();
// Free pages (cached ones included) read without the lock, for heuristics
// that need no exact figure (the overcommit check on every brk and mmap).
u64 free_pages_estimate();
u64 total_pages(); // what page_stats().total says, without the lock
// Empty every hart's page cache into the buddy allocator (an allocation
// that would fail does it by itself; tests call it to check the caches
// held nothing else).
void drain_page_caches();

} // namespace kernel::mm
