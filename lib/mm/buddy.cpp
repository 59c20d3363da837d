// The binary buddy allocator: O(1) push/pop per order, O(MAX_ORDER) split and
// merge. Invariant kept by every operation: each managed page is Reserved, a
// block head (Free or Head, with its order), or a tail of exactly one block.
// Keeping tails unflagged is what lets free() tell a double free or a tail pfn
// from a real block head without scanning the block.
#include "lib/mm/buddy.hpp"

namespace lib::mm {

namespace {

constexpr u64 block_pages(unsigned order) { return u64(1) << order; }

void make_tail(PageMeta& m)
{
    m.next = PageMeta::NO_PAGE;
    m.prev = PageMeta::NO_PAGE;
    m.refcount = 0;
    m.order = 0;
    m.flags = 0;
}

} // namespace

void BuddyAllocator::init(PageMeta* meta, u64 base_pfn, u64 page_count)
{
    // Indices must fit a u32 and leave NO_PAGE unused.
    if (page_count > PageMeta::NO_PAGE)
        page_count = PageMeta::NO_PAGE;
    m_meta = meta;
    m_base_pfn = base_pfn;
    m_page_count = meta ? page_count : 0;
    for (unsigned k = 0; k <= MAX_ORDER; ++k) {
        m_free_head[k] = PageMeta::NO_PAGE;
        m_free_blocks[k] = 0;
    }
    m_free_pages = 0;
    m_total_pages = 0;
    for (u64 i = 0; i < m_page_count; ++i) {
        make_tail(m_meta[i]);
        m_meta[i].owner = 0;
        m_meta[i].set(PageFlag::Reserved);
    }
}

void BuddyAllocator::push_free(u64 pfn, unsigned order)
{
    u32 i = index_of(pfn);
    PageMeta& m = m_meta[i];
    m.flags = u8(PageFlag::Free);
    m.order = u8(order);
    m.refcount = 0;
    m.prev = PageMeta::NO_PAGE;
    m.next = m_free_blocks[order] ? m_free_head[order] : PageMeta::NO_PAGE;
    if (m.next != PageMeta::NO_PAGE)
        m_meta[m.next].prev = i;
    m_free_head[order] = i;
    ++m_free_blocks[order];
}

void BuddyAllocator::remove_free(u64 pfn, unsigned order)
{
    u32 i = index_of(pfn);
    PageMeta& m = m_meta[i];
    if (m.prev != PageMeta::NO_PAGE)
        m_meta[m.prev].next = m.next;
    else
        m_free_head[order] = m.next;
    if (m.next != PageMeta::NO_PAGE)
        m_meta[m.next].prev = m.prev;
    m.next = PageMeta::NO_PAGE;
    m.prev = PageMeta::NO_PAGE;
    m.clear(PageFlag::Free);
    --m_free_blocks[order];
}

void BuddyAllocator::release_block(u64 pfn, unsigned order)
{
    m_free_pages += block_pages(order);
    // Buddies are computed on absolute pfns so blocks stay naturally aligned
    // in physical memory (a 2 MiB block can back a megapage) whatever base_pfn is.
    while (order < MAX_ORDER) {
        u64 buddy = pfn ^ block_pages(order);
        if (!owns(buddy))
            break;
        PageMeta& b = meta(buddy);
        if (!b.has(PageFlag::Free) || b.order != order)
            break;
        remove_free(buddy, order);
        u64 upper = buddy > pfn ? buddy : pfn;
        make_tail(meta(upper));
        pfn = buddy < pfn ? buddy : pfn;
        ++order;
    }
    push_free(pfn, order);
}

u64 BuddyAllocator::add_free_range(u64 pfn, u64 count)
{
    u64 end = count > ~u64(0) - pfn ? ~u64(0) : pfn + count;
    u64 lo = lib::max(pfn, m_base_pfn);
    u64 hi = lib::min(end, m_base_pfn + m_page_count);
    u64 added = 0;
    u64 p = lo;
    while (p < hi) {
        if (!meta(p).has(PageFlag::Reserved)) {
            ++p;
            continue;
        }
        u64 run_end = p;
        while (run_end < hi && meta(run_end).has(PageFlag::Reserved))
            ++run_end;
        while (p < run_end) {
            unsigned order = MAX_ORDER;
            while (order > 0 && (!lib::is_aligned(p, block_pages(order)) || run_end - p < block_pages(order)))
                --order;
            for (u64 q = p; q < p + block_pages(order); ++q)
                make_tail(meta(q));
            m_total_pages += block_pages(order);
            added += block_pages(order);
            release_block(p, order);
            p += block_pages(order);
        }
    }
    return added;
}

Optional<u64> BuddyAllocator::allocate(unsigned order)
{
    if (order > MAX_ORDER)
        return {};
    unsigned k = order;
    while (k <= MAX_ORDER && m_free_blocks[k] == 0)
        ++k;
    if (k > MAX_ORDER)
        return {};
    u64 pfn = m_base_pfn + m_free_head[k];
    remove_free(pfn, k);
    // Split: keep the lower half, free the upper half one order down.
    while (k > order) {
        --k;
        push_free(pfn + block_pages(k), k);
    }
    m_free_pages -= block_pages(order);
    PageMeta& m = meta(pfn);
    m.flags = u8(PageFlag::Head);
    m.order = u8(order);
    m.refcount = 1;
    m.owner = 0;
    return pfn;
}

Result<void> BuddyAllocator::free(u64 pfn, unsigned order)
{
    // Check everything before touching anything.
    if (!owns(pfn))
        return make_error(Errno::einval, "buddy: pfn outside the allocator");
    if (order > MAX_ORDER)
        return make_error(Errno::einval, "buddy: order above MAX_ORDER");
    if (!lib::is_aligned(pfn, block_pages(order)))
        return make_error(Errno::einval, "buddy: pfn misaligned for order");
    const PageMeta& m = meta(pfn);
    if (m.has(PageFlag::Free))
        return make_error(Errno::einval, "buddy: double free");
    if (m.has(PageFlag::Reserved))
        return make_error(Errno::einval, "buddy: pfn is reserved, never added as free RAM");
    if (!m.has(PageFlag::Head))
        return make_error(Errno::einval, "buddy: pfn is not the head of an allocated block");
    if (m.order != order)
        return make_error(Errno::einval, "buddy: order differs from the allocation");
    make_tail(meta(pfn));
    release_block(pfn, order);
    return {};
}

bool BuddyAllocator::check_invariants() const
{
    // Pages: every block head is naturally aligned, inside the span, and
    // followed by exactly 2^order - 1 tails.
    u64 free_pages = 0;
    u64 handed_in = 0;
    u64 free_heads[MAX_ORDER + 1] = {};
    u64 i = 0;
    while (i < m_page_count) {
        const PageMeta& m = m_meta[i];
        if (m.has(PageFlag::Reserved)) {
            if (m.has(PageFlag::Free) || m.has(PageFlag::Head))
                return false;
            ++i;
            continue;
        }
        bool is_free = m.has(PageFlag::Free);
        if (is_free == m.has(PageFlag::Head))
            return false; // a tail where a head must be, or both states at once
        if (m.order > MAX_ORDER || !lib::is_aligned(m_base_pfn + i, block_pages(m.order)))
            return false;
        u64 n = block_pages(m.order);
        if (n > m_page_count - i)
            return false;
        for (u64 t = 1; t < n; ++t)
            if (!m_meta[i + t].is_tail())
                return false;
        if (is_free) {
            free_pages += n;
            ++free_heads[m.order];
        }
        handed_in += n;
        i += n;
    }
    if (free_pages != m_free_pages || handed_in != m_total_pages)
        return false;
    // Lists: each holds exactly the free heads of its order, doubly linked.
    for (unsigned k = 0; k <= MAX_ORDER; ++k) {
        if (free_heads[k] != m_free_blocks[k])
            return false;
        u64 seen = 0;
        u32 prev = PageMeta::NO_PAGE;
        for (u32 at = m_free_blocks[k] ? m_free_head[k] : PageMeta::NO_PAGE; at != PageMeta::NO_PAGE;
             at = m_meta[at].next) {
            if (at >= m_page_count || ++seen > m_free_blocks[k])
                return false;
            const PageMeta& m = m_meta[at];
            if (!m.has(PageFlag::Free) || m.order != k || m.prev != prev)
                return false;
            prev = at;
        }
        if (seen != m_free_blocks[k])
            return false;
    }
    return true;
}

} // namespace lib::mm
