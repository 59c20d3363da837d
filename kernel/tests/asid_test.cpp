// ktests for address-space identifiers: the allocator's bookkeeping
// (distinct ASIDs, reuse within a generation, rollover with one flush, the
// no-ASID fallback) and, on the real hart, that switching between tagged
// address spaces without a flush never shows one space's pages to another,
// also after a permission downgrade made while the space was switched out.
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"

using arch::AsidAllocator;
using namespace kernel::mm;

namespace {
constexpr u64 BASE = 0x20000;
u64 satp_asid() { return arch::current_asid(); }
} // namespace

KTEST(asid, distinct_within_a_generation)
{
    AsidAllocator a(2); // ASIDs 1..3
    auto x = a.assign(0), y = a.assign(0), z = a.assign(0);
    EXPECT_EQ(x.asid, 1u);
    EXPECT_EQ(y.asid, 2u);
    EXPECT_EQ(z.asid, 3u);
    EXPECT_FALSE(x.flush_all || y.flush_all || z.flush_all);
    // A tag of the current generation is kept, without a flush.
    auto again = a.assign(y.tag);
    EXPECT_EQ(again.tag, y.tag);
    EXPECT_EQ(again.asid, 2u);
    EXPECT_FALSE(again.flush_all);
    EXPECT_EQ(a.rollovers(), 0u);
}

KTEST(asid, rollover_flushes_once_and_retags)
{
    AsidAllocator a(2);
    u64 t1 = a.assign(0).tag, t2 = a.assign(0).tag, t3 = a.assign(0).tag;
    // The fourth address space finds no free ASID: new generation, one
    // full flush, numbering restarts at 1.
    auto fourth = a.assign(0);
    EXPECT_TRUE(fourth.flush_all);
    EXPECT_EQ(fourth.asid, 1u);
    EXPECT_EQ(a.generation(), 2u);
    EXPECT_EQ(a.rollovers(), 1u);
    EXPECT_NE(fourth.tag, t1); // same ASID, different generation
    // Tags of the old generation are stale: each gets a fresh ASID, no flush
    // until the numbers run out again.
    auto r2 = a.assign(t2), r3 = a.assign(t3);
    EXPECT_EQ(r2.asid, 2u);
    EXPECT_EQ(r3.asid, 3u);
    EXPECT_FALSE(r2.flush_all || r3.flush_all);
    auto r1 = a.assign(t1);
    EXPECT_TRUE(r1.flush_all);
    EXPECT_EQ(r1.asid, 1u);
    EXPECT_EQ(a.generation(), 3u);
    // The fourth space's tag is now stale too and must not keep ASID 1,
    // which r1 owns.
    auto f = a.assign(fourth.tag);
    EXPECT_NE(f.asid, r1.asid);
}

KTEST(asid, no_asid_bits_means_flush_every_switch)
{
    AsidAllocator a(0);
    for (int i = 0; i < 3; ++i) {
        auto x = a.assign(0);
        EXPECT_EQ(x.asid, 0u);
        EXPECT_TRUE(x.flush_all);
    }
    auto y = a.assign(a.assign(0).tag);
    EXPECT_TRUE(y.flush_all);
    AsidAllocator wide(40); // more than satp can hold: clamped to 16
    EXPECT_EQ(wide.bits(), 16u);
    EXPECT_EQ(wide.max_asid(), 0xffffu);
}

KTEST(asid, hardware_switches_keep_spaces_apart)
{
    unsigned bits = arch::asid_bits();
    kernel::printk("        # this hart implements {} ASID bits\n", bits);
    EXPECT_LE(bits, 16u);
    u64 before = page_stats().free;
    auto ca = AddressSpace::create();
    auto cb = AddressSpace::create();
    ASSERT_TRUE(ca.is_ok() && cb.is_ok());
    AddressSpace* a = ca.value();
    AddressSpace* b = cb.value();
    ASSERT_TRUE(a->add_region(BASE, BASE + PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok());
    ASSERT_TRUE(b->add_region(BASE, BASE + PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok());

    // The same virtual address, a different page and value in each.
    u64 va = 0xa, vb = 0xb, got = 0;
    a->activate();
    u64 asid_a = satp_asid();
    EXPECT_TRUE(copy_to_user(BASE, &va, 8).is_ok());
    b->activate();
    u64 asid_b = satp_asid();
    EXPECT_TRUE(copy_to_user(BASE, &vb, 8).is_ok());
    if (bits > 0)
        EXPECT_NE(asid_a, asid_b);
    for (int round = 0; round < 3; ++round) {
        a->activate();
        EXPECT_TRUE(copy_from_user(&got, BASE, 8).is_ok());
        EXPECT_EQ(got, 0xau);
        if (bits > 0)
            EXPECT_EQ(satp_asid(), asid_a); // kept: no new ASID, no flush
        b->activate();
        EXPECT_TRUE(copy_from_user(&got, BASE, 8).is_ok());
        EXPECT_EQ(got, 0xbu);
    }

    // Downgrade a's page while b runs: when a runs again, a write must not
    // go through a stale writable translation (protect flushed va in every
    // ASID).
    a->activate();
    EXPECT_TRUE(copy_to_user(BASE, &va, 8).is_ok()); // a writable entry, likely cached
    b->activate();
    EXPECT_TRUE(a->protect(BASE, PAGE_SIZE, PROT_READ).is_ok());
    a->activate();
    EXPECT_EQ(copy_to_user(BASE, &vb, 8).code(), Errno::efault);
    EXPECT_TRUE(copy_from_user(&got, BASE, 8).is_ok());
    EXPECT_EQ(got, 0xau);

    AddressSpace::deactivate();
    EXPECT_EQ(satp_asid(), 0u); // the kernel's table runs as ASID 0
    AddressSpace::destroy(a);
    AddressSpace::destroy(b);
    EXPECT_EQ(page_stats().free, before);
}

KTEST(asid, rollovers_on_the_hart)
{
    // Two ASID bits (three ASIDs) for five address spaces: switching round
    // them rolls the generation over again and again. Each space must
    // always see its own page.
    unsigned hart_bits = arch::asid_hart_bits();
    if (hart_bits < 2) {
        ktest_context.skip("fewer than 2 ASID bits on this hart");
        return;
    }
    unsigned saved = arch::asid_bits();
    arch::asid_set_bits(2);
    EXPECT_EQ(arch::asid_bits(), 2u);
    u64 before = page_stats().free;
    u64 rollovers = arch::asid_rollovers();
    constexpr int N = 5;
    AddressSpace* spaces[N] = {};
    bool ok = true;
    for (int i = 0; i < N && ok; ++i) {
        auto created = AddressSpace::create();
        ok = created.is_ok();
        if (!ok)
            break;
        spaces[i] = created.value();
        ok = spaces[i]->add_region(BASE, BASE + PAGE_SIZE, PROT_READ | PROT_WRITE, RegionKind::Mmap).is_ok();
        spaces[i]->activate();
        u64 value = 100 + u64(i);
        ok = ok && copy_to_user(BASE, &value, 8).is_ok();
        EXPECT_GE(satp_asid(), 1u);
        EXPECT_LE(satp_asid(), 3u);
    }
    EXPECT_TRUE(ok);
    for (int round = 0; ok && round < 4; ++round) {
        for (int i = 0; i < N; ++i) {
            spaces[i]->activate();
            u64 got = 0;
            EXPECT_TRUE(copy_from_user(&got, BASE, 8).is_ok());
            EXPECT_EQ(got, 100 + u64(i));
        }
    }
    EXPECT_GE(arch::asid_rollovers() - rollovers, 4u);
    AddressSpace::deactivate();
    for (auto* as : spaces)
        AddressSpace::destroy(as);
    arch::asid_set_bits(saved);
    EXPECT_EQ(arch::asid_bits(), saved);
    EXPECT_EQ(page_stats().free, before);
}
