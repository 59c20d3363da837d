// The kernel's physical page allocator: lib::mm::BuddyAllocator under a
// spinlock, with its metadata array placed in RAM at boot.
#include "kernel/mm/page_alloc.hpp"
#include "arch/arch.hpp"
#include "kernel/printk.hpp"
#include "kernel/spinlock.hpp"
#include "lib/mm/buddy.hpp"
#ifdef MYRIAD_HARDENING
#include "kernel/hardening/report.hpp"
#endif

namespace kernel::mm {

static constinit lib::mm::BuddyAllocator s_buddy;
static constinit SpinLock s_lock(LockRank::PageAlloc);
static constinit u64 s_metadata_pages = 0;

static u64 pfn_of(PhysAddr pa) { return pa.value() / PAGE_SIZE; }

// Hot pages: single pages freed lately, kept aside (still marked
// allocated in the buddy metadata) and handed out first, as Linux's
// per-CPU page lists do. Faults, fork and exit allocate and free single
// pages all the time; this skips the buddy's split and merge walks for
// them. They count as free, and have a reference count of 0 (so a second
// free of one is caught); an allocation the buddy cannot serve gives them
// back first.
static constexpr unsigned HOT_LIMIT = 64;
static constinit PhysAddr s_hot[HOT_LIMIT] = {};
static constinit unsigned s_hot_count = 0;

static void drain_hot_pages_locked()
{
    s_lock.assert_held();
    while (s_hot_count > 0) {
        PhysAddr pa = s_hot[--s_hot_count];
        s_buddy.meta(pfn_of(pa)).refcount = 1; // the buddy checks the block as allocated
        auto result = s_buddy.free(pfn_of(pa), 0);
        if (result.is_error())
            PANIC(result.error().what ? result.error().what : "bad hot page");
    }
}

#ifdef MYRIAD_HARDENING
// Page poisoning, as Linux's CONFIG_PAGE_POISONING (mm/page_poison.c): in
// the hardened kernel every page freed, to the hot list or the buddy, is
// filled with PAGE_POISON, and a page handed out again is checked to still
// hold it, so a write through a stale pointer or mapping to a freed page is
// caught, with its pfn, at the next allocation of that page. The byte is
// Linux's (include/linux/poison.h). A bitmap beside the page metadata says
// which free pages were poisoned: RAM that was never allocated is neither
// filled at boot (that touched every page of a 2 GiB machine, seconds under
// QEMU) nor checked.
static constexpr u8 PAGE_POISON = 0xaa;
static constinit u64* s_poisoned = nullptr; // bit (pfn - base_pfn)

static void poison_free_pages_locked(PhysAddr pa, unsigned order)
{
    s_lock.assert_held();
    __builtin_memset(phys_to_virt(pa), PAGE_POISON, PAGE_SIZE << order);
    for (u64 i = pfn_of(pa) - s_buddy.base_pfn(), end = i + (u64(1) << order); i < end; ++i)
        s_poisoned[i / 64] |= u64(1) << (i % 64);
}

// The checker's own loop needs no UBSan checks on each aligned load.
[[gnu::no_sanitize_undefined]] static void check_poison_pages_locked(PhysAddr pa, unsigned order)
{
    s_lock.assert_held();
    constexpr u64 pattern = u64(PAGE_POISON) * 0x0101010101010101ull;
    for (PhysAddr page = pa; page < pa + (PAGE_SIZE << order); page += PAGE_SIZE) {
        u64 bit = pfn_of(page) - s_buddy.base_pfn();
        u64& word = s_poisoned[bit / 64];
        if (!(word & (u64(1) << (bit % 64))))
            continue;
        word &= ~(u64(1) << (bit % 64));
        const auto* words = static_cast<const u64*>(phys_to_virt(page));
        for (u64 i = 0; i < PAGE_SIZE / 8; ++i) {
            if (words[i] == pattern)
                continue;
            const auto* bytes = reinterpret_cast<const u8*>(words + i);
            unsigned b = 0;
            while (bytes[b] == PAGE_POISON)
                ++b;
            HARDENING_PANIC("page use after free: pfn {:#x} (physical {:#x}) was written while free: byte {:#x} "
                            "of the page is {:#04x}, expected poison {:#04x}; found when it was allocated again",
                            pfn_of(page), page.value(), i * 8 + b, bytes[b], PAGE_POISON);
        }
    }
}

// A free of a page the allocator does not consider allocated: say which
// state it is in, with its pfn.
[[noreturn]] static void bad_page_free(PhysAddr pa, unsigned order)
{
    u64 pfn = pfn_of(pa);
    if (!pa.is_aligned() || !s_buddy.owns(pfn))
        HARDENING_PANIC("bad free of page at physical {:#x} (order {}): not a page of the allocator", pa.value(),
                        order);
    const auto& meta = s_buddy.meta(pfn);
    const char* state = meta.has(lib::mm::PageFlag::Free)       ? "the head of a free block"
                        : meta.has(lib::mm::PageFlag::Reserved) ? "reserved, never allocatable"
                        : !meta.has(lib::mm::PageFlag::Head)    ? "inside a block (free, or allocated whole)"
                        : meta.refcount == 0                    ? "free (on the hot list)"
                                                                : "allocated with another order";
    if (meta.has(lib::mm::PageFlag::Free) || (meta.has(lib::mm::PageFlag::Head) && meta.refcount == 0))
        HARDENING_PANIC("page double free: pfn {:#x} (order {}) is already {}", pfn, order, state);
    HARDENING_PANIC("bad free of pfn {:#x} (order {}): the page is {} (block order {})", pfn, order, state,
                    meta.order);
}
#endif

// Frees one page (its reference count already 0 or never shared).
static void free_single_pages_locked(PhysAddr pa)
{
    s_lock.assert_held();
#ifdef MYRIAD_HARDENING
    poison_free_pages_locked(pa, 0);
#endif
    auto& meta = s_buddy.meta(pfn_of(pa));
    if (s_hot_count < HOT_LIMIT) {
        meta.refcount = 0;
        s_hot[s_hot_count++] = pa;
        return;
    }
    meta.refcount = 1; // the buddy checks the block as allocated
    auto result = s_buddy.free(pfn_of(pa), 0);
    if (result.is_error())
        PANIC(result.error().what ? result.error().what : "bad free of a page");
}

void* phys_to_virt(PhysAddr pa) { return arch::phys_to_virt(pa.value()); }
PhysAddr virt_to_phys(const void* va) { return PhysAddr{arch::virt_to_phys_direct(va)}; }

Result<void> page_alloc_init(lib::RangeList usable, u64 ram_base, u64 ram_end)
{
    u64 base_pfn = ram_base / PAGE_SIZE;
    u64 page_count = (ram_end - ram_base) / PAGE_SIZE;
    u64 meta_bytes = lib::align_up(page_count * sizeof(lib::mm::PageMeta), PAGE_SIZE);
#ifdef MYRIAD_HARDENING
    u64 poison_map_bytes = lib::align_up(page_count, 64) / 8; // after the PageMeta array
    meta_bytes = lib::align_up(page_count * sizeof(lib::mm::PageMeta) + poison_map_bytes, PAGE_SIZE);
#endif

    // The metadata goes at the start of the first usable range big enough.
    lib::Optional<u64> meta_pa;
    for (usize i = 0; i < usable.count(); ++i) {
        if (usable[i].size >= meta_bytes) {
            meta_pa = usable[i].base;
            break;
        }
    }
    if (!meta_pa)
        return lib::make_error(Errno::enomem, "no RAM range can hold the page metadata");
    TRY(usable.subtract(*meta_pa, meta_bytes));
    s_metadata_pages = meta_bytes / PAGE_SIZE;

    auto* meta = static_cast<lib::mm::PageMeta*>(phys_to_virt(PhysAddr{*meta_pa}));
    SpinLockGuard guard(s_lock);
#ifdef MYRIAD_HARDENING
    s_poisoned = reinterpret_cast<u64*>(meta + page_count);
    __builtin_memset(s_poisoned, 0, poison_map_bytes);
#endif
    s_buddy.init(meta, base_pfn, page_count);
    detail::g_meta_by_pfn = uptr(meta) - base_pfn * sizeof(lib::mm::PageMeta);
    for (usize i = 0; i < usable.count(); ++i)
        s_buddy.add_free_range(usable[i].base / PAGE_SIZE, usable[i].size / PAGE_SIZE);
    return {};
}

lib::Optional<PhysAddr> alloc_pages(unsigned order)
{
    verify_no_spinlock_but_allocator_held("page allocation");
    SpinLockGuard guard(s_lock);
    if (order == 0 && s_hot_count > 0) {
        PhysAddr pa = s_hot[--s_hot_count];
        auto& meta = s_buddy.meta(pfn_of(pa));
        meta.refcount = 1;
        meta.owner = 0; // as the buddy allocator hands pages out: no stale page mark
#ifdef MYRIAD_HARDENING
        check_poison_pages_locked(pa, 0);
#endif
        return pa;
    }
    auto pfn = s_buddy.allocate(order);
    if (!pfn && s_hot_count > 0) {
        drain_hot_pages_locked(); // the hot pages may complete a bigger block
        pfn = s_buddy.allocate(order);
    }
    if (!pfn)
        return {};
#ifdef MYRIAD_HARDENING
    check_poison_pages_locked(PhysAddr{*pfn * PAGE_SIZE}, order);
#endif
    return PhysAddr{*pfn * PAGE_SIZE};
}

lib::Optional<PhysAddr> alloc_page_zeroed()
{
    auto pa = alloc_pages(0);
    if (pa)
        __builtin_memset(phys_to_virt(*pa), 0, PAGE_SIZE);
    return pa;
}

lib::Optional<u64> alloc_table_page()
{
    auto pa = alloc_page_zeroed();
    if (!pa)
        return {};
    return pa->value();
}

void free_pages(PhysAddr pa, unsigned order)
{
    SpinLockGuard guard(s_lock);
    if (order == 0) {
        // Freeing what was not allocated is a kernel bug, not bad input.
#ifdef MYRIAD_HARDENING
        if (!pa.is_aligned() || !s_buddy.owns(pfn_of(pa)))
            bad_page_free(pa, order);
#endif
        auto& meta = s_buddy.meta(pfn_of(pa));
#ifdef MYRIAD_HARDENING
        if (!(meta.has(lib::mm::PageFlag::Head) && meta.order == 0 && meta.refcount > 0))
            bad_page_free(pa, order);
#endif
        VERIFY(meta.has(lib::mm::PageFlag::Head) && meta.order == 0 && meta.refcount > 0);
        free_single_pages_locked(pa);
        return;
    }
    auto result = s_buddy.free(pfn_of(pa), order);
#ifdef MYRIAD_HARDENING
    if (result.is_error())
        bad_page_free(pa, order);
    poison_free_pages_locked(pa, order);
#endif
    // Freeing what was not allocated is a kernel bug, not bad input.
    if (result.is_error())
        PANIC(result.error().what ? result.error().what : "bad free_pages");
}

// page_get/page_put are inline (page_alloc.hpp): the count is atomic so
// that sharing a page costs an increment, not the allocator's lock; only
// the last put comes here.
namespace detail {

void free_unreferenced_page(PhysAddr pa)
{
    SpinLockGuard guard(s_lock);
    free_single_pages_locked(pa);
}

#ifdef MYRIAD_HARDENING
void bad_page_reference(const lib::mm::PageMeta& meta)
{
    u64 pfn = (uptr(&meta) - g_meta_by_pfn) / sizeof(lib::mm::PageMeta);
    HARDENING_PANIC("page use after free: reference count of free pfn {:#x} changed (page_get or page_put of a "
                    "page nobody holds)",
                    pfn);
}
#else
void bad_page_reference(const lib::mm::PageMeta&) { PANIC("reference count of a free page changed"); }
#endif

} // namespace detail

PageFrames page_frames() { return {s_buddy.base_pfn(), s_buddy.page_count()}; }

bool page_is_allocated(PhysAddr pa)
{
    u64 pfn = pfn_of(pa);
    if (!s_buddy.owns(pfn))
        return false;
    const auto& meta = s_buddy.meta(pfn);
    return meta.refcount > 0 && meta.has(lib::mm::PageFlag::Head) && meta.order == 0;
}

#ifdef MYRIAD_HARDENING
// The mark is the owner's: reading or writing it on a free page is a use
// after free of that page.
static void check_marked_page(PhysAddr pa)
{
    if (s_buddy.meta(pfn_of(pa)).refcount == 0)
        HARDENING_PANIC("page use after free: page mark of free pfn {:#x} used", pfn_of(pa));
}
u16 page_mark(PhysAddr pa)
{
    check_marked_page(pa);
    return s_buddy.meta(pfn_of(pa)).owner;
}
void set_page_mark(PhysAddr pa, u16 mark)
{
    check_marked_page(pa);
    s_buddy.meta(pfn_of(pa)).owner = mark;
}
#else
u16 page_mark(PhysAddr pa) { return s_buddy.meta(pfn_of(pa)).owner; }
void set_page_mark(PhysAddr pa, u16 mark) { s_buddy.meta(pfn_of(pa)).owner = mark; }
#endif



PageStats page_stats()
{
    SpinLockGuard guard(s_lock);
    return {s_buddy.total_pages(), s_buddy.free_pages() + s_hot_count, s_metadata_pages};
}

} // namespace kernel::mm
