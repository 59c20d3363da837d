// PageMeta: the per-physical-page record the kernel keeps in one array
// indexed by page frame number, and the page-size constants shared by the
// buddy allocator and the heap.
#pragma once

#include "lib/types.hpp"

namespace lib::mm {

// Sv39 base pages are 4 KiB (privileged spec, section 4.4).
inline constexpr u64 PAGE_SHIFT = 12;
inline constexpr u64 PAGE_SIZE = u64(1) << PAGE_SHIFT;
// Largest buddy block: 2^10 pages = 4 MiB, enough for any kernel allocation
// while keeping the number of free lists small.
inline constexpr unsigned MAX_ORDER = 10;

// The buddy state of a page is exactly one of Reserved, Free, Head, or none
// of them ("tail": a page inside a block whose head is another page). Slab
// and later flags are the kernel's to set on allocated pages; the buddy
// allocator clears them when the block is freed.
enum class PageFlag : u8 {
    Reserved = 1 << 0, // never handed to the allocator (firmware, kernel image, hole)
    Free = 1 << 1,     // head of a free block, on the free list of its order
    Head = 1 << 2,     // head of an allocated block
    Slab = 1 << 3,     // allocated block used as a kmalloc slab
};

struct PageMeta {
    // Free-list links are indices into the meta array, not pointers, so the
    // array can be placed anywhere (and moved into the direct map later).
    static constexpr u32 NO_PAGE = 0xffffffff;

    u32 next;     // free-list link, meaningful while Free
    u32 prev;     // free-list link, meaningful while Free
    u32 refcount; // sharers of an allocated page (copy-on-write); allocation sets 1
    u8 order;     // block order, meaningful on Free and Head pages
    u8 flags;     // PageFlag bits
    u16 owner;    // left to the kernel (e.g. which cache owns a slab page)

    bool has(PageFlag f) const { return (flags & u8(f)) != 0; }
    void set(PageFlag f) { flags = u8(flags | u8(f)); }
    void clear(PageFlag f) { flags = u8(flags & ~u8(f)); }
    // A tail page carries none of the buddy state bits.
    bool is_tail() const
    {
        return (flags & (u8(PageFlag::Reserved) | u8(PageFlag::Free) | u8(PageFlag::Head))) == 0;
    }
};

// The kernel keeps one PageMeta per page of RAM: 16 bytes per 4 KiB is 0.4%.
static_assert(sizeof(PageMeta) <= 16, "PageMeta must stay small: one exists per physical page");

} // namespace lib::mm
