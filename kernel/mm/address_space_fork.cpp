// fork: an address space shared copy-on-write, leaf tables and all
// (docs/memory.md, "Copy-on-write and the reference-count rules").
#include "kernel/mm/address_space.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/address_space_internal.hpp"
#include "kernel/mm/page_alloc.hpp"

namespace kernel::mm {

using namespace arch;
using namespace detail;

Result<AddressSpace*> AddressSpace::clone()
{
    MutexGuard guard(m_lock);
    // No overcommit check here: a fork fails when a page for the child
    // cannot be had (ENOMEM) or at RLIMIT_NPROC (EAGAIN), not because the
    // copy-on-write pages it shares might one day be copied (Linux's
    // default heuristic overcommit mode lets such forks through too).
    AddressSpace* copy = TRY(create());
    if (copy->ensure_region_capacity(m_region_count).is_error()) {
        destroy(copy);
        return Errno::enomem;
    }
    for (usize i = 0; i < m_region_count; ++i) {
        copy->m_regions[i] = m_regions[i];
        copy->m_regions[i].flags &= u8(~REGION_LOCKED); // memory locks are not inherited (mlock(2))
        file_ref(m_regions[i]);
    }
    copy->m_region_count = m_region_count;
    copy->m_heap_start = m_heap_start;
    copy->m_heap_end = m_heap_end;

    Result<void> shared = eager_fork() ? copy_pages_eagerly(*copy) : share_tables(*copy);
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
        if (!table || !pte_is_table(*table) || page_mark(pte_page(*table)) == TABLE_ALL_COW)
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
        set_page_mark(pte_page(*table), TABLE_ALL_COW);
    });
    if (downgraded)
        flush_all(); // the parent's other threads may run on other harts
    bool failed = false;
    for_each_block(m_regions, m_region_count, [&](u64 block) {
        Pte* parent = failed ? nullptr : source.table_entry(block);
        if (!parent || !pte_is_table(*parent))
            return;
        Pte* child = target.table_entry(block, &user_tables());
        if (!child) {
            failed = true;
            return;
        }
        *child = *parent;
        page_get(pte_page(*parent));
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
            Pte* child = failed ? nullptr : target.leaf_entry(va, user_tables());
            if (!child) {
                failed = true;
                return;
            }
            if (r.shared()) {
                *child = entry;
                page_get(pte_page(entry));
                ++(r.flags & REGION_SHMEM ? copy.m_rss.shmem : copy.m_rss.file);
                return;
            }
            auto pa = alloc_pages(0);
            if (!pa) {
                failed = true;
                return;
            }
            arch::copy_page(phys_to_virt(*pa), phys_to_virt(pte_page(entry)));
            *child = make_pte(pa->value(), user_pte_flags(r.prot) | PTE_V);
            ++copy.m_rss.anon;
        });
    }
    return failed ? Result<void>(Errno::enomem) : Result<void>{};
}

} // namespace kernel::mm
