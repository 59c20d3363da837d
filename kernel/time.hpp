// Time: the monotonic clock (nanoseconds since boot, from the timebase
// counter) and the periodic tick that will drive preemption.
#pragma once

#include "arch/arch.hpp"
#include "lib/types.hpp"

namespace kernel {

// The counter frequency from the device tree; 0 until set.
void time_init(u64 timebase_hz, u64 boot_counter);
u64 timebase_hz();

namespace time_detail {
// Nanoseconds per counter tick when the frequency divides 1e9 (10 MHz on
// QEMU virt: 100), else 0. The hot paths (accounting on every trap) then
// convert with one multiplication instead of two divisions.
extern constinit u64 g_ns_per_tick;
extern constinit u64 g_boot_counter;
u64 counter_to_ns_divide(u64 ticks);
} // namespace time_detail

inline u64 counter_to_ns(u64 ticks)
{
    u64 k = time_detail::g_ns_per_tick;
    return k ? ticks * k : time_detail::counter_to_ns_divide(ticks);
}
// monotonic_ns() for a caller that has read the counter itself.
inline u64 counter_to_monotonic_ns(u64 counter) { return counter_to_ns(counter - time_detail::g_boot_counter); }
// Nanoseconds since boot.
inline u64 monotonic_ns() { return counter_to_monotonic_ns(arch::read_time()); }

// Start the periodic tick: one timer interrupt every period_ns.
void tick_start(u64 period_ns);
// A secondary hart starts its own tick on the same period.
void tick_start_this_hart();
u64 tick_period_ns();
u64 tick_count();
// tick_interrupt(), the timer interrupt's entry: kernel/arch_hooks.hpp.

} // namespace kernel
