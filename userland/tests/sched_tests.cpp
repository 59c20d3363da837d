// Time sharing: CPU-bound processes all make progress (the timer preempts
// them), and a process's registers -- floating point and fcsr included --
// are the same after preemption as before.
#include "groups.h"
#include "harness.h"

#include <bit>
#include <cfenv>
#include <cinttypes>
#include <cstdint>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;

std::uint64_t burn(std::uint64_t x, int rounds)
{
    for (int i = 0; i < rounds; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        asm volatile("" : "+r"(x));
    }
    return x;
}

void cpu_bound_children_progress(Test& t)
{
    // Both children run until a common deadline 1 s after `start`, and
    // each must have run early (in the first half) and often. Without
    // preemption on one hart the second child would first run after the
    // first one finished, past the deadline.
    constexpr double k_window = 1.0, k_first_run_limit = 0.5;
    constexpr long k_min_iterations = 100;
    const double start = monotonic_seconds();
    auto child = [start] {
        double first = -1, now = 0;
        long iterations = 0;
        std::uint64_t x = 1;
        do {
            now = monotonic_seconds();
            if (first < 0)
                first = now;
            x = burn(x, 1000);
            ++iterations;
        } while (now < start + k_window);
        if (first - start > k_first_run_limit) {
            child_diagnostic(__FILE_NAME__, __LINE__,
                             "first ran " + std::to_string(first - start) + " s after the start");
            return 1;
        }
        if (iterations < k_min_iterations) {
            child_diagnostic(__FILE_NAME__, __LINE__, "only " + std::to_string(iterations) + " iterations");
            return 1;
        }
        return int(x & 0); // keep x alive
    };
    pid_t a = spawn(child);
    pid_t b = spawn(child);
    ASSERT(a > 0 && b > 0);
    EXPECT_EQ(describe_status(wait_for_at_most(a, start + 5 - monotonic_seconds())), describe_status(0));
    EXPECT_EQ(describe_status(wait_for_at_most(b, start + 5 - monotonic_seconds())), describe_status(0));
    EXPECT(monotonic_seconds() - start < 5);
}

// A long computation that keeps 16 doubles and 8 integers in registers
// (the empty asm forces them there on every iteration and hides them from
// the optimizer). Any register a context switch loses or mixes up with
// another process's changes the result.
[[gnu::noinline]] std::uint64_t register_work(double seed, long iterations)
{
    double f0 = seed, f1 = seed + 1, f2 = seed + 2, f3 = seed + 3, f4 = seed + 4, f5 = seed + 5, f6 = seed + 6,
           f7 = seed + 7, f8 = seed + 8, f9 = seed + 9, f10 = seed + 10, f11 = seed + 11, f12 = seed + 12,
           f13 = seed + 13, f14 = seed + 14, f15 = seed + 15;
    std::uint64_t x0 = std::bit_cast<std::uint64_t>(seed), x1 = x0 ^ 1, x2 = x0 ^ 2, x3 = x0 ^ 3, x4 = x0 ^ 4,
                  x5 = x0 ^ 5, x6 = x0 ^ 6, x7 = x0 ^ 7;
    const double m = 1.0000001, c = 0.3333333333333333;
    for (long i = 0; i < iterations; ++i) {
        f0 = f0 * m + f15 * 1e-9;
        f1 = f1 * m + c;
        f2 = f2 * m - f1 * 1e-9;
        f3 = f3 / m + c;
        f4 = f4 * m + f3 * 1e-9;
        f5 = f5 * m - c;
        f6 = f6 * m + f5 * 1e-9;
        f7 = f7 / m + f0 * 1e-9;
        f8 = f8 * m + c;
        f9 = f9 * m + f8 * 1e-9;
        f10 = f10 / m - c;
        f11 = f11 * m + f10 * 1e-9;
        f12 = f12 * m + c;
        f13 = f13 * m - f12 * 1e-9;
        f14 = f14 / m + c;
        f15 = f15 * m + f14 * 1e-9;
        x0 += x7 ^ i;
        x1 = x1 * 3 + x0;
        x2 ^= x1 >> 3;
        x3 += x2;
        x4 = x4 * 5 + x3;
        x5 ^= x4 << 1;
        x6 += x5;
        x7 = x7 * 7 + x6;
        // (An asm takes at most 30 operands; "+" counts twice.)
        asm volatile("" : "+f"(f0), "+f"(f1), "+f"(f2), "+f"(f3), "+f"(f4), "+f"(f5), "+f"(f6), "+f"(f7));
        asm volatile("" : "+f"(f8), "+f"(f9), "+f"(f10), "+f"(f11), "+f"(f12), "+f"(f13), "+f"(f14), "+f"(f15));
        asm volatile("" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6), "+r"(x7));
    }
    double sum = f0 + f1 + f2 + f3 + f4 + f5 + f6 + f7 + f8 + f9 + f10 + f11 + f12 + f13 + f14 + f15;
    return std::bit_cast<std::uint64_t>(sum) ^ x0 ^ x1 ^ x2 ^ x3 ^ x4 ^ x5 ^ x6 ^ x7;
}

void fp_registers_survive_preemption(Test& t)
{
    // Each worker has its own seed and its own rounding mode (fcsr.frm,
    // part of the state a context switch must keep), and computes three
    // times as long as the reference run, next to a CPU hog.
    struct Worker {
        double seed;
        int rounding;
        std::uint64_t expected;
    };
    Worker workers[] = {{1.5, FE_TONEAREST, 0}, {-2.25, FE_TOWARDZERO, 0}, {3.125, FE_UPWARD, 0},
                        {0.75, FE_DOWNWARD, 0}};
    constexpr long k_iterations = 150000;
    constexpr int k_repeats = 3;
    for (auto& w : workers) {
        std::fesetround(w.rounding);
        w.expected = register_work(w.seed, k_iterations);
        std::fesetround(FE_TONEAREST);
    }
    // Different seeds and modes must give different results, or a mix-up
    // between workers could go unseen.
    for (size_t i = 1; i < std::size(workers); ++i)
        ASSERT(workers[i].expected != workers[0].expected);

    const double start = monotonic_seconds();
    pid_t hog = spawn([start] {
        std::uint64_t x = 1;
        while (monotonic_seconds() < start + 1.0)
            x = burn(x, 100000);
        return int(x & 0);
    });
    ASSERT(hog > 0);
    std::vector<pid_t> children;
    for (const auto& w : workers) {
        pid_t pid = spawn([&w] {
            std::fesetround(w.rounding);
            for (int r = 0; r < k_repeats; ++r) {
                std::uint64_t got = register_work(w.seed, k_iterations);
                if (got != w.expected) {
                    char text[128];
                    std::snprintf(text, sizeof text, "seed %g, round %d: got %016" PRIx64 ", expected %016" PRIx64,
                                  w.seed, r, got, w.expected);
                    child_diagnostic(__FILE_NAME__, __LINE__, text);
                    return 1;
                }
            }
            CHILD_CHECK(std::fegetround() == w.rounding);
            return 0;
        });
        ASSERT(pid > 0);
        children.push_back(pid);
    }
    for (pid_t pid : children)
        EXPECT_EQ(describe_status(wait_for_at_most(pid, 60)), describe_status(0));
    EXPECT_EQ(describe_status(wait_for_at_most(hog, 10)), describe_status(0));
}

void child_fp_state_does_not_leak_into_parent(Test& t)
{
    // The parent holds values in FP registers and a rounding mode; a child
    // (which starts with copies of them) overwrites every FP register and
    // fcsr, then exits. The parent's must be exactly as they were.
    std::fesetround(FE_UPWARD);
    double a = 1.0 / 3.0, b = 2.0 / 7.0;
    asm volatile("" : "+f"(a), "+f"(b));
    pid_t child = spawn([] {
        std::fesetround(FE_DOWNWARD);
        double junk = 123.456;
        for (int i = 0; i < 100000; ++i) {
            junk = junk * 1.000001 + 0.5;
            asm volatile("fmv.d.x f0, zero\n\tfmv.d.x f1, zero\n\tfmv.d.x f10, zero\n\tfmv.d.x f31, zero"
                         ::: "f0", "f1", "f10", "f31");
        }
        asm volatile("" : "+f"(junk));
        return std::fegetround() == FE_DOWNWARD ? 0 : 1;
    });
    ASSERT(child > 0);
    EXPECT_EQ(describe_status(wait_for_at_most(child, 30)), describe_status(0));
    asm volatile("" : "+f"(a), "+f"(b));
    EXPECT(std::fegetround() == FE_UPWARD);
    std::fesetround(FE_TONEAREST);
    EXPECT(a == 1.0 / 3.0);
    EXPECT(b == 2.0 / 7.0);
}

} // namespace

std::vector<ut::Case> sched_cases()
{
    return {
        {"cpu_bound_children_progress", cpu_bound_children_progress},
        {"fp_registers_survive_preemption", fp_registers_survive_preemption, 120},
        {"child_fp_state_does_not_leak_into_parent", child_fp_state_does_not_leak_into_parent},
    };
}
