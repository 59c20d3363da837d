// Argument generators: a value for each argument type of syscall_table.h,
// biased towards the values that find bugs (boundaries, bad pointers,
// real flags mixed with random bits), then the fix-ups that keep a call
// from leaving the worker's own sandbox (signals to the watchdog, ranges
// over the shared rings).
#pragma once

#include "syscall_table.h"
#include "worker_context.h"

#include <cstdint>

namespace fuzz {

void generate_args(const Syscall& call, WorkerContext& ctx, std::uint64_t (&args)[6]);

// One value of a type (args.cpp: scalars; pointers.cpp: pointers and the
// structs they point at; paths.cpp: paths).
std::uint64_t generate_scalar(Arg kind, WorkerContext& ctx);
std::uint64_t generate_pointer(Arg kind, WorkerContext& ctx);
std::uint64_t generate_path(WorkerContext& ctx);

// Pointers: into scratch (valid), or NULL, unmapped, read-only, kernel
// half, crossing the end of user space, misaligned.
std::uint64_t any_pointer(WorkerContext& ctx, bool kernel_writes);
std::uint64_t bad_pointer(WorkerContext& ctx, bool kernel_writes);
// A valid pointer to `size` bytes inside scratch.
std::uint8_t* scratch_bytes(WorkerContext& ctx, std::size_t size);

std::uint64_t length_value(WorkerContext& ctx);
std::uint64_t interesting_integer(WorkerContext& ctx);

// Thread calls (thread_args.cpp).
std::uint64_t tid_value(WorkerContext& ctx);
// Clone flags with thread bits, valid and invalid sets; `clone3`: no exit
// signal in the low byte (clone3 has a field for it).
std::uint64_t thread_clone_flags(WorkerContext& ctx, bool clone3);
// True if a clone with these flags is fork-style: the child gets a copy of
// everything and may run the worker's code (worker.cpp's fork_child).
bool clone_is_fork_style(std::uint64_t flags);
// For clone(2) with thread flags: a stack (in scratch, 0 or bad) and a tls.
void complete_thread_clone_args(WorkerContext& ctx, std::uint64_t (&args)[6]);
std::uint64_t clone3_struct(WorkerContext& ctx);
std::uint64_t clone3_size(WorkerContext& ctx);
// A robust list head in scratch (or a bad pointer) whose entries the
// kernel walks when the thread exits.
std::uint64_t robust_list(WorkerContext& ctx);
std::uint64_t futex_word(WorkerContext& ctx);
std::uint64_t cpumask(WorkerContext& ctx);
std::uint64_t cpumask_length(WorkerContext& ctx);

// The worker's directory: files, a subdirectory, symlink loops, a FIFO-free
// mix of things for the path generator to name.
void populate_worker_dir(WorkerContext& ctx);

} // namespace fuzz
