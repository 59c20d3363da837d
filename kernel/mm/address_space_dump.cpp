// Reading a region's pages for a core dump without faulting any in: the
// resident pages through the page table, a private file mapping's pages
// that were never touched from the page cache (their contents are the
// file's), and nothing for the rest (holes in the core, read as zeros).
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space_internal.hpp"

namespace kernel::mm {

using namespace arch;
using namespace detail;

void AddressSpace::dump_pages_locked(const Region& r, u64 end, DumpVisit visit, void* ctx) const
{
    m_lock.assert_held();
    end = lib::min(end, r.end);
    PageTable table(m_root_pa);
    // The file part of a private file mapping, page by page: it is as
    // small as the file, so a per-page look is bounded by the file's size.
    u64 file_to = (r.file && !r.shared()) ? lib::min(end, r.file_end) : r.start;
    for (u64 va = r.start; va < file_to; va += PAGE_SIZE) {
        auto t = table.translate(va);
        if (t && (t->pte & arch::PTE_V)) {
            if (!visit(ctx, va, static_cast<const u8*>(phys_to_virt(PhysAddr(t->pa).align_down())), PAGE_SIZE))
                return;
            continue;
        }
        auto page = fs::page_cache_get(*r.file, (r.offset + (va - r.start)) / PAGE_SIZE);
        if (page.is_error())
            continue; // past the end of the file: a hole
        // The file's last page of the mapping: past file_end it reads zeros
        // (bss), whatever the page cache holds there.
        usize valid = r.file_end - va < PAGE_SIZE ? usize(r.file_end - va) : PAGE_SIZE;
        bool go_on = visit(ctx, va, static_cast<const u8*>(phys_to_virt(page.value())), valid);
        page_put(page.value());
        if (!go_on)
            return;
    }
    // The rest: only what is resident, a leaf table at a time, so a huge
    // sparse region costs its resident pages, not its size.
    bool stopped = false;
    table.for_each_leaf(lib::max(file_to, r.start), end, [&](u64 va, Pte& entry) {
        if (!stopped && !visit(ctx, va, static_cast<const u8*>(phys_to_virt(pte_page(entry))), PAGE_SIZE))
            stopped = true;
    });
}

u64 AddressSpace::resident_start_locked(const Region& r) const
{
    m_lock.assert_held();
    u64 first = r.end;
    PageTable(m_root_pa).for_each_leaf(r.start, r.end, [&](u64 va, Pte&) { first = lib::min(first, va); });
    return first;
}

u64 AddressSpace::resident_end_locked(const Region& r) const
{
    m_lock.assert_held();
    u64 last = r.start;
    if (r.file && !r.shared())
        last = lib::min(r.end, r.file_end == ALL_FILE ? r.end : lib::align_up(r.file_end, PAGE_SIZE));
    PageTable(m_root_pa).for_each_leaf(last, r.end, [&](u64 va, Pte&) { last = va + PAGE_SIZE; });
    return last;
}

} // namespace kernel::mm
