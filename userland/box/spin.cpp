// spin [-v] [SECONDS]: burns CPU in user mode, for the scheduler to chew
// on. Without SECONDS it never stops; with it (a decimal number, e.g.
// 0.5) it stops after that much CLOCK_MONOTONIC time -- wall time, not
// CPU time, because the kernel may not offer the CPUTIME clocks yet. -v
// prints how many rounds of work it did.
#include "box/applets.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

double monotonic_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// One round of pure user-mode work (no system call), long enough that
// reading the clock between rounds costs little, short enough that the
// deadline is met within a few milliseconds.
std::uint64_t work_round(std::uint64_t x)
{
    for (int i = 0; i < (1 << 16); ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL; // Knuth's MMIX LCG
        asm volatile("" : "+r"(x));
    }
    return x;
}

} // namespace

int box::spin_main(int argc, char** argv)
{
    bool verbose = false;
    int arg = 1;
    if (arg < argc && std::strcmp(argv[arg], "-v") == 0) {
        verbose = true;
        ++arg;
    }
    double seconds = INFINITY;
    if (arg < argc) {
        char* end = nullptr;
        errno = 0;
        seconds = std::strtod(argv[arg], &end);
        if (errno != 0 || end == argv[arg] || *end != '\0' || !(seconds >= 0)) {
            std::fprintf(stderr, "spin: bad number of seconds: %s\n", argv[arg]);
            return 2;
        }
        ++arg;
    }
    if (arg != argc) {
        std::fprintf(stderr, "usage: spin [-v] [SECONDS]\n");
        return 2;
    }

    std::uint64_t x = 1;
    std::uint64_t rounds = 0;
    if (std::isinf(seconds)) {
        for (;;)
            x = work_round(x);
    }
    const double deadline = monotonic_seconds() + seconds;
    do {
        x = work_round(x);
        ++rounds;
    } while (monotonic_seconds() < deadline);
    if (verbose)
        std::printf("spin: %llu rounds in %g s\n", static_cast<unsigned long long>(rounds), seconds);
    return 0;
}
