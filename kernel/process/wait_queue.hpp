// Wait queues: where blocked threads wait for an event (a child's exit,
// console input, a deadline). Blocking and waking happen under the lock
// that guards the condition waited for, so a wake-up can never slip
// between "check the condition" and "go to sleep": the process lock for
// most queues, an object's own lock for the busiest (a pipe's: see
// block_on_locked).
#pragma once

#include "lib/list.hpp"

namespace kernel {

struct Thread;
class SpinLock;

struct WaitQueue {
    lib::ListNode head; // of Thread::queue_node
    bool is_empty() const { return !head.is_linked(); }
};

// Caller holds the process lock (see process.hpp). Blocks the current
// thread on wq until woken; returns with the lock held again. Returns
// true (without blocking, if one is already pending) when a signal
// interrupts the wait: the caller's system call then fails with EINTR.
bool block_on_proc_locked(WaitQueue& wq);
// The same, but a pending signal does not stop it from blocking (a signal
// may still wake it early: callers re-check their condition and block
// again). For waits that must not fail, such as a mutex.
void block_uninterruptible_proc_locked(WaitQueue& wq);
// Blocks like block_on_proc_locked, but no later than monotonic time
// `deadline_ns` (futex timeouts).
enum class WaitOutcome : u8 { Woken, TimedOut, Interrupted };
WaitOutcome block_on_until_proc_locked(WaitQueue& wq, u64 deadline_ns);
// Make every waiter ready; returns how many there were.
usize wake_all_proc_locked(WaitQueue& wq);
usize wake_all(WaitQueue& wq);

// The same for a queue guarded by a lock of its object's own, ranked
// below the process lock: a sleep and a wake-up on it take neither the
// process lock nor a lock other harts' sleeps take. Interruptible as
// block_on_proc_locked; returns with the lock held. Called through
// block_on_locked and wake_all_locked (scheduler.hpp), which pick these
// or the ones above by the lock (wait_queue_lock()).
bool block_on_own_locked(WaitQueue& wq, SpinLock& lock);
usize wake_all_own_locked(WaitQueue& wq, SpinLock& lock);

} // namespace kernel
