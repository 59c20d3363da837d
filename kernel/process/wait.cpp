// Sleeping and waking: wait queues (under the process lock or an
// object's own), timed sleep and the sleep list, ITIMER_REAL alarms, and
// the tick's wake-ups. Waking ends in the run queues through
// make_ready_proc_locked and queue_claimed (scheduler.cpp).
#include "arch/arch.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/process/scheduler_internal.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"

namespace kernel {

using namespace sched_detail;

namespace {

// Sleepers, sorted by deadline (insertion is O(sleepers); waking is O(1)).
constinit lib::ListNode s_sleepers;
// Processes with an armed ITIMER_REAL (few: a plain list, checked per tick).
constinit lib::ListNode s_alarms;

Thread* thread_of(lib::ListNode* node)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Thread, queue_node));
}

Thread* sleeper_of(lib::ListNode* node)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Thread, sleep_node));
}

void add_sleeper_proc_locked(Thread& t)
{
    process_lock().assert_held();
    lib::ListNode* at = s_sleepers.next;
    while (at != &s_sleepers) {
        if (sleeper_of(at)->sleep_deadline_ns > t.sleep_deadline_ns)
            break;
        at = at->next;
    }
    t.sleep_node.prev = at->prev;
    t.sleep_node.next = at;
    at->prev->next = &t.sleep_node;
    at->prev = &t.sleep_node;
}

} // namespace

void sched_detail::wait_init()
{
    s_sleepers.prev = s_sleepers.next = &s_sleepers;
    s_alarms.prev = s_alarms.next = &s_alarms;
}

bool wake_blocked_proc_locked(Thread& t)
{
    process_lock().assert_held();
    if (!claim_blocked(t))
        return false; // not blocked, or another waker has it
    // Claimed: the sleeper cannot take itself back to running any more, so
    // its queue fields hold still until it runs. Off a queue under this
    // lock; a queue with its own lock the sleeper leaves itself.
    if (!t.wait_lock)
        t.queue_node.unlink();
    if (t.sleep_node.next && t.sleep_node.is_linked())
        t.sleep_node.unlink();
    queue_claimed(t);
    return true;
}

namespace {

// t at the tail of wq (a zero-initialised queue becomes a ring first).
// The caller holds the lock that guards wq.
void link_at_tail(WaitQueue& wq, Thread& t)
{
    if (!wq.head.next)
        wq.head.prev = wq.head.next = &wq.head;
    t.queue_node.prev = wq.head.prev;
    t.queue_node.next = &wq.head;
    wq.head.prev->next = &t.queue_node;
    wq.head.prev = &t.queue_node;
}

// Every thread off wq, oldest first, each handed to wake; how many.
template <typename Wake> usize take_all(WaitQueue& wq, Wake wake)
{
    usize n = 0;
    if (!wq.head.next)
        return 0;
    while (wq.head.next != &wq.head) {
        Thread* t = thread_of(wq.head.next);
        t->queue_node.unlink();
        wake(*t);
        ++n;
    }
    return n;
}

// Queue t at the tail of wq, blocked, and switch away until woken.
void sleep_on_proc_locked(Thread& t, WaitQueue& wq)
{
    process_lock().assert_held();
    t.state = ThreadState::Blocked;
    link_at_tail(wq, t);
    switch_away_proc_locked();
}

} // namespace

void block_uninterruptible_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    sleep_on_proc_locked(t, wq);
}

bool block_on_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    if (signal_interrupts_proc_locked(t))
        return true;
    sleep_on_proc_locked(t, wq);
    return signal_interrupts_proc_locked(t);
}

WaitOutcome block_on_until_proc_locked(WaitQueue& wq, u64 deadline_ns)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    if (signal_interrupts_proc_locked(t))
        return WaitOutcome::Interrupted;
    if (monotonic_ns() >= deadline_ns)
        return WaitOutcome::TimedOut;
    t.sleep_deadline_ns = deadline_ns;
    add_sleeper_proc_locked(t);
    sleep_on_proc_locked(t, wq);
    // Woken by the queue (make_ready took it off the sleep list), by the
    // tick at the deadline (off the queue), or by a signal (off both).
    if (t.sleep_node.is_linked())
        t.sleep_node.unlink();
    if (t.queue_node.is_linked())
        t.queue_node.unlink();
    if (signal_interrupts_proc_locked(t))
        return WaitOutcome::Interrupted;
    return monotonic_ns() >= deadline_ns ? WaitOutcome::TimedOut : WaitOutcome::Woken;
}

usize wake_all_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    return take_all(wq, [](Thread& t) { make_ready_proc_locked(t); });
}

usize wake_all(WaitQueue& wq)
{
    SpinLockGuard guard(process_lock());
    return wake_all_proc_locked(wq);
}

namespace {

// Would a signal (or a group stop) interrupt a sleep of t, which holds no
// process lock? Lock-free when nothing new is pending; else judged under
// the process lock (ranked above the caller's). `ignorable` collects the
// pending signals judged not to interrupt (ignored), so a look without
// the lock after marking the thread blocked does not take them again.
[[gnu::noinline]] bool interrupted_slow(const Thread& t, u64& ignorable)
{
    SpinLockGuard guard(process_lock());
    if (signal_interrupts_proc_locked(t))
        return true;
    ignorable = signal_deliverable_unlocked(t);
    return false;
}

inline bool interrupted_unlocked(const Thread& t, u64& ignorable)
{
    if (!t.has_work(Thread::WORK_GROUP_STOP) && !(signal_deliverable_unlocked(t) & ~ignorable)) [[likely]]
        return false;
    return interrupted_slow(t, ignorable);
}

} // namespace

bool block_on_own_locked(WaitQueue& wq, SpinLock& lock)
{
    lock.assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    u64 ignorable = 0;
    for (;;) {
        if (interrupted_unlocked(t, ignorable))
            return true;
        // This hart's queue is locked before the thread shows as blocked:
        // a waker that queues it here waits until it has switched away.
        SpinLock& rq_lock = this_rq_lock();
        rq_lock.lock();
        link_at_tail(wq, t);
        t.wait_lock = &lock;
        __atomic_store_n(&t.state, ThreadState::Blocked, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); // the sender's side: wake_for_signal_proc_locked
        // A signal sent before that store found the thread running and
        // woke nobody: look again. Back to running if no waker claimed it
        // meanwhile (else it is being queued: switch away all the same).
        if (t.has_work(Thread::WORK_GROUP_STOP) || (signal_deliverable_unlocked(t) & ~ignorable)) [[unlikely]] {
            ThreadState expected = ThreadState::Blocked;
            if (__atomic_compare_exchange_n(&t.state, &expected, ThreadState::Running, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                t.queue_node.unlink();
                t.wait_lock = nullptr;
                rq_lock.unlock();
                continue; // the full judgement, under the process lock
            }
        }
        lock.unlock();
        switch_rq_locked();
        lock.lock();
        // A signal woke it without taking it off the queue.
        if (t.queue_node.is_linked())
            t.queue_node.unlink();
        t.wait_lock = nullptr;
        return interrupted_unlocked(t, ignorable);
    }
}

usize wake_all_own_locked(WaitQueue& wq, SpinLock& lock)
{
    lock.assert_held();
    return take_all(wq, [](Thread& t) {
        if (claim_blocked(t)) // else a signal woke it already
            queue_claimed(t);
    });
}

bool sleep_until(u64 deadline_ns)
{
    SpinLockGuard guard(process_lock());
    Thread& t = current_thread();
    if (signal_interrupts_proc_locked(t))
        return false;
    if (monotonic_ns() >= deadline_ns)
        return true;
    t.sleep_deadline_ns = deadline_ns;
    t.state = ThreadState::Blocked;
    add_sleeper_proc_locked(t);
    switch_away_proc_locked();
    return !signal_interrupts_proc_locked(t);
}

void sched_detail::wake_due_proc_locked(u64 now)
{
    process_lock().assert_held();
    for (lib::ListNode* n = s_alarms.next; n != &s_alarms;) {
        lib::ListNode* next = n->next;
        auto* p = reinterpret_cast<Process*>(reinterpret_cast<u8*>(n) - __builtin_offsetof(Process, alarm_node));
        if (p->alarm_deadline_ns <= now) {
            if (p->alarm_interval_ns)
                p->alarm_deadline_ns = now + p->alarm_interval_ns;
            else
                alarm_cancel_proc_locked(*p);
            send_signal_proc_locked(*p, SIGALRM, SI_KERNEL, 0);
        }
        n = next;
    }
    posix_timers_due_proc_locked(now);
    while (s_sleepers.next != &s_sleepers) {
        Thread* t = sleeper_of(s_sleepers.next);
        if (t->sleep_deadline_ns > now)
            break;
        t->sleep_node.unlink();
        if (t->queue_node.is_linked()) // a timed wait: off its wait queue too
            t->queue_node.unlink();
        make_ready_proc_locked(*t);
    }
}

void alarm_arm_proc_locked(Process& p, u64 deadline_ns, u64 interval_ns)
{
    process_lock().assert_held();
    alarm_cancel_proc_locked(p);
    p.alarm_deadline_ns = deadline_ns;
    p.alarm_interval_ns = interval_ns;
    lib::ListNode& n = p.alarm_node;
    n.prev = s_alarms.prev;
    n.next = &s_alarms;
    s_alarms.prev->next = &n;
    s_alarms.prev = &n;
}

void alarm_cancel_proc_locked(Process& p)
{
    process_lock().assert_held();
    if (p.alarm_deadline_ns && p.alarm_node.next)
        p.alarm_node.unlink();
    p.alarm_deadline_ns = 0;
    p.alarm_interval_ns = 0;
}

// All threads' CPU time, in counter ticks, per hart: each thread's share
// is added to the hart it ran on as the scheduler switches away from it
} // namespace kernel
