// A worker: one short-lived process that makes a bounded number of random
// system calls, recording each in its ring, then exits. The watchdog
// forks it and kills it if it runs past its deadline.
#pragma once

#include "shared_area.h"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fuzz {

struct WorkerSetup {
    std::uint64_t serial;  // campaign-wide worker number
    std::uint64_t seed;    // its own stream (derive_seed(campaign seed, serial))
    unsigned calls;        // how many calls to make
    Ring* ring;
    std::uint64_t* canary_block;
    const std::vector<std::uint8_t>* program; // the ELF the mutants start from
    bool break_canary; // test-only: write one canary word (Options::inject "canary")
    dev_t console_rdev; // the watchdog's console: a worker must never hold it
    const std::vector<unsigned>* skip; // calls to make arguments for but not call (Options::skip)
};

// A worker that finds the console among its descriptors exits with this
// status, after recording a console_record in its ring.
constexpr int k_exit_holds_console = 77;

// The directory a worker fuzzes in; the watchdog removes it afterwards.
std::string worker_dir(std::uint64_t serial);

[[noreturn]] void worker_main(const WorkerSetup& setup);

} // namespace fuzz
