// Kernel random numbers for AT_RANDOM and getrandom(2): xoshiro256**
// seeded from the device tree's /chosen/rng-seed and the cycle and time
// counters. Statistically good, NOT cryptographically secure: fine for
// stack-protector canaries in a teaching kernel, not for keys.
#pragma once

#include "lib/types.hpp"

namespace kernel {

void random_init(const u8* seed, usize seed_length);
void random_fill(void* buffer, usize length);

} // namespace kernel
