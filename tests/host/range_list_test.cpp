// RangeList: the boot memory-map arithmetic.
#include "lib/range_list.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

using lib::RangeList;

static std::vector<std::pair<uint64_t, uint64_t>> dump(const RangeList& l)
{
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (size_t i = 0; i < l.count(); ++i)
        v.push_back({l[i].base, l[i].size});
    return v;
}

TEST(RangeList, AddMergesOverlappingAndTouching)
{
    RangeList l;
    ASSERT_TRUE(l.add(0x1000, 0x1000).is_ok());
    ASSERT_TRUE(l.add(0x3000, 0x1000).is_ok());
    EXPECT_EQ(l.count(), 2u);
    ASSERT_TRUE(l.add(0x2000, 0x1000).is_ok()); // touches both
    EXPECT_EQ(dump(l), (decltype(dump(l)){{0x1000, 0x3000}}));
    ASSERT_TRUE(l.add(0x0, 0x1800).is_ok());
    EXPECT_EQ(dump(l), (decltype(dump(l)){{0x0, 0x4000}}));
}

TEST(RangeList, SubtractSplitsAndTrims)
{
    RangeList l;
    ASSERT_TRUE(l.add(0x80000000, 0x8000000).is_ok()); // QEMU virt, 128 MiB
    ASSERT_TRUE(l.subtract(0x80000000, 0x80000).is_ok()); // OpenSBI
    ASSERT_TRUE(l.subtract(0x80200000, 0x100000).is_ok()); // kernel
    EXPECT_EQ(dump(l), (decltype(dump(l)){{0x80080000, 0x180000}, {0x80300000, 0x7d00000}}));
    ASSERT_TRUE(l.subtract(0x0, 0x80100000).is_ok());
    EXPECT_EQ(l[0].base, 0x80100000u);
    EXPECT_EQ(l.total(), 0x100000u + 0x7d00000u);
    ASSERT_TRUE(l.subtract(0x87ff0000, ~0ull - 0x87ff0000).is_ok()); // to the top, no wrap
    EXPECT_EQ(l[1].end(), 0x87ff0000u);
}

TEST(RangeList, AlignInwardDropsSlivers)
{
    RangeList l;
    ASSERT_TRUE(l.add(0x1001, 0x2fff).is_ok());
    ASSERT_TRUE(l.add(0x10000, 0x800).is_ok());
    l.align_inward(0x1000);
    EXPECT_EQ(dump(l), (decltype(dump(l)){{0x2000, 0x2000}}));
}

TEST(RangeList, RejectsWrapAndOverflowsCapacity)
{
    RangeList l;
    EXPECT_EQ(l.add(~0ull - 10, 100).code(), Errno::einval);
    for (uint64_t i = 0; i < RangeList::CAPACITY; ++i)
        ASSERT_TRUE(l.add(i * 0x2000, 0x1000).is_ok());
    EXPECT_EQ(l.add(RangeList::CAPACITY * 0x2000 + 0x1000, 0x10).code(), Errno::enospc);
    EXPECT_TRUE(l.contains(0x2000, 0x1000));
    EXPECT_FALSE(l.contains(0x1000, 0x10));
}

TEST(RangeList, RandomAgainstPageSetModel)
{
    std::mt19937_64 rng(42);
    RangeList l;
    std::set<uint64_t> model; // pages
    for (int step = 0; step < 3000; ++step) {
        uint64_t base = rng() % 256, size = 1 + rng() % 16;
        bool adding = rng() % 3 != 0;
        auto r = adding ? l.add(base * 4096, size * 4096) : l.subtract(base * 4096, size * 4096);
        if (r.is_error()) {
            ASSERT_EQ(r.code(), Errno::enospc);
            continue;
        }
        for (uint64_t p = base; p < base + size; ++p)
            adding ? (void)model.insert(p) : (void)model.erase(p);
        ASSERT_EQ(l.total(), model.size() * 4096) << "step " << step;
        for (size_t i = 0; i + 1 < l.count(); ++i)
            ASSERT_LT(l[i].end(), l[i + 1].base) << "ranges must be disjoint and not touching";
    }
}
