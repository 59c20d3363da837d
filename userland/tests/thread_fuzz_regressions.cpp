// Part of the `fuzz_regressions` group: what the syscall fuzzer's thread
// storms (userland/fuzz/threads.cpp) found, one case per finding. They
// also run under qemu-user: every expectation is what Linux does.
//
// Some findings only show under the test kernel's memory invariant
// checker: boot build/kernel-hardened/Image with
//   --append "mm_check=1 init=/bin/usertests -- fuzz_regressions"
// (the cases pass without it either way; with it, the kernel must not
// panic).
#include "groups.h"
#include "harness.h"

#include <cerrno>
#include <csignal>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;

// mm_check=1 checks every address space after every system call, and
// gathered the spaces process by process: a space two processes share
// (a vfork child, or a clone(CLONE_VM) process without CLONE_THREAD) was
// counted twice, so each of its leaf tables seemed to have one more
// reference than its count, and the first system call the child made
// panicked the kernel ("leaf table refcount != level-1 references",
// fuzzer: a storm thread's vfork whose child's execve failed).
constexpr int k_child_done = 3;

__attribute__((noinline)) pid_t vfork_child_makes_calls()
{
    static char name[] = "true";
    static char* const argv[] = {name, nullptr};
    static char* const envp[] = {nullptr};
    pid_t pid = vfork();
    if (pid == 0) {
        // Calls made while the parent's memory is still this child's:
        // each is followed by a check of every space under mm_check=1.
        syscall(SYS_getppid);
        syscall(SYS_execve, "/nonexistent/true", argv, envp); // fails: still sharing
        _exit(k_child_done);
    }
    return pid;
}

void vfork_child_calls_while_sharing_memory(Test& t)
{
    pid_t pid = vfork_child_makes_calls();
    ASSERT(pid > 0);
    int status = wait_for(pid);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == k_child_done);
}

int s_shared_word = 0;

int clone_vm_body(void*)
{
    syscall(SYS_getpid);
    s_shared_word = 42; // the parent's memory: CLONE_VM
    return k_child_done;
}

void clone_vm_process_makes_calls(Test& t)
{
    constexpr std::size_t k_stack = 64 * 1024;
    static char stack[k_stack] __attribute__((aligned(16)));
    s_shared_word = 0;
    // A process of its own (not a thread: no CLONE_THREAD) in this address
    // space, as old thread libraries made them.
    pid_t pid = clone(clone_vm_body, stack + k_stack, CLONE_VM | SIGCHLD, nullptr);
    if (pid < 0 && errno == EINVAL && !platform().myriad)
        SKIP("qemu-user makes CLONE_VM clones only as threads");
    ASSERT(pid > 0);
    int status = wait_for(pid);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == k_child_done);
    EXPECT_EQ(s_shared_word, 42);
}

} // namespace

std::vector<Case> thread_fuzz_regression_cases()
{
    return {
        {"vfork_child_calls_while_sharing_memory", vfork_child_calls_while_sharing_memory},
        {"clone_vm_process_makes_calls", clone_vm_process_makes_calls},
    };
}
