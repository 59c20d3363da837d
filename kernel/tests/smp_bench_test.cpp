// Kernel-side SMP benchmarks, run as the ktest suite `bench`
// (`ktest=bench`): the round trip of a remote call (smp_call: IPI, the
// target runs the function, the caller sees the completion) and the cost
// of a TLB shootdown (AddressSpace::flush_page with other harts in the
// space's mask: SBI RFENCE, which returns once they have flushed).
//
// Each figure is printed as a KTAP diagnostic line
//     # bench NAME INSTRUCTIONS instructions NS ns
// that tests/tools/bench.py parses: the caller's instret and time deltas
// divided by the rounds. What instret counts depends on the machine, so a
// line "# bench counter machine_wide|per_hart" says which it was: under
// QEMU -icount every hart reads one shared instruction counter (the
// figures then include the target harts' work and the caller's spinning),
// on hardware each hart counts its own. Without -icount QEMU answers
// instret with host ticks, so the cases check only what holds everywhere:
// a figure is not zero and a round trip takes less than MAX_NS_PER_OP.
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
// A round trip of microseconds on hardware and under QEMU; an average of
// 20 ms over ROUNDS only happens when something is broken (a lost IPI
// answered by a timer, a hart that is not running).
constexpr u64 MAX_NS_PER_OP = 20'000'000;

struct Window {
    u64 instret_start, time_start;
};

Window window_open() { return {arch::read_instret(), arch::read_time()}; }

struct Figure {
    u64 instructions, ns;
};

Figure window_close(const Window& w, u64 rounds)
{
    u64 instructions = arch::read_instret() - w.instret_start;
    u64 ticks = arch::read_time() - w.time_start;
    return {instructions / rounds, ticks * 1'000'000'000ull / timebase_hz() / rounds};
}

void print_figure(const char* name, const Figure& f)
{
    printk("        # bench {} {} instructions {} ns\n", name, f.instructions, f.ns);
}

struct CallProbe {
    u64 calls = 0;
    u64 last_instret = 0; // the target's counter, read inside the call
};

void count_call(void* arg)
{
    auto& p = *static_cast<CallProbe*>(arg);
    ++p.calls;
    p.last_instret = arch::read_instret();
}

void activate_here(void* space) { static_cast<AddressSpace*>(space)->activate(); }

// A user address no region covers: flush_page only names it to the TLBs.
constexpr u64 FLUSHED_VA = 0x10000;

Figure measure_flush_page(AddressSpace* as)
{
    for (u64 i = 0; i < WARM_ROUNDS; ++i)
        as->flush_page(FLUSHED_VA);
    Window w = window_open();
    for (u64 i = 0; i < ROUNDS; ++i)
        as->flush_page(FLUSHED_VA);
    return window_close(w, ROUNDS);
}

} // namespace

KTEST(bench, ipi_round_trip)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    CallProbe probe;
    for (u64 i = 0; i < WARM_ROUNDS; ++i)
        smp_call(1, count_call, &probe);
    // Does the target's counter fall inside the caller's window? With one
    // counter for the machine it always does; with per-hart counters that
    // started at different times it almost never does every round.
    bool shared_counter = true;
    u64 sent = ipis_sent();
    Window w = window_open();
    for (u64 i = 0; i < ROUNDS; ++i) {
        u64 before = arch::read_instret();
        smp_call(1, count_call, &probe);
        u64 after = arch::read_instret();
        shared_counter = shared_counter && before <= probe.last_instret && probe.last_instret <= after;
    }
    Figure f = window_close(w, ROUNDS);
    EXPECT_EQ(probe.calls, WARM_ROUNDS + ROUNDS);
    EXPECT_EQ(ipis_sent() - sent, ROUNDS); // one interrupt per call: the figure is one round trip
    EXPECT_GT(f.instructions, 0u);
    EXPECT_LT(f.ns, MAX_NS_PER_OP);
    printk("        # bench counter {}\n", shared_counter ? "machine_wide" : "per_hart");
    print_figure("ipi_round_trip", f);
}

KTEST(bench, remote_shootdown)
{
    if (online_hart_count() < 2)
        KTEST_SKIP("one hart");
    auto created = AddressSpace::create();
    ASSERT_TRUE(created.is_ok());
    AddressSpace* as = created.value();
    as->activate();
    // Only this hart has run the space: a local sfence.vma, no SBI call.
    ASSERT_EQ(as->other_harts(), 0u);
    Figure local = measure_flush_page(as);
    // Hart 1 runs it too: one remote hart to flush.
    smp_call(1, activate_here, as);
    EXPECT_EQ(as->other_harts(), 1ull << 1);
    Figure one = measure_flush_page(as);
    // Every hart has run it.
    for (u32 i = 2; i < online_hart_count(); ++i)
        smp_call(i, activate_here, as);
    u32 remote = online_hart_count() - 1;
    EXPECT_EQ(u32(__builtin_popcountll(as->other_harts())), remote);
    Figure all = measure_flush_page(as);
    AddressSpace::deactivate();
    AddressSpace::destroy(as); // moves the other harts off it first

    for (const Figure* f : {&local, &one, &all}) {
        EXPECT_GT(f->instructions, 0u);
        EXPECT_LT(f->ns, MAX_NS_PER_OP);
    }
    // A remote flush is an SBI call that waits for another hart: it cannot
    // cost less than the local sfence.vma.
    EXPECT_GT(one.instructions, local.instructions);
    print_figure("local_flush_page", local);
    print_figure("remote_shootdown_1", one);
    if (remote > 1)
        printk("        # bench remote_shootdown_{} {} instructions {} ns\n", remote, all.instructions, all.ns);
}
