// Malformed programs: mutated copies of a real ELF executable and "#!"
// scripts with broken interpreter lines, written into the worker's
// directory and execve'd in a child (execve must fail cleanly or the
// program must run and die as a process -- the kernel must not care).
#pragma once

#include "worker_context.h"

namespace fuzz {

// Writes one mutant, runs it in a child, waits for it (killing it after a
// second) and records the attempt in the worker's ring.
void run_mutant(WorkerContext& ctx);

} // namespace fuzz
