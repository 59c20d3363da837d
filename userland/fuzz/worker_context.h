// What a worker knows about itself while it fuzzes: the descriptors,
// children and mappings it made, its scratch buffers and its directory.
// The argument generators draw from it and the worker updates it from the
// results of its calls.
#pragma once

#include "rng.h"
#include "shared_area.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fuzz {

struct Mapping {
    std::uintptr_t start;
    std::size_t length;
};

struct WorkerContext {
    Rng rng{0};
    Ring* ring = nullptr;
    std::uint64_t* canary_block = nullptr;
    pid_t self = 0;
    bool own_group = false; // setpgid(0, 0) worked: kill(0, ...) reaches only us
    bool is_fork_child = false;
    dev_t console_rdev = 0;
    const std::vector<unsigned>* skip = nullptr;

    // In a thread storm (threads.h): which thread this is (1..6; 0 for the
    // worker's main thread, which is also what records carry outside
    // storms), the storm's thread ids (0 where none: target_pid picks
    // from them), and a counter bumped after every call (the main thread
    // wakes a thread whose counter stands still with a signal, since the
    // interval timer's SIGALRM reaches only one thread).
    std::uint8_t who = 0;
    pid_t tid = 0; // this thread's id (0: the main thread's, which is `self`)
    const std::atomic<int>* sibling_tids = nullptr;
    std::size_t sibling_count = 0;
    std::atomic<std::uint64_t>* progress = nullptr;
    // The storm's futex words (private and MAP_SHARED pages), so that
    // random futex calls meet the threads' own; null outside storms.
    std::uint32_t* futex_words[2] = {nullptr, nullptr};

    std::string dir;       // the worker's private directory, /tmp/fz.N
    std::vector<int> fds;  // descriptors it opened (some may be closed again)
    std::vector<pid_t> children;
    std::vector<Mapping> mappings;

    // Scratch: the only memory a "valid" pointer points at, so what the
    // kernel writes through one never lands on the worker's own state.
    // Guard pages (unmapped) on both sides make lengths past the end fault.
    std::uint8_t* scratch = nullptr;
    std::size_t scratch_size = 0;

    // The real program the ELF mutants start from (read by the watchdog).
    const std::vector<std::uint8_t>* program = nullptr;
    std::uint64_t mutant_counter = 0;

    void forget_fd(int fd);
    void forget_child(pid_t pid);
    void forget_range(std::uintptr_t start, std::size_t length);
};

// True if [start, start + length) touches the fixed shared regions (the
// rings and the canary block): the generators never produce such a range.
bool overlaps_forbidden(std::uint64_t start, std::uint64_t length);

} // namespace fuzz
