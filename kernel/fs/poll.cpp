// PollQueue: the list of pollers of one object and its wake-up.
#include "kernel/fs/poll.hpp"
#include "kernel/process/process.hpp"

namespace kernel {

void poll_add_proc_locked(PollQueue& q, PollEntry& e)
{
    process_lock().assert_held();
    e.node.prev = q.entries.prev;
    e.node.next = &q.entries;
    q.entries.prev->next = &e.node;
    q.entries.prev = &e.node;
    // An object whose readiness changes under a lock of its own (a pipe)
    // tests is_empty() without this one after the change: the entry is
    // visible before the caller looks at the readiness (poll_wake_unlocked).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void poll_remove_proc_locked(PollEntry& e)
{
    process_lock().assert_held();
    if (e.node.is_linked())
        e.node.unlink();
}

void poll_wake_unlocked_slow(PollQueue& q, SpinLock& held, u32 events)
{
    if (&held == &process_lock()) {
        poll_wake_proc_locked(q, events);
        return;
    }
    SpinLockGuard guard(process_lock());
    poll_wake_proc_locked(q, events);
}

void poll_wake_proc_locked(PollQueue& q, u32 events)
{
    process_lock().assert_held();
    // A callback may take its own entry off the queue (a one-shot), never
    // another's: step on before calling.
    for (lib::ListNode* n = q.entries.next; n != &q.entries;) {
        lib::ListNode* next = n->next;
        auto* e = reinterpret_cast<PollEntry*>(reinterpret_cast<char*>(n) - __builtin_offsetof(PollEntry, node));
        e->wake(*e, events);
        n = next;
    }
}

} // namespace kernel
