// Cases that must fail, to prove the harness reports every kind of
// failure (a failed check, a crashed case process, a hang) and that a
// failure makes usertests exit non-zero. Only run when named:
// `usertests meta` (a CTest test expects exactly these results).
#include "groups.h"
#include "harness.h"

#include <unistd.h>

namespace {

using namespace ut;

void deliberate_failure(Test& t)
{
    EXPECT_EQ(1 + 1, 3);
    EXPECT(getpid() > 0); // checks after a failed EXPECT still run
}

void deliberate_crash(Test&) { *reinterpret_cast<volatile int*>(0) = 1; }

void deliberate_hang(Test&) { sleep_seconds(30); }

void passes(Test& t) { EXPECT(true); }

void skips(Test& t) { SKIP("skipped on purpose"); }

} // namespace

std::vector<ut::Case> meta_cases()
{
    return {
        {"deliberate_failure", deliberate_failure},
        {"deliberate_crash", deliberate_crash},
        {"deliberate_hang", deliberate_hang, 1},
        {"passes", passes},
        {"skips", skips},
    };
}
