// ktests for the physical page allocator: exhaustion and full return,
// alignment, zeroing.
#include "kernel/boot.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"

using namespace kernel::mm;

KTEST(page_alloc, exhaust_and_return)
{
    u64 before = page_stats().free;
    // Chain every free page through its own first word, so no other memory
    // is needed to remember them.
    PhysAddr head{};
    u64 count = 0;
    while (auto pa = alloc_pages(0)) {
        *static_cast<u64*>(phys_to_virt(*pa)) = head.value();
        head = *pa;
        ++count;
    }
    EXPECT_EQ(count, before);
    EXPECT_EQ(page_stats().free, 0u);
    EXPECT_FALSE(alloc_pages(0).has_value());
    while (head != PhysAddr{}) {
        PhysAddr next{*static_cast<u64*>(phys_to_virt(head))};
        free_pages(head, 0);
        head = next;
    }
    EXPECT_EQ(page_stats().free, before);
}

KTEST(page_alloc, blocks_are_naturally_aligned)
{
    u64 before = page_stats().free;
    for (unsigned order = 0; order <= 10; ++order) {
        auto pa = alloc_pages(order);
        ASSERT_TRUE(pa.has_value());
        EXPECT_TRUE(pa->is_aligned(PAGE_SIZE << order));
        free_pages(*pa, order);
    }
    EXPECT_EQ(page_stats().free, before);
}

KTEST(page_alloc, zeroed_pages_are_zero)
{
    auto pa = alloc_pages(0);
    ASSERT_TRUE(pa.has_value());
    __builtin_memset(phys_to_virt(*pa), 0xa5, PAGE_SIZE); // dirty it
    free_pages(*pa, 0);
    auto again = alloc_page_zeroed();
    ASSERT_TRUE(again.has_value());
    auto* words = static_cast<const u64*>(phys_to_virt(*again));
    u64 nonzero = 0;
    for (u64 i = 0; i < PAGE_SIZE / 8; ++i)
        nonzero += words[i] != 0;
    EXPECT_EQ(nonzero, 0u);
    free_pages(*again, 0);
}

KTEST(page_alloc, kernel_image_and_firmware_are_not_free)
{
    // Allocate everything and check no page overlaps the image or OpenSBI.
    const auto& boot = kernel::boot_info();
    PhysAddr head{};
    u64 overlaps = 0;
    // [start, start + size) meets the page at pa.
    auto overlap = [](PhysAddr pa, u64 start, u64 size) {
        return pa + PAGE_SIZE > PhysAddr{start} && pa < PhysAddr{start} + size;
    };
    while (auto pa = alloc_pages(0)) {
        if (overlap(*pa, boot.load_pa, boot.image_size))
            ++overlaps;
        for (usize i = 0; i < boot.reserved.count(); ++i)
            if (overlap(*pa, boot.reserved[i].base, boot.reserved[i].size))
                ++overlaps;
        if (overlap(*pa, boot.dtb_pa, boot.fdt->total_size()))
            ++overlaps;
        *static_cast<u64*>(phys_to_virt(*pa)) = head.value();
        head = *pa;
    }
    while (head != PhysAddr{}) {
        PhysAddr next{*static_cast<u64*>(phys_to_virt(head))};
        free_pages(head, 0);
        head = next;
    }
    EXPECT_EQ(overlaps, 0u);
}

KTEST(kmalloc, every_size_class_and_back_to_baseline)
{
    u64 pages_before = page_stats().free;
    auto heap_before = kmalloc_stats();
    void* objects[64];
    usize sizes[] = {1, 16, 17, 64, 100, 256, 512, 1000, 2048, 2049, 4096, 10000, 65536};
    usize n = 0;
    for (usize size : sizes) {
        void* p = kmalloc(size);
        ASSERT_TRUE(p != nullptr);
        EXPECT_EQ(u64(p) % 16, 0u);
        __builtin_memset(p, 0x5a, size);
        objects[n++] = p;
    }
    EXPECT_EQ(kmalloc_stats().objects_in_use, heap_before.objects_in_use + n);
    for (usize i = 0; i < n; ++i)
        kfree(objects[i]);
    EXPECT_EQ(kmalloc_stats().objects_in_use, heap_before.objects_in_use);
    EXPECT_EQ(kmalloc_stats().pages_held(), heap_before.pages_held());
    EXPECT_EQ(page_stats().free, pages_before);
}

KTEST(kmalloc, many_small_objects_no_leak)
{
    u64 pages_before = page_stats().free;
    static void* objects[2000];
    for (usize i = 0; i < 2000; ++i) {
        objects[i] = kmalloc(8 + (i % 200));
        ASSERT_TRUE(objects[i] != nullptr);
        *static_cast<u64*>(objects[i]) = i;
    }
    u64 corrupted = 0;
    for (usize i = 0; i < 2000; ++i)
        corrupted += *static_cast<u64*>(objects[i]) != i;
    EXPECT_EQ(corrupted, 0u);
    for (usize i = 0; i < 2000; i += 2) // free out of order
        kfree(objects[i]);
    for (usize i = 1; i < 2000; i += 2)
        kfree(objects[i]);
    EXPECT_EQ(page_stats().free, pages_before);
    EXPECT_TRUE(kmalloc(0) == nullptr);
}
