// eventfd (eventfd(2)): a 64-bit counter as a file. write adds, read
// takes the whole count (or one, with EFD_SEMAPHORE); each waits while it
// cannot, and poll, select and epoll see when it can.
#pragma once

#include "kernel/fs/file.hpp"

namespace kernel {

// include/uapi/linux/eventfd.h: the others are O_CLOEXEC and O_NONBLOCK.
inline constexpr u32 EFD_SEMAPHORE = 1;

// A new eventfd holding `initial` (referenced); flags: EFD_SEMAPHORE,
// O_NONBLOCK. ENOMEM when out of memory.
Result<File*> eventfd_create(u64 initial, u32 flags);

} // namespace kernel
