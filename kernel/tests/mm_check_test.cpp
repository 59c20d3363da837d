// ktests for the memory invariant checker: quiet on every state fork and
// the mmap family produce, loud on each kind of corruption (made on
// purpose here, then undone).
#include "arch/arch.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"

using namespace kernel::mm;
using arch::Pte;

namespace {

constexpr u64 BASE = 0x10000;
constexpr u64 SHARED = 0x400000; // another 2 MiB block
constexpr u32 RW = PROT_READ | PROT_WRITE;

u64 check(AddressSpace* a, AddressSpace* b = nullptr)
{
    AddressSpace* spaces[2] = {a, b};
    return mm_check(spaces, b ? 2 : 1, false).violations;
}

// The leaf entry mapping va in `as` (nullptr when no leaf table covers it).
Pte* leaf_entry(AddressSpace* as, u64 va)
{
    Pte* l1 = arch::PageTable(as->root_pa()).table_entry(va);
    if (!l1 || !arch::pte_is_table(*l1))
        return nullptr;
    return static_cast<Pte*>(phys_to_virt(PhysAddr{arch::pte_address(*l1)})) + ((va >> 12) & 511);
}

// A parent with private pages and a shared anonymous block, and a child
// forked from it; both checked clean.
struct Forked {
    AddressSpace* parent = nullptr;
    AddressSpace* child = nullptr;
    kernel::fs::Inode* object = nullptr;

    bool make()
    {
        parent = AddressSpace::create().value_or(nullptr);
        if (!parent || parent->add_region(BASE, BASE + 16 * PAGE_SIZE, RW, RegionKind::Mmap).is_error())
            return false;
        object = kernel::fs::new_anonymous_inode(4 * PAGE_SIZE).value_or(nullptr);
        if (!object)
            return false;
        AddressSpace::MapRequest shared;
        shared.hint = SHARED;
        shared.length = 4 * PAGE_SIZE;
        shared.prot = RW;
        shared.fixed = true;
        shared.flags = REGION_SHARED | REGION_SHMEM | REGION_MAY_WRITE;
        shared.file = object;
        if (parent->map(shared).is_error())
            return false;
        kernel::fs::inode_unref(*object); // the region holds it now
        u64 value = 0xc0ffee;
        for (u64 i = 0; i < 16; ++i)
            if (parent->write(BASE + i * PAGE_SIZE, &value, 8).is_error())
                return false;
        for (u64 i = 0; i < 4; ++i)
            if (parent->write(SHARED + i * PAGE_SIZE, &value, 8).is_error())
                return false;
        child = parent->clone().value_or(nullptr);
        return child != nullptr;
    }

    ~Forked()
    {
        AddressSpace::deactivate();
        AddressSpace::destroy(child);
        AddressSpace::destroy(parent);
    }
};

} // namespace

KTEST(mm_check, quiet_through_fork_and_the_mmap_family)
{
    (void)mm_check(nullptr, 0, false); // its counters are allocated once, on first use
    u64 before = page_stats().free;
    {
        Forked f;
        ASSERT_TRUE(f.make());
        EXPECT_EQ(check(f.parent, f.child), 0u);
        // A copy-on-write break, a shared write, then the mmap family on
        // the child while its tables are still shared with the parent.
        u64 nine = 9;
        f.child->activate();
        EXPECT_TRUE(copy_to_user(BASE + PAGE_SIZE, &nine, 8).is_ok());
        EXPECT_TRUE(copy_to_user(SHARED + 3 * PAGE_SIZE, &nine, 8).is_ok());
        EXPECT_EQ(check(f.parent, f.child), 0u);
        EXPECT_TRUE(f.child->protect(BASE + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ).is_ok());
        EXPECT_TRUE(f.child->unmap(BASE + 4 * PAGE_SIZE, PAGE_SIZE).is_ok());
        EXPECT_TRUE(f.child->discard(BASE + 5 * PAGE_SIZE, PAGE_SIZE).is_ok());
        EXPECT_EQ(check(f.parent, f.child), 0u);
        auto moved = f.child->remap(BASE + 8 * PAGE_SIZE, 4 * PAGE_SIZE, 8 * PAGE_SIZE, true, false, 0);
        EXPECT_TRUE(moved.is_ok());
        auto shared_moved = f.child->remap(SHARED, 4 * PAGE_SIZE, 4 * PAGE_SIZE, true, true, 0x800000);
        EXPECT_TRUE(shared_moved.is_ok());
        EXPECT_EQ(f.child->set_brk(0), 0u); // no heap: unchanged
        EXPECT_EQ(check(f.parent, f.child), 0u);
        // The parent still reads its own values everywhere.
        f.parent->activate();
        u64 seen = 0;
        for (u64 i = 0; i < 16; ++i) {
            EXPECT_TRUE(copy_from_user(&seen, BASE + i * PAGE_SIZE, 8).is_ok());
            EXPECT_EQ(seen, 0xc0ffeeu);
        }
        EXPECT_TRUE(copy_from_user(&seen, SHARED + 3 * PAGE_SIZE, 8).is_ok());
        EXPECT_EQ(seen, 9u); // shared: the child's write
        // A second fork from the child (tables shared three ways).
        AddressSpace* grandchild = f.child->clone().value_or(nullptr);
        ASSERT_TRUE(grandchild != nullptr);
        AddressSpace* three[3] = {f.parent, f.child, grandchild};
        EXPECT_EQ(mm_check(three, 3, false).violations, 0u);
        AddressSpace::deactivate();
        AddressSpace::destroy(grandchild);
        EXPECT_EQ(check(f.parent, f.child), 0u);
    }
    EXPECT_EQ(page_stats().free, before);
}

KTEST(mm_check, catches_corruption)
{
    (void)mm_check(nullptr, 0, false); // its counters are allocated once, on first use
    u64 before = page_stats().free;
    {
        Forked f;
        ASSERT_TRUE(f.make());
        ASSERT_EQ(check(f.parent, f.child), 0u);
        Pte* entry = leaf_entry(f.parent, BASE);
        ASSERT_TRUE(entry != nullptr);
        ASSERT_TRUE(*entry & arch::PTE_V);
        Pte saved = *entry;

        // A private page writable in a table the two spaces share: each
        // would write the other's memory.
        *entry = saved | arch::PTE_W;
        EXPECT_GE(check(f.parent, f.child), 1u);
        *entry = saved;

        // A page reference nobody accounts for (a leak), and a count the
        // checker sees only when both sharers are looked at.
        PhysAddr pa{arch::pte_address(saved)};
        page_get(pa);
        EXPECT_GE(check(f.parent, f.child), 1u);
        page_put(pa);
        EXPECT_GE(check(f.parent), 1u); // half the table's references: wrong on purpose
        EXPECT_EQ(check(f.parent, f.child), 0u);

        // A PTE outside every region (and without a reference of its own).
        Pte* stray = leaf_entry(f.parent, BASE + 20 * PAGE_SIZE);
        ASSERT_TRUE(stray != nullptr);
        ASSERT_EQ(*stray, 0u);
        *stray = saved;
        EXPECT_GE(check(f.parent, f.child), 2u);
        *stray = 0;

        // A table of the child's own marked all-copy-on-write while it
        // maps a writable private page (what once let fork skip it).
        u64 one = 1;
        f.child->activate();
        ASSERT_TRUE(copy_to_user(BASE, &one, 8).is_ok()); // the child's own table and page now
        Pte* l1 = arch::PageTable(f.child->root_pa()).table_entry(BASE);
        PhysAddr table{arch::pte_address(*l1)};
        ASSERT_EQ(page_refs(table), 1u);
        set_page_mark(table, 1);
        EXPECT_GE(check(f.parent, f.child), 1u);
        set_page_mark(table, 0);

        // A writable entry in a read-only region.
        Pte* child_entry = leaf_entry(f.child, BASE);
        ASSERT_TRUE(*child_entry & arch::PTE_W);
        ASSERT_TRUE(f.child->protect(BASE, PAGE_SIZE, PROT_READ).is_ok());
        Pte ro = *child_entry;
        *child_entry = ro | arch::PTE_W;
        EXPECT_GE(check(f.parent, f.child), 1u);
        *child_entry = ro;
        EXPECT_EQ(check(f.parent, f.child), 0u);
    }
    EXPECT_EQ(page_stats().free, before);
}
