// Time: the monotonic clock (nanoseconds since boot, from the timebase
// counter) and the periodic tick that will drive preemption.
#pragma once

#include "lib/types.hpp"

namespace kernel {

// The counter frequency from the device tree; 0 until set.
void time_init(u64 timebase_hz, u64 boot_counter);
u64 timebase_hz();
u64 monotonic_ns();
u64 counter_to_ns(u64 ticks);

// Start the periodic tick: one timer interrupt every period_ns.
void tick_start(u64 period_ns);
u64 tick_period_ns();
u64 tick_count();
// Called by the arch timer interrupt.
void tick_interrupt();

} // namespace kernel
