// PhysAddr and VirtAddr (lib/addr.hpp): the arithmetic a page allocator and
// a page table need, and, checked at compile time, the conversions they
// must refuse (into each other, from and to a bare integer).
#include "lib/addr.hpp"

#include <gtest/gtest.h>

#include <type_traits>

namespace {

constexpr u64 k_page = lib::mm::PAGE_SIZE;

// --- What must not compile -------------------------------------------------
// No implicit conversion from an integer, to an integer, or between kinds.
static_assert(!std::is_convertible_v<u64, PhysAddr>);
static_assert(!std::is_convertible_v<u64, VirtAddr>);
static_assert(!std::is_convertible_v<int, PhysAddr>);
static_assert(!std::is_convertible_v<PhysAddr, u64>);
static_assert(!std::is_convertible_v<VirtAddr, u64>);
static_assert(!std::is_convertible_v<PhysAddr, bool>);
static_assert(!std::is_convertible_v<PhysAddr, VirtAddr>);
static_assert(!std::is_convertible_v<VirtAddr, PhysAddr>);
// Not even explicitly: a physical address becomes virtual only through the
// memory code's phys_to_virt.
static_assert(!std::is_constructible_v<VirtAddr, PhysAddr>);
static_assert(!std::is_constructible_v<PhysAddr, VirtAddr>);
static_assert(!std::is_constructible_v<u64, PhysAddr>);
static_assert(!std::is_constructible_v<PhysAddr, const void*>);
// Explicit construction from a number is the way in.
static_assert(std::is_constructible_v<PhysAddr, u64>);
static_assert(std::is_constructible_v<VirtAddr, u64>);

// Mixed expressions that would hide a bug.
template <typename A, typename B> concept Comparable = requires(A a, B b) { a == b; };
template <typename A, typename B> concept Orderable = requires(A a, B b) { a < b; };
template <typename A, typename B> concept Subtractable = requires(A a, B b) { a - b; };
template <typename A, typename B> concept Addable = requires(A a, B b) { a + b; };
template <typename A, typename B> concept Assignable = requires(A a, B b) { a = b; };
template <typename A> concept PassedAsU64 = requires(A a, void (*f)(u64)) { f(a); };
template <typename A> concept TakenFromU64 = requires(u64 v, void (*f)(A)) { f(v); };

static_assert(Comparable<PhysAddr, PhysAddr> && Comparable<VirtAddr, VirtAddr>);
static_assert(!Comparable<PhysAddr, VirtAddr>);
static_assert(!Comparable<PhysAddr, u64>);
static_assert(Orderable<PhysAddr, PhysAddr>);
static_assert(!Orderable<PhysAddr, VirtAddr>);
static_assert(!Orderable<VirtAddr, u64>);
static_assert(Subtractable<PhysAddr, PhysAddr>);
static_assert(!Subtractable<PhysAddr, VirtAddr>);
static_assert(!Subtractable<VirtAddr, PhysAddr>);
static_assert(!Subtractable<u64, PhysAddr>);
static_assert(Addable<PhysAddr, u64>);
static_assert(!Addable<PhysAddr, PhysAddr>); // the sum of two addresses means nothing
static_assert(!Addable<PhysAddr, VirtAddr>);
static_assert(!Assignable<PhysAddr&, u64>);
static_assert(!Assignable<PhysAddr&, VirtAddr>);
static_assert(!Assignable<VirtAddr&, PhysAddr>);
static_assert(!PassedAsU64<PhysAddr> && !PassedAsU64<VirtAddr>);
static_assert(!TakenFromU64<PhysAddr> && !TakenFromU64<VirtAddr>);

// --- What they cost ----------------------------------------------------------
static_assert(sizeof(PhysAddr) == sizeof(u64) && alignof(PhysAddr) == alignof(u64));
static_assert(std::is_trivially_copyable_v<PhysAddr> && std::is_trivially_copyable_v<VirtAddr>);
static_assert(std::is_trivially_destructible_v<PhysAddr>);
static_assert(std::is_standard_layout_v<PhysAddr>);

// --- Usable in constant expressions ------------------------------------------
static_assert(PhysAddr{0x8020'1234}.align_down() == PhysAddr{0x8020'1000});
static_assert(PhysAddr{0x8020'1234}.align_up() == PhysAddr{0x8020'2000});
static_assert(VirtAddr{0x1000}.is_aligned());
static_assert(PhysAddr{0x8020'1234}.page_offset() == 0x234);
static_assert(PhysAddr{0x3000} - PhysAddr{0x1000} == 0x2000);
static_assert(PhysAddr{} == PhysAddr{0});

TEST(Addr, ValueRoundTrips)
{
    EXPECT_EQ(PhysAddr{0x8000'0000}.value(), 0x8000'0000u);
    EXPECT_EQ(VirtAddr{0xffff'ffc0'0000'0000ull}.value(), 0xffff'ffc0'0000'0000ull);
    EXPECT_EQ(PhysAddr{}.value(), 0u);
    EXPECT_EQ(VirtAddr{~0ull}.value(), ~0ull);
}

TEST(Addr, OffsetsAddAndSubtract)
{
    PhysAddr pa{0x8000'0000};
    EXPECT_EQ((pa + k_page).value(), 0x8000'1000u);
    EXPECT_EQ((pa - k_page).value(), 0x7fff'f000u);
    EXPECT_EQ(pa + 0, pa);
    PhysAddr moving = pa;
    moving += 3 * k_page;
    EXPECT_EQ(moving.value(), 0x8000'3000u);
    moving -= k_page;
    EXPECT_EQ(moving.value(), 0x8000'2000u);
    EXPECT_EQ(moving - pa, 2 * k_page);
    EXPECT_EQ(pa - pa, 0u);
}

TEST(Addr, DifferenceWrapsLikeU64)
{
    // A lower minus a higher address wraps, as the u64 arithmetic it
    // replaces did; callers order their operands.
    EXPECT_EQ(PhysAddr{0x1000} - PhysAddr{0x2000}, u64(0) - 0x1000);
    EXPECT_EQ((VirtAddr{~0ull} + 1).value(), 0u);
    EXPECT_EQ((VirtAddr{0} - 1).value(), ~0ull);
}

TEST(Addr, Alignment)
{
    EXPECT_EQ(PhysAddr{0x8020'0fff}.align_down(), PhysAddr{0x8020'0000});
    EXPECT_EQ(PhysAddr{0x8020'0001}.align_up(), PhysAddr{0x8020'1000});
    EXPECT_EQ(PhysAddr{0x8020'1000}.align_up(), PhysAddr{0x8020'1000}); // already aligned
    EXPECT_EQ(PhysAddr{0x8020'1000}.align_down(), PhysAddr{0x8020'1000});
    EXPECT_TRUE(PhysAddr{0}.is_aligned());
    EXPECT_FALSE(PhysAddr{0x8020'0008}.is_aligned());
    EXPECT_TRUE(PhysAddr{0x8020'0008}.is_aligned(8));
    // Larger alignments: a 2 MiB megapage, a 4 MiB buddy block.
    EXPECT_EQ(VirtAddr{0x4012'3456}.align_down(2 << 20), VirtAddr{0x4000'0000});
    EXPECT_EQ(VirtAddr{0x4012'3456}.align_up(4 << 20), VirtAddr{0x4040'0000});
    EXPECT_FALSE(VirtAddr{0x4000'1000}.is_aligned(2 << 20));
}

TEST(Addr, PageOffset)
{
    EXPECT_EQ(PhysAddr{0x8020'0000}.page_offset(), 0u);
    EXPECT_EQ(PhysAddr{0x8020'0fff}.page_offset(), 0xfffu);
    EXPECT_EQ(VirtAddr{0x1234}.page_offset(), 0x234u);
    EXPECT_EQ(VirtAddr{0x4012'3456}.page_offset(2 << 20), 0x12'3456u);
    // An address is its page plus its offset.
    VirtAddr va{0x7fff'1234};
    EXPECT_EQ(va.align_down() + va.page_offset(), va);
}

TEST(Addr, Comparisons)
{
    PhysAddr lo{0x1000}, hi{0x2000};
    EXPECT_TRUE(lo < hi);
    EXPECT_TRUE(lo <= hi);
    EXPECT_TRUE(lo <= lo);
    EXPECT_TRUE(hi > lo);
    EXPECT_TRUE(hi >= hi);
    EXPECT_FALSE(hi < lo);
    EXPECT_FALSE(lo > hi);
    EXPECT_TRUE(lo != hi);
    EXPECT_FALSE(lo == hi);
    EXPECT_TRUE(lo == PhysAddr{0x1000});
    // Unsigned, like the u64 underneath: the top half is above the bottom.
    EXPECT_TRUE(VirtAddr{0xffff'ffc0'0000'0000ull} > VirtAddr{0x3f'ffff'ffffull});
}

} // namespace
