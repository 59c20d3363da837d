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
void page_get(u64 pa);
void page_put(u64 pa);
u32 page_refs(u64 pa);
// A 16-bit mark the page's owner may keep in its metadata (0 when the
// page is allocated).
u16 page_mark(u64 pa);
void set_page_mark(u64 pa, u16 mark);

struct PageStats {
    u64 total;    // pages handed to the allocator at boot
    u64 free;
    u64 metadata; // pages used by the PageMeta array
};
PageStats page_stats();

} // namespace kernel::mm
