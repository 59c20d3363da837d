// ktests for several harts: every discovered hart came up, and a remote
// call runs on its target and returns, one IPI each. (TLB shootdowns are
// checked from user space: usertests group smp.)
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"

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
    EXPECT_EQ(ipis_sent() - sent, ROUNDS); // one interrupt per call
    printk("        # remote call round trip: {} instructions on the caller\n", instructions);
}

