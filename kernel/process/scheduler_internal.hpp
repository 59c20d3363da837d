// What the two halves of the scheduler share: scheduler.cpp (the run
// queues, placement, the switch) and wait.cpp (wait queues, timed sleep,
// alarms, the tick's wake-ups). Internal to kernel/process: the rest of
// the kernel goes through scheduler.hpp and wait_queue.hpp.
#pragma once

#include "kernel/process/scheduler.hpp"

namespace kernel::sched_detail {

// Blocked -> Waking, by one waker only: a sleeper may be woken at once by
// its queue, a signal and the tick, not all under one lock.
inline bool claim_blocked(Thread& t)
{
    ThreadState expected = ThreadState::Blocked;
    return __atomic_compare_exchange_n(&t.state, &expected, ThreadState::Waking, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_RELAXED);
}

// scheduler.cpp
// This hart's run-queue lock where harts run in parallel (on one hart the
// process lock stands for it and this is not called).
SpinLock& this_rq_lock();
// Switch away with this hart's queue lock held (the current thread's
// state says why); returns when it runs again, the queue lock dropped.
void switch_rq_locked();
// A thread claimed by its waker (Waking; on one hart Blocked, under the
// process lock) joins the run queue that suits it.
void queue_claimed(Thread& t);
// Load averages, every 5 s, from the boot hart's tick.
void update_load_proc_locked(u64 now);

// wait.cpp
void wait_init();
// The tick's wake-ups under the process lock: alarms, POSIX timers and
// sleepers due by `now`.
void wake_due_proc_locked(u64 now);

} // namespace kernel::sched_detail
