// Address spaces: regions, pages on demand (zeroed, or from the page
// cache), copy-on-write fork, and the mmap family.
#include "kernel/mm/address_space.hpp"
#include "arch/riscv/asid.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/page_table.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/panic.hpp"

namespace kernel::mm {

using namespace arch::riscv;

namespace {

class UserTableSource final : public TablePageSource {
public:
    lib::Optional<u64> allocate_table_page() override { return alloc_page_zeroed(); }
    // Leaf tables can be shared by several spaces (fork): counted.
    void free_table_page(u64 pa) override { page_put(pa); }
};
constinit UserTableSource s_tables;

constexpr unsigned USER_ROOT_LAST = 255; // root entries 0..255 are the user half
// Root entry 255 (the top GiB, the trampoline's) is the same table in
// every space; 0..254 are each space's own.
constexpr unsigned TRAMPOLINE_ROOT_INDEX = 255;
static_assert(USER_REGIONS_END == u64(TRAMPOLINE_ROOT_INDEX) << 30);
// The two PTE bits reserved for software (RSW, priv spec 4.4.1):
// PTE_COW: shared copy-on-write, mapped without W; the first write copies
// it (or, for the last sharer of an anonymous page, just restores W).
constexpr Pte PTE_COW = 1 << 8;
// PTE_FILE: the page is the page cache's (a file's or shared anonymous
// memory's), not this space's own: it counts as RssFile/RssShmem and a
// private write always copies it.
constexpr Pte PTE_FILE = 1 << 9;
constexpr Pte PTE_FLAG_BITS = (1u << PTE_PPN_SHIFT) - 1;
// file_end of a region that is file all the way (an mmap of a file).
constexpr u64 ALL_FILE = ~0ull;
constexpr u64 BLOCK = 2ull << 20; // what one leaf table maps
// The page mark of a leaf table whose private anonymous entries are all
// write-protected copy-on-write already: a fork need not look at them
// again. Cleared whenever the table may change (own_entry, own_tables).
constexpr u16 TABLE_ALL_COW = 1;
// The signal-return trampoline: one read-only, executable page shared by
// every address space at the top of user space ("li a7, 139; ecall": the
// rt_sigreturn system call). Never in the region list: never copied,
// never freed. Its level-1 and leaf tables are built once at boot and
// every root points at them: creating a space maps nothing.
constexpr u64 TRAMPOLINE_VA = USER_TOP - PAGE_SIZE;
constinit u64 s_trampoline_l1_pa = 0;
constinit bool s_eager_fork = false;

// One hart today; per-hart when the others start.
constinit AddressSpace* s_active = nullptr;

u64 pages_in(u64 bytes) { return bytes / PAGE_SIZE; }

// Private memory this region may dirty: what commit_ok weighs.
bool accountable(const Region& r) { return !r.shared() && (r.prot & PROT_WRITE); }

// Two neighbours that one region could describe.
bool mergeable(const Region& a, const Region& b)
{
    if (a.end != b.start || a.prot != b.prot || a.kind != b.kind || a.flags != b.flags || a.file != b.file)
        return false;
    return !a.file || (a.offset + (a.end - a.start) == b.offset && a.file_end == b.file_end);
}

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

void file_ref(const Region& r)
{
    if (r.file)
        fs::inode_ref(*r.file);
}

void file_unref(const Region& r)
{
    if (r.file)
        fs::inode_unref(*r.file);
}

} // namespace

Result<void> address_space_init()
{
    auto pa = alloc_page_zeroed();
    if (!pa)
        return Errno::enomem;
    u32 code[2] = {0x08b00893 /* addi a7, zero, 139 */, 0x00000073 /* ecall */};
    __builtin_memcpy(phys_to_virt(*pa), code, sizeof(code));
    asm volatile("fence.i" ::: "memory");
    // A scratch root to build the trampoline's level-1 and leaf tables in.
    auto root = alloc_page_zeroed();
    if (!root) {
        free_pages(*pa, 0);
        return Errno::enomem;
    }
    auto mapped = PageTable(*root).map(TRAMPOLINE_VA, *pa, PAGE_SIZE, PTE_U | PTE_R | PTE_X | PTE_A, s_tables);
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
    PageStats stats = page_stats();
    u64 reserve = stats.total / 32; // kept for the kernel: tables, stacks, pipes
    return pages + reserve <= stats.free;
}

void set_eager_fork(bool eager) { s_eager_fork = eager; }

Result<AddressSpace*> AddressSpace::create()
{
    auto root = alloc_page_zeroed();
    if (!root)
        return Errno::enomem;
    auto* as = make<AddressSpace>();
    if (!as) {
        free_pages(*root, 0);
        return Errno::enomem;
    }
    as->m_root_pa = *root;
    // The kernel half: the same entries as the kernel's own root table.
    auto* kernel_root = static_cast<const Pte*>(phys_to_virt(kernel_root_pa()));
    auto* mine = static_cast<Pte*>(phys_to_virt(*root));
    for (unsigned i = USER_ROOT_LAST + 1; i < PTES_PER_TABLE; ++i)
        mine[i] = kernel_root[i];
    mine[TRAMPOLINE_ROOT_INDEX] = make_pte(s_trampoline_l1_pa, PTE_V);
    return as;
}

void AddressSpace::destroy(AddressSpace* as)
{
    if (!as)
        return;
    VERIFY(as != s_active);
    PageTable table(as->m_root_pa);
    // Leaf tables still shared with another space (fork): drop our
    // reference; their pages belong to the table, which lives on.
    for_each_block(as->m_regions, as->m_region_count, [&](u64 block) {
        Pte* entry = table.table_entry(block);
        if (entry && pte_is_table(*entry) && page_refs(pte_address(*entry)) > 1) {
            page_put(pte_address(*entry));
            *entry = 0;
        }
    });
    for (usize i = 0; i < as->m_region_count; ++i) {
        const Region& r = as->m_regions[i];
        table.for_each_leaf(r.start, r.end, [](u64, Pte& entry) { page_put(pte_address(entry)); });
        file_unref(r);
    }
    table.free_tables(0, TRAMPOLINE_ROOT_INDEX - 1, s_tables); // not the shared trampoline tables
    free_pages(as->m_root_pa, 0);
    kfree(as->m_regions);
    kernel::mm::destroy(as);
}

void AddressSpace::activate()
{
    switch_user_table(m_root_pa, &m_asid);
    s_active = this;
}

AddressSpace* AddressSpace::active() { return s_active; }

void AddressSpace::deactivate()
{
    switch_kernel_table(kernel_root_pa());
    s_active = nullptr;
}

// --- The region array --------------------------------------------------

Result<void> AddressSpace::ensure_region_capacity(usize extra)
{
    if (m_region_count + extra <= m_region_capacity)
        return {};
    usize capacity = lib::max<usize>(8, (m_region_count + extra) * 2);
    auto* regions = static_cast<Region*>(kmalloc(capacity * sizeof(Region)));
    if (!regions)
        return Errno::enomem;
    for (usize i = 0; i < m_region_count; ++i)
        regions[i] = m_regions[i];
    kfree(m_regions);
    m_regions = regions;
    m_region_capacity = capacity;
    return {};
}

usize AddressSpace::region_index(u64 address) const
{
    usize lo = 0, hi = m_region_count; // sorted and disjoint: binary search
    while (lo < hi) {
        usize mid = (lo + hi) / 2;
        if (m_regions[mid].end <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const Region* AddressSpace::find_region(u64 address) const
{
    usize i = region_index(address);
    return i < m_region_count && m_regions[i].start <= address ? &m_regions[i] : nullptr;
}

bool AddressSpace::range_is_free(u64 start, u64 end) const
{
    usize i = region_index(start);
    return i == m_region_count || m_regions[i].start >= end;
}

u64 AddressSpace::virtual_size() const
{
    u64 size = 0;
    for (usize i = 0; i < m_region_count; ++i)
        size += m_regions[i].end - m_regions[i].start;
    return size;
}

Result<void> AddressSpace::insert_region(const Region& region)
{
    if (region.start >= region.end || !lib::is_aligned(region.start | region.end, PAGE_SIZE) || region.end > USER_REGIONS_END)
        return Errno::einval;
    if (!range_is_free(region.start, region.end))
        return Errno::eexist;
    TRY(ensure_region_capacity(1));
    usize i = region_index(region.start);
    for (usize j = m_region_count; j > i; --j)
        m_regions[j] = m_regions[j - 1];
    m_regions[i] = region;
    ++m_region_count;
    file_ref(region);
    return {};
}

Result<void> AddressSpace::add_region(u64 start, u64 end, u32 prot, RegionKind kind)
{
    return insert_region(Region{start, end, prot, kind});
}

Result<void> AddressSpace::add_file_region(const Region& region) { return insert_region(region); }

// Splits the region containing `address` in two there (no-op at a
// boundary). One spare slot must exist.
static void split_at(Region* regions, usize& count, usize i, u64 address)
{
    Region& r = regions[i];
    if (address <= r.start || address >= r.end)
        return;
    for (usize j = count; j > i + 1; --j)
        regions[j] = regions[j - 1];
    ++count;
    Region tail = r;
    tail.start = address;
    tail.offset = r.offset + (address - r.start);
    r.end = address;
    regions[i + 1] = tail;
    file_ref(tail);
}

void AddressSpace::merge_neighbours(u64 address)
{
    usize i = region_index(address);
    if (i == 0 || i >= m_region_count || !mergeable(m_regions[i - 1], m_regions[i]))
        return;
    m_regions[i - 1].end = m_regions[i].end;
    file_unref(m_regions[i]);
    for (usize j = i; j + 1 < m_region_count; ++j)
        m_regions[j] = m_regions[j + 1];
    --m_region_count;
}

void AddressSpace::remove_range(u64 start, u64 end)
{
    usize i = region_index(start);
    if (i < m_region_count)
        split_at(m_regions, m_region_count, i, start);
    usize last = region_index(end);
    if (last < m_region_count)
        split_at(m_regions, m_region_count, last, end);
    usize first = region_index(start), past = first;
    while (past < m_region_count && m_regions[past].end <= end) {
        unmap_pages(m_regions[past], m_regions[past].start, m_regions[past].end);
        file_unref(m_regions[past]);
        ++past;
    }
    usize removed = past - first;
    for (usize j = first; j + removed < m_region_count; ++j)
        m_regions[j] = m_regions[j + removed];
    m_region_count -= removed;
}

Result<u64> AddressSpace::find_gap(u64 size) const
{
    // Top-down below USER_MMAP_TOP, above the heap: the first gap that fits.
    u64 floor = lib::align_up(m_heap_end, PAGE_SIZE);
    u64 top = USER_MMAP_TOP;
    for (usize i = m_region_count; i-- > 0;) {
        const Region& r = m_regions[i];
        if (r.start >= top)
            continue;
        u64 below = lib::max(r.end, floor);
        if (r.end <= top && top >= below + size)
            return top - size;
        top = r.start;
        if (top < floor + size)
            return Errno::enomem;
    }
    if (top >= floor + size)
        return top - size;
    return Errno::enomem;
}

// --- Pages -------------------------------------------------------------

// A leaf table shared with other spaces since a fork becomes this
// space's own before any entry in it changes: a copy of the 512 entries,
// a reference more on each page they map, our reference on the shared
// table dropped. (The last holder finds the count at 1 and keeps it.)
bool AddressSpace::unshare_table(Pte* table_entry)
{
    u64 shared = pte_address(*table_entry);
    if (page_refs(shared) == 1)
        return true;
    auto own = alloc_pages(0);
    if (!own)
        return false;
    auto* from = static_cast<const Pte*>(phys_to_virt(shared));
    auto* to = static_cast<Pte*>(phys_to_virt(*own));
    for (unsigned i = 0; i < PTES_PER_TABLE; ++i) {
        to[i] = from[i];
        if (from[i] & PTE_V)
            page_get(pte_address(from[i]));
    }
    *table_entry = make_pte(*own, PTE_V);
    page_put(shared);
    sfence_vma_all(); // a non-leaf entry changed
    return true;
}

Pte* AddressSpace::own_entry(u64 va)
{
    PageTable table(m_root_pa);
    Pte* table_entry = table.table_entry(va, &s_tables);
    if (!table_entry || (pte_is_table(*table_entry) && !unshare_table(table_entry)))
        return nullptr;
    Pte* entry = table.leaf_entry(va, s_tables);
    if (entry)
        set_page_mark(pte_address(*table_entry), 0);
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
        set_page_mark(pte_address(*table_entry), 0);
    }
    return {};
}

Result<void> AddressSpace::prepare_change(u64 start, u64 end)
{
    TRY(ensure_region_capacity(3));
    return own_tables(start, end);
}

Result<void> AddressSpace::install(u64 page, u64 pa, u64 pte_flags)
{
    Pte* entry = own_entry(page);
    if (!entry)
        return Errno::enomem;
    VERIFY(!(*entry & PTE_V));
    *entry = make_pte(pa, pte_flags | PTE_V);
    sfence_vma_page(page); // some cores cache invalid entries
    return {};
}

void AddressSpace::unmap_pages(const Region& r, u64 start, u64 end)
{
    bool any = false;
    PageTable(m_root_pa).for_each_leaf(start, end, [&](u64, Pte& entry) {
        if (!(entry & PTE_FILE))
            --m_rss.anon;
        else if (r.flags & REGION_SHMEM)
            --m_rss.shmem;
        else
            --m_rss.file;
        page_put(pte_address(entry)); // a page still shared lives on
        entry = 0;
        any = true;
    });
    if (any)
        sfence_vma_all();
}

Result<void> AddressSpace::fault_in(const Region& r, u64 page, bool write)
{
    auto fresh_page = [&]() -> Result<u64> {
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
        return cached.code() == Errno::enxio ? Errno::efault : Errno::enomem; // past the end of the file
    u64 cache_pa = cached.value();
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
                asm volatile("fence.i" ::: "memory"); // the page was filled with stores
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
                asm volatile("fence.i" ::: "memory");
        }
        result = own.is_ok() ? Result<void>{} : Result<void>(own.error());
    }
    page_put(cache_pa);
    return result;
}

Result<void> AddressSpace::handle_fault(u64 address, Access access)
{
    const Region* r = find_region(address);
    if (!r)
        return Errno::efault;
    u32 needed = access == Access::Write ? PROT_WRITE : access == Access::Execute ? PROT_EXEC : PROT_READ;
    if (!(r->prot & needed))
        return Errno::efault;
    u64 page = lib::align_down(address, PAGE_SIZE);
    if (auto t = PageTable(m_root_pa).translate(page)) {
        if (access == Access::Write && (t->pte & PTE_COW))
            return break_cow(page, t->pte);
        return Errno::efault; // mapped, yet the access faulted: a permission fault
    }
    return fault_in(*r, page, access == Access::Write);
}

Result<void> AddressSpace::break_cow(u64 page, Pte pte)
{
    Pte* entry = own_entry(page);
    if (!entry)
        return Errno::enomem;
    VERIFY(*entry == pte); // the same entry, in a table of our own now
    u64 old = pte_address(pte);
    Pte flags = (pte | PTE_W | PTE_D) & ~(PTE_COW | PTE_FILE) & PTE_FLAG_BITS;
    if (!(pte & PTE_FILE) && page_refs(old) == 1) {
        // The last sharer of an anonymous page: it is ours again.
        *entry = make_pte(old, flags);
        sfence_vma_page(page);
        return {};
    }
    auto copy = alloc_pages(0);
    if (!copy)
        return Errno::enomem;
    __builtin_memcpy(phys_to_virt(*copy), phys_to_virt(old), PAGE_SIZE);
    *entry = make_pte(*copy, flags);
    sfence_vma_page(page);
    if (pte & PTE_FILE) {
        --m_rss.file; // only private mappings copy on write: never shmem
        ++m_rss.anon;
    }
    page_put(old);
    return {};
}

Result<void> AddressSpace::write(u64 address, const void* data, usize length)
{
    auto* src = static_cast<const u8*>(data);
    while (length > 0) {
        u64 page = lib::align_down(address, PAGE_SIZE);
        u64 offset = address - page;
        usize chunk = lib::min<usize>(length, PAGE_SIZE - offset);
        const Region* r = find_region(page);
        if (!r || !(r->prot & PROT_WRITE))
            return Errno::efault;
        auto t = PageTable(m_root_pa).translate(page);
        if (!t || (t->pte & PTE_COW)) {
            TRY(t ? break_cow(page, t->pte) : fault_in(*r, page, true));
            t = PageTable(m_root_pa).translate(page);
        }
        __builtin_memcpy(static_cast<u8*>(phys_to_virt(lib::align_down(t->pa, PAGE_SIZE))) + offset, src, chunk);
        address += chunk;
        src += chunk;
        length -= chunk;
    }
    return {};
}

// --- fork ---------------------------------------------------------------

Result<AddressSpace*> AddressSpace::clone() const
{
    // No overcommit check here: a fork fails when a page for the child
    // cannot be had (ENOMEM) or at RLIMIT_NPROC (EAGAIN), not because the
    // copy-on-write pages it shares might one day be copied (Linux's
    // heuristic mode, today's, lets such forks through too).
    AddressSpace* copy = TRY(create());
    if (copy->ensure_region_capacity(m_region_count).is_error()) {
        destroy(copy);
        return Errno::enomem;
    }
    for (usize i = 0; i < m_region_count; ++i) {
        copy->m_regions[i] = m_regions[i];
        file_ref(m_regions[i]);
    }
    copy->m_region_count = m_region_count;
    copy->m_heap_start = m_heap_start;
    copy->m_heap_end = m_heap_end;

    Result<void> shared = s_eager_fork ? copy_pages_eagerly(*copy) : share_tables(*copy);
    if (shared.is_error()) {
        destroy(copy);
        return shared.error();
    }
    return copy;
}

// Copy-on-write at the level of leaf tables: the child's level-1 entries
// point at the parent's leaf tables, each table gaining a reference, so a
// fork costs a pass over the entries (to write-protect private pages) and
// one reference per table, not one per page. The first change either side
// makes in a table gives it its own copy (unshare_table). Invariant: a
// shared table maps no private page writable.
Result<void> AddressSpace::share_tables(AddressSpace& copy) const
{
    PageTable source(m_root_pa), target(copy.m_root_pa);
    bool downgraded = false;
    // Private anonymous pages become COW, even read-only ones, so that a
    // later mprotect cannot make a shared page writable (page-cache pages
    // are copied on write anyway; shared regions keep W). Tables already
    // done by an earlier fork and unchanged since are skipped.
    for_each_block(m_regions, m_region_count, [&](u64 block) {
        Pte* table = source.table_entry(block);
        if (!table || !pte_is_table(*table) || page_mark(pte_address(*table)) == TABLE_ALL_COW)
            return;
        for (usize i = region_index(block); i < m_region_count && m_regions[i].start < block + BLOCK; ++i) {
            const Region& r = m_regions[i];
            if (r.shared())
                continue;
            source.for_each_leaf(lib::max(r.start, block), lib::min(r.end, block + BLOCK), [&](u64, Pte& entry) {
                if (!(entry & PTE_FILE) && (entry & (PTE_W | PTE_COW)) != PTE_COW) {
                    downgraded |= (entry & PTE_W) != 0;
                    entry = (entry & ~PTE_W) | PTE_COW;
                }
            });
        }
        set_page_mark(pte_address(*table), TABLE_ALL_COW);
    });
    if (downgraded)
        sfence_vma_all();
    bool failed = false;
    for_each_block(m_regions, m_region_count, [&](u64 block) {
        Pte* parent = failed ? nullptr : source.table_entry(block);
        if (!parent || !pte_is_table(*parent))
            return;
        Pte* child = target.table_entry(block, &s_tables);
        if (!child) {
            failed = true;
            return;
        }
        *child = *parent;
        page_get(pte_address(*parent));
    });
    if (failed)
        return Errno::enomem;
    copy.m_rss = m_rss;
    return {};
}

// fork=copy: a private copy of every private page (xv6's way), only to
// measure what copy-on-write saves.
Result<void> AddressSpace::copy_pages_eagerly(AddressSpace& copy) const
{
    PageTable source(m_root_pa), target(copy.m_root_pa);
    bool failed = false;
    for (usize i = 0; i < m_region_count && !failed; ++i) {
        const Region& r = m_regions[i];
        source.for_each_leaf(r.start, r.end, [&](u64 va, Pte& entry) {
            Pte* child = failed ? nullptr : target.leaf_entry(va, s_tables);
            if (!child) {
                failed = true;
                return;
            }
            if (r.shared()) {
                *child = entry;
                page_get(pte_address(entry));
                ++(r.flags & REGION_SHMEM ? copy.m_rss.shmem : copy.m_rss.file);
                return;
            }
            auto pa = alloc_pages(0);
            if (!pa) {
                failed = true;
                return;
            }
            __builtin_memcpy(phys_to_virt(*pa), phys_to_virt(pte_address(entry)), PAGE_SIZE);
            *child = make_pte(*pa, user_pte_flags(r.prot) | PTE_V);
            ++copy.m_rss.anon;
        });
    }
    return failed ? Result<void>(Errno::enomem) : Result<void>{};
}

// --- brk and the mmap family ---------------------------------------------

u64 AddressSpace::set_brk(u64 requested)
{
    if (requested < m_heap_start)
        return m_heap_end;
    u64 old_top = lib::align_up(m_heap_end, PAGE_SIZE);
    u64 new_top = lib::align_up(requested, PAGE_SIZE);
    if (new_top > old_top) {
        if (!range_is_free(old_top, new_top) || new_top > USER_MMAP_TOP - USER_STACK_LIMIT)
            return m_heap_end;
        usize above = region_index(new_top);
        if (above < m_region_count && m_regions[above].kind == RegionKind::Stack &&
            new_top + STACK_GUARD_GAP > m_regions[above].start)
            return m_heap_end; // a gap stays between the heap and the stack
        if (!commit_ok(pages_in(new_top - old_top)))
            return m_heap_end; // brk(2): the break stays, malloc sees ENOMEM
        usize i = old_top > m_heap_start ? region_index(old_top - 1) : m_region_count;
        if (i < m_region_count && m_regions[i].kind == RegionKind::Heap && m_regions[i].end == old_top)
            m_regions[i].end = new_top;
        else if (add_region(old_top, new_top, PROT_READ | PROT_WRITE, RegionKind::Heap).is_error())
            return m_heap_end;
    } else if (new_top < old_top) {
        if (prepare_change(new_top, old_top).is_error())
            return m_heap_end;
        usize i = region_index(new_top);
        Region* heap = i < m_region_count ? &m_regions[i] : nullptr;
        if (heap && heap->kind == RegionKind::Heap && heap->start < new_top && heap->end == old_top) {
            unmap_pages(*heap, new_top, old_top); // the common case: the heap's tail goes
            heap->end = new_top;
        } else {
            remove_range(new_top, old_top);
        }
    }
    m_heap_end = requested;
    return m_heap_end;
}

Result<u64> AddressSpace::map(const MapRequest& q)
{
    if (q.length == 0)
        return Errno::einval;
    u64 size = lib::align_up(q.length, PAGE_SIZE);
    if (size < q.length || size > USER_REGIONS_END)
        return Errno::enomem;
    bool shared = q.flags & REGION_SHARED;
    if (!shared && (q.prot & PROT_WRITE) && !commit_ok(pages_in(size)))
        return Errno::enomem;
    TRY(ensure_region_capacity(3));
    u64 start;
    if (q.fixed || q.fixed_noreplace) {
        if (!lib::is_aligned(q.hint, PAGE_SIZE))
            return Errno::einval;
        if (q.hint > USER_REGIONS_END - size)
            return Errno::enomem;
        if (q.fixed_noreplace && !range_is_free(q.hint, q.hint + size))
            return Errno::eexist;
        start = q.hint;
        TRY(own_tables(start, start + size));
        remove_range(start, start + size); // MAP_FIXED replaces what was there
    } else {
        u64 hint = lib::align_up(q.hint, PAGE_SIZE);
        if (hint && hint >= q.hint && hint <= USER_MMAP_TOP - size && range_is_free(hint, hint + size))
            start = hint;
        else
            start = TRY(find_gap(size));
    }
    Region region{start, start + size, q.prot, RegionKind::Mmap, q.flags, q.file, q.offset, q.file ? ALL_FILE : 0};
    TRY(insert_region(region));
    merge_neighbours(start + size);
    merge_neighbours(start);
    return start;
}

Result<u64> AddressSpace::mmap_anonymous(u64 hint, u64 length, u32 prot, bool fixed)
{
    MapRequest q;
    q.hint = hint;
    q.length = length;
    q.prot = prot;
    q.fixed = fixed;
    return map(q);
}

Result<void> AddressSpace::unmap(u64 start, u64 length)
{
    if (!lib::is_aligned(start, PAGE_SIZE) || length == 0)
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end > USER_REGIONS_END || end < start)
        return Errno::einval;
    TRY(prepare_change(start, end));
    remove_range(start, end);
    return {};
}

Result<void> AddressSpace::protect(u64 start, u64 length, u32 prot)
{
    if (!lib::is_aligned(start, PAGE_SIZE))
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end < start || end > USER_REGIONS_END)
        return Errno::enomem;
    // Every page of the range must be inside some region (Linux: ENOMEM),
    // and a shared file opened read-only cannot become writable (EACCES).
    for (u64 a = start; a < end;) {
        const Region* r = find_region(a);
        if (!r)
            return Errno::enomem;
        if ((prot & PROT_WRITE) && r->shared() && !(r->flags & REGION_MAY_WRITE))
            return Errno::eacces;
        a = r->end;
    }
    TRY(prepare_change(start, end));
    split_at(m_regions, m_region_count, region_index(start), start);
    split_at(m_regions, m_region_count, region_index(end - 1), end);
    PageTable table(m_root_pa);
    for (usize i = region_index(start); i < m_region_count && m_regions[i].start < end; ++i) {
        Region& r = m_regions[i];
        r.prot = prot;
        table.for_each_leaf(r.start, r.end, [&](u64, Pte& entry) {
            Pte keep = entry & (PTE_COW | PTE_FILE);
            Pte flags = user_pte_flags(prot) | keep;
            // Private pages still shared (copy-on-write, or the page
            // cache's) keep faulting on write, to copy.
            if (!r.shared() && keep && (flags & PTE_W))
                flags = (flags & ~PTE_W) | PTE_COW;
            entry = make_pte(pte_address(entry), flags | PTE_V);
        });
    }
    sfence_vma_all(); // downgrades must not survive in the TLB
    merge_neighbours(end);
    merge_neighbours(start);
    return {};
}

Result<void> AddressSpace::discard(u64 start, u64 length)
{
    if (!lib::is_aligned(start, PAGE_SIZE))
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end < start || end > USER_REGIONS_END)
        return Errno::einval;
    TRY(own_tables(start, end));
    bool gap = false;
    u64 at = start;
    for (usize i = region_index(start); i < m_region_count && m_regions[i].start < end; ++i) {
        const Region& r = m_regions[i];
        gap |= r.start > at;
        unmap_pages(r, lib::max(r.start, start), lib::min(r.end, end));
        at = r.end;
    }
    if (gap || at < end)
        return Errno::enomem; // Linux: the mapped parts are done, still ENOMEM
    return {};
}

Result<u64> AddressSpace::remap(u64 old_address, u64 old_size, u64 new_size, bool may_move, bool fixed,
                                u64 new_address)
{
    if (!lib::is_aligned(old_address, PAGE_SIZE) || (fixed && !may_move))
        return Errno::einval;
    old_size = lib::align_up(old_size, PAGE_SIZE);
    new_size = lib::align_up(new_size, PAGE_SIZE);
    if (new_size == 0 || old_size == 0 || old_address + old_size < old_address)
        return Errno::einval; // old_size 0 (duplicate a shared mapping): not supported
    const Region* found = find_region(old_address);
    if (!found || old_address + old_size > found->end)
        return Errno::efault;
    Region r = *found;
    u64 old_end = old_address + old_size;
    if (fixed) {
        if (!lib::is_aligned(new_address, PAGE_SIZE) || new_address > USER_REGIONS_END - new_size)
            return Errno::einval;
        if (new_address < old_end && old_address < new_address + new_size)
            return Errno::einval; // overlapping source and destination
    }
    TRY(prepare_change(old_address, old_end));
    if (fixed)
        TRY(own_tables(new_address, new_address + new_size));
    if (!fixed && new_size <= old_size) {
        remove_range(old_address + new_size, old_end);
        return old_address;
    }
    u64 growth = new_size > old_size ? new_size - old_size : 0;
    if (accountable(r) && growth && !commit_ok(pages_in(growth)))
        return Errno::enomem;
    if (!fixed && old_end == r.end && old_address + new_size <= USER_MMAP_TOP &&
        range_is_free(old_end, old_address + new_size)) {
        m_regions[region_index(old_address)].end = old_address + new_size; // grow in place
        merge_neighbours(old_address + new_size);
        return old_address;
    }
    if (!may_move)
        return Errno::enomem;
    u64 target;
    if (fixed) {
        remove_range(new_address, new_address + new_size);
        target = new_address;
    } else {
        target = TRY(find_gap(new_size));
    }
    // The tables for the destination first, so that moving cannot fail.
    PageTable table(m_root_pa);
    for (u64 va = target; va < target + new_size; va = lib::align_down(va, BLOCK) + BLOCK)
        if (!own_entry(va))
            return Errno::enomem;
    Region moved = r;
    moved.start = target;
    moved.end = target + new_size;
    moved.offset = r.offset + (old_address - r.start);
    if (r.file_end != ALL_FILE && r.file)
        moved.file_end = r.file_end - old_address + target;
    TRY(insert_region(moved));
    u64 keep = lib::min(old_size, new_size);
    table.for_each_leaf(old_address, old_address + keep, [&](u64 va, Pte& entry) {
        *own_entry(va - old_address + target) = entry;
        entry = 0; // the page moved, its reference with it
    });
    sfence_vma_all();
    remove_range(old_address, old_end);
    merge_neighbours(target + new_size);
    merge_neighbours(target);
    return target;
}

} // namespace kernel::mm
