// Pipes: a 64 KiB ring (like Linux's default), blocking reads when empty
// and writes when full, EOF once every writer is gone, EPIPE once every
// reader is, atomic writes of up to PIPE_BUF bytes, O_NONBLOCK -> EAGAIN,
// packet mode with O_DIRECT. FIFOs (named pipes) are the same pipes,
// found through their inode.
#pragma once

#include "kernel/fs/file.hpp"

namespace kernel::fs {

inline constexpr usize PIPE_CAPACITY = 65536;
inline constexpr usize PIPE_BUF = 4096;

// The two ends: [0] reads, [1] writes. Each holds one reference.
Result<void> create_pipe(File* ends[2], u32 flags);

struct Inode;
// An open end of the FIFO `inode` (fifo(7)): O_RDONLY waits for a writer,
// O_WRONLY for a reader (O_NONBLOCK: at once, or ENXIO with no reader),
// O_RDWR never waits. Every opener shares the inode's one pipe until the
// last end closes. EINTR if a signal ends the wait.
Result<File*> open_fifo(Inode& inode, u32 flags);

} // namespace kernel::fs
