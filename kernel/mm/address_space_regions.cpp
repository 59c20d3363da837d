// Address spaces: the region array, sorted by address, one slot per
// region; how it grows (within vm.max_map_count), splits, merges and
// where a new mapping fits.
#include "kernel/mm/address_space.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space_internal.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/panic.hpp"

namespace kernel::mm {

using namespace detail;

namespace {

// Two neighbours that one region could describe.
bool mergeable(const Region& a, const Region& b)
{
    if (a.end != b.start || a.prot != b.prot || a.kind != b.kind || a.flags != b.flags || a.file != b.file)
        return false;
    if (a.flags & REGION_SYSV)
        return false; // each region is an attach (shm_nattch), as Linux's shm vmas never merge
    return !a.file || (a.offset + (a.end - a.start) == b.offset && a.file_end == b.file_end);
}

} // namespace

namespace detail {

void split_at(Region* regions, usize& count, usize i, u64 address)
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

} // namespace detail

namespace {
constinit u32 s_max_map_count = DEFAULT_MAX_MAP_COUNT;
}

u32 max_map_count() { return __atomic_load_n(&s_max_map_count, __ATOMIC_RELAXED); }
void set_max_map_count(u32 count) { __atomic_store_n(&s_max_map_count, count, __ATOMIC_RELAXED); }

Result<void> AddressSpace::ensure_region_capacity(usize extra)
{
    usize needed = m_region_count + extra;
    if (needed <= m_region_capacity)
        return {};
    // Doubling, but not far past vm.max_map_count: a full set of 65 530
    // regions (48 bytes each) is one allocation of about 3 MiB, which
    // kmalloc can still hand out (its largest block is 4 MiB).
    usize capacity = lib::max<usize>(8, needed * 2);
    capacity = lib::max(needed, lib::min<usize>(capacity, usize(max_map_count()) + 2));
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

usize AddressSpace::hole_slots(u64 start, u64 end) const
{
    usize i = region_index(start);
    return i < m_region_count && m_regions[i].start < start && m_regions[i].end > end ? 1 : 0;
}

usize AddressSpace::splits_needed(u64 start, u64 end) const
{
    usize splits = 0;
    if (const Region* r = region_at(start); r && r->start < start)
        ++splits;
    if (const Region* r = region_at(end); end > start && r && r->start < end)
        ++splits;
    return splits;
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

const Region* AddressSpace::region_at(u64 address) const
{
    usize i = region_index(address);
    return i < m_region_count && m_regions[i].start <= address ? &m_regions[i] : nullptr;
}

bool AddressSpace::range_is_free(u64 start, u64 end) const
{
    usize i = region_index(start);
    return i == m_region_count || m_regions[i].start >= end;
}

u64 AddressSpace::virtual_size()
{
    MutexGuard guard(m_lock);
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

Result<void> AddressSpace::add_region_locked(u64 start, u64 end, u32 prot, RegionKind kind)
{
    m_lock.assert_held();
    return insert_region(Region{start, end, prot, kind});
}

Result<void> AddressSpace::add_region(u64 start, u64 end, u32 prot, RegionKind kind)
{
    MutexGuard guard(m_lock);
    return add_region_locked(start, end, prot, kind);
}

Result<void> AddressSpace::add_file_region(const Region& region)
{
    MutexGuard guard(m_lock);
    return insert_region(region);
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
    // A hole inside one region is the only case that needs a new slot:
    // the region becomes [its start, end) and [end, its end), and the
    // first is then cut short below.
    if (i < m_region_count && m_regions[i].start < start && m_regions[i].end > end)
        split_at(m_regions, m_region_count, i, end);
    if (i < m_region_count && m_regions[i].start < start) {
        Region& head = m_regions[i];
        unmap_pages(head, start, lib::min(head.end, end));
        head.end = start;
        ++i;
    }
    usize first = i, past = first;
    while (past < m_region_count && m_regions[past].end <= end) {
        unmap_pages(m_regions[past], m_regions[past].start, m_regions[past].end);
        file_unref(m_regions[past]);
        ++past;
    }
    if (past < m_region_count && m_regions[past].start < end) {
        // The range ends inside this region: its head goes, in place.
        Region& tail = m_regions[past];
        unmap_pages(tail, tail.start, end);
        tail.offset += end - tail.start;
        tail.start = end;
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

} // namespace kernel::mm
