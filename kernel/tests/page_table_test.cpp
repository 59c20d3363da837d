// ktests for Sv39 page tables and the exception fixup path: mappings take
// effect, permissions are enforced by the hardware, unmapping removes
// access, and faults at fixup-listed instructions are recovered.
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/vm.hpp"

using namespace arch;
using kernel::mm::alloc_page_zeroed;
using kernel::mm::alloc_pages;
using kernel::mm::free_pages;
using kernel::mm::kernel_root_pa;
using kernel::mm::page_stats;

namespace {

class CountingTables final : public TablePageSource {
public:
    lib::Optional<u64> allocate_table_page() override
    {
        auto pa = kernel::mm::alloc_table_page();
        if (pa)
            ++live;
        return pa;
    }
    void free_table_page(u64 pa) override
    {
        free_pages(PhysAddr{pa}, 0);
        --live;
    }
    i64 live = 0;
};

// A scratch window in the kernel half no one else uses (root entry 450).
constexpr u64 SCRATCH = 0xfffffff080000000ull;

} // namespace

KTEST(page_table, map_translate_unmap_on_a_scratch_table)
{
    u64 before = page_stats().free;
    CountingTables tables;
    auto root = alloc_page_zeroed();
    ASSERT_TRUE(root.has_value());
    PageTable pt(root->value());
    auto page = alloc_pages(0);
    ASSERT_TRUE(page.has_value());

    u64 va = 0x40001000;
    ASSERT_TRUE(pt.map(va, page->value(), PAGE_SIZE, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D, tables).is_ok());
    EXPECT_EQ(tables.live, 2); // an L1 and an L0 table
    auto t = pt.translate(va + 0x123);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->pa, (*page + 0x123).value());
    EXPECT_EQ(t->level, 0u);
    EXPECT_TRUE((t->pte & PTE_U) && (t->pte & PTE_W) && !(t->pte & PTE_X));
    EXPECT_FALSE(pt.translate(va + PAGE_SIZE).has_value());

    // Mapping over an existing page fails and changes nothing.
    EXPECT_EQ(pt.map(va, page->value(), PAGE_SIZE, PTE_R, tables).code(), Errno::eexist);
    // W without R is a reserved encoding; unaligned input is rejected.
    EXPECT_EQ(pt.map(va + PAGE_SIZE, page->value(), PAGE_SIZE, PTE_W, tables).code(), Errno::einval);
    EXPECT_EQ(pt.map(va + 1, page->value(), PAGE_SIZE, PTE_R, tables).code(), Errno::einval);
    // A non-canonical address (bits 63:39 not a sign extension) is refused.
    EXPECT_EQ(pt.map(0x0000008000000000ull, page->value(), PAGE_SIZE, PTE_R, tables).code(), Errno::einval);

    ASSERT_TRUE(pt.protect(va, PTE_R | PTE_U | PTE_A).is_ok());
    EXPECT_FALSE(pt.translate(va)->pte & PTE_W);
    EXPECT_EQ(pt.unmap(va, PAGE_SIZE), 1u);
    EXPECT_FALSE(pt.translate(va).has_value());
    EXPECT_EQ(pt.unmap(va, PAGE_SIZE), 0u);

    pt.free_tables(0, 255, tables);
    EXPECT_EQ(tables.live, 0);
    free_pages(*page, 0);
    free_pages(*root, 0);
    EXPECT_EQ(page_stats().free, before);
}

KTEST(page_table, hardware_enforces_kernel_mappings)
{
    CountingTables tables;
    PageTable kernel_pt(kernel_root_pa());
    auto page = alloc_page_zeroed();
    ASSERT_TRUE(page.has_value());
    *static_cast<u64*>(kernel::mm::phys_to_virt(*page)) = 0x1122334455667788ull;
    auto* va = reinterpret_cast<volatile u64*>(SCRATCH);

    u64 value = 0;
    EXPECT_FALSE(probe_read_u64(va, &value)); // nothing mapped yet: faults, recovered

    ASSERT_TRUE(kernel_pt.map(SCRATCH, page->value(), PAGE_SIZE, KERNEL_RO, tables).is_ok());
    EXPECT_TRUE(probe_read_u64(va, &value));
    EXPECT_EQ(value, 0x1122334455667788ull);
    EXPECT_FALSE(probe_write_u64(va, 1)); // read-only: the store faults

    ASSERT_TRUE(kernel_pt.protect(SCRATCH, KERNEL_RW).is_ok());
    EXPECT_TRUE(probe_write_u64(va, 42));
    EXPECT_EQ(*static_cast<u64*>(kernel::mm::phys_to_virt(*page)), 42u);

    ASSERT_TRUE(kernel_pt.protect(SCRATCH, KERNEL_RO).is_ok()); // downgrade + sfence
    EXPECT_FALSE(probe_write_u64(va, 43));

    EXPECT_EQ(kernel_pt.unmap(SCRATCH, PAGE_SIZE), 1u);
    EXPECT_FALSE(probe_read_u64(va, &value));
    kernel_pt.free_tables(root_index(SCRATCH), root_index(SCRATCH), tables);
    EXPECT_EQ(tables.live, 0);
    free_pages(*page, 0);
}

KTEST(page_table, kernel_sections_have_their_permissions)
{
    extern char __text_start[], __rodata_start[], __data_start[];
    PageTable kernel_pt(kernel_root_pa());
    auto text = kernel_pt.translate(u64(__text_start));
    auto rodata = kernel_pt.translate(u64(__rodata_start));
    auto data = kernel_pt.translate(u64(__data_start));
    ASSERT_TRUE(text && rodata && data);
    EXPECT_EQ(text->pte & (PTE_R | PTE_W | PTE_X), PTE_R | PTE_X);
    EXPECT_EQ(rodata->pte & (PTE_R | PTE_W | PTE_X), PTE_R);
    EXPECT_EQ(data->pte & (PTE_R | PTE_W | PTE_X), PTE_R | PTE_W);
    // A and D preset everywhere (cores without hardware A/D update).
    EXPECT_TRUE((text->pte & PTE_A) && (data->pte & PTE_D));
    // Writing to text is refused by the MMU.
    EXPECT_FALSE(probe_write_u64(reinterpret_cast<volatile u64*>(__text_start), 0));
}

KTEST(fault_fixup, bad_kernel_access_is_recovered)
{
    u64 value = 0;
    u8 byte = 0;
    // Unmapped, non-canonical and misaligned-in-a-hole addresses all come
    // back as failures instead of panics.
    EXPECT_FALSE(probe_read_u64(reinterpret_cast<const u64*>(0xfffffff000000000ull), &value));
    EXPECT_FALSE(probe_read_u64(reinterpret_cast<const u64*>(0x0000100000000000ull), &value));
    EXPECT_FALSE(probe_read_u8(reinterpret_cast<const u8*>(0x10), &byte));
    EXPECT_FALSE(probe_write_u64(reinterpret_cast<u64*>(0xfffffff000001000ull), 7));
    // And a good address still works.
    u64 local = 99;
    EXPECT_TRUE(probe_read_u64(&local, &value));
    EXPECT_EQ(value, 99u);
    EXPECT_TRUE(has_fixup(u64(&probe_read_u64))); // its first instruction is listed
    EXPECT_FALSE(has_fixup(u64(&has_fixup)));
}
