// Address spaces: regions, lazy zero-filled pages, eager fork copies.
#include "kernel/mm/address_space.hpp"
#include "arch/riscv/asid.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/page_table.hpp"
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
    void free_table_page(u64 pa) override { free_pages(pa, 0); }
};
constinit UserTableSource s_tables;

constexpr unsigned USER_ROOT_LAST = 255; // root entries 0..255 are the user half
// A page shared copy-on-write: mapped without W; the first write copies
// it. Bit 8 is one of the two PTE bits reserved for software (RSW, priv
// spec 4.4.1).
constexpr Pte PTE_COW = 1 << 8;
// The signal-return trampoline: one read-only, executable page shared by
// every address space at the top of user space ("li a7, 139; ecall": the
// rt_sigreturn system call). Never in the region list: never copied,
// never freed.
constexpr u64 TRAMPOLINE_VA = USER_TOP - PAGE_SIZE;
constinit u64 s_trampoline_pa = 0;

Result<void> map_trampoline(u64 root_pa)
{
    if (!s_trampoline_pa)
        return Errno::enomem; // address_space_init() did not run
    return PageTable(root_pa).map(TRAMPOLINE_VA, s_trampoline_pa, PAGE_SIZE, PTE_U | PTE_R | PTE_X | PTE_A, s_tables);
}
// One hart today; per-hart when the others start.
constinit AddressSpace* s_active = nullptr;

} // namespace

Result<void> address_space_init()
{
    auto pa = alloc_page_zeroed();
    if (!pa)
        return Errno::enomem;
    u32 code[2] = {0x08b00893 /* addi a7, zero, 139 */, 0x00000073 /* ecall */};
    __builtin_memcpy(phys_to_virt(*pa), code, sizeof(code));
    asm volatile("fence.i" ::: "memory");
    s_trampoline_pa = *pa;
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
    as->m_mmap_next = USER_MMAP_TOP;
    if (map_trampoline(*root).is_error()) {
        destroy(as);
        return Errno::enomem;
    }
    return as;
}

void AddressSpace::destroy(AddressSpace* as)
{
    if (!as)
        return;
    VERIFY(as != s_active);
    for (usize i = 0; i < as->m_region_count; ++i)
        as->unmap_range_pages(as->m_regions[i].start, as->m_regions[i].end);
    PageTable(as->m_root_pa).free_tables(0, USER_ROOT_LAST, s_tables);
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

bool AddressSpace::range_is_free(u64 start, u64 end) const
{
    for (usize i = 0; i < m_region_count; ++i)
        if (m_regions[i].start < end && start < m_regions[i].end)
            return false;
    return true;
}

Result<void> AddressSpace::add_region(u64 start, u64 end, u32 prot, RegionKind kind)
{
    if (start >= end || !lib::is_aligned(start | end, PAGE_SIZE) || end > USER_TOP)
        return Errno::einval;
    if (!range_is_free(start, end))
        return Errno::eexist;
    TRY(ensure_region_capacity(1));
    usize i = 0;
    while (i < m_region_count && m_regions[i].start < start)
        ++i;
    for (usize j = m_region_count; j > i; --j)
        m_regions[j] = m_regions[j - 1];
    m_regions[i] = {start, end, prot, kind};
    ++m_region_count;
    return {};
}

const Region* AddressSpace::find_region(u64 address) const
{
    usize lo = 0, hi = m_region_count; // binary search: sorted, disjoint
    while (lo < hi) {
        usize mid = (lo + hi) / 2;
        if (address < m_regions[mid].start)
            hi = mid;
        else if (address >= m_regions[mid].end)
            lo = mid + 1;
        else
            return &m_regions[mid];
    }
    return nullptr;
}

Result<u64> AddressSpace::map_zeroed_page(u64 page, u32 prot)
{
    auto pa = alloc_page_zeroed();
    if (!pa)
        return Errno::enomem;
    auto mapped = PageTable(m_root_pa).map(page, *pa, PAGE_SIZE, user_pte_flags(prot), s_tables);
    if (mapped.is_error()) {
        free_pages(*pa, 0);
        return mapped.error();
    }
    ++m_resident;
    return *pa;
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
    TRY(map_zeroed_page(page, r->prot));
    return {};
}

Result<void> AddressSpace::break_cow(u64 page, Pte pte)
{
    PageTable table(m_root_pa);
    u64 old = pte_address(pte);
    Pte flags = (pte | PTE_W | PTE_D) & ~PTE_COW & ((1u << PTE_PPN_SHIFT) - 1);
    if (page_refs(old) == 1) {
        // The last sharer: the page is ours again, just writable.
        return table.protect(page, flags);
    }
    auto copy = alloc_pages(0);
    if (!copy)
        return Errno::enomem;
    __builtin_memcpy(phys_to_virt(*copy), phys_to_virt(old), PAGE_SIZE);
    table.unmap(page, PAGE_SIZE);
    if (auto r = table.map(page, *copy, PAGE_SIZE, flags, s_tables); r.is_error()) {
        // Cannot happen (the tables exist); restore the shared mapping.
        (void)table.map(page, old, PAGE_SIZE, pte & ((1u << PTE_PPN_SHIFT) - 1), s_tables);
        free_pages(*copy, 0);
        return r;
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
        auto t = PageTable(m_root_pa).translate(page);
        u64 pa;
        if (t && (t->pte & PTE_COW)) {
            TRY(break_cow(page, t->pte));
            t = PageTable(m_root_pa).translate(page);
        }
        if (t) {
            pa = lib::align_down(t->pa, PAGE_SIZE);
        } else {
            const Region* r = find_region(page);
            if (!r)
                return Errno::efault;
            pa = TRY(map_zeroed_page(page, r->prot));
        }
        __builtin_memcpy(static_cast<u8*>(phys_to_virt(pa)) + offset, src, chunk);
        address += chunk;
        src += chunk;
        length -= chunk;
    }
    return {};
}

void AddressSpace::unmap_range_pages(u64 start, u64 end)
{
    PageTable table(m_root_pa);
    for (u64 page = start; page < end; page += PAGE_SIZE) {
        auto t = table.translate(page);
        if (!t)
            continue;
        table.unmap(page, PAGE_SIZE);
        page_put(lib::align_down(t->pa, PAGE_SIZE)); // shared pages live on
        --m_resident;
    }
}

Result<AddressSpace*> AddressSpace::clone() const
{
    AddressSpace* copy = TRY(create());
    auto fail = [&](Errno e) -> Result<AddressSpace*> {
        destroy(copy);
        return e;
    };
    if (copy->ensure_region_capacity(m_region_count).is_error())
        return fail(Errno::enomem);
    for (usize i = 0; i < m_region_count; ++i)
        copy->m_regions[i] = m_regions[i];
    copy->m_region_count = m_region_count;
    copy->m_heap_start = m_heap_start;
    copy->m_heap_end = m_heap_end;
    copy->m_mmap_next = m_mmap_next;

    // Copy-on-write: every present page is shared, read-only and marked
    // COW in both spaces; the first write by either side copies it (or,
    // for the last sharer, just makes it writable again).
    PageTable source(m_root_pa), target(copy->m_root_pa);
    for (usize i = 0; i < m_region_count; ++i) {
        const Region& r = m_regions[i];
        for (u64 page = r.start; page < r.end; page += PAGE_SIZE) {
            auto t = source.translate(page);
            if (!t)
                continue; // never touched: stays lazy in the child too
            Pte flags = t->pte & ((1u << PTE_PPN_SHIFT) - 1) & ~PTE_V;
            if ((flags & PTE_W) || (flags & PTE_COW)) {
                flags = (flags & ~PTE_W) | PTE_COW;
                if (t->pte & PTE_W)
                    (void)source.protect(page, flags);
            }
            u64 pa = lib::align_down(t->pa, PAGE_SIZE);
            if (auto mapped = target.map(page, pa, PAGE_SIZE, flags, s_tables); mapped.is_error())
                return fail(mapped.code());
            page_get(pa);
            ++copy->m_resident;
        }
    }
    return copy;
}

void AddressSpace::remove_range_from_regions(u64 start, u64 end)
{
    for (usize i = 0; i < m_region_count;) {
        Region r = m_regions[i];
        if (r.end <= start || r.start >= end) {
            ++i;
            continue;
        }
        if (r.start < start && r.end > end) {
            // Split in two (capacity was ensured by the caller).
            for (usize j = m_region_count; j > i + 1; --j)
                m_regions[j] = m_regions[j - 1];
            ++m_region_count;
            m_regions[i].end = start;
            m_regions[i + 1] = {end, r.end, r.prot, r.kind};
            return;
        }
        if (r.start < start) {
            m_regions[i].end = start;
            ++i;
        } else if (r.end > end) {
            m_regions[i].start = end;
            ++i;
        } else {
            for (usize j = i; j + 1 < m_region_count; ++j)
                m_regions[j] = m_regions[j + 1];
            --m_region_count;
        }
    }
}

u64 AddressSpace::set_brk(u64 requested)
{
    if (requested < m_heap_start)
        return m_heap_end;
    u64 old_top = lib::align_up(m_heap_end, PAGE_SIZE);
    u64 new_top = lib::align_up(requested, PAGE_SIZE);
    if (new_top > old_top) {
        if (!range_is_free(old_top, new_top) || new_top > USER_MMAP_TOP - USER_STACK_LIMIT)
            return m_heap_end;
        // Extend the heap region (or create it).
        bool extended = false;
        for (usize i = 0; i < m_region_count; ++i) {
            if (m_regions[i].kind == RegionKind::Heap && m_regions[i].end == old_top) {
                m_regions[i].end = new_top;
                extended = true;
            }
        }
        if (!extended && add_region(old_top, new_top, PROT_READ | PROT_WRITE, RegionKind::Heap).is_error())
            return m_heap_end;
    } else if (new_top < old_top) {
        if (ensure_region_capacity(1).is_error())
            return m_heap_end;
        unmap_range_pages(new_top, old_top);
        remove_range_from_regions(new_top, old_top);
    }
    m_heap_end = requested;
    return m_heap_end;
}

Result<u64> AddressSpace::mmap_anonymous(u64 hint, u64 length, u32 prot, bool fixed)
{
    if (length == 0)
        return Errno::einval;
    u64 size = lib::align_up(length, PAGE_SIZE);
    if (size < length || size > USER_TOP)
        return Errno::enomem;
    TRY(ensure_region_capacity(2));
    if (fixed) {
        if (!lib::is_aligned(hint, PAGE_SIZE) || hint + size > USER_TOP || hint + size < hint)
            return Errno::einval;
        TRY(unmap(hint, size));
        TRY(add_region(hint, hint + size, prot, RegionKind::Mmap));
        return hint;
    }
    if (hint && lib::is_aligned(hint, PAGE_SIZE) && hint + size <= USER_MMAP_TOP && hint + size > hint &&
        range_is_free(hint, hint + size)) {
        TRY(add_region(hint, hint + size, prot, RegionKind::Mmap));
        return hint;
    }
    // Top-down below USER_MMAP_TOP, first gap that fits.
    u64 candidate = m_mmap_next;
    for (;;) {
        if (candidate < size + m_heap_end)
            return Errno::enomem;
        u64 start = candidate - size;
        bool clash = false;
        for (usize i = m_region_count; i-- > 0;) {
            if (m_regions[i].start < candidate && start < m_regions[i].end) {
                candidate = m_regions[i].start;
                clash = true;
                break;
            }
        }
        if (!clash) {
            TRY(add_region(start, candidate, prot, RegionKind::Mmap));
            m_mmap_next = start;
            return start;
        }
    }
}

Result<void> AddressSpace::unmap(u64 start, u64 length)
{
    if (!lib::is_aligned(start, PAGE_SIZE) || length == 0)
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end > USER_TOP || end < start)
        return Errno::einval;
    TRY(ensure_region_capacity(1));
    unmap_range_pages(start, end);
    remove_range_from_regions(start, end);
    if (end > m_mmap_next && start <= m_mmap_next)
        m_mmap_next = lib::min(end, USER_MMAP_TOP);
    return {};
}

Result<void> AddressSpace::protect(u64 start, u64 length, u32 prot)
{
    if (!lib::is_aligned(start, PAGE_SIZE))
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end < start || end > USER_TOP)
        return Errno::enomem;
    // Every page of the range must be inside some region (Linux: ENOMEM).
    for (u64 a = start; a < end;) {
        const Region* r = find_region(a);
        if (!r)
            return Errno::enomem;
        a = r->end;
    }
    // Validate and allocate first, then commit: the regions overlapping the
    // range are cut out and put back with the new protection.
    usize overlapping = 0;
    for (usize i = 0; i < m_region_count; ++i)
        overlapping += m_regions[i].start < end && start < m_regions[i].end;
    auto* pieces = static_cast<Region*>(kmalloc(overlapping * sizeof(Region)));
    if (!pieces || ensure_region_capacity(overlapping + 2).is_error()) {
        kfree(pieces);
        return Errno::enomem;
    }
    usize n = 0;
    for (usize i = 0; i < m_region_count; ++i)
        if (m_regions[i].start < end && start < m_regions[i].end)
            pieces[n++] = m_regions[i];
    remove_range_from_regions(start, end);
    for (usize i = 0; i < n; ++i)
        (void)add_region(lib::max(pieces[i].start, start), lib::min(pieces[i].end, end), prot, pieces[i].kind);
    kfree(pieces);

    PageTable table(m_root_pa);
    for (u64 page = start; page < end; page += PAGE_SIZE) {
        auto t = table.translate(page);
        if (!t)
            continue;
        Pte flags = user_pte_flags(prot);
        if (t->pte & PTE_COW) // still shared: writes keep faulting to copy
            flags = (flags & ~PTE_W) | PTE_COW;
        (void)table.protect(page, flags);
    }
    return {};
}

} // namespace kernel::mm
