// RangeList: sorted, disjoint, merged ranges in a fixed array.
#include "lib/range_list.hpp"

namespace lib {

Result<void> RangeList::insert_at(usize index, Range r)
{
    if (m_count == CAPACITY)
        return make_error(Errno::enospc, "too many memory ranges");
    for (usize i = m_count; i > index; --i)
        m_ranges[i] = m_ranges[i - 1];
    m_ranges[index] = r;
    ++m_count;
    return {};
}

void RangeList::erase_at(usize index)
{
    for (usize i = index; i + 1 < m_count; ++i)
        m_ranges[i] = m_ranges[i + 1];
    --m_count;
}

Result<void> RangeList::add(u64 base, u64 size)
{
    if (size == 0)
        return {};
    if (base + size < base)
        return make_error(Errno::einval, "range wraps around the address space");
    u64 end = base + size;
    usize i = 0;
    while (i < m_count && m_ranges[i].end() < base)
        ++i;
    // Merge every range that overlaps or touches [base, end).
    while (i < m_count && m_ranges[i].base <= end) {
        base = min(base, m_ranges[i].base);
        end = max(end, m_ranges[i].end());
        erase_at(i);
    }
    return insert_at(i, {base, end - base});
}

Result<void> RangeList::subtract(u64 base, u64 size)
{
    if (size == 0)
        return {};
    u64 end = base + size < base ? ~0ull : base + size;
    for (usize i = 0; i < m_count;) {
        Range r = m_ranges[i];
        if (r.end() <= base || r.base >= end) {
            ++i;
            continue;
        }
        erase_at(i);
        if (r.base < base) {
            TRY(insert_at(i, {r.base, base - r.base}));
            ++i;
        }
        if (r.end() > end) {
            TRY(insert_at(i, {end, r.end() - end}));
            ++i;
        }
    }
    return {};
}

void RangeList::align_inward(u64 alignment)
{
    for (usize i = 0; i < m_count;) {
        u64 b = align_up(m_ranges[i].base, alignment);
        u64 e = align_down(m_ranges[i].end(), alignment);
        if (e <= b) {
            erase_at(i);
            continue;
        }
        m_ranges[i] = {b, e - b};
        ++i;
    }
}

u64 RangeList::total() const
{
    u64 t = 0;
    for (usize i = 0; i < m_count; ++i)
        t += m_ranges[i].size;
    return t;
}

bool RangeList::contains(u64 base, u64 size) const
{
    for (usize i = 0; i < m_count; ++i)
        if (base >= m_ranges[i].base && base + size <= m_ranges[i].end())
            return true;
    return false;
}

} // namespace lib
