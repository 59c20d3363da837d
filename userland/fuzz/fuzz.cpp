// fuzz: a random system-call fuzzer in the spirit of Trinity and
// syzkaller's random mode. A watchdog (this process, usually init) runs
// rounds of short-lived workers that make random calls over the whole
// riscv64 table; after every round it checks the canaries in its own
// private and shared memory and the free memory against a baseline.
//
//   fuzz [--seconds N] [--seed S] [--workers N] [--parallel N] [--calls N]
//
// Prints a progress line per round and a summary ending in PASS or FAIL;
// exits 0 only on PASS. As init (init=/bin/fuzz -- --seconds 60 --seed 1)
// the kernel powers off with that status.
#include "meminfo.h"
#include "rng.h"
#include "shared_area.h"
#include "watchdog.h"

#include <algorithm>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace fuzz;

constexpr unsigned k_warmup_rounds = 2;
constexpr std::size_t k_private_words = 4096;
constexpr std::size_t k_private_pages = 16;

// Canary words in the watchdog's own data segment (zero-initialised, so
// written pages of .bss) and in a private anonymous mapping.
std::uint64_t s_private_words[k_private_words];

void usage()
{
    std::fprintf(stderr, "usage: fuzz [--seconds N] [--seed S] [--workers N] [--parallel N] [--calls N]\n"
                         "            [--deadline S]\n"
                         "            [--inject canary|leak|stall] [--worker N [--skip A-B,C...]]\n");
    std::exit(2);
}

bool parse_options(int argc, char** argv, Options& o, bool& seed_given)
{
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc)
            return false;
        const char* v = argv[++i];
        if (a == "--seconds")
            o.seconds = std::strtod(v, nullptr);
        else if (a == "--seed")
            o.seed = std::strtoull(v, nullptr, 0), seed_given = true;
        else if (a == "--workers")
            o.workers_per_round = unsigned(std::strtoul(v, nullptr, 0));
        else if (a == "--parallel")
            o.parallel = unsigned(std::strtoul(v, nullptr, 0));
        else if (a == "--calls")
            o.calls_per_worker = unsigned(std::strtoul(v, nullptr, 0));
        else if (a == "--deadline")
            o.deadline = std::strtod(v, nullptr);
        else if (a == "--inject")
            o.inject = v;
        else if (a == "--worker")
            o.only_worker = std::strtoll(v, nullptr, 0);
        else if (a == "--skip")
            for (char* p = const_cast<char*>(v); *p;) {
                char* end;
                unsigned long from = std::strtoul(p, &end, 0), to = from;
                if (*end == '-')
                    to = std::strtoul(end + 1, &end, 0);
                for (unsigned long n = from; n <= to; ++n)
                    o.skip.push_back(unsigned(n));
                p = *end ? end + 1 : end;
            }
        else
            return false;
    }
    return o.workers_per_round > 0 && o.parallel > 0 && o.parallel <= k_max_slots;
}

std::vector<std::uint8_t> read_program(const char* path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::filesystem::path> list_dir(const char* dir)
{
    std::error_code ec;
    std::vector<std::filesystem::path> entries;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
        entries.push_back(it->path());
    return entries;
}

// Removes what the workers left: everything in /tmp (their directories,
// and what they made through "up" -> ".." links), and whatever is new in
// the root (relative names after a chdir("/")), so that free memory
// measures the kernel, not the files.
void clean_up(const std::vector<std::filesystem::path>& root_at_start)
{
    std::error_code ec;
    for (const auto& p : list_dir("/tmp"))
        std::filesystem::remove_all(p, ec);
    for (const auto& p : list_dir("/"))
        if (std::find(root_at_start.begin(), root_at_start.end(), p) == root_at_start.end())
            std::filesystem::remove_all(p, ec);
    if (!std::filesystem::is_directory("/tmp", ec))
        std::filesystem::create_directory("/tmp", ec);
}

// Free memory once the round's dust has settled: the best of a few reads
// (exiting orphans and cached kernel stacks come back within moments).
MemInfo settled_meminfo(const MemoryTracker& tracker)
{
    MemInfo best = read_meminfo();
    for (int i = 0; i < 4 && best.ok && tracker.has_baseline() && tracker.loss_kb(best) > MemoryTracker::k_tolerance_kb;
         ++i) {
        while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
        }
        usleep(50000);
        MemInfo m = read_meminfo();
        if (m.ok && m.usable_kb() > best.usable_kb())
            best = m;
    }
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    Options options;
    bool seed_given = false;
    if (!parse_options(argc, argv, options, seed_given))
        usage();
    if (!seed_given && getrandom(&options.seed, sizeof options.seed, 0) != sizeof options.seed)
        options.seed = std::uint64_t(time(nullptr));
    std::printf("fuzz: seed %" PRIu64 ", %.0f s, %u workers a round (%u at once), %u calls each\n", options.seed,
                options.seconds, options.workers_per_round, options.parallel, options.calls_per_worker);

    std::uint64_t nonce = derive_seed(options.seed, 0xfeedfacecafeull);
    SharedArea area;
    if (!map_shared_area(area, nonce)) {
        std::printf("fuzz: FAIL: cannot map the shared rings and canary block at %#lx/%#lx: %s\n",
                    (unsigned long)k_rings_base, (unsigned long)k_canary_base, std::strerror(errno));
        return 1;
    }
    auto* mapped = static_cast<std::uint64_t*>(mmap(nullptr, k_private_pages * k_page, PROT_READ | PROT_WRITE,
                                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (mapped == MAP_FAILED) {
        std::printf("fuzz: FAIL: cannot map private memory: %s\n", std::strerror(errno));
        return 1;
    }
    const CanaryRegion regions[] = {
        {"private .bss", s_private_words, k_private_words, false},
        {"private mmap", mapped, k_private_pages * k_words_per_page, false},
        {"shared block", area.canary_block, k_canary_pages * k_words_per_page, true},
    };
    for (std::size_t i = 0; i < std::size(regions); ++i)
        fill_canaries(regions[i], i, nonce);

    std::vector<std::uint8_t> program = read_program("/bin/true");
    if (program.empty())
        std::printf("fuzz: no /bin/true to mutate; only #! mutants\n");

    const std::vector<std::filesystem::path> root_at_start = list_dir("/");
    CampaignStats stats;
    Watchdog watchdog(options, area, program, stats);
    if (options.only_worker >= 0)
        return watchdog.replay(std::uint64_t(options.only_worker));
    MemoryTracker memory;
    MemInfo warm;
    std::string failure;
    double start = monotonic_seconds();
    unsigned round = 0;
    MemInfo last;
    for (;; ++round) {
        double elapsed = monotonic_seconds() - start;
        if (round >= k_warmup_rounds && elapsed >= options.seconds)
            break;
        if (!watchdog.run_round(failure) || !watchdog.sweep(failure))
            break;
        clean_up(root_at_start);
        if (options.inject == "leak" && round >= k_warmup_rounds) {
            void* kept = mmap(nullptr, 512 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (kept != MAP_FAILED)
                std::memset(kept, 1, 512 * 1024);
        }
        if (options.inject == "stall" && round == k_warmup_rounds)
            for (;;)
                pause();
        std::string changed;
        for (std::size_t i = 0; i < std::size(regions); ++i)
            changed += check_canaries(regions[i], i, nonce);
        if (!changed.empty()) {
            failure = "canary changed (isolation broken: another process's write reached the watchdog's memory)\n" +
                      changed + "last calls of the round's workers:\n" + watchdog.last_calls(k_ring_records);
            break;
        }
        last = settled_meminfo(memory);
        if (!last.ok) {
            failure = "cannot read MemAvailable and Cached from /proc/meminfo\nlast calls:\n" +
                      watchdog.last_calls(k_ring_records);
            break;
        }
        if (round < k_warmup_rounds) {
            if (!warm.ok || last.usable_kb() > warm.usable_kb())
                warm = last;
            if (round + 1 == k_warmup_rounds) {
                memory.set_baseline(warm);
                std::printf("fuzz: memory baseline after %u warm-up rounds: %s\n", k_warmup_rounds,
                            warm.describe().c_str());
            }
        } else if (std::string why; !memory.update(last, why)) {
            failure = why + "\n  baseline: " + memory.baseline().describe() + "\n  now:      " + last.describe() +
                      "\nlast calls:\n" + watchdog.last_calls(16);
            break;
        }
        elapsed = monotonic_seconds() - start;
        std::printf("fuzz: round %u t=%.1fs calls %" PRIu64 " (%.0f/s) workers %" PRIu64 " mutants %" PRIu64
                    " mem %lld kB (loss %lld kB, slab %lld kB)\n",
                    round, elapsed, stats.calls, double(stats.calls) / elapsed, stats.workers, stats.mutant_execs,
                    (long long)last.usable_kb(), memory.has_baseline() ? (long long)memory.loss_kb(last) : 0LL,
                    (long long)last.slab_kb);
    }

    double elapsed = monotonic_seconds() - start;
    bool pass = failure.empty();
    if (!pass) {
        std::printf("fuzz: FAIL: %s\n", failure.c_str());
        std::printf("fuzz: seed %" PRIu64 " (rerun: ./myriad fuzz --seconds %.0f --seed %" PRIu64 ")\n", options.seed,
                    options.seconds, options.seed);
    }
    std::printf("fuzz: summary: seed %" PRIu64 ", %.1f s, %u rounds, %" PRIu64 " calls (%.0f/s), %" PRIu64
                " workers, %" PRIu64 " forks, %" PRIu64 " mutant execs, %" PRIu64 " thread storms (%" PRIu64
                " threads, %" PRIu64 " not joined), %" PRIu64 " killed at deadline, %" PRIu64 " died by signal, %" PRIu64
                " leftovers swept, memory baseline %lld kB, last %lld kB: %s\n",
                options.seed, elapsed, round, stats.calls, double(stats.calls) / elapsed, stats.workers, stats.forks,
                stats.mutant_execs, stats.storms, stats.threads, stats.not_joined, stats.killed_at_deadline, stats.died_by_signal,
                stats.leftovers,
                (long long)memory.baseline().usable_kb(), (long long)last.usable_kb(), pass ? "PASS" : "FAIL");
    std::string deaths;
    for (int sig = 1; sig < 65; ++sig)
        if (stats.deaths_by_signal[sig])
            deaths += " " + std::string(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?") + " " +
                      std::to_string(stats.deaths_by_signal[sig]);
    if (!deaths.empty())
        std::printf("fuzz: workers that died by a signal before their last call:%s\n", deaths.c_str());
    std::fflush(nullptr);
    if (getpid() == 1) {
        while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
        }
    }
    return pass ? 0 : 1;
}
