// The kernel's physical page allocator: lib::mm::BuddyAllocator under a
// spinlock, with its metadata array placed in RAM at boot, and in front of
// it one cache of single pages per hart.
#include "kernel/mm/page_alloc.hpp"
#include "arch/arch.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"
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

// Per-hart page caches, as Linux's per-CPU page lists (mm/page_alloc.c,
// struct per_cpu_pages): faults, fork and exit allocate and free single
// pages all the time, and each hart takes and returns them through its own
// cache, going to the buddy allocator (and its lock, shared by every hart)
// once per PCP_BATCH pages. A cached page stays allocated in the buddy's
// metadata (Head, order 0) with a reference count of 0, so a second free
// or a page_get of it is caught; it counts as free (page_stats).
//
// The rule: a hart's cache is read and written only with its own lock
// held. The owner takes it for every allocation and free (uncontended:
// one atomic swap, as the single allocator lock cost before); any hart
// takes it to drain the cache into the buddy when an allocation would
// fail. Neither holds it while waiting for another hart, so a drain needs
// no IPI and is safe under any lock ranked below page-cache. Asking the
// owners instead (smp_call) would deadlock: a slab refill runs out of
// pages under the kmalloc lock, and the hart it asks may be spinning on
// that same lock with interrupts off. Interrupts stay off while the lock
// is held, so an interrupt handler freeing a page never finds its own
// hart's cache locked. Cache locks all have one rank: a hart holds at most
// one at a time, then maybe the page-alloc lock.
static constexpr u32 PCP_HIGH = 60;  // most pages a hart keeps (the cache fills 512 bytes)
static constexpr u32 PCP_BATCH = 16; // pages moved to or from the buddy at once

struct alignas(64) HartPageCache { // cache lines of its own: no false sharing of the lock
    SpinLock lock{LockRank::PageCache};
    u32 count = 0; // changed under `lock`; read without it for statistics
    PhysAddr pages[PCP_HIGH] = {}; // [0, count): the top is the page freed last (still in the CPU cache)
};
// A power of two: finding this hart's cache is one shift on every
// allocation and free.
static_assert(sizeof(HartPageCache) == 512);
static constinit HartPageCache s_caches[MAX_HARTS];
// Every index a hart can have is below this (smp_discovered(), known
// before the allocator starts): statistics and drains look at no more.
static constinit u32 s_cache_count = MAX_HARTS;

static HartPageCache& this_hart_cache() { return s_caches[arch::this_hart().index]; }

// The count is written under the cache's lock and read without it by the
// statistics: one aligned store (GCC makes a relaxed __atomic_store_n an
// amoswap on RISC-V; a plain store is as indivisible and cheaper).
static void set_count_locked(HartPageCache& cache, u32 count)
{
    cache.lock.assert_held();
    *static_cast<volatile u32*>(&cache.count) = count;
}


#ifdef MYRIAD_HARDENING
// Page poisoning, as Linux's CONFIG_PAGE_POISONING (mm/page_poison.c): in
// the hardened kernel every page freed, to a hart's cache or the buddy, is
// filled with PAGE_POISON, and a page handed out again is checked to still
// hold it, so a write through a stale pointer or mapping to a freed page is
// caught, with its pfn, at the next allocation of that page. The byte is
// Linux's (include/linux/poison.h). A bitmap beside the page metadata says
// which free pages were poisoned: RAM that was never allocated is neither
// filled at boot (that touched every page of a 2 GiB machine, seconds under
// QEMU) nor checked.
static constexpr u8 PAGE_POISON = 0xaa;
static constinit u64* s_poisoned = nullptr; // bit (pfn - base_pfn)

// The pages are the caller's (freed, not yet published), so no lock is
// needed for them; the bitmap's words are shared by neighbouring pages that
// other harts free and allocate, hence the atomic bit operations.
static void poison_free_pages(PhysAddr pa, unsigned order)
{
    __builtin_memset(phys_to_virt(pa), PAGE_POISON, PAGE_SIZE << order);
    for (u64 i = pfn_of(pa) - s_buddy.base_pfn(), end = i + (u64(1) << order); i < end; ++i)
        __atomic_fetch_or(&s_poisoned[i / 64], u64(1) << (i % 64), __ATOMIC_RELAXED);
}

// The checker's own loop needs no UBSan checks on each aligned load.
// The pages were just allocated: the caller's alone.
[[gnu::no_sanitize_undefined]] static void check_poison_pages(PhysAddr pa, unsigned order)
{
    constexpr u64 pattern = u64(PAGE_POISON) * 0x0101010101010101ull;
    for (PhysAddr page = pa; page < pa + (PAGE_SIZE << order); page += PAGE_SIZE) {
        u64 bit = pfn_of(page) - s_buddy.base_pfn();
        u64 mask = u64(1) << (bit % 64);
        if (!(__atomic_fetch_and(&s_poisoned[bit / 64], ~mask, __ATOMIC_RELAXED) & mask))
            continue;
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

// Hands `count` pages from the bottom of `cache` (the coldest) back to the
// buddy allocator. The caller holds the cache's lock and page-alloc.
static void uncache_pages_locked(HartPageCache& cache, u32 count)
{
    cache.lock.assert_held();
    s_lock.assert_held();
    for (u32 i = 0; i < count; ++i) {
        PhysAddr pa = cache.pages[i];
        s_buddy.meta(pfn_of(pa)).refcount = 1; // the buddy checks the block as allocated
        auto result = s_buddy.free(pfn_of(pa), 0);
        if (result.is_error())
            PANIC(result.error().what ? result.error().what : "bad cached page");
    }
    u32 left = cache.count - count;
    __builtin_memmove(cache.pages, cache.pages + count, left * sizeof(PhysAddr));
    set_count_locked(cache, left);
}

// Every hart's cache back into the buddy allocator. The caller holds no
// cache lock (they share one rank) nor the page-alloc lock.
static void drain_hart_caches()
{
    for (u32 i = 0, n = s_cache_count; i < n; ++i) {
        auto& cache = s_caches[i];
        if (__atomic_load_n(&cache.count, __ATOMIC_RELAXED) == 0)
            continue; // a page cached after this look is found by the next drain
        SpinLockGuard cache_guard(cache.lock);
        SpinLockGuard guard(s_lock);
        uncache_pages_locked(cache, cache.count);
    }
}

// Fills this hart's empty cache with PCP_BATCH pages from the buddy
// allocator (fewer when it has fewer); false when it has none.
static bool refill_cache_locked(HartPageCache& cache)
{
    cache.lock.assert_held();
    SpinLockGuard guard(s_lock);
    u32 got = 0;
    for (; got < PCP_BATCH; ++got) {
        auto pfn = s_buddy.allocate(0);
        if (!pfn)
            break;
        s_buddy.meta(*pfn).refcount = 0; // cached: free to page_get and free_pages
        cache.pages[PCP_BATCH - 1 - got] = PhysAddr{*pfn * PAGE_SIZE}; // the first handed out on top
    }
    if (got < PCP_BATCH)
        __builtin_memmove(cache.pages, cache.pages + (PCP_BATCH - got), got * sizeof(PhysAddr));
    set_count_locked(cache, got);
    return got > 0;
}

// The top page of a cache that holds some, handed out.
static PhysAddr take_cached_page_locked(HartPageCache& cache)
{
    cache.lock.assert_held();
    u32 top = cache.count - 1;
    PhysAddr pa = cache.pages[top];
    set_count_locked(cache, top);
    auto& meta = s_buddy.meta(pfn_of(pa));
    meta.refcount = 1;
    meta.owner = 0; // as the buddy allocator hands pages out: no stale page mark
    return pa;
}

static void put_cached_page_locked(HartPageCache& cache, PhysAddr pa)
{
    cache.lock.assert_held();
    u32 count = cache.count;
    cache.pages[count] = pa;
    set_count_locked(cache, count + 1);
}

// The paths of free_single_page and alloc_pages that reach the buddy
// allocator are out of line, so that the common ones (a page taken from or
// put into this hart's cache) need no call and few saved registers.

// This hart's cache was full: its coldest batch goes to the buddy first.
[[gnu::noinline]] static void free_single_page_slow(PhysAddr pa)
{
    auto& cache = this_hart_cache();
    SpinLockGuard cache_guard(cache.lock);
    if (cache.count == PCP_HIGH) {
        SpinLockGuard guard(s_lock);
        uncache_pages_locked(cache, PCP_BATCH);
    }
    put_cached_page_locked(cache, pa);
}

// Frees one page (its reference count already 0) into this hart's cache.
static inline void free_single_page(PhysAddr pa)
{
#ifdef MYRIAD_HARDENING
    poison_free_pages(pa, 0);
#endif
    {
        auto& cache = this_hart_cache();
        SpinLockGuard cache_guard(cache.lock);
        if (cache.count < PCP_HIGH) [[likely]] {
            put_cached_page_locked(cache, pa);
            return;
        }
    }
    free_single_page_slow(pa);
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
    if (u32 harts = smp_discovered(); harts > 0)
        s_cache_count = harts;

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

// A block of order > 0, or a single page when this hart's cache was
// empty: refilled from the buddy allocator, or when even the buddy has no
// page, every hart's cache drained first.
[[gnu::noinline]] static lib::Optional<PhysAddr> alloc_pages_slow(unsigned order)
{
    lib::Optional<u64> pfn;
    if (order == 0) {
        auto& cache = this_hart_cache();
        SpinLockGuard cache_guard(cache.lock);
        if (cache.count > 0 || refill_cache_locked(cache))
            return take_cached_page_locked(cache);
    } else {
        SpinLockGuard guard(s_lock);
        pfn = s_buddy.allocate(order);
    }
    if (!pfn) {
        // Out of memory but for the pages the harts' caches keep: take
        // them all back, then try once more. Another hart may refill its
        // cache from them before the retry; then this allocation fails, as
        // it would a moment later anyway.
        drain_hart_caches();
        SpinLockGuard guard(s_lock);
        pfn = s_buddy.allocate(order);
    }
    if (!pfn)
        return {};
    return PhysAddr{*pfn * PAGE_SIZE};
}

lib::Optional<PhysAddr> alloc_pages(unsigned order)
{
    verify_no_spinlock_but_allocator_held("page allocation");
    lib::Optional<PhysAddr> pa;
    if (order == 0) [[likely]] {
        auto& cache = this_hart_cache();
        SpinLockGuard cache_guard(cache.lock);
        if (cache.count > 0) [[likely]]
            pa = take_cached_page_locked(cache);
    }
    if (!pa) [[unlikely]]
        pa = alloc_pages_slow(order);
#ifdef MYRIAD_HARDENING
    if (pa)
        check_poison_pages(*pa, order);
#endif
    return pa;
}

lib::Optional<PhysAddr> alloc_page_zeroed()
{
    auto pa = alloc_pages(0);
    if (pa)
        arch::zero_page(phys_to_virt(*pa));
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
    if (order == 0) {
        // Freeing what was not allocated is a kernel bug, not bad input.
#ifdef MYRIAD_HARDENING
        if (!pa.is_aligned() || !s_buddy.owns(pfn_of(pa)))
            bad_page_free(pa, order);
#endif
        auto& meta = s_buddy.meta(pfn_of(pa));
        // Atomic: with no lock over both, two harts freeing the same page
        // at once must not both see it allocated.
        u32 refs = __atomic_exchange_n(&meta.refcount, 0u, __ATOMIC_RELAXED);
        bool allocated = meta.has(lib::mm::PageFlag::Head) && meta.order == 0 && refs > 0;
#ifdef MYRIAD_HARDENING
        if (!allocated) {
            meta.refcount = refs; // as it was, for the report
            bad_page_free(pa, order);
        }
#endif
        VERIFY(allocated);
        free_single_page(pa);
        return;
    }
    SpinLockGuard guard(s_lock);
    auto result = s_buddy.free(pfn_of(pa), order);
#ifdef MYRIAD_HARDENING
    if (result.is_error())
        bad_page_free(pa, order);
    poison_free_pages(pa, order); // under the lock: nobody can allocate the block before it is poisoned
#endif
    // Freeing what was not allocated is a kernel bug, not bad input.
    if (result.is_error())
        PANIC(result.error().what ? result.error().what : "bad free_pages");
}

// page_get/page_put are inline (page_alloc.hpp): the count is atomic so
// that sharing a page costs an increment, not the allocator's lock; only
// the last put comes here.
namespace detail {

void free_unreferenced_page(PhysAddr pa) { free_single_page(pa); }

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



// Pages in the caches: a snapshot, exact when no hart allocates or frees
// meanwhile (as the leak checks compare it).
static u64 hart_cached_pages()
{
    u64 cached = 0;
    for (u32 i = 0, n = s_cache_count; i < n; ++i)
        cached += __atomic_load_n(&s_caches[i].count, __ATOMIC_RELAXED);
    return cached;
}

PageStats page_stats()
{
    SpinLockGuard guard(s_lock);
    u64 cached = hart_cached_pages();
    return {s_buddy.total_pages(), s_buddy.free_pages() + cached, s_metadata_pages, cached};
}

u64 total_pages() { return s_buddy.total_pages(); } // set at boot, then fixed

u64 free_pages_estimate()
{
    // Without the lock: a moment old, and never torn (one word each).
    return s_buddy.free_pages_relaxed() + hart_cached_pages();
}

void drain_page_caches() { drain_hart_caches(); }

} // namespace kernel::mm
