// CLOCK_REALTIME = the RTC's reading at boot + monotonic time since.
#include "kernel/wallclock.hpp"
#include "kernel/time.hpp"

namespace kernel {

static constinit u64 s_offset = 0; // wall time when the monotonic clock read 0

void wallclock_set(u64 ns) { s_offset = ns - lib::min(ns, monotonic_ns()); }
u64 wallclock_ns() { return s_offset + monotonic_ns(); }

namespace {
constinit bool s_has_rtc = false;
}
void wallclock_note_rtc() { s_has_rtc = true; }
bool wallclock_has_rtc() { return s_has_rtc; }

} // namespace kernel
