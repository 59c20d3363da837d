// ktests for the timer: interrupts really arrive at the configured rate
// and the monotonic clock advances consistently with them.
#include "arch/arch.hpp"
#include "kernel/ktest.hpp"
#include "kernel/time.hpp"

using namespace kernel;

KTEST(timer, ticks_arrive)
{
    ASSERT_TRUE(arch::interrupts_enabled());
    u64 start = tick_count();
    u64 t0 = monotonic_ns();
    // Wait for 5 ticks, sleeping in wfi; give up after 2 s of clock.
    while (tick_count() < start + 5 && monotonic_ns() - t0 < 2000000000ull)
        arch::wait_for_interrupt();
    EXPECT_GE(tick_count(), start + 5);
    u64 elapsed = monotonic_ns() - t0;
    // 5 periods, allowing for starting mid-period and emulator jitter.
    EXPECT_GE(elapsed, 4 * tick_period_ns());
    EXPECT_LT(elapsed, 50 * tick_period_ns());
}

KTEST(timer, clock_is_monotonic_and_in_nanoseconds)
{
    u64 previous = monotonic_ns();
    u64 backwards = 0;
    for (int i = 0; i < 10000; ++i) {
        u64 now = monotonic_ns();
        backwards += now < previous;
        previous = now;
    }
    EXPECT_EQ(backwards, 0u);
    // The conversion: one second of counter ticks is 1e9 ns.
    EXPECT_EQ(counter_to_ns(timebase_hz()), 1000000000ull);
    EXPECT_EQ(counter_to_ns(timebase_hz() * 3600 * 24), 86400000000000ull); // no overflow
}

KTEST(timer, tick_period_matches_the_option)
{
    u64 expected_ms = 10;
    if (auto v = ktest::option("tick_ms")) {
        expected_ms = 0;
        for (usize i = 0; i < v->length(); ++i)
            expected_ms = expected_ms * 10 + u64((*v)[i] - '0');
    }
    EXPECT_EQ(tick_period_ns() / 1000000, expected_ms);
}
