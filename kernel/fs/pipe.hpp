// Pipes: a 64 KiB ring (like Linux's default), blocking reads when empty
// and writes when full, EOF once every writer is gone, EPIPE once every
// reader is, atomic writes of up to PIPE_BUF bytes, O_NONBLOCK -> EAGAIN.
#pragma once

#include "kernel/fs/file.hpp"

namespace kernel::fs {

inline constexpr usize PIPE_CAPACITY = 65536;
inline constexpr usize PIPE_BUF = 4096;

// The two ends: [0] reads, [1] writes. Each holds one reference.
Result<void> create_pipe(File* ends[2], u32 flags);

} // namespace kernel::fs
