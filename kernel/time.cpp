// The monotonic clock and the periodic tick. The clock reads the timebase
// counter (rdtime); its frequency comes from /cpus/timebase-frequency.
#include "kernel/time.hpp"
#include "kernel/arch_hooks.hpp"
#include "arch/arch.hpp"
#include "kernel/console.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

static constinit u64 s_timebase_hz = 0;

namespace time_detail {
constinit u64 g_ns_per_tick = 0;
constinit u64 g_boot_counter = 0;
} // namespace time_detail

using time_detail::g_boot_counter;
static constinit u64 s_period_ticks = 0;
static constinit u64 s_tick_count = 0;

void time_init(u64 hz, u64 boot_counter)
{
    s_timebase_hz = hz;
    time_detail::g_boot_counter = boot_counter;
    time_detail::g_ns_per_tick = hz && 1000000000ull % hz == 0 ? 1000000000ull / hz : 0;
}

u64 timebase_hz() { return s_timebase_hz; }

u64 time_detail::counter_to_ns_divide(u64 ticks)
{
    if (s_timebase_hz == 0)
        return 0;
    // Split to avoid overflow: ticks * 1e9 overflows u64 after ~30 minutes
    // at 10 MHz.
    return (ticks / s_timebase_hz) * 1000000000ull + (ticks % s_timebase_hz) * 1000000000ull / s_timebase_hz;
}


void tick_start(u64 period_ns)
{
    s_period_ticks = period_ns * s_timebase_hz / 1000000000ull;
    if (s_period_ticks == 0)
        s_period_ticks = 1;
    tick_start_this_hart();
}

void tick_start_this_hart()
{
    arch::Hart& h = arch::this_hart();
    h.next_tick = arch::read_time() + s_period_ticks;
    arch::timer_program(h.next_tick);
}

u64 tick_period_ns() { return counter_to_ns(s_period_ticks); }

u64 tick_count() { return __atomic_load_n(&s_tick_count, __ATOMIC_RELAXED); }

void tick_interrupt()
{
    __atomic_fetch_add(&s_tick_count, 1, __ATOMIC_RELAXED);
    arch::Hart& h = arch::this_hart();
    ++h.ticks;
    // Next deadline on this hart's fixed grid; if we fell behind (a long
    // section with interrupts off), skip missed ticks rather than storm.
    u64 now = arch::read_time();
    h.next_tick += s_period_ticks;
    if (h.next_tick <= now)
        h.next_tick = now + s_period_ticks;
    arch::timer_program(h.next_tick);
    if (h.index == 0)
        console_poll_firmware_input();
    scheduler_tick();
}

} // namespace kernel
