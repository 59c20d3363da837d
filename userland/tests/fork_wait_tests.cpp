// Process life cycle: fork, exit, wait4 (and its error paths), many
// children, orphans, and the independence of the address spaces fork
// creates.
#include "harness.h"
#include "groups.h"

#include <climits>
#include <map>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

// A child exits with a status derived from its pid, so the parent can
// tell that fork returned the pid the child itself sees.
int status_for_pid(pid_t pid) { return pid % 200 + 1; }

void fork_returns(Test& t)
{
    const pid_t parent = getpid();
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        // fork returned 0 here; the child is a new process whose parent
        // is the caller.
        if (getpid() == parent || getpid() <= 0 || getppid() != parent)
            _exit(0);
        _exit(status_for_pid(getpid()));
    }
    ASSERT(pid > 0);
    EXPECT(pid != parent);
    EXPECT_EQ(getpid(), parent); // the parent is still itself
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), status_for_pid(pid));
}

void exit_status_round_trip(Test& t)
{
    // exit_group(2) keeps the low 8 bits: 256 arrives as 0, 257 as 1.
    const int codes[][2] = {{0, 0}, {1, 1}, {42, 42}, {255, 255}, {256, 0}, {257, 1}};
    for (const auto& [code, expected] : codes) {
        pid_t pid = spawn([code] { return code; });
        ASSERT(pid > 0);
        int status = wait_for(pid);
        EXPECT(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), expected);
        EXPECT(!WIFSIGNALED(status));
    }
    // exit(2) (not exit_group) ends a single-threaded process too.
    pid_t pid = spawn([] {
        syscall(SYS_exit, 7);
        return 99;
    });
    ASSERT(pid > 0);
    int status = wait_for(pid);
    EXPECT(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
}

void wait4_wnohang(Test& t)
{
    pid_t pid = spawn([] {
        sleep_seconds(0.3);
        return 7;
    });
    ASSERT(pid > 0);
    int status = -1;
    EXPECT_EQ(wait4(pid, &status, WNOHANG, nullptr), 0); // still running
    EXPECT_EQ(wait4(-1, &status, WNOHANG, nullptr), 0);

    const double deadline = monotonic_seconds() + 10;
    pid_t reaped = 0;
    rusage usage{};
    while (reaped == 0 && monotonic_seconds() < deadline) {
        reaped = pid_t(wait4(pid, &status, WNOHANG, &usage));
        if (reaped == 0)
            sleep_seconds(0.01);
    }
    EXPECT_EQ(reaped, pid);
    EXPECT(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
    // Reaped once only.
    EXPECT_ERRNO(wait4(pid, &status, WNOHANG, nullptr), ECHILD);
}

void wait4_no_children_echild(Test& t)
{
    int status = 0;
    // Through syscall(2), to see the kernel's answer without glibc.
    EXPECT_ERRNO(syscall(SYS_wait4, -1, &status, 0, nullptr), ECHILD);
    EXPECT_ERRNO(syscall(SYS_wait4, -1, &status, WNOHANG, nullptr), ECHILD);
    EXPECT_ERRNO(syscall(SYS_wait4, 0, &status, 0, nullptr), ECHILD);
    // Processes that exist but are not our children.
    EXPECT_ERRNO(syscall(SYS_wait4, getpid(), &status, 0, nullptr), ECHILD);
    EXPECT_ERRNO(syscall(SYS_wait4, getppid(), &status, 0, nullptr), ECHILD);
    EXPECT_ERRNO(syscall(SYS_wait4, 1, &status, 0, nullptr), ECHILD);
    EXPECT_ERRNO(syscall(SYS_wait4, INT_MAX, &status, 0, nullptr), ECHILD);
    // A child of our child is not ours either.
    pid_t grandchild_holder = spawn([] {
        pid_t grandchild = spawn([] { return 0; });
        CHILD_CHECK(grandchild > 0);
        sleep_seconds(0.2);
        CHILD_CHECK(wait_for(grandchild) == 0);
        return 0;
    });
    ASSERT(grandchild_holder > 0);
    EXPECT_ERRNO(syscall(SYS_wait4, grandchild_holder + 1, &status, WNOHANG, nullptr), ECHILD);
    EXPECT_EQ(wait_for(grandchild_holder), 0);
}

void wait4_bad_options_einval(Test& t)
{
    pid_t pid = spawn([] { return 0; });
    ASSERT(pid > 0);
    int status = 0;
    // 0x100 is no wait4 option (Linux: kernel/exit.c kernel_wait4).
    EXPECT_ERRNO(syscall(SYS_wait4, pid, &status, 0x100, nullptr), EINVAL);
    EXPECT_EQ(wait_for(pid), 0); // the failed call did not reap it
}

void many_children(Test& t)
{
    constexpr int k_children = 200;
    std::map<pid_t, int> expected;
    for (int i = 0; i < k_children; ++i) {
        pid_t pid = spawn([i] { return i % 250 + 1; });
        if (pid < 0) {
            t.fail(__FILE_NAME__, __LINE__, "fork number " + std::to_string(i) + " failed: " + errno_name(errno));
            break;
        }
        EXPECT(expected.emplace(pid, i % 250 + 1).second); // pids are unique
    }
    size_t reaped = 0;
    for (;;) {
        int status = 0;
        pid_t pid = wait4(-1, &status, 0, nullptr);
        if (pid < 0) {
            EXPECT_EQ(errno_name(errno), errno_name(ECHILD));
            break;
        }
        auto it = expected.find(pid);
        if (it == expected.end()) {
            t.fail(__FILE_NAME__, __LINE__, "wait4 returned " + std::to_string(pid) + ", not an unreaped child");
            continue;
        }
        EXPECT(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), it->second);
        expected.erase(it);
        ++reaped;
    }
    EXPECT_EQ(reaped, size_t(k_children));
    EXPECT(expected.empty());
}

// The grandchild's verdict on its new parent: 0 good, 1 bad.
int judge_new_parent(pid_t original_parent, bool myriad)
{
    const double deadline = monotonic_seconds() + 5;
    while (getppid() == original_parent && monotonic_seconds() < deadline)
        sleep_seconds(0.001);
    pid_t parent = getppid();
    // Linux gives an orphan to the nearest subreaper or to init; Myriad
    // has no subreapers, so always to init.
    bool good = parent != original_parent && (!myriad || parent == 1);
    if (!good)
        child_diagnostic(__FILE_NAME__, __LINE__,
                         "orphan's parent is " + std::to_string(parent) + " after its parent " +
                             std::to_string(original_parent) + " exited");
    return good ? 0 : 1;
}

void orphan_reparented(Test& t)
{
    // Only the orphan's new parent can wait for it, so the orphan reports
    // through a pipe -- or, when usertests is process 1 (and this case
    // runs in the runner), through its exit status.
    const bool as_init = getpid() == 1;
    const bool myriad = platform().myriad;
    constexpr int k_orphan_status = 77;
    int fds[2] = {-1, -1};
    if (!as_init && pipe(fds) != 0)
        SKIP("the orphan goes to init and cannot report back: no pipe(2) yet (" + errno_name(errno) +
             "); run usertests as init (init=/bin/usertests) to check it");

    pid_t middle = spawn([&] {
        const pid_t original_parent = getpid();
        pid_t orphan = spawn([&] {
            char verdict = char(judge_new_parent(original_parent, myriad));
            if (!as_init && write(fds[1], &verdict, 1) != 1)
                return 2;
            return verdict == 0 ? k_orphan_status : 1;
        });
        return orphan > 0 ? 0 : 1;
    });
    ASSERT(middle > 0);
    if (!as_init)
        close(fds[1]);
    EXPECT_EQ(wait_for(middle), 0);

    if (as_init) {
        int status = 0;
        pid_t reaped = wait4(-1, &status, 0, nullptr);
        EXPECT(reaped > 0);
        EXPECT(reaped != middle);
        EXPECT(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), k_orphan_status);
    } else {
        char verdict = 1;
        EXPECT_EQ(read(fds[0], &verdict, 1), 1);
        EXPECT_EQ(int(verdict), 0);
        close(fds[0]);
    }
}

int g_global = 1;

void memory_independent_after_fork(Test& t)
{
    // Globals (data), heap (brk: 64 KiB stays below malloc's mmap
    // threshold) and stack: both sides write, both check.
    g_global = 100;
    std::vector<unsigned char> heap(64 * 1024, 7);
    volatile int on_stack = 5;
    pid_t pid = spawn([&] {
        sleep_seconds(0.05); // let the parent write first
        CHILD_CHECK(g_global == 100);
        CHILD_CHECK(on_stack == 5);
        for (unsigned char byte : heap)
            CHILD_CHECK(byte == 7);
        g_global = 200;
        on_stack = 6;
        std::fill(heap.begin(), heap.end(), 8);
        sleep_seconds(0.05);
        CHILD_CHECK(g_global == 200);
        CHILD_CHECK(on_stack == 6);
        for (unsigned char byte : heap)
            CHILD_CHECK(byte == 8);
        return 0;
    });
    ASSERT(pid > 0);
    g_global = 300;
    on_stack = 9;
    std::fill(heap.begin(), heap.end(), 9);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    EXPECT_EQ(g_global, 300);
    EXPECT_EQ(on_stack, 9);
    size_t wrong = 0;
    for (unsigned char byte : heap)
        wrong += byte != 9;
    EXPECT_EQ(wrong, size_t(0));
}

void getpid_getppid(Test& t)
{
    EXPECT(getpid() > 0);
    EXPECT_EQ(syscall(SYS_getpid), long(getpid()));
    EXPECT_EQ(syscall(SYS_getppid), long(getppid()));
    EXPECT(getppid() != getpid());
}

// RLIMIT_NPROC: fork fails with EAGAIN once the caller's user has that many
// processes (Linux kernel/fork.c). Lowered to 1 in a child, which is itself
// one of its user's processes, the next fork must fail; raised back to the
// hard limit, fork works again. Linux exempts root (the initial user) from
// the limit, Myriad does not (docs/processes.md): under qemu-user as root,
// the fork may succeed, and the case checks the rest.
void rlimit_nproc_fork_eagain(Test& t)
{
    rlimit original {};
    ASSERT_EQ(getrlimit(RLIMIT_NPROC, &original), 0);
    rlimit through_prlimit {};
    ASSERT_EQ(prlimit(0, RLIMIT_NPROC, nullptr, &through_prlimit), 0);
    EXPECT_EQ(through_prlimit.rlim_cur, original.rlim_cur);
    EXPECT_EQ(through_prlimit.rlim_max, original.rlim_max);
    if (platform().myriad) {
        // Linux's default: max_threads / 2, max_threads = RAM pages / 4
        // (THREAD_SIZE 16 KiB = 4 pages) / 8, at least 20.
        struct sysinfo si {};
        ASSERT_EQ(sysinfo(&si), 0);
        unsigned long long max_threads = (unsigned long long)si.totalram * si.mem_unit / 4096 / 32;
        EXPECT_EQ(original.rlim_cur, (max_threads < 20 ? 20 : max_threads) / 2);
        EXPECT_EQ(original.rlim_max, original.rlim_cur);
    }
    rlimit inverted {original.rlim_max, original.rlim_max - 1};
    EXPECT_ERRNO(setrlimit(RLIMIT_NPROC, &inverted), EINVAL); // soft above hard

    const bool root_may_be_exempt = !platform().myriad && geteuid() == 0;
    std::fflush(nullptr);
    pid_t pid = spawn([original, root_may_be_exempt] {
        rlimit one {1, original.rlim_max};
        if (setrlimit(RLIMIT_NPROC, &one) != 0)
            return 10;
        rlimit now {};
        if (getrlimit(RLIMIT_NPROC, &now) != 0 || now.rlim_cur != 1 || now.rlim_max != original.rlim_max)
            return 11;
        pid_t child = fork();
        if (child == 0)
            _exit(0);
        if (child > 0) {
            waitpid(child, nullptr, 0);
            return root_may_be_exempt ? 0 : 12; // only Linux's root gets past the limit
        }
        if (errno != EAGAIN)
            return 13;
        // Back up to the hard limit (no privilege needed): fork works again.
        if (setrlimit(RLIMIT_NPROC, &original) != 0)
            return 14;
        child = fork();
        if (child == 0)
            _exit(0);
        if (child < 0)
            return 15;
        int status = 0;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
            return 16;
        return 0;
    });
    ASSERT(pid > 0);
    int status = wait_for(pid);
    EXPECT(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0); // 10..16: the step that went wrong
}

} // namespace

std::vector<ut::Case> fork_wait_cases()
{
    return {
        {"fork_returns", fork_returns},
        {"getpid_getppid", getpid_getppid},
        {"exit_status_round_trip", exit_status_round_trip},
        {"wait4_wnohang", wait4_wnohang},
        {"wait4_no_children_echild", wait4_no_children_echild},
        {"wait4_bad_options_einval", wait4_bad_options_einval},
        {"many_children", many_children, 60},
        {"orphan_reparented", orphan_reparented, 30, ut::Isolation::runner_when_init},
        {"memory_independent_after_fork", memory_independent_after_fork},
        {"rlimit_nproc_fork_eagain", rlimit_nproc_fork_eagain},
    };
}
