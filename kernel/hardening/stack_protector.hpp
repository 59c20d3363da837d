// The stack protector's canary (GCC's -fstack-protector-strong, in the
// hardened kernel only): one global guard word, seeded per boot.
#pragma once

#include "lib/types.hpp"

namespace kernel::hardening {

// The first thing kernel_main does: a guard from the counters and the boot
// arguments (hart id, device-tree address), before any protected function
// runs.
void stack_protector_seed_early(u64 entropy);
// Once the random source has the device tree's rng-seed: a new guard from
// it. Only kernel_main (not protected) may be on the stack: a protected
// frame live across the change would fail its check on return.
void stack_protector_seed();

} // namespace kernel::hardening
