// A process's CPU time, kept in timebase counter ticks and converted only
// when somebody reads it. The scheduler measures the time a process spends
// on a hart (at each switch); the trap path adds each user-mode span to
// `user` as the process enters the kernel, which costs a counter read, a
// subtraction and an addition; leaving the kernel only notes the time.
// System time is the rest: time on a hart that was not user time.
#pragma once

#include "kernel/time.hpp"

namespace kernel {

struct CpuTime {
    u64 user = 0;        // ticks in user mode, up to the last trap
    u64 run = 0;         // ticks on a hart, up to the last switch away
    u64 on_since = 0;    // counter when it last came onto a hart
    u64 left_kernel = 0; // counter when it last returned to user mode
    u64 user_folded = 0; // what the system totals have counted (fold_cpu_time)
    u64 run_folded = 0;

    // Trap entry: the span since left_kernel was spent in user mode.
    [[gnu::always_inline]] void enter_kernel(u64 counter) { user += counter - left_kernel; }
    [[gnu::always_inline]] void leave_kernel(u64 counter) { left_kernel = counter; }
    void switch_in(u64 counter) { on_since = counter; }
    void switch_out(u64 counter) { run += counter - on_since; }

    // `running`: the process is on a hart now (its current span counts;
    // the reader is the process itself, in the kernel, or its user span
    // since the last trap counts as system time until the next one).
    u64 run_ticks(bool running) const { return run + (running ? arch::read_time() - on_since : 0); }
    u64 user_ns() const { return counter_to_ns(user); }
    u64 system_ns(bool running) const
    {
        u64 total = run_ticks(running);
        return counter_to_ns(total > user ? total - user : 0);
    }
};

} // namespace kernel
