// The kernel's physical page allocator: lib::mm::BuddyAllocator under a
// spinlock, with its metadata array placed in RAM at boot.
#include "kernel/mm/page_alloc.hpp"
#include "arch/riscv/page_table.hpp"
#include "kernel/printk.hpp"
#include "kernel/spinlock.hpp"
#include "lib/mm/buddy.hpp"

namespace kernel::mm {

static constinit lib::mm::BuddyAllocator s_buddy;
static constinit SpinLock s_lock("page-alloc");
static constinit u64 s_metadata_pages = 0;

// Hot pages: single pages freed lately, kept aside (still marked
// allocated in the buddy metadata) and handed out first, as Linux's
// per-CPU page lists do. Faults, fork and exit allocate and free single
// pages all the time; this skips the buddy's split and merge walks for
// them. They count as free, and have a reference count of 0 (so a second
// free of one is caught); an allocation the buddy cannot serve gives them
// back first.
static constexpr unsigned HOT_LIMIT = 64;
static constinit u64 s_hot[HOT_LIMIT] = {};
static constinit unsigned s_hot_count = 0;

static void drain_hot_locked()
{
    while (s_hot_count > 0) {
        u64 pa = s_hot[--s_hot_count];
        s_buddy.meta(pa / PAGE_SIZE).refcount = 1; // the buddy checks the block as allocated
        auto result = s_buddy.free(pa / PAGE_SIZE, 0);
        if (result.is_error())
            PANIC(result.error().what ? result.error().what : "bad hot page");
    }
}

// Frees one page (its reference count already 0 or never shared).
static void free_single_locked(u64 pa)
{
    auto& meta = s_buddy.meta(pa / PAGE_SIZE);
    if (s_hot_count < HOT_LIMIT) {
        meta.refcount = 0;
        s_hot[s_hot_count++] = pa;
        return;
    }
    meta.refcount = 1; // the buddy checks the block as allocated
    auto result = s_buddy.free(pa / PAGE_SIZE, 0);
    if (result.is_error())
        PANIC(result.error().what ? result.error().what : "bad free of a page");
}

void* phys_to_virt(u64 pa) { return arch::riscv::phys_to_virt(pa); }
u64 virt_to_phys(const void* va) { return arch::riscv::virt_to_phys_direct(va); }

Result<void> page_alloc_init(lib::RangeList usable, u64 ram_base, u64 ram_end)
{
    u64 base_pfn = ram_base / PAGE_SIZE;
    u64 page_count = (ram_end - ram_base) / PAGE_SIZE;
    u64 meta_bytes = lib::align_up(page_count * sizeof(lib::mm::PageMeta), PAGE_SIZE);

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

    auto* meta = static_cast<lib::mm::PageMeta*>(phys_to_virt(*meta_pa));
    SpinLockGuard guard(s_lock);
    s_buddy.init(meta, base_pfn, page_count);
    detail::g_meta_by_pfn = uptr(meta) - base_pfn * sizeof(lib::mm::PageMeta);
    for (usize i = 0; i < usable.count(); ++i)
        s_buddy.add_free_range(usable[i].base / PAGE_SIZE, usable[i].size / PAGE_SIZE);
    return {};
}

lib::Optional<u64> alloc_pages(unsigned order)
{
    SpinLockGuard guard(s_lock);
    if (order == 0 && s_hot_count > 0) {
        u64 pa = s_hot[--s_hot_count];
        auto& meta = s_buddy.meta(pa / PAGE_SIZE);
        meta.refcount = 1;
        meta.owner = 0; // as the buddy allocator hands pages out: no stale page mark
        return pa;
    }
    auto pfn = s_buddy.allocate(order);
    if (!pfn && s_hot_count > 0) {
        drain_hot_locked(); // the hot pages may complete a bigger block
        pfn = s_buddy.allocate(order);
    }
    if (!pfn)
        return {};
    return *pfn * PAGE_SIZE;
}

lib::Optional<u64> alloc_page_zeroed()
{
    auto pa = alloc_pages(0);
    if (pa)
        __builtin_memset(phys_to_virt(*pa), 0, PAGE_SIZE);
    return pa;
}

void free_pages(u64 pa, unsigned order)
{
    SpinLockGuard guard(s_lock);
    if (order == 0) {
        // Freeing what was not allocated is a kernel bug, not bad input.
        auto& meta = s_buddy.meta(pa / PAGE_SIZE);
        VERIFY(meta.has(lib::mm::PageFlag::Head) && meta.order == 0 && meta.refcount > 0);
        free_single_locked(pa);
        return;
    }
    auto result = s_buddy.free(pa / PAGE_SIZE, order);
    // Freeing what was not allocated is a kernel bug, not bad input.
    if (result.is_error())
        PANIC(result.error().what ? result.error().what : "bad free_pages");
}

// page_get/page_put are inline (page_alloc.hpp): the count is atomic so
// that sharing a page costs an increment, not the allocator's lock; only
// the last put comes here.
namespace detail {

void free_unreferenced_page(u64 pa)
{
    SpinLockGuard guard(s_lock);
    free_single_locked(pa);
}

void bad_page_reference(u64) { PANIC("reference count of a free page changed"); }

} // namespace detail

PageFrames page_frames() { return {s_buddy.base_pfn(), s_buddy.page_count()}; }

bool page_is_allocated(u64 pa)
{
    u64 pfn = pa / PAGE_SIZE;
    if (!s_buddy.owns(pfn))
        return false;
    const auto& meta = s_buddy.meta(pfn);
    return meta.refcount > 0 && meta.has(lib::mm::PageFlag::Head) && meta.order == 0;
}

u16 page_mark(u64 pa) { return s_buddy.meta(pa / PAGE_SIZE).owner; }
void set_page_mark(u64 pa, u16 mark) { s_buddy.meta(pa / PAGE_SIZE).owner = mark; }



PageStats page_stats()
{
    SpinLockGuard guard(s_lock);
    return {s_buddy.total_pages(), s_buddy.free_pages() + s_hot_count, s_metadata_pages};
}

} // namespace kernel::mm
