// Wall-clock time (CLOCK_REALTIME): the time of day read once at boot
// from an RTC the device tree names, advanced by the monotonic clock. With
// no RTC it starts at the epoch.
#pragma once

#include "lib/types.hpp"

namespace kernel {

void wallclock_set(u64 ns_since_epoch_at_boot_time);
u64 wallclock_ns();
// An RTC was found and read at boot (/dev/rtc0 exists then).
void wallclock_note_rtc();
bool wallclock_has_rtc();

} // namespace kernel
