// Physical pages: the buddy allocator (lib/mm/buddy) over the device-tree
// RAM minus the kernel image, reserved memory, the device tree and the
// initrd, behind one lock. Pages are named by physical address; the kernel
// reaches them through the direct map (phys_to_virt).
#pragma once

#include "lib/mm/page_meta.hpp"
#include "lib/optional.hpp"
#include "lib/range_list.hpp"
#include "lib/result.hpp"

namespace kernel::mm {

using lib::mm::PAGE_SIZE;

void* phys_to_virt(u64 pa);
u64 virt_to_phys(const void* va);

// usable: page-aligned free RAM. ram_base/ram_end bound every RAM range
// (the metadata array covers [ram_base, ram_end)). The metadata itself is
// carved out of `usable`.
Result<void> page_alloc_init(lib::RangeList usable, u64 ram_base, u64 ram_end);

// 2^order contiguous pages, naturally aligned, or empty when out of memory.
lib::Optional<u64> alloc_pages(unsigned order);
lib::Optional<u64> alloc_page_zeroed();
void free_pages(u64 pa, unsigned order);

// Reference counts of single pages (copy-on-write sharing). Allocation
// gives a count of 1; page_put frees the page when the count reaches 0.
// Inline: fork and exit take and drop hundreds of them.
namespace detail {
// The PageMeta array, addressed by page frame number (set up at boot).
inline constinit uptr g_meta_by_pfn = 0;
inline lib::mm::PageMeta& meta_of(u64 pa)
{
    return *reinterpret_cast<lib::mm::PageMeta*>(g_meta_by_pfn + (pa / PAGE_SIZE) * sizeof(lib::mm::PageMeta));
}
[[noreturn]] void bad_page_reference(u64 pa);
void free_unreferenced_page(u64 pa); // the last reference went
} // namespace detail

inline void page_get(u64 pa)
{
    if (__atomic_fetch_add(&detail::meta_of(pa).refcount, 1, __ATOMIC_RELAXED) == 0)
        detail::bad_page_reference(pa); // a free page: a kernel bug
}

inline void page_put(u64 pa)
{
    u32 before = __atomic_fetch_sub(&detail::meta_of(pa).refcount, 1, __ATOMIC_ACQ_REL);
    if (before == 1)
        detail::free_unreferenced_page(pa);
    else if (before == 0)
        detail::bad_page_reference(pa);
}

inline u32 page_refs(u64 pa) { return __atomic_load_n(&detail::meta_of(pa).refcount, __ATOMIC_ACQUIRE); }
// A 16-bit mark the page's owner may keep in its metadata (0 when the
// page is allocated).
u16 page_mark(u64 pa);
void set_page_mark(u64 pa, u16 mark);

// The page frames the allocator manages: [base_pfn, base_pfn + count).
struct PageFrames {
    u64 base_pfn, count;
};
PageFrames page_frames();
// A single page handed out by alloc_pages(0) and not freed since (for the
// memory invariant checker: what a user PTE may point at).
bool page_is_allocated(u64 pa);

struct PageStats {
    u64 total;    // pages handed to the allocator at boot
    u64 free;
    u64 metadata; // pages used by the PageMeta array
};
PageStats page_stats();

} // namespace kernel::mm
