// epoll instances (epoll(7)): a set of watched files whose wake-ups fill
// a ready list, so that waiting costs O(ready), not O(watched). How it
// fits with poll and select: docs/files.md, "Waiting on many descriptors".
#pragma once

#include "kernel/fs/file.hpp"
#include "kernel/syscall/linux_abi.hpp"

namespace kernel {

// include/uapi/linux/eventpoll.h
inline constexpr int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
inline constexpr u32 EPOLLEXCLUSIVE = 1u << 28, EPOLLWAKEUP = 1u << 29, EPOLLONESHOT = 1u << 30,
                     EPOLLET = 1u << 31;
// The flags that are not events (Linux's EP_PRIVATE_BITS).
inline constexpr u32 EPOLL_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;
// EP_MAX_EVENTS: maxevents must stay below it.
inline constexpr u64 EPOLL_MAX_EVENTS = 0x7fffffff / 16;

// A new epoll instance (referenced); ENOMEM when out of memory.
Result<File*> epoll_create();
// epoll_ctl on the instance `ep` for `target`, open as descriptor `fd`
// (an item is the pair, as in Linux: a dup of the file is another item).
// The caller holds references to both.
Result<void> epoll_ctl(Epoll& ep, int op, File& target, i32 fd, u32 events, u64 data);
// Up to `max` events into `out` (kernel memory), waiting until monotonic
// time `deadline_ns` (0: do not wait; ~0: no deadline). EINTR when a
// signal interrupts the wait.
Result<usize> epoll_wait(Epoll& ep, EpollEvent* out, usize max, u64 deadline_ns);
// The last reference to `file` is going: it leaves every epoll set (File::unref).
void epoll_file_gone(File& file);

} // namespace kernel
