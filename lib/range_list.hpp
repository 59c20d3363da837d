// A small fixed-capacity set of disjoint, sorted address ranges with
// add/subtract: the boot memory map (RAM minus the kernel, reserved memory,
// the device tree and the initrd) is computed with it.
#pragma once

#include "lib/result.hpp"

namespace lib {

struct Range {
    u64 base;
    u64 size;
    u64 end() const { return base + size; }
};

class RangeList {
public:
    static constexpr usize CAPACITY = 64;

    // Adds [base, base+size), merging with overlapping or touching ranges.
    Result<void> add(u64 base, u64 size);
    // Removes [base, base+size) wherever it overlaps; may split a range.
    Result<void> subtract(u64 base, u64 size);
    // Shrinks every range inward to `alignment` boundaries, dropping empty ones.
    void align_inward(u64 alignment);

    usize count() const { return m_count; }
    const Range& operator[](usize i) const { return m_ranges[i]; }
    u64 total() const;
    bool contains(u64 base, u64 size) const;

private:
    Result<void> insert_at(usize index, Range r);
    void erase_at(usize index);

    Range m_ranges[CAPACITY]{};
    usize m_count = 0;
};

} // namespace lib
