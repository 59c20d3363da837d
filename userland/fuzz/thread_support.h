// What the thread storms (threads.cpp) and the thread group children and
// clones (thread_groups.cpp) share: limits, the futex and clone constants,
// raw system calls, guarded mappings, a signal the worker survives.
#pragma once

#include "rng.h"
#include "shared_area.h"
#include "worker_context.h"

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fuzz::thread_support {

constexpr unsigned k_max_threads = 6;
constexpr std::size_t k_stack_size = 128 * 1024;
constexpr std::size_t k_group_stack_size = 64 * 1024;
constexpr std::size_t k_thread_scratch_pages = 8;
constexpr std::size_t k_words = 8; // futex words per arena page used
// The mapping the storm's threads pass to the kernel while others unmap,
// protect, move or replace it: at a fixed address far from what the
// kernel places by itself (mmap works top-down from 0x3f00000000) and past
// the shared regions (shared_area.h), so nothing of the worker's own ever
// lands there by chance.
constexpr std::uintptr_t k_victim_base = 0x2400000000;
constexpr std::size_t k_victim_max_pages = 16;
constexpr unsigned k_chaos_percent = 35;
constexpr double k_nudge_interval = 0.01; // first nudge after 10 ms in one step,
constexpr double k_nudge_max = 0.32;      // then twice as long each time, up to this
constexpr double k_cancel_after = 0.75;
constexpr double k_give_up_after = 1.5;

// include/uapi/linux/futex.h
constexpr std::uint64_t k_futex_wait = 0, k_futex_wake = 1, k_futex_requeue = 3, k_futex_cmp_requeue = 4,
                        k_futex_wake_op = 5, k_futex_wait_bitset = 9, k_futex_wake_bitset = 10, k_futex_private = 128,
                        k_futex_clock_realtime = 256;
constexpr std::uint64_t k_clone_vm = 0x100, k_clone_vfork = 0x4000, k_clone_thread = 0x10000;
constexpr int k_sigcancel = 32; // glibc's SIGCANCEL: what pthread_cancel sends

inline double now_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

inline void sleep_ns(long ns)
{
    timespec ts{0, ns};
    nanosleep(&ts, nullptr);
}

// A system call without glibc: no errno (the new task of a clone may have
// a thread pointer of junk), nothing on the stack.
inline long raw_syscall(long n, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0)
{
    register long r0 asm("a0") = a0;
    register long r1 asm("a1") = a1;
    register long r2 asm("a2") = a2;
    register long r3 asm("a3") = a3;
    register long r4 asm("a4") = a4;
    register long r5 asm("a5") = a5;
    register long r7 asm("a7") = n;
    asm volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7) : "memory");
    return r0;
}

inline Where where_of(const WorkerContext& ctx)
{
    return ctx.is_fork_child ? Where::fork_child : ctx.who ? Where::thread : Where::worker;
}

inline std::uint64_t ptr(const void* p) { return reinterpret_cast<std::uint64_t>(p); }

inline std::uint8_t* map_guarded(std::size_t pages)
{
    auto* area = static_cast<std::uint8_t*>(mmap(nullptr, (pages + 2) * k_page, PROT_READ | PROT_WRITE,
                                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (area == MAP_FAILED)
        return nullptr;
    munmap(area, k_page);
    munmap(area + (pages + 1) * k_page, k_page);
    return area + k_page;
}

// A signal the worker handles or ignores now, whatever random calls did to
// its handlers: never one that would end it by default.
inline int harmless_signal(Rng& rng)
{
    constexpr int candidates[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGHUP, SIGTERM, SIGINT, SIGPIPE, SIGURG, SIGWINCH,
                                  SIGCHLD, SIGCONT, 34, 40, 50, 64};
    int sig = rng.pick(candidates);
    if (sig == SIGURG || sig == SIGWINCH || sig == SIGCHLD || sig == SIGCONT)
        return sig; // ignored by default
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_DFL)
        return SIGURG;
    return sig;
}

inline char k_true_name[] = "true";

// The child of a vfork: shares the caller's memory until it execs or exits.
[[gnu::noinline]] inline pid_t vfork_and_go(int mode, long delay_ns, int status)
{
    static char* const argv[] = {k_true_name, nullptr};
    static char* const envp[] = {nullptr};
    pid_t pid = vfork();
    if (pid == 0) {
        if (delay_ns) {
            timespec ts{0, delay_ns};
            raw_syscall(SYS_nanosleep, long(&ts), 0);
        }
        if (mode == 1)
            raw_syscall(SYS_execve, long("/bin/true"), long(argv), long(envp));
        else if (mode == 2)
            raw_syscall(SYS_execve, long("/nonexistent/true"), long(argv), long(envp));
        raw_syscall(SYS_exit_group, status);
    }
    return pid;
}

// exit(2) behind glibc's back, recorded first.
inline void raw_exit(WorkerContext& ctx)
{
    std::uint64_t a[6] = {};
    ring_begin(*ctx.ring, where_of(ctx), SYS_exit, a, ctx.who).result = 0;
    raw_syscall(SYS_exit, 0);
}

} // namespace fuzz::thread_support
