// The watchdog: forks the workers of a round (a few at a time), reaps
// them, kills one that runs past its deadline, and reports a worker still
// there long after SIGKILL as unkillable. It is the only process the
// workers can never signal.
#pragma once

#include "shared_area.h"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fuzz {

struct Options {
    double seconds = 60;
    std::uint64_t seed = 0;
    unsigned workers_per_round = 8;
    unsigned parallel = 3;
    unsigned calls_per_worker = 400;
    double deadline = 3;        // seconds a worker may run before SIGKILL (a few times its usual run)
    double unkillable_after = 10; // seconds after SIGKILL before it counts as unkillable
    // Test-only faults that the checks must catch (fuzz.detects_* in CTest):
    // "canary" (a worker writes a canary word of the shared block), "leak"
    // (the watchdog keeps 512 KiB more every round), "stall" (the watchdog
    // stops printing).
    std::string inject;
    // --worker N: run only worker N of the campaign (its calls depend on
    // the seed and N alone), alone, and print all it recorded: for
    // minimizing what a campaign found.
    long long only_worker = -1;
    // With --worker: calls (by their number in the worker's ring) whose
    // arguments are made but which are not called, to find which calls
    // a failure needs (delta debugging by hand).
    std::vector<unsigned> skip;
};

struct CampaignStats {
    std::uint64_t calls = 0;
    std::uint64_t workers = 0;
    std::uint64_t mutant_execs = 0;
    std::uint64_t forks = 0;
    std::uint64_t storms = 0;    // thread storms (threads.h)
    std::uint64_t threads = 0;   // threads they started
    std::uint64_t not_joined = 0; // of those, left running when the storm gave up on them
    std::uint64_t leftovers = 0; // processes still there after a round (killed by the sweep)
    std::uint64_t killed_at_deadline = 0;
    std::uint64_t died_by_signal = 0; // before their last call: usually a call that hurt the worker itself
    std::uint64_t fork_failures = 0;
    std::uint64_t deaths_by_signal[65] = {}; // which signals ended the workers (for tuning the generators)
};

class Watchdog {
public:
    Watchdog(const Options& options, SharedArea& area, const std::vector<std::uint8_t>& program,
             CampaignStats& stats)
        : m_options(options), m_area(area), m_program(program), m_stats(stats)
    {
    }

    // Runs one round; false (with the reason and the rings in `failure`)
    // if a worker could not be killed or no worker could be started.
    bool run_round(std::string& failure);

    // As init, after a round: SIGKILL to every other process (what the
    // workers left behind: children in other groups, orphans), reaped;
    // false (with the processes and the rings in `failure`) if any is
    // still there `unkillable_after` seconds later.
    bool sweep(std::string& failure);

    // Runs worker `serial` alone and prints its ring; the exit status is 0.
    int replay(std::uint64_t serial);

    // The rings of the slots the last round used (for a failure report).
    std::string last_calls(std::size_t per_worker) const;

private:
    struct Slot {
        pid_t pid = 0;
        std::uint64_t serial = 0;
        double started = 0;
        double killed_at = 0;
    };

    bool spawn(Slot& slot, unsigned index);
    void finish(Slot& slot, int status);

    const Options& m_options;
    SharedArea& m_area;
    const std::vector<std::uint8_t>& m_program;
    CampaignStats& m_stats;
    std::vector<Slot> m_slots;
    std::string m_failure; // set by finish(): a worker found the console among its descriptors
    dev_t m_console_rdev = 0;
    std::uint64_t m_next_serial = 0;
};

double monotonic_seconds();

} // namespace fuzz
