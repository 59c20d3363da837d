// brk and the mmap family: regions made, cut, moved and protected, with
// Linux's semantics and error numbers.
#include "kernel/mm/address_space.hpp"
#include "arch/arch.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space_internal.hpp"
#include "kernel/mm/page_alloc.hpp"

namespace kernel::mm {

using namespace arch;
using namespace detail;

u64 AddressSpace::set_brk(u64 requested)
{
    MutexGuard guard(m_lock);
    // Linux leaves the break where it is for anything it cannot grant, and
    // an address near the top of the range must not wrap when rounded up.
    if (requested < m_heap_start || requested > USER_MMAP_TOP)
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
        else if (add_region_locked(old_top, new_top, PROT_READ | PROT_WRITE, RegionKind::Heap).is_error())
            return m_heap_end;
    } else if (new_top < old_top) {
        usize i = region_index(new_top);
        Region* heap = i < m_region_count ? &m_regions[i] : nullptr;
        if (heap && heap->kind == RegionKind::Heap && heap->start < new_top && heap->end == old_top) {
            // The common case: the heap's tail goes, and no region is added.
            if (own_tables(new_top, old_top).is_error())
                return m_heap_end;
            unmap_pages(*heap, new_top, old_top);
            heap->end = new_top;
        } else {
            if (prepare_change(new_top, old_top, hole_slots(new_top, old_top)).is_error())
                return m_heap_end;
            remove_range(new_top, old_top);
        }
    }
    m_heap_end = requested;
    return m_heap_end;
}

Result<u64> AddressSpace::map(const MapRequest& q)
{
    MutexGuard guard(m_lock);
    if (q.length == 0)
        return Errno::einval;
    u64 size = lib::align_up(q.length, PAGE_SIZE);
    if (size < q.length || size > USER_REGIONS_END)
        return Errno::enomem;
    bool shared = q.flags & REGION_SHARED;
    if (!shared && (q.prot & PROT_WRITE) && !commit_ok(pages_in(size)))
        return Errno::enomem;
    // Linux's do_mmap: refused once the count is above the limit, so the
    // last mmap that succeeds may take it one past (a split inside a
    // MAP_FIXED range aside).
    if (m_region_count > max_map_count())
        return Errno::enomem;
    TRY(ensure_region_capacity(2)); // a MAP_FIXED hole inside a region, and the new one
    u64 start;
    if (q.fixed || q.fixed_noreplace) {
        if (!lib::is_aligned(q.hint, PAGE_SIZE))
            return Errno::einval;
        if (q.hint > USER_REGIONS_END - size)
            return Errno::enomem;
        if (q.fixed_noreplace && !range_is_free(q.hint, q.hint + size))
            return Errno::eexist;
        start = q.hint;
        // Replacing a hole inside one region splits it, as munmap would.
        if (hole_slots(start, start + size) && m_region_count >= max_map_count())
            return Errno::enomem;
        TRY(own_tables(start, start + size));
        remove_range(start, start + size); // MAP_FIXED replaces what was there
    } else {
        u64 hint = lib::align_up(q.hint, PAGE_SIZE);
        if (hint && hint >= q.hint && size <= USER_MMAP_TOP && hint <= USER_MMAP_TOP - size &&
            range_is_free(hint, hint + size))
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
    MutexGuard guard(m_lock);
    if (!lib::is_aligned(start, PAGE_SIZE) || length == 0)
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end > USER_REGIONS_END || end < start)
        return Errno::einval;
    // Only a hole inside one region adds one: then the count must stay
    // within the limit (Linux lets it pass only transiently). Unmapping
    // whole regions, or cutting the ends of some, needs no new slot.
    usize slots = hole_slots(start, end);
    if (slots && m_region_count >= max_map_count())
        return Errno::enomem;
    TRY(prepare_change(start, end, slots));
    remove_range(start, end);
    return {};
}

Result<void> AddressSpace::detach_segment(u64 address)
{
    MutexGuard guard(m_lock);
    const Region* r = region_at(address);
    if (!r || r->start != address || !(r->flags & REGION_SYSV) || r->offset != 0)
        return Errno::einval;
    // As Linux's shmdt: every region of this segment's file from here to
    // the segment's size goes (an attach mprotected in parts is several).
    fs::Inode* file = r->file;
    u64 end = address + lib::align_up(file->size, PAGE_SIZE);
    for (usize i = region_index(address); i < m_region_count && m_regions[i].start < end;) {
        Region& at = m_regions[i];
        if (at.file != file || !(at.flags & REGION_SYSV) || at.end > end) {
            ++i;
            continue;
        }
        u64 start = at.start, stop = at.end;
        TRY(prepare_change(start, stop, 0));
        remove_range(start, stop);
        i = region_index(stop);
    }
    return {};
}

Result<void> AddressSpace::protect(u64 start, u64 length, u32 prot)
{
    MutexGuard guard(m_lock);
    if (!lib::is_aligned(start, PAGE_SIZE))
        return Errno::einval;
    u64 end = lib::align_up(start + length, PAGE_SIZE);
    if (end < start || end > USER_REGIONS_END)
        return Errno::enomem;
    // Every page of the range must be inside some region (Linux: ENOMEM),
    // and a shared file opened read-only cannot become writable (EACCES).
    for (u64 a = start; a < end;) {
        const Region* r = region_at(a);
        if (!r)
            return Errno::enomem;
        if ((prot & PROT_WRITE) && r->shared() && !(r->flags & REGION_MAY_WRITE))
            return Errno::eacces;
        a = r->end;
    }
    TRY(prepare_split(start, end));
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
    flush_all(); // downgrades must not survive in any TLB
    merge_neighbours(end);
    merge_neighbours(start);
    return {};
}

Result<void> AddressSpace::set_locked(u64 start, u64& end, bool locked)
{
    MutexGuard guard(m_lock);
    if (start >= end)
        return {};
    // As Linux's apply_vma_lock_flags: the mapped pages from `start` up to
    // the first unmapped one change, and then a hole is ENOMEM.
    u64 stop = start;
    while (stop < end) {
        const Region* r = region_at(stop);
        if (!r)
            break;
        stop = lib::min(r->end, end);
    }
    Result<void> outcome = stop < end ? Result<void>(Errno::enomem) : Result<void>();
    end = stop;
    if (stop == start)
        return outcome;
    TRY(prepare_split(start, end));
    split_at(m_regions, m_region_count, region_index(start), start);
    split_at(m_regions, m_region_count, region_index(end - 1), end);
    for (usize i = region_index(start); i < m_region_count && m_regions[i].start < end; ++i)
        m_regions[i].flags = u8(locked ? m_regions[i].flags | REGION_LOCKED : m_regions[i].flags & ~REGION_LOCKED);
    merge_neighbours(end);
    merge_neighbours(start);
    return outcome;
}

void AddressSpace::set_all_locked(bool locked)
{
    MutexGuard guard(m_lock);
    for (usize i = 0; i < m_region_count; ++i)
        m_regions[i].flags = u8(locked ? m_regions[i].flags | REGION_LOCKED : m_regions[i].flags & ~REGION_LOCKED);
    for (usize i = m_region_count; i-- > 1;)
        merge_neighbours(m_regions[i].start);
}

Result<void> AddressSpace::populate_locked(u64 start, u64 end, bool (*interrupted)())
{
    // Region by region (a range may span the whole user half, as
    // mlockall's does), page by page inside the locked ones.
    u64 at = lib::align_down(start, PAGE_SIZE);
    while (at < end) {
        u64 stop;
        bool bring;
        Access access = Access::Read;
        {
            MutexGuard guard(m_lock);
            usize i = region_index(at);
            if (i >= m_region_count || m_regions[i].start >= end)
                return {};
            const Region& r = m_regions[i];
            at = lib::max(at, r.start);
            stop = lib::min(r.end, end);
            // Not locked, or PROT_NONE: nothing to bring in. The stack
            // region spans all of RLIMIT_STACK, where Linux's stack mapping
            // is only as deep as it has grown: its pages come as it grows.
            bring = (r.flags & REGION_LOCKED) && (r.prot & (PROT_READ | PROT_WRITE)) && r.kind != RegionKind::Stack;
            // A writable private page is made the process's own at once,
            // as Linux's populate does for a locked mapping.
            if ((r.prot & PROT_WRITE) && !r.shared())
                access = Access::Write;
        }
        for (u64 page = at; bring && page < stop; page += PAGE_SIZE) {
            if (interrupted && interrupted())
                return Errno::eintr; // a fatal signal: the caller is going anyway
            if (handle_fault(page, access) == FaultOutcome::OutOfMemory)
                return Errno::eagain;
        }
        at = stop;
    }
    return {};
}

u64 AddressSpace::locked_size()
{
    MutexGuard guard(m_lock);
    u64 size = 0;
    for (usize i = 0; i < m_region_count; ++i)
        if (m_regions[i].flags & REGION_LOCKED)
            size += m_regions[i].end - m_regions[i].start;
    return size;
}

Result<void> AddressSpace::discard(u64 start, u64 length)
{
    MutexGuard guard(m_lock);
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
    MutexGuard guard(m_lock);
    if (!lib::is_aligned(old_address, PAGE_SIZE) || (fixed && !may_move))
        return Errno::einval;
    old_size = lib::align_up(old_size, PAGE_SIZE);
    new_size = lib::align_up(new_size, PAGE_SIZE);
    if (new_size == 0 || old_size == 0 || old_address + old_size < old_address)
        return Errno::einval; // old_size 0 (duplicate a shared mapping): not supported
    // Past the user range is EINVAL (Linux, mm/mremap.c). Bounding it here
    // keeps every sum below from wrapping: a size near 2^64 once "grew" a
    // region in place to an end below its start.
    if (new_size > USER_REGIONS_END)
        return Errno::einval;
    const Region* found = region_at(old_address);
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
    // A hole cut, the moved region inserted, the destination's hole.
    TRY(prepare_change(old_address, old_end, 3));
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
    flush_all();
    remove_range(old_address, old_end);
    merge_neighbours(target + new_size);
    merge_neighbours(target);
    return target;
}

} // namespace kernel::mm
