// No leaks: after processes come and go, the kernel has exactly as much
// free memory as before (sysinfo(2) freeram). Myriad promises exact
// accounting; under Linux freeram is the whole machine's and moves on
// its own, so these cases skip there.
#include "groups.h"
#include "harness.h"

#include <csignal>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

struct Snapshot {
    unsigned long long free_bytes = 0;
    unsigned long procs = 0;
};

Snapshot snapshot()
{
    struct sysinfo info{};
    if (sysinfo(&info) != 0)
        return {};
    return {static_cast<unsigned long long>(info.freeram) * info.mem_unit, info.procs};
}

// Runs `one` (which returns a failure description, empty if fine) a few
// times to let this process's own memory settle -- the first forks turn
// its pages copy-on-write and the first writes after them copy, malloc
// grows its arena -- then `rounds` times between two snapshots.
template<typename One>
void expect_no_leak(Test& t, int rounds, One one)
{
    if (!platform().myriad)
        SKIP("sysinfo freeram is the whole Linux machine's; exact accounting is Myriad's promise");
    for (int i = 0; i < 10; ++i) {
        if (std::string problem = one(); !problem.empty())
            return t.fail(__FILE_NAME__, __LINE__, "warm-up round " + std::to_string(i) + ": " + problem);
    }
    const Snapshot before = snapshot();
    for (int i = 0; i < rounds; ++i) {
        if (std::string problem = one(); !problem.empty())
            return t.fail(__FILE_NAME__, __LINE__, "round " + std::to_string(i) + ": " + problem);
    }
    const Snapshot after = snapshot();
    EXPECT(before.free_bytes > 0);
    if (after.free_bytes != before.free_bytes) {
        long long delta = static_cast<long long>(before.free_bytes) - static_cast<long long>(after.free_bytes);
        t.fail(__FILE_NAME__, __LINE__,
               "free memory " + std::to_string(before.free_bytes) + " -> " + std::to_string(after.free_bytes) +
                   " bytes: " + std::to_string(delta) + " bytes (" + std::to_string(delta / 4096) +
                   " pages) lost over " + std::to_string(rounds) + " rounds");
    }
    EXPECT_EQ(after.procs, before.procs);
}

void fork_exec_true_no_leak(Test& t)
{
    REQUIRE_EXEC();
    const std::string path = image_path("bin/true");
    expect_no_leak(t, 1000, [&]() -> std::string {
        pid_t pid = spawn([&] {
            char arg0[] = "true";
            char* argv[] = {arg0, nullptr};
            execve(path.c_str(), argv, environ);
            return 100 + errno;
        });
        if (pid < 0)
            return "fork: " + errno_name(errno);
        int status = wait_for(pid);
        return status == 0 ? "" : "/bin/true " + describe_status(status);
    });
}

void fork_crash_no_leak(Test& t)
{
    // Children that grow their heap and stack, then die of a fault: the
    // kernel cleans up after a killed process as after an exiting one.
    expect_no_leak(t, 200, []() -> std::string {
        pid_t pid = spawn([] {
            std::vector<char> heap(64 * 1024, 1);
            volatile char stack[16 * 1024];
            stack[0] = heap[100];
            *reinterpret_cast<volatile int*>(0) = stack[0];
            return 0;
        });
        if (pid < 0)
            return "fork: " + errno_name(errno);
        std::string how = describe_status(wait_for(pid));
        return how == "killed by SIGSEGV" ? "" : "the child " + how;
    });
}

} // namespace

std::vector<ut::Case> leak_cases()
{
    return {
        // No timeout: a polling runner would sleep and wake meanwhile, and
        // its kernel timers could show up in the count.
        {"fork_exec_true_no_leak", fork_exec_true_no_leak, 0},
        {"fork_crash_no_leak", fork_crash_no_leak, 0},
    };
}
