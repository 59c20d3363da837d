// Address spaces: creation, activation and TLB flushes, and pages on
// demand (zeroed, from the page cache, or copied on write). The region
// array is in address_space_regions.cpp, fork in address_space_fork.cpp,
// brk and the mmap family in address_space_mmap.cpp.
#include "kernel/smp.hpp"
#include "kernel/mm/address_space.hpp"
#include "arch/arch.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space_internal.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/syscall/shm.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/panic.hpp"

namespace kernel::mm {

using namespace arch;
using namespace detail;

namespace {

class UserTableSource final : public TablePageSource {
public:
    lib::Optional<u64> allocate_table_page() override { return alloc_table_page(); }
    void free_table_page(u64 pa) override { page_put(PhysAddr{pa}); }
};
constinit UserTableSource s_tables;

constexpr unsigned USER_ROOT_LAST = 255; // root entries 0..255 are the user half
// Root entry 255 (the top GiB, the trampoline's) is the same table in
// every space; 0..254 are each space's own.
constexpr unsigned TRAMPOLINE_ROOT_INDEX = 255;
static_assert(USER_REGIONS_END == u64(TRAMPOLINE_ROOT_INDEX) << 30);
// The signal-return trampoline: one read-only, executable page shared by
// every address space at the top of user space (the rt_sigreturn system
// call, arch::sigreturn_trampoline_code()). Never in the region list: never copied,
// never freed. Its level-1 and leaf tables are built once at boot and
// every root points at them: creating a space maps nothing.
constexpr u64 TRAMPOLINE_VA = SIGRETURN_TRAMPOLINE_VA;
constinit u64 s_trampoline_l1_pa = 0;
constinit bool s_eager_fork = false;

} // namespace

namespace detail {

TablePageSource& user_tables() { return s_tables; }
bool eager_fork() { return s_eager_fork; }

void file_ref(const Region& r)
{
    if (r.file)
        fs::inode_ref(*r.file);
}

void file_unref(const Region& r)
{
    if (r.file && (r.flags & REGION_SYSV))
        ipc::shm_region_detached(*r.file);
    else if (r.file)
        fs::inode_unref(*r.file);
}

} // namespace detail

Result<void> address_space_init()
{
    auto pa = alloc_page_zeroed();
    if (!pa)
        return Errno::enomem;
    arch::Code code = arch::sigreturn_trampoline_code();
    __builtin_memcpy(phys_to_virt(*pa), code.words, code.count * sizeof(u32));
    arch::sync_instruction_cache();
    // A scratch root to build the trampoline's level-1 and leaf tables in.
    auto root = alloc_page_zeroed();
    if (!root) {
        free_pages(*pa, 0);
        return Errno::enomem;
    }
    auto mapped = PageTable(root->value()).map(TRAMPOLINE_VA, pa->value(), PAGE_SIZE, PTE_U | PTE_R | PTE_X | PTE_A, s_tables);
    if (mapped.is_error()) {
        free_pages(*root, 0);
        free_pages(*pa, 0);
        return mapped.error();
    }
    s_trampoline_l1_pa = pte_address(static_cast<Pte*>(phys_to_virt(*root))[TRAMPOLINE_ROOT_INDEX]);
    free_pages(*root, 0);
    return {};
}

u64 user_pte_flags(u32 prot)
{
    u64 flags = PTE_U | PTE_A | PTE_D;
    if (prot & PROT_READ)
        flags |= PTE_R;
    if (prot & PROT_WRITE)
        flags |= PTE_R | PTE_W; // W without R is reserved in Sv39
    if (prot & PROT_EXEC)
        flags |= PTE_X;
    return flags;
}

bool commit_ok(u64 pages)
{
    u64 reserve = total_pages() / 32; // kept for the kernel: tables, stacks, pipes
    return pages + reserve <= free_pages_estimate();
}

void set_eager_fork(bool eager) { s_eager_fork = eager; }

Result<AddressSpace*> AddressSpace::create()
{
    auto root = alloc_pages(0);
    if (!root)
        return Errno::enomem;
    auto* as = make<AddressSpace>();
    if (!as) {
        free_pages(*root, 0);
        return Errno::enomem;
    }
    as->m_root_pa = root->value();
    // The user half empty but for the trampoline's GiB; the kernel half
    // the same entries as the kernel's own root table.
    constexpr usize HALF = PTES_PER_TABLE / 2 * sizeof(Pte);
    static_assert(USER_ROOT_LAST + 1 == PTES_PER_TABLE / 2);
    auto* mine = static_cast<Pte*>(phys_to_virt(*root));
    __builtin_memset(mine, 0, HALF);
    __builtin_memcpy(mine + USER_ROOT_LAST + 1,
                     static_cast<const Pte*>(phys_to_virt(PhysAddr{kernel_root_pa()})) + USER_ROOT_LAST + 1, HALF);
    mine[TRAMPOLINE_ROOT_INDEX] = make_pte(s_trampoline_l1_pa, PTE_V);
    return as;
}

void AddressSpace::release(AddressSpace* as)
{
    if (__atomic_sub_fetch(&as->m_users, 1, __ATOMIC_ACQ_REL) == 0)
        destroy(as);
}

void AddressSpace::destroy(AddressSpace* as)
{
    if (!as)
        return;
    VERIFY(as != active());
    // An idle hart keeps the table of the last space it ran (idle runs in
    // the kernel half, which every table shares): move it off this one.
    for (u64 others = as->other_harts(); others; others &= others - 1) {
        u32 i = u32(__builtin_ctzll(others));
        if (kernel::hart_by_index(i).address_space == as)
            kernel::smp_call(i, [](void* space) {
                if (active() == space)
                    deactivate();
            }, as);
    }
    PageTable table(as->m_root_pa);
    // Leaf tables still shared with another space (fork): drop our
    // reference; their pages belong to the table, which lives on. One the
    // other space left meanwhile is ours alone: freed below with its pages.
    for_each_block(as->m_regions, as->m_region_count, [&](u64 block) {
        Pte* entry = table.table_entry(block);
        if (entry && pte_is_table(*entry) && page_put_unless_last(pte_page(*entry)))
            *entry = 0;
    });
    for (usize i = 0; i < as->m_region_count; ++i) {
        const Region& r = as->m_regions[i];
        table.for_each_leaf(r.start, r.end, [](u64, Pte& entry) { page_put(pte_page(entry)); });
        file_unref(r);
    }
    table.free_tables(0, TRAMPOLINE_ROOT_INDEX - 1, s_tables); // not the shared trampoline tables
    free_pages(PhysAddr{as->m_root_pa}, 0);
    kfree(as->m_regions);
    kernel::mm::destroy(as);
}

void AddressSpace::activate()
{
    arch::Hart& hart = arch::this_hart();
    // The hart joins the mask before the table is in satp (Linux sets
    // mm_cpumask before switch_mm): a shootdown that misses the bit was
    // ordered before any walk this hart makes of the table. The other
    // side is the fence in other_harts().
    u64 bit = 1ull << hart.index;
    if (!(__atomic_load_n(&m_harts, __ATOMIC_RELAXED) & bit))
        __atomic_fetch_or(&m_harts, bit, __ATOMIC_SEQ_CST);
    switch_user_table(m_root_pa, &m_asid);
    hart.address_space = this;
    icache_switch_in(icache, hart.index);
}

u64 AddressSpace::other_harts() const
{
    // The entry change that calls for a flush is ordered before the read
    // of the mask (store then load: a full fence on RISC-V's RVWMO).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&m_harts, __ATOMIC_RELAXED) & ~(1ull << arch::this_hart().index);
}

void AddressSpace::flush_page(u64 va) const
{
    flush_tlb_page(va);
    if (u64 others = other_harts()) [[unlikely]]
        kernel::smp_flush_tlbs(others);
}

void AddressSpace::flush_all() const
{
    flush_tlb_all();
    if (u64 others = other_harts()) [[unlikely]]
        kernel::smp_flush_tlbs(others);
}

void AddressSpace::deactivate()
{
    switch_kernel_table(kernel_root_pa());
    arch::this_hart().address_space = nullptr;
}

// --- Pages -------------------------------------------------------------

// A leaf table shared with other spaces since a fork becomes this
// space's own before any entry in it changes: a copy of the 512 entries,
// a reference more on each page they map, our reference on the shared
// table dropped. (The last holder finds the count at 1 and keeps it.)
bool AddressSpace::unshare_table(Pte* table_entry)
{
    PhysAddr shared = pte_page(*table_entry);
    if (page_refs(shared) == 1)
        return true;
    auto own = alloc_pages(0);
    if (!own)
        return false;
    arch::copy_page(phys_to_virt(*own), phys_to_virt(shared));
    // A reference more on every page the copy maps (skipping empty lines
    // of eight entries: most of a table is empty).
    const auto* entry = static_cast<const Pte*>(phys_to_virt(*own));
    for (const Pte* end = entry + PTES_PER_TABLE; entry < end; entry += 8) {
        if (!(entry[0] | entry[1] | entry[2] | entry[3] | entry[4] | entry[5] | entry[6] | entry[7]))
            continue;
        for (unsigned i = 0; i < 8; ++i)
            if (entry[i] & PTE_V)
                page_get(pte_page(entry[i]));
    }
    *table_entry = make_pte(own->value(), PTE_V);
    flush_all(); // a non-leaf entry changed
    if (!page_put_unless_last(shared)) {
        // The other sharers left (on other harts) after the look above:
        // the shared table's references to its pages are ours to drop.
        const auto* old = static_cast<const Pte*>(phys_to_virt(shared));
        for (unsigned i = 0; i < PTES_PER_TABLE; ++i)
            if (old[i] & PTE_V)
                page_put(pte_page(old[i]));
        page_put(shared);
    }
    return true;
}

Pte* AddressSpace::own_entry(u64 va)
{
    PageTable table(m_root_pa);
    Pte* table_entry = table.table_entry(va, &s_tables);
    if (!table_entry || (pte_is_table(*table_entry) && !unshare_table(table_entry)))
        return nullptr;
    Pte* entry;
    if (pte_is_table(*table_entry)) // the leaf table is there (and ours): index it
        entry = static_cast<Pte*>(phys_to_virt(pte_page(*table_entry))) + ((va >> 12) & (PTES_PER_TABLE - 1));
    else if (!(entry = table.leaf_entry(va, s_tables)))
        return nullptr;
    set_page_mark(pte_page(*table_entry), 0);
    return entry;
}

Result<void> AddressSpace::own_tables(u64 start, u64 end)
{
    PageTable table(m_root_pa);
    for (u64 va = lib::align_down(start, BLOCK); va < end; va += BLOCK) {
        Pte* table_entry = table.table_entry(va);
        if (!table_entry || !pte_is_table(*table_entry))
            continue;
        if (!unshare_table(table_entry))
            return Errno::enomem;
        set_page_mark(pte_page(*table_entry), 0);
    }
    return {};
}

Result<void> AddressSpace::prepare_change(u64 start, u64 end, usize splits)
{
    TRY(ensure_region_capacity(splits));
    return own_tables(start, end);
}

Result<void> AddressSpace::prepare_split(u64 start, u64 end)
{
    // Linux's split_vma: each split must stay within vm.max_map_count.
    usize splits = splits_needed(start, end);
    if (splits && m_region_count + splits > max_map_count())
        return Errno::enomem;
    return prepare_change(start, end, splits);
}

Result<void> AddressSpace::install(u64 page, PhysAddr pa, u64 pte_flags)
{
    Pte* entry = own_entry(page);
    if (!entry)
        return Errno::enomem;
    VERIFY(!(*entry & PTE_V));
    *entry = make_pte(pa.value(), pte_flags | PTE_V);
    flush_tlb_page(page); // some cores cache invalid entries
    return {};
}

void AddressSpace::unmap_pages(const Region& r, u64 start, u64 end)
{
    // Pages go back only once no TLB can reach them: on one hart the flush
    // can wait for the end; with others, a batch is flushed everywhere
    // before its pages are put (a freed page reused while another hart
    // still writes through a stale entry would leak between processes).
    bool others = other_harts() != 0;
    constexpr usize BATCH = 64;
    PhysAddr batch[BATCH];
    usize held = 0;
    auto drain = [&] {
        flush_all();
        for (usize i = 0; i < held; ++i)
            page_put(batch[i]);
        held = 0;
    };
    bool any = false;
    PageTable(m_root_pa).for_each_leaf(start, end, [&](u64, Pte& entry) {
        if (!(entry & PTE_FILE))
            --m_rss.anon;
        else if (r.flags & REGION_SHMEM)
            --m_rss.shmem;
        else
            --m_rss.file;
        if (others) {
            batch[held++] = pte_page(entry);
            entry = 0;
            if (held == BATCH)
                drain();
            return;
        }
        page_put(pte_page(entry)); // a page still shared lives on
        entry = 0;
        any = true;
    });
    if (held)
        drain();
    if (any)
        flush_all();
}

Result<void> AddressSpace::fault_in(const Region& r, u64 page, bool write)
{
    auto fresh_page = [&]() -> Result<PhysAddr> {
        auto pa = alloc_page_zeroed();
        if (!pa)
            return Errno::enomem;
        if (auto done = install(page, *pa, user_pte_flags(r.prot)); done.is_error()) {
            free_pages(*pa, 0);
            return done.error();
        }
        ++m_rss.anon;
        return *pa;
    };
    if (!r.file || page >= r.file_end) {
        TRY(fresh_page()); // anonymous memory, or an ELF segment's bss
        return {};
    }
    u64 index = (r.offset + (page - r.start)) / PAGE_SIZE;
    auto cached = fs::page_cache_get(*r.file, index);
    if (cached.is_error())
        return cached.code() == Errno::enxio ? Errno::enxio : Errno::enomem; // ENXIO: past the end of the file
    PhysAddr cache_pa = cached.value();
    Result<void> result{};
    if (r.shared() || (!write && page + PAGE_SIZE <= r.file_end)) {
        // The page cache's own page: shared files see each other's
        // writes; a private mapping copies on its first write.
        u64 flags = user_pte_flags(r.prot) | PTE_FILE;
        if (!r.shared() && (flags & PTE_W))
            flags = (flags & ~PTE_W) | PTE_COW;
        result = install(page, cache_pa, flags);
        if (result.is_ok()) {
            ++(r.flags & REGION_SHMEM ? m_rss.shmem : m_rss.file);
            if (r.prot & PROT_EXEC)
                icache_code_changed(icache, m_harts, this); // the page was filled with stores
            return {};
        }
    } else {
        // A private copy: written to at once, or the page where an ELF
        // segment's file bytes end and its bss begins.
        auto own = fresh_page();
        if (own.is_ok()) {
            u64 bytes = lib::min(PAGE_SIZE, r.file_end - page);
            __builtin_memcpy(phys_to_virt(own.value()), phys_to_virt(cache_pa), bytes);
            if (r.prot & PROT_EXEC)
                icache_code_changed(icache, m_harts, this);
        }
        result = own.is_ok() ? Result<void>{} : Result<void>(own.error());
    }
    page_put(cache_pa);
    return result;
}

FaultOutcome AddressSpace::handle_fault(u64 address, Access access)
{
    MutexGuard guard(m_lock);
    const Region* r = region_at(address);
    if (!r)
        return FaultOutcome::Unmapped;
    u32 needed = access == Access::Write ? PROT_WRITE : access == Access::Execute ? PROT_EXEC : PROT_READ;
    if (!(r->prot & needed))
        return FaultOutcome::Denied; // a region, but not for this access
    u64 page = lib::align_down(address, PAGE_SIZE);
    Result<void> done{};
    if (auto t = PageTable(m_root_pa).translate(page)) {
        Pte allows = access == Access::Write ? PTE_W : access == Access::Execute ? PTE_X : PTE_R;
        if (t->pte & allows) {
            // Another thread brought the page in or widened its access
            // while this one waited for the lock, or this hart's TLB holds
            // an older entry (upgrades are not shot down): retry.
            flush_tlb_page(page);
            return FaultOutcome::Served;
        }
        if (access != Access::Write || !(t->pte & PTE_COW))
            return FaultOutcome::Denied; // mapped, yet the access faulted: a permission fault
        done = break_cow(page, t->pte);
    } else {
        done = fault_in(*r, page, access == Access::Write);
    }
    if (done.is_ok())
        return FaultOutcome::Served;
    // fault_in and break_cow fail only for want of memory, or (ENXIO) for
    // a file page past the end of the file.
    return done.code() == Errno::enxio ? FaultOutcome::PastEndOfFile : FaultOutcome::OutOfMemory;
}

Result<void> AddressSpace::break_cow(u64 page, Pte pte)
{
    Pte* entry = own_entry(page);
    if (!entry)
        return Errno::enomem;
    VERIFY(*entry == pte); // the same entry, in a table of our own now
    PhysAddr old = pte_page(pte);
    Pte flags = (pte | PTE_W | PTE_D) & ~(PTE_COW | PTE_FILE) & PTE_FLAG_BITS;
    if (!(pte & PTE_FILE) && page_refs(old) == 1) {
        // The last sharer of an anonymous page: it is ours again.
        *entry = make_pte(old.value(), flags);
        flush_page(page);
        return {};
    }
    auto copy = alloc_pages(0);
    if (!copy)
        return Errno::enomem;
    arch::copy_page(phys_to_virt(*copy), phys_to_virt(old));
    *entry = make_pte(copy->value(), flags);
    flush_page(page);
    // Code in a writable private mapping (W+X): the copy was made with
    // stores, which instruction fetch need not see without a fence.
    if (pte & PTE_X) [[unlikely]]
        icache_code_changed(icache, m_harts, this);
    if (pte & PTE_FILE) {
        --m_rss.file; // only private mappings copy on write: never shmem
        ++m_rss.anon;
    }
    page_put(old);
    return {};
}

Result<void> AddressSpace::write(u64 address, const void* data, usize length)
{
    MutexGuard guard(m_lock);
    auto* src = static_cast<const u8*>(data);
    while (length > 0) {
        u64 page = lib::align_down(address, PAGE_SIZE);
        u64 offset = address - page;
        usize chunk = lib::min<usize>(length, PAGE_SIZE - offset);
        const Region* r = region_at(page);
        if (!r || !(r->prot & PROT_WRITE))
            return Errno::efault;
        auto t = PageTable(m_root_pa).translate(page);
        if (!t || (t->pte & PTE_COW)) {
            TRY(t ? break_cow(page, t->pte) : fault_in(*r, page, true));
            t = PageTable(m_root_pa).translate(page);
        }
        __builtin_memcpy(static_cast<u8*>(phys_to_virt(PhysAddr{t->pa}.align_down())) + offset, src, chunk);
        address += chunk;
        src += chunk;
        length -= chunk;
    }
    return {};
}

} // namespace kernel::mm
