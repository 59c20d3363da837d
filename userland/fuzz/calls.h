// The random-call loop a worker runs (worker.cpp), shared with the thread
// storm (threads.cpp), whose threads run it too.
#pragma once

#include "syscall_table.h"
#include "worker_context.h"

#include <cstdint>

namespace fuzz {

// The weighted pick over the table (denied calls have no weight).
class CallPicker {
public:
    CallPicker();
    const Syscall& pick(Rng& rng) const;

private:
    const Syscall* m_calls[512] = {};
    unsigned m_cumulative[512] = {};
    unsigned m_count = 0;
    unsigned m_total = 0;
};

// Makes `calls` random calls (and now and then, from the worker itself, a
// mutant exec, a call sequence or a thread storm), each recorded in the
// worker's ring as made by `where`.
void run_calls(WorkerContext& ctx, const CallPicker& picker, unsigned calls, Where where);
// One of them: the i-th (every 16th also writes the shared block and
// checks the descriptors, every 32nd calls reassert).
void run_step(WorkerContext& ctx, const CallPicker& picker, unsigned i, Where where);

// Restores what random calls may have taken away from the calling thread:
// SIGALRM delivered and unblocked, the interval timer armed.
void reassert();

// syscall() with the result as the kernel gave it (-errno on failure).
long make_call(long number, const std::uint64_t (&a)[6]);

// Waits for `pid` up to `seconds` (polling, so that no signal is needed
// to get out), then SIGKILLs it and waits up to 2 s more; returns its wait
// status, or -errno when someone else reaped it, or k_pending if it would
// not go (the watchdog's sweep reports it then).
std::int64_t wait_bounded(pid_t pid, double seconds);

} // namespace fuzz
