// Kernel-side SMP benchmarks, run as the ktest suite `bench`
// (`ktest=bench`; tests/tools/bench.py boots it for ./myriad bench and
// CTest bench.smp_kernel). Each figure is a KTAP diagnostic line
//     # bench NAME INSTRUCTIONS instructions NS ns
// from this hart's instret and time deltas.
//
// Two kinds of figure, because of how QEMU counts:
// - What one hart does without waiting for another (sending an IPI,
//   taking one, a local TLB flush): exact under -icount, where instret
//   counts instructions. The minimum over the rounds is printed: the path
//   is the same every round, and a round QEMU interrupted to run another
//   hart can only count more.
// - What waits for another hart (a remote call's round trip, a TLB
//   shootdown, which returns once the others have flushed): under -icount
//   QEMU runs the harts one at a time and does not switch to the target
//   when the IPI is raised, so the caller spins for the rest of its time
//   slice (millions of instructions a round trip): no figure of the
//   kernel's. These run
//   without -icount (a host thread per hart) and their figure is the wall
//   time (ns, from the time CSR); instret is then QEMU's host tick count.
//   With `ktest.bench_exact` (bench.py's -icount boot) they are skipped.
// Every case fails on an absurd figure: zero, or a mean above
// MAX_NS_PER_OP.
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"

using namespace kernel;
using kernel::mm::AddressSpace;

namespace {

constexpr u64 ROUNDS = 200;
constexpr u64 WARM_ROUNDS = 20;
// A round trip takes microseconds on hardware and under QEMU; a mean of
// 20 ms over ROUNDS only happens when something is broken (a lost IPI
// answered by a timer, a hart that does not run).
constexpr u64 MAX_NS_PER_OP = 20'000'000;

struct Figure {
    u64 instructions, ns;
};

u64 ticks_to_ns(u64 ticks) { return ticks * 1'000'000'000ull / timebase_hz(); }

void print_figure(const char* name, const Figure& f)
{
    printk("        # bench {} {} instructions {} ns\n", name, f.instructions, f.ns);
}

// The mean over ROUNDS calls of op() (after WARM_ROUNDS untimed ones).
template <typename Op> Figure mean_of(Op op)
{
    for (u64 i = 0; i < WARM_ROUNDS; ++i)
        op();
    u64 i0 = arch::read_instret(), t0 = arch::read_time();
    for (u64 i = 0; i < ROUNDS; ++i)
        op();
    u64 i1 = arch::read_instret(), t1 = arch::read_time();
    return {(i1 - i0) / ROUNDS, ticks_to_ns(t1 - t0) / ROUNDS};
}

// The cheapest of ROUNDS calls of op(), each timed alone.
template <typename Op> Figure min_of(Op op)
{
    Figure best{~0ull, ~0ull};
    for (u64 i = 0; i < WARM_ROUNDS + ROUNDS; ++i) {
        u64 i0 = arch::read_instret(), t0 = arch::read_time();
        op();
        u64 i1 = arch::read_instret(), t1 = arch::read_time();
        if (i >= WARM_ROUNDS && i1 - i0 < best.instructions)
            best = {i1 - i0, ticks_to_ns(t1 - t0)};
    }
    return best;
}

bool exact_only() { return ktest::option("ktest.bench_exact").has_value(); }

void count_call(void* arg) { ++*static_cast<u64*>(arg); }

void activate_here(void* space) { static_cast<AddressSpace*>(space)->activate(); }

// A user address no region covers: flush_page only names it to the TLBs.
constexpr u64 FLUSHED_VA = 0x10000;

} // namespace

KTEST(bench, ipi_send_and_take)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    ASSERT_TRUE(arch::interrupts_enabled()); // the self-IPI is taken at once
    u64 other = hart_id_mask(1ull << 1);
    u64 self = hart_id_mask(1ull << arch::this_hart().index);
    // Sending: the SBI call and the firmware raising the target's software
    // interrupt. Hart 1 wakes, finds no kind pending and waits again.
    Figure send = min_of([&] { arch::send_ipi(other); });
    // Sending to this hart, then taking the interrupt here: trap entry,
    // software_interrupt with no kind pending, acknowledge, return.
    Figure self_ipi = min_of([&] { arch::send_ipi(self); });
    EXPECT_GT(send.instructions, 0u);
    EXPECT_GT(self_ipi.instructions, send.instructions); // taking it costs something
    EXPECT_LT(self_ipi.ns, MAX_NS_PER_OP);
    print_figure("ipi_send", send);
    print_figure("ipi_send_and_take_self", self_ipi);
}

KTEST(bench, local_flush_page)
{
    auto created = AddressSpace::create();
    ASSERT_TRUE(created.is_ok());
    AddressSpace* as = created.value();
    as->activate();
    // Only this hart has run the space: a local sfence.vma, no SBI call.
    EXPECT_EQ(as->other_harts(), 0u);
    Figure local = min_of([&] { as->flush_page(FLUSHED_VA); });
    AddressSpace::deactivate();
    AddressSpace::destroy(as);
    EXPECT_GT(local.instructions, 0u);
    print_figure("local_flush_page", local);
}

KTEST(bench, ipi_round_trip)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    if (exact_only())
        KTEST_SKIP("waits for another hart: no instruction figure under -icount");
    u64 calls = 0;
    u64 sent = ipis_sent();
    Figure f = mean_of([&] { smp_call(1, count_call, &calls); });
    EXPECT_EQ(calls, WARM_ROUNDS + ROUNDS);
    // One interrupt per call, and at most one back (IPI_WAKE to a caller asleep in wfi).
    EXPECT_GE(ipis_sent() - sent, WARM_ROUNDS + ROUNDS);
    EXPECT_LE(ipis_sent() - sent, 2 * (WARM_ROUNDS + ROUNDS));
    EXPECT_GT(f.ns, 0u);
    EXPECT_LT(f.ns, MAX_NS_PER_OP);
    print_figure("ipi_round_trip", f);
}

KTEST(bench, remote_shootdown)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    if (exact_only())
        KTEST_SKIP("waits for other harts: no instruction figure under -icount");
    auto created = AddressSpace::create();
    ASSERT_TRUE(created.is_ok());
    AddressSpace* as = created.value();
    as->activate();
    // Hart 1 runs it too: one remote hart to flush, and flush_page
    // returns only once it has.
    smp_call(1, activate_here, as);
    EXPECT_EQ(as->other_harts(), 1ull << 1);
    Figure one = mean_of([&] { as->flush_page(FLUSHED_VA); });
    // Every hart has run it.
    for (u32 i = 2; i < online_hart_count(); ++i)
        smp_call(i, activate_here, as);
    u32 remote = online_hart_count() - 1;
    EXPECT_EQ(u32(__builtin_popcountll(as->other_harts())), remote);
    Figure all = mean_of([&] { as->flush_page(FLUSHED_VA); });
    AddressSpace::deactivate();
    AddressSpace::destroy(as); // moves the other harts off it first

    const Figure* figures[] = {&one, &all};
    for (const Figure* f : figures) {
        EXPECT_GT(f->ns, 0u);
        EXPECT_LT(f->ns, MAX_NS_PER_OP);
    }
    print_figure("remote_shootdown_1", one);
    if (remote > 1)
        printk("        # bench remote_shootdown_{} {} instructions {} ns\n", remote, all.instructions, all.ns);
}
