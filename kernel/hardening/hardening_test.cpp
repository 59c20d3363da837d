// ktests of the hardened kernel's checks that can be observed without
// tripping them (the trips themselves are the panic.hardening.* boots):
// the canary was seeded, objects carry red zones, freed objects and pages
// hold their poison, and the whole heap is intact.
#include "kernel/ktest.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"

extern "C" uptr __stack_chk_guard;

namespace {

bool filled_with(const void* p, usize n, u8 byte)
{
    const auto* b = static_cast<const volatile u8*>(p);
    for (usize i = 0; i < n; ++i)
        if (b[i] != byte)
            return false;
    return true;
}

} // namespace

KTEST(hardening, stack_guard_is_seeded_per_boot)
{
    EXPECT_NE(__stack_chk_guard, uptr(0x5eed0fca11ab1e00ull)); // the link-time value
    EXPECT_EQ(__stack_chk_guard & 0xff, 0u);                     // glibc's zero low byte
    EXPECT_NE(__stack_chk_guard >> 8, 0u);
}

KTEST(hardening, kmalloc_objects_have_red_zones_and_freed_ones_poison)
{
    using namespace kernel::mm;
    auto* keep = static_cast<u8*>(kmalloc(24)); // keeps the slab alive across the free
    auto* p = static_cast<u8*>(kmalloc(24));
    ASSERT_TRUE(keep && p);
    EXPECT_TRUE(filled_with(p + 24, 8, lib::mm::SLAB_RED_ACTIVE)); // 24 + RED_ZONE -> the 32-byte class
    kfree(p);
    EXPECT_TRUE(filled_with(p, 32, lib::mm::SLAB_POISON_FREE));
    EXPECT_EQ(kmalloc_check_all(), 0u);
    kfree(keep);
}

KTEST(hardening, freed_pages_hold_poison)
{
    using namespace kernel::mm;
    auto pa = alloc_pages(0);
    ASSERT_TRUE(pa);
    __builtin_memset(phys_to_virt(*pa), 0x5a, PAGE_SIZE);
    free_pages(*pa, 0);
    EXPECT_TRUE(filled_with(phys_to_virt(*pa), PAGE_SIZE, 0xaa));
    auto two = alloc_pages(2);
    ASSERT_TRUE(two);
    free_pages(*two, 2);
    EXPECT_TRUE(filled_with(phys_to_virt(*two), 4 * PAGE_SIZE, 0xaa));
}

KTEST(hardening, whole_heap_intact)
{
    EXPECT_EQ(kernel::mm::kmalloc_check_all(), 0u);
}
