// Readiness of files and the queues that announce its changes: the
// common ground of poll, select and epoll (docs/files.md, "Waiting on
// many descriptors"). An object a thread can wait for (a pipe, the tty,
// an eventfd, an epoll instance) keeps a PollQueue; whoever waits for it
// without reading it puts a PollEntry there, and the object calls
// poll_wake_proc_locked wherever its readiness may have changed. Entries,
// queues and every object's readiness are guarded by the process lock, so
// a check of readiness followed by a sleep under that lock cannot miss a
// wake-up.
#pragma once

#include "lib/list.hpp"
#include "lib/types.hpp"

namespace kernel {

class SpinLock;

// poll(2)'s event bits (include/uapi/asm-generic/poll.h); epoll's EPOLLIN,
// EPOLLOUT... have the same values (include/uapi/linux/eventpoll.h).
inline constexpr u32 POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20,
                     POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200,
                     POLLRDHUP = 0x2000;
// What a file that never blocks reports (Linux's DEFAULT_POLLMASK).
inline constexpr u32 POLL_ALWAYS_READY = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

struct PollEntry;
// Called under the process lock with the events that may have changed;
// it must not sleep, allocate or take a lock ranked at or below the
// process lock.
using PollWakeFn = void (*)(PollEntry&, u32 events);

struct PollEntry {
    lib::ListNode node; // [process lock] in a PollQueue
    PollWakeFn wake = nullptr;
};

struct PollQueue {
    lib::ListNode entries; // [process lock] of PollEntry::node
    bool is_empty() const { return !entries.is_linked(); }
};

void poll_add_proc_locked(PollQueue&, PollEntry&);
void poll_remove_proc_locked(PollEntry&);
// Tells every entry that `events` may have changed. Callers on hot paths
// test is_empty() first, so that nobody polling costs one branch.
void poll_wake_proc_locked(PollQueue&, u32 events);
// For an object whose readiness changes under its own lock `held`
// (wait_queue_lock: it may be the process lock), after the change: wakes
// the entries, taking the process lock if it is not the one held. An
// entry added before the caller's change is seen (poll_add_proc_locked
// fences; so does this before it looks at the queue), and a poller that
// registers after it looks at the readiness again before sleeping.
void poll_wake_unlocked_slow(PollQueue&, SpinLock& held, u32 events);
inline void poll_wake_unlocked(PollQueue& q, SpinLock& held, u32 events)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q.is_empty()) [[unlikely]]
        poll_wake_unlocked_slow(q, held, events);
}

} // namespace kernel
