// What the address-space files share (address_space.cpp: regions and
// pages; address_space_fork.cpp: fork; address_space_mmap.cpp: brk and
// the mmap family). Not for use outside kernel/mm.
#pragma once

#include "arch/arch.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/page_alloc.hpp"

namespace kernel::mm::detail {

using arch::Pte;

// Page tables of user spaces. Leaf tables can be shared by several spaces
// (fork), so freeing one drops a reference.
arch::TablePageSource& user_tables();

// The two PTE bits reserved for software (RSW, priv spec 4.4.1):
// PTE_COW: shared copy-on-write, mapped without W; the first write copies
// it (or, for the last sharer of an anonymous page, just restores W).
inline constexpr Pte PTE_COW = 1 << 8;
// PTE_FILE: the page is the page cache's (a file's or shared anonymous
// memory's), not this space's own: it counts as RssFile/RssShmem and a
// private write always copies it.
inline constexpr Pte PTE_FILE = 1 << 9;
inline constexpr Pte PTE_FLAG_BITS = (1u << arch::PTE_PPN_SHIFT) - 1;
// file_end of a region that is file all the way (an mmap of a file).
inline constexpr u64 ALL_FILE = ~0ull;
inline constexpr u64 BLOCK = 2ull << 20; // what one leaf table maps
// The page mark of a leaf table whose private anonymous entries are all
// write-protected copy-on-write already: a fork need not look at them
// again. Cleared whenever the table may change (own_entry, own_tables).
inline constexpr u16 TABLE_ALL_COW = 1;

// The page an entry points at, as the allocator names it: where a physical
// address leaves the page-table layer (plain u64) for the allocator's API.
inline PhysAddr pte_page(Pte entry) { return PhysAddr{arch::pte_address(entry)}; }

inline u64 pages_in(u64 bytes) { return bytes / PAGE_SIZE; }

// Private memory this region may dirty: what commit_ok weighs.
inline bool accountable(const Region& r) { return !r.shared() && (r.prot & PROT_WRITE); }

// visit(block) once for each 2 MiB block that some region overlaps, in
// ascending order: where leaf tables can be.
template <typename Visit> void for_each_block(const Region* regions, usize count, Visit&& visit)
{
    u64 last = ~0ull;
    for (usize i = 0; i < count; ++i) {
        for (u64 block = lib::align_down(regions[i].start, BLOCK); block < regions[i].end; block += BLOCK) {
            if (block != last)
                visit(block);
            last = block;
        }
    }
}

// A region's reference on its file (none for anonymous memory).
void file_ref(const Region&);
void file_unref(const Region&);

// Splits regions[i] in two at `address` (no-op at a boundary). One spare
// slot must exist.
void split_at(Region* regions, usize& count, usize i, u64 address);

bool eager_fork(); // fork=copy

} // namespace kernel::mm::detail
