// Call sequences: short scripted runs of related calls with random
// parameters, for states that independent random calls reach too rarely
// (a file mapped shared and private, forked, written by the child,
// truncated under it, moved, discarded). Every call is recorded in the
// worker's ring like the random ones.
#pragma once

#include "worker_context.h"

namespace fuzz {

void run_file_mapping_sequence(WorkerContext& ctx);

// Records the call in the worker's ring (as `where`), makes it, records
// the result; returns it as the raw syscall result (-errno on failure).
long recorded_call(WorkerContext& ctx, Where where, long number, std::uint64_t a0 = 0, std::uint64_t a1 = 0,
                   std::uint64_t a2 = 0, std::uint64_t a3 = 0, std::uint64_t a4 = 0, std::uint64_t a5 = 0);

} // namespace fuzz
