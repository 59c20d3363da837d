// ktests for several harts: every discovered hart came up, a remote call
// runs on its target and returns, one IPI each, every hart has its own
// PLIC context and claims there what is routed to it, and a code page
// written on one hart makes the others fence.i before they run it. (TLB
// shootdowns are checked from user space: usertests group smp.)
#include "arch/arch.hpp"
#include "drivers/mmio.hpp"
#include "kernel/boot.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/irq.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/mutex.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"

using namespace kernel;

namespace {

struct Probe {
    u32 ran_on = ~0u;
    u64 calls = 0;
};

void record_hart(void* arg)
{
    auto& p = *static_cast<Probe*>(arg);
    p.ran_on = arch::this_hart().index;
    ++p.calls;
}

} // namespace

KTEST(smp, every_discovered_hart_is_online)
{
    // Under QEMU every hart the tree lists starts; maxcpus= can lower it.
    EXPECT_EQ(online_hart_count(), smp_discovered());
    EXPECT_EQ(online_harts_mask(), (1ull << smp_discovered()) - 1);
    for (u32 i = 0; i < online_hart_count(); ++i) {
        const HartInfo* info = hart_info(i);
        ASSERT_TRUE(info != nullptr);
        EXPECT_EQ(hart_by_index(i).index, i);
        EXPECT_EQ(hart_by_index(i).hart_id, info->hart_id);
    }
    EXPECT_TRUE(hart_info(online_hart_count()) == nullptr);
}

KTEST(smp, remote_call_runs_on_its_target)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    for (u32 i = 0; i < online_hart_count(); ++i) {
        Probe p;
        for (int round = 0; round < 100; ++round)
            smp_call(i, record_hart, &p);
        EXPECT_EQ(p.ran_on, i);
        EXPECT_EQ(p.calls, 100u);
    }
}

KTEST(smp, ipi_round_trip_cost)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    Probe p;
    u64 sent = ipis_sent();
    u64 start = arch::read_instret();
    constexpr u64 ROUNDS = 200;
    for (u64 round = 0; round < ROUNDS; ++round)
        smp_call(1, record_hart, &p);
    u64 instructions = (arch::read_instret() - start) / ROUNDS;
    EXPECT_EQ(p.calls, ROUNDS);
    // One interrupt per call, and one back when the caller was already
    // asleep waiting for it (IPI_WAKE).
    EXPECT_GE(ipis_sent() - sent, ROUNDS);
    EXPECT_LE(ipis_sent() - sent, 2 * ROUNDS);
    printk("        # remote call round trip: {} instructions on the caller\n", instructions);
}


KTEST(smp, every_hart_has_its_plic_s_context)
{
    InterruptController* controller = irq_controller();
    if (!controller || !boot_info().fdt)
        KTEST_SKIP("no interrupt controller");
    const lib::fdt::Blob& fdt = *boot_info().fdt;
    auto plic = fdt.find_compatible("riscv,plic0");
    if (!plic)
        plic = fdt.find_compatible("sifive,plic-1.0.0");
    ASSERT_TRUE(plic.has_value());
    for (u32 i = 0; i < online_hart_count(); ++i) {
        // The tree's number, not QEMU's 2*hart+1 (sifive_u's E51 has only
        // an M context, so there they differ).
        auto expected = fdt.plic_s_context(*plic, hart_info(i)->hart_id);
        ASSERT_TRUE(expected.is_ok());
        EXPECT_EQ(controller->hart_context(i), i64(expected.value()));
        for (u32 j = 0; j < i; ++j)
            EXPECT_NE(controller->hart_context(i), controller->hart_context(j));
    }
    EXPECT_EQ(controller->hart_context(online_hart_count()), -1);
}

namespace {

// QEMU virt's goldfish RTC raises its interrupt when its alarm time has
// passed: a device interrupt the test can cause at will (Android goldfish
// RTC: ALARM_LOW/HIGH at 0x08/0x0c, IRQ_ENABLED 0x10, CLEAR_INTERRUPT 0x1c;
// writing ALARM_LOW arms it, and an alarm not in the future fires at once).
struct RtcAlarm {
    volatile u8* base = nullptr;
    u32 taken = 0;          // interrupts handled
    u32 taken_on = ~0u;     // the hart index that handled the last
};

void rtc_alarm_interrupt(void* arg)
{
    auto& alarm = *static_cast<RtcAlarm*>(arg);
    drivers::mmio_write32(alarm.base, 0x1c, 1); // clear: the line is level-triggered
    alarm.taken_on = arch::this_hart().index;
    __atomic_fetch_add(&alarm.taken, 1u, __ATOMIC_RELEASE);
}

void rtc_fire(volatile u8* base)
{
    u32 low = drivers::mmio_read32(base, 0x00); // latches TIME_HIGH
    u32 high = drivers::mmio_read32(base, 0x04);
    drivers::mmio_write32(base, 0x0c, high);
    drivers::mmio_write32(base, 0x08, low); // now: fires at once
}

bool wait_taken(const RtcAlarm& alarm, u32 count, u64 ms)
{
    u64 deadline = arch::read_time() + timebase_hz() * ms / 1000;
    while (arch::read_time() < deadline)
        if (__atomic_load_n(&alarm.taken, __ATOMIC_ACQUIRE) >= count)
            return true;
    return false;
}

} // namespace

KTEST(smp, device_interrupt_is_claimed_on_the_hart_it_is_routed_to)
{
    if (!irq_controller() || !boot_info().fdt)
        KTEST_SKIP("no interrupt controller");
    const lib::fdt::Blob& fdt = *boot_info().fdt;
    auto node = fdt.find_compatible("google,goldfish-rtc");
    if (!node || !fdt.is_enabled(*node))
        KTEST_SKIP("no goldfish RTC to raise an interrupt");
    auto reg = fdt.reg(*node, 0);
    auto irq = fdt.interrupt(*node, 0);
    ASSERT_TRUE(reg.is_ok() && irq.is_ok());
    auto base = mm::ioremap(reg->base, 0x20);
    ASSERT_TRUE(base.is_ok());
    static RtcAlarm alarm; // the handler may run after a failed check returns
    alarm = RtcAlarm{base.value(), 0, ~0u};
    ASSERT_TRUE(irq_register(irq->number(), rtc_alarm_interrupt, &alarm).is_ok());
    drivers::mmio_write32(alarm.base, 0x10, 1); // IRQ_ENABLED

    // Every hart in turn, the boot hart last: each must claim it itself
    // (a claim in another hart's context would find nothing pending).
    u32 harts = online_hart_count();
    for (u32 n = 1; n <= harts; ++n) {
        u32 target = n % harts;
        EXPECT_TRUE(irq_route(irq->number(), target).is_ok());
        rtc_fire(alarm.base);
        EXPECT_TRUE(wait_taken(alarm, n, 500));
        EXPECT_EQ(alarm.taken_on, target);
    }
    // Routed nowhere, it is not taken.
    irq_unregister(irq->number());
    u32 before = alarm.taken;
    drivers::mmio_write32(alarm.base, 0x10, 1);
    rtc_fire(alarm.base);
    EXPECT_FALSE(wait_taken(alarm, before + 1, 50));
    drivers::mmio_write32(alarm.base, 0x10, 0);
    drivers::mmio_write32(alarm.base, 0x1c, 1);
    EXPECT_EQ(irq_route(irq->number(), 0).code(), Errno::enoent);
}

namespace {

struct SwitchIn {
    mm::AddressSpace* as;
    u64 stale_before, stale_after;
};

void switch_in_here(void* arg)
{
    auto& s = *static_cast<SwitchIn*>(arg);
    s.stale_before = __atomic_load_n(&s.as->icache.stale, __ATOMIC_ACQUIRE);
    s.as->activate();
    s.stale_after = __atomic_load_n(&s.as->icache.stale, __ATOMIC_ACQUIRE);
    mm::AddressSpace::deactivate();
}

} // namespace

KTEST(smp, code_page_fill_makes_other_harts_fence_before_running_it)
{
    using namespace kernel::mm;
    constexpr u64 BASE = 0x10000;
    auto object = fs::new_anonymous_inode(PAGE_SIZE);
    ASSERT_TRUE(object.is_ok());
    fs::Inode* file = object.value();
    {
        MutexGuard guard(fs::vfs_lock());
        // Never run: what matters is that the page is filled with stores.
        ASSERT_TRUE(fs::write_vfs_locked(*file, 0, reinterpret_cast<const u8*>("code"), 4).is_ok());
    }
    AddressSpace* as = AddressSpace::create().value_or(nullptr);
    ASSERT_TRUE(as != nullptr);
    AddressSpace::MapRequest code;
    code.hint = BASE;
    code.length = PAGE_SIZE;
    code.prot = PROT_READ | PROT_EXEC;
    code.fixed = true;
    code.file = file;
    ASSERT_TRUE(as->map(code).is_ok());
    u64 me = 1ull << arch::this_hart().index;
    as->activate();
    EXPECT_EQ(as->icache.stale, 0u);
    // An instruction fetch brings the page-cache page in: written with
    // stores, so every other hart is stale for this space.
    EXPECT_TRUE(as->handle_fault(BASE, Access::Execute) == FaultOutcome::Served);
    EXPECT_EQ(as->icache.stale, ~me);
    AddressSpace::deactivate();
    // Switching in again on this hart finds nothing to do.
    as->activate();
    EXPECT_EQ(as->icache.stale, ~me);
    AddressSpace::deactivate();

    // Each other hart fences as it switches in, and only its bit goes.
    u64 expected = ~me;
    for (u32 i = 0; i < online_hart_count(); ++i) {
        if ((1ull << i) == me)
            continue;
        SwitchIn s{as, 0, 0};
        smp_call(i, switch_in_here, &s);
        EXPECT_EQ(s.stale_before, expected);
        expected &= ~(1ull << i);
        EXPECT_EQ(s.stale_after, expected);
    }
    AddressSpace::destroy(as);
    fs::inode_unref(*file);
}
