// ktests for user address spaces and the checked user copies: regions,
// zero-fill faults, fork copies, brk/mmap/mprotect, and every kind of bad
// pointer turning into EFAULT. Each case activates a scratch address space
// and returns to the kernel's table afterwards; page counts must return.
#include "arch/arch.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"

using namespace kernel::mm;

namespace {

constexpr u64 BASE = 0x10000;

u64 free_pages_now() { return page_stats().free; }

// The region lookups hand out pointers into the array: under the lock.
const Region* region_at(AddressSpace* as, u64 address)
{
    kernel::MutexGuard guard(as->lock());
    return as->find_region(address);
}

usize regions_in(AddressSpace* as)
{
    kernel::MutexGuard guard(as->lock());
    return as->region_count();
}

} // namespace

KTEST(address_space, zero_fill_and_copies)
{
    u64 before = free_pages_now();
    auto created = AddressSpace::create();
    ASSERT_TRUE(created.is_ok());
    AddressSpace* as = created.value();
    ASSERT_TRUE(as->add_region(BASE, BASE + 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok());
    ASSERT_TRUE(as->add_region(BASE + 8 * PAGE_SIZE, BASE + 9 * PAGE_SIZE, PROT_READ, RegionKind::Mmap).is_ok());
    EXPECT_EQ(as->add_region(BASE + PAGE_SIZE, BASE + 2 * PAGE_SIZE, PROT_READ, RegionKind::Mmap).code(),
              Errno::eexist);
    as->activate();

    // A write into a never-touched page of a region: served, zero-filled.
    u64 value = 0x1234;
    EXPECT_TRUE(copy_to_user(BASE + 8, &value, 8).is_ok());
    EXPECT_EQ(as->resident_pages(), 1u);
    u64 read_back[2] = {1, 1};
    EXPECT_TRUE(copy_from_user(read_back, BASE, 16).is_ok());
    EXPECT_EQ(read_back[0], 0u); // the rest of the page is zero
    EXPECT_EQ(read_back[1], 0x1234u);
    // A copy spanning two pages, the second not yet mapped.
    u8 buffer[64];
    __builtin_memset(buffer, 0x5a, sizeof(buffer));
    EXPECT_TRUE(copy_to_user(BASE + PAGE_SIZE - 32, buffer, sizeof(buffer)).is_ok());
    EXPECT_EQ(as->resident_pages(), 2u);

    // Bad pointers: outside any region, read-only target, kernel address,
    // a range wrapping or crossing into the kernel half, NULL.
    EXPECT_EQ(copy_to_user(BASE + 20 * PAGE_SIZE, &value, 8).code(), Errno::efault);
    EXPECT_EQ(copy_to_user(BASE + 8 * PAGE_SIZE, &value, 8).code(), Errno::efault);
    EXPECT_TRUE(copy_from_user(&value, BASE + 8 * PAGE_SIZE, 8).is_ok()); // reading it is fine
    EXPECT_EQ(copy_from_user(&value, 0xffffffc000000000ull, 8).code(), Errno::efault);
    EXPECT_EQ(copy_from_user(&value, arch::USER_TOP - 4, 8).code(), Errno::efault);
    EXPECT_EQ(copy_from_user(&value, ~0ull - 3, 8).code(), Errno::efault);
    EXPECT_EQ(copy_from_user(&value, 0, 8).code(), Errno::efault);

    // Strings: fits, too long, unterminated into unmapped space.
    char text[16];
    EXPECT_TRUE(copy_to_user(BASE + 2 * PAGE_SIZE, "hello", 6).is_ok());
    auto n = copy_string_from_user(text, BASE + 2 * PAGE_SIZE, sizeof(text));
    ASSERT_TRUE(n.is_ok());
    EXPECT_EQ(n.value(), 5u);
    EXPECT_EQ(copy_string_from_user(text, BASE + 2 * PAGE_SIZE, 3).code(), Errno::enametoolong);
    __builtin_memset(buffer, 'x', sizeof(buffer));
    EXPECT_TRUE(copy_to_user(BASE + 4 * PAGE_SIZE - 8, buffer, 8).is_ok()); // no NUL up to the region end
    char big[64];
    EXPECT_EQ(copy_string_from_user(big, BASE + 4 * PAGE_SIZE - 8, sizeof(big)).code(), Errno::efault);

    AddressSpace::deactivate();
    AddressSpace::destroy(as);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, clone_is_a_private_copy)
{
    u64 before = free_pages_now();
    AddressSpace* parent = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(parent != nullptr);
    ASSERT_TRUE(parent->add_region(BASE, BASE + 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok());
    u64 one = 1, two = 2, seen = 0;
    ASSERT_TRUE(parent->write(BASE, &one, 8).is_ok());
    auto cloned = parent->clone();
    ASSERT_TRUE(cloned.is_ok());
    AddressSpace* child = cloned.value();
    EXPECT_EQ(child->resident_pages(), 1u); // untouched pages stay lazy
    ASSERT_TRUE(child->write(BASE, &two, 8).is_ok());
    parent->activate();
    EXPECT_TRUE(copy_from_user(&seen, BASE, 8).is_ok());
    EXPECT_EQ(seen, 1u);
    child->activate();
    EXPECT_TRUE(copy_from_user(&seen, BASE, 8).is_ok());
    EXPECT_EQ(seen, 2u);
    AddressSpace::deactivate();
    AddressSpace::destroy(child);
    AddressSpace::destroy(parent);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, brk_mmap_munmap_mprotect)
{
    u64 before = free_pages_now();
    AddressSpace* as = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(as != nullptr);
    as->set_heap_start(0x100000);
    EXPECT_EQ(as->set_brk(0x100000 + 3 * PAGE_SIZE + 5), 0x100000 + 3 * PAGE_SIZE + 5);
    u64 x = 42;
    EXPECT_TRUE(as->write(0x100000 + 3 * PAGE_SIZE, &x, 8).is_ok());
    EXPECT_EQ(as->set_brk(0x100000), 0x100000u); // shrink frees the pages
    EXPECT_EQ(as->resident_pages(), 0u);
    EXPECT_EQ(as->set_brk(0x1000), 0x100000u);   // below the start: refused

    auto m = as->mmap_anonymous(0, 5 * PAGE_SIZE, PROT_READ | PROT_WRITE, false);
    ASSERT_TRUE(m.is_ok());
    u64 a = m.value();
    EXPECT_EQ(a % PAGE_SIZE, 0u);
    for (u64 i = 0; i < 5; ++i)
        EXPECT_TRUE(as->write(a + i * PAGE_SIZE, &x, 8).is_ok());
    // Unmap the middle page: both ends stay, the hole is gone.
    EXPECT_TRUE(as->unmap(a + 2 * PAGE_SIZE, PAGE_SIZE).is_ok());
    EXPECT_TRUE(region_at(as, a + PAGE_SIZE) != nullptr);
    EXPECT_TRUE(region_at(as, a + 2 * PAGE_SIZE) == nullptr);
    EXPECT_TRUE(region_at(as, a + 3 * PAGE_SIZE) != nullptr);
    EXPECT_EQ(as->resident_pages(), 4u);
    // Read-only on part of the mapping: the region splits.
    usize regions = regions_in(as);
    EXPECT_TRUE(as->protect(a + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ).is_ok());
    EXPECT_EQ(regions_in(as), regions + 1);
    EXPECT_EQ(region_at(as, a + 3 * PAGE_SIZE)->prot, PROT_READ);
    EXPECT_EQ(region_at(as, a + 4 * PAGE_SIZE)->prot, PROT_READ | PROT_WRITE);
    EXPECT_EQ(as->protect(a + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ).code(), Errno::enomem); // the hole
    EXPECT_EQ(as->unmap(a + 1, PAGE_SIZE).code(), Errno::einval);
    EXPECT_EQ(as->mmap_anonymous(0, 0, PROT_READ, false).code(), Errno::einval);
    AddressSpace::destroy(as);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, fork_shares_pages_copy_on_write)
{
    u64 before = free_pages_now();
    AddressSpace* parent = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(parent != nullptr);
    ASSERT_TRUE(parent->add_region(BASE, BASE + 64 * PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok());
    u64 value = 7;
    for (u64 i = 0; i < 64; ++i)
        ASSERT_TRUE(parent->write(BASE + i * PAGE_SIZE, &value, 8).is_ok());
    u64 after_touch = free_pages_now();

    auto cloned = parent->clone();
    ASSERT_TRUE(cloned.is_ok());
    AddressSpace* child = cloned.value();
    // The fork copied no data page and not even the leaf table: only the
    // child's root, its level-1 table and the trampoline's were allocated.
    EXPECT_LE(after_touch - free_pages_now(), 5u);
    arch::PageTable pt(parent->root_pa());
    auto t = pt.translate(BASE);
    ASSERT_TRUE(t.has_value());
    PhysAddr leaf_table{arch::pte_address(*pt.table_entry(BASE))};
    EXPECT_EQ(arch::pte_address(*arch::PageTable(child->root_pa()).table_entry(BASE)), leaf_table.value());
    EXPECT_EQ(page_refs(leaf_table), 2u);                 // one table, two spaces
    EXPECT_EQ(page_refs(PhysAddr{t->pa}.align_down()), 1u); // held by the table
    EXPECT_FALSE(t->pte & arch::PTE_W); // shared: read-only until a write copies it

    // The child writes: it gets its own copy; the parent keeps 7.
    u64 eight = 8, seen = 0;
    child->activate();
    EXPECT_TRUE(copy_to_user(BASE, &eight, 8).is_ok());
    EXPECT_TRUE(copy_from_user(&seen, BASE, 8).is_ok());
    EXPECT_EQ(seen, 8u);
    parent->activate();
    EXPECT_TRUE(copy_from_user(&seen, BASE, 8).is_ok());
    EXPECT_EQ(seen, 7u);
    EXPECT_EQ(page_refs(PhysAddr{pt.translate(BASE)->pa}.align_down()), 1u);

    // The parent writes to the page it no longer shares: no copy, just
    // writable again (refcount 1).
    u64 free_before_write = free_pages_now();
    EXPECT_TRUE(copy_to_user(BASE, &eight, 8).is_ok());
    EXPECT_EQ(free_pages_now(), free_before_write);
    EXPECT_TRUE(pt.translate(BASE)->pte & arch::PTE_W);

    AddressSpace::deactivate();
    AddressSpace::destroy(child);
    // The child's copy is freed; the 63 still-shared pages stay (the parent has them).
    EXPECT_EQ(page_refs(PhysAddr{pt.translate(BASE + PAGE_SIZE)->pa}.align_down()), 1u);
    AddressSpace::destroy(parent);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, regions_split_merge_and_lookup)
{
    u64 before = free_pages_now();
    AddressSpace* as = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(as != nullptr);
    constexpr u64 RW = PROT_READ | PROT_WRITE;
    // Three neighbouring anonymous mappings with the same protection: one region.
    for (u64 i = 0; i < 3; ++i)
        ASSERT_TRUE(as->mmap_anonymous(BASE + i * PAGE_SIZE, PAGE_SIZE, RW, true).is_ok());
    EXPECT_EQ(regions_in(as), 1u);
    EXPECT_EQ(region_at(as, BASE + 2 * PAGE_SIZE)->end, BASE + 3 * PAGE_SIZE);
    // A different protection in the middle splits it in three; restoring it merges back.
    ASSERT_TRUE(as->protect(BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ).is_ok());
    EXPECT_EQ(regions_in(as), 3u);
    EXPECT_EQ(region_at(as, BASE + PAGE_SIZE)->start, BASE + PAGE_SIZE);
    EXPECT_EQ(region_at(as, BASE + PAGE_SIZE)->end, BASE + 2 * PAGE_SIZE);
    ASSERT_TRUE(as->protect(BASE + PAGE_SIZE, PAGE_SIZE, RW).is_ok());
    EXPECT_EQ(regions_in(as), 1u);
    // Lookup at the edges: start is inside, end is not.
    EXPECT_TRUE(region_at(as, BASE) != nullptr);
    EXPECT_TRUE(region_at(as, BASE - 1) == nullptr);
    EXPECT_TRUE(region_at(as, BASE + 3 * PAGE_SIZE) == nullptr);
    // MAP_FIXED over the middle of it replaces that page only.
    u64 seven = 7, seen = 0;
    ASSERT_TRUE(as->write(BASE + PAGE_SIZE, &seven, 8).is_ok());
    ASSERT_TRUE(as->mmap_anonymous(BASE + PAGE_SIZE, PAGE_SIZE, PROT_READ, true).is_ok());
    EXPECT_EQ(regions_in(as), 3u);
    EXPECT_EQ(as->resident_pages(), 0u); // the written page went with the old mapping
    // Many regions: the binary search still finds each one.
    for (u64 i = 0; i < 40; ++i)
        ASSERT_TRUE(as->mmap_anonymous(0x1000000 + 2 * i * PAGE_SIZE, PAGE_SIZE, i % 2 ? RW : PROT_READ, true).is_ok());
    for (u64 i = 0; i < 40; ++i) {
        const Region* r = region_at(as, 0x1000000 + 2 * i * PAGE_SIZE + 8);
        ASSERT_TRUE(r != nullptr);
        EXPECT_EQ(r->start, 0x1000000 + 2 * i * PAGE_SIZE);
        EXPECT_TRUE(region_at(as, 0x1000000 + (2 * i + 1) * PAGE_SIZE) == nullptr);
    }
    as->activate();
    EXPECT_TRUE(copy_from_user(&seen, BASE + PAGE_SIZE, 8).is_ok());
    EXPECT_EQ(seen, 0u);
    AddressSpace::deactivate();
    AddressSpace::destroy(as);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, shared_and_file_mappings)
{
    u64 before = free_pages_now();
    u64 cached_before = kernel::fs::cached_pages();
    // An unnamed two-page file, with "file" written at its start.
    auto object = kernel::fs::new_anonymous_inode(2 * PAGE_SIZE);
    ASSERT_TRUE(object.is_ok());
    kernel::fs::Inode* file = object.value();
    {
        kernel::MutexGuard guard(kernel::fs::vfs_lock());
        ASSERT_TRUE(kernel::fs::write_vfs_locked(*file, 0, reinterpret_cast<const u8*>("file"), 4).is_ok());
    }
    AddressSpace* parent = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(parent != nullptr);
    AddressSpace::MapRequest shared;
    shared.hint = BASE;
    shared.length = 2 * PAGE_SIZE;
    shared.prot = PROT_READ | PROT_WRITE;
    shared.fixed = true;
    shared.flags = REGION_SHARED | REGION_MAY_WRITE;
    shared.file = file;
    ASSERT_TRUE(parent->map(shared).is_ok());
    AddressSpace::MapRequest priv = shared;
    priv.hint = BASE + 16 * PAGE_SIZE;
    priv.flags = 0;
    ASSERT_TRUE(parent->map(priv).is_ok());
    AddressSpace* child = parent->clone().value_or(nullptr);
    ASSERT_TRUE(child != nullptr);

    // The child writes the shared page: the parent and the file see it.
    char text[5] = {};
    child->activate();
    EXPECT_TRUE(copy_to_user(BASE, "FILE", 4).is_ok());
    EXPECT_EQ(child->rss().shmem + child->rss().file, 1u);
    parent->activate();
    EXPECT_TRUE(copy_from_user(text, BASE, 4).is_ok());
    EXPECT_EQ(lib::StringView(text, 4), lib::StringView("FILE", 4));
    // The private mapping reads the file's page (no copy)...
    u64 free_before_read = free_pages_now();
    EXPECT_TRUE(copy_from_user(text, BASE + 16 * PAGE_SIZE, 4).is_ok());
    EXPECT_EQ(lib::StringView(text, 4), lib::StringView("FILE", 4));
    EXPECT_EQ(free_pages_now(), free_before_read);
    EXPECT_EQ(parent->rss().file, 2u); // the shared page and this one: both the file's
    EXPECT_EQ(parent->rss().anon, 0u);
    // ...and copies it on its first write, which the file never sees.
    EXPECT_TRUE(copy_to_user(BASE + 16 * PAGE_SIZE, "priv", 4).is_ok());
    EXPECT_EQ(parent->rss().file, 1u);
    EXPECT_EQ(parent->rss().anon, 1u);
    {
        kernel::MutexGuard guard(kernel::fs::vfs_lock());
        EXPECT_EQ(kernel::fs::read_vfs_locked(*file, 0, reinterpret_cast<u8*>(text), 4), 4u);
    }
    EXPECT_EQ(lib::StringView(text, 4), lib::StringView("FILE", 4));
    // The file's pages are the page cache's: Cached counts them once.
    EXPECT_EQ(kernel::fs::cached_pages(), cached_before + 1);
    // Past the end of the file: no page (the fault fails).
    {
        kernel::MutexGuard guard(kernel::fs::vfs_lock());
        ASSERT_TRUE(kernel::fs::truncate_vfs_locked(*file, 0).is_ok());
    }
    EXPECT_TRUE(parent->handle_fault(BASE + PAGE_SIZE, Access::Read) == FaultOutcome::PastEndOfFile);

    AddressSpace::deactivate();
    AddressSpace::destroy(child);
    AddressSpace::destroy(parent);
    kernel::fs::inode_unref(*file);
    EXPECT_EQ(kernel::fs::cached_pages(), cached_before);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, remap_moves_pages_not_data)
{
    u64 before = free_pages_now();
    AddressSpace* as = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(as != nullptr);
    constexpr u64 RW = PROT_READ | PROT_WRITE;
    ASSERT_TRUE(as->mmap_anonymous(BASE, 2 * PAGE_SIZE, RW, true).is_ok());
    ASSERT_TRUE(as->mmap_anonymous(BASE + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ, true).is_ok()); // a blocker
    u64 value = 0x5eed;
    ASSERT_TRUE(as->write(BASE + PAGE_SIZE, &value, 8).is_ok());
    u64 pa = arch::PageTable(as->root_pa()).translate(BASE + PAGE_SIZE)->pa;
    EXPECT_EQ(as->remap(BASE, 2 * PAGE_SIZE, 4 * PAGE_SIZE, false, false, 0).code(), Errno::enomem);
    auto moved = as->remap(BASE, 2 * PAGE_SIZE, 4 * PAGE_SIZE, true, false, 0);
    ASSERT_TRUE(moved.is_ok());
    u64 to = moved.value();
    EXPECT_NE(to, BASE);
    EXPECT_TRUE(region_at(as, BASE) == nullptr);
    EXPECT_EQ(region_at(as, to)->end, to + 4 * PAGE_SIZE);
    // The very same physical page, now at the new address.
    auto t = arch::PageTable(as->root_pa()).translate(to + PAGE_SIZE);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->pa, pa);
    EXPECT_EQ(as->resident_pages(), 1u);
    // Shrinking in place.
    EXPECT_EQ(as->remap(to, 4 * PAGE_SIZE, PAGE_SIZE, false, false, 0).value_or(0), to);
    EXPECT_EQ(as->resident_pages(), 0u);
    EXPECT_EQ(as->remap(to + 1, PAGE_SIZE, PAGE_SIZE, true, false, 0).code(), Errno::einval);
    EXPECT_EQ(as->remap(0x7000000, PAGE_SIZE, PAGE_SIZE, true, false, 0).code(), Errno::efault);
    AddressSpace::destroy(as);
    EXPECT_EQ(free_pages_now(), before);
}

KTEST(address_space, mprotect_after_fork_keeps_pages_private)
{
    // A page read-only at fork time, made writable afterwards, is still
    // shared: the first write must copy it, not reach the other side.
    u64 before = free_pages_now();
    AddressSpace* parent = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(parent != nullptr);
    ASSERT_TRUE(parent->mmap_anonymous(BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, true).is_ok());
    u64 one = 1, two = 2, seen = 0;
    ASSERT_TRUE(parent->write(BASE, &one, 8).is_ok());
    ASSERT_TRUE(parent->protect(BASE, PAGE_SIZE, PROT_READ).is_ok());
    AddressSpace* child = parent->clone().value_or(nullptr);
    ASSERT_TRUE(child != nullptr);
    ASSERT_TRUE(parent->protect(BASE, PAGE_SIZE, PROT_READ | PROT_WRITE).is_ok());
    parent->activate();
    EXPECT_TRUE(copy_to_user(BASE, &two, 8).is_ok());
    child->activate();
    EXPECT_TRUE(copy_from_user(&seen, BASE, 8).is_ok());
    EXPECT_EQ(seen, 1u);
    AddressSpace::deactivate();
    AddressSpace::destroy(child);
    AddressSpace::destroy(parent);
    EXPECT_EQ(free_pages_now(), before);
}
