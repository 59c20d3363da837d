// Signals among threads: pthread_kill (tgkill) runs the handler on the
// thread named; a signal sent to the process goes to a thread that does
// not block it, or waits, pending for the whole process, until one
// unblocks it; pthread_cancel wakes a thread blocked in read; tgkill's
// errors.
#include "groups.h"
#include "harness.h"
#include "thread_tests.h"

#include <atomic>
#include <csignal>
#include <latch>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace thread_tests;

// What the handler saw: the thread it ran on. The word is also a futex
// the handler wakes, for the thread waiting to be signalled.
std::atomic<pid_t> g_handled_by;
std::uint32_t g_handled;

void record_thread(int)
{
    g_handled_by = gettid();
    set_and_wake(g_handled, 1); // a system call: async-signal-safe
}

void reset_record()
{
    g_handled_by = 0;
    store(g_handled, 0);
}

// Waits (10 s at most) until record_thread has run somewhere.
bool wait_for_handler()
{
    const double give_up = monotonic_seconds() + 10;
    while (load(g_handled) == 0 && monotonic_seconds() < give_up) {
        const timespec slice{0, 100000000};
        futex(&g_handled, FUTEX_WAIT_PRIVATE, 0, &slice);
    }
    return load(g_handled) != 0;
}

bool install(int sig)
{
    struct sigaction action{};
    action.sa_handler = record_thread;
    sigemptyset(&action.sa_mask);
    return sigaction(sig, &action, nullptr) == 0;
}

sigset_t just(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    return set;
}

void pthread_kill_runs_handler_on_target(Test& t)
{
    ASSERT(install(SIGUSR1));
    reset_record();
    std::atomic<pid_t> target_tid{0};
    std::thread target([&] {
        target_tid = gettid();
        wait_for_handler();
    });
    while (target_tid == 0)
        sched_yield();
    EXPECT_EQ(pthread_kill(target.native_handle(), 0), 0); // it exists
    EXPECT_EQ(pthread_kill(target.native_handle(), SIGUSR1), 0);
    target.join();
    EXPECT_EQ(g_handled_by.load(), target_tid.load());
    EXPECT(g_handled_by.load() != gettid());

    // And to ourselves: here.
    reset_record();
    EXPECT_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
    EXPECT_EQ(g_handled_by.load(), gettid()); // delivered before pthread_kill returned
}

// Every thread blocks SIGUSR2 but one: kill(getpid()) runs the handler
// there. When all block it, it stays pending for the process (every
// thread's sigpending shows it) until one thread unblocks it.
void process_signal_goes_to_the_unblocking_thread(Test& t)
{
    ASSERT(install(SIGUSR2));
    const sigset_t usr2 = just(SIGUSR2);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr2, nullptr), 0); // inherited by the threads
    constexpr int k_threads = 4, k_chosen = 2;
    for (bool chosen_waits_unblocked : {true, false}) {
        reset_record();
        std::vector<std::atomic<pid_t>> tids(k_threads);
        std::atomic<int> saw_pending{0};
        std::uint32_t unblock = 0;
        std::latch ready(k_threads + 1);
        std::vector<std::thread> threads;
        for (int i = 0; i < k_threads; ++i) {
            threads.emplace_back([&, i] {
                tids[i] = gettid();
                if (i == k_chosen && chosen_waits_unblocked)
                    pthread_sigmask(SIG_UNBLOCK, &usr2, nullptr);
                ready.arrive_and_wait();
                if (i == k_chosen && !chosen_waits_unblocked) {
                    wait_while(unblock, 0);
                    sigset_t pending;
                    sigpending(&pending);
                    saw_pending += sigismember(&pending, SIGUSR2);
                    pthread_sigmask(SIG_UNBLOCK, &usr2, nullptr); // delivered here, now
                }
                wait_for_handler();
            });
        }
        ready.arrive_and_wait();
        EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
        if (!chosen_waits_unblocked) {
            sigset_t pending;
            sigpending(&pending);
            EXPECT_EQ(sigismember(&pending, SIGUSR2), 1); // the process's, seen from here
            EXPECT_EQ(g_handled_by.load(), 0);
            set_and_wake(unblock, 1);
        }
        for (auto& thread : threads)
            thread.join();
        EXPECT_EQ(g_handled_by.load(), tids[k_chosen].load());
        if (!chosen_waits_unblocked)
            EXPECT_EQ(saw_pending.load(), 1);
        sigset_t pending;
        sigpending(&pending);
        EXPECT_EQ(sigismember(&pending, SIGUSR2), 0); // delivered once, gone
    }
}

int g_cancel_fds[2];
std::atomic<int> g_cleanups;
std::atomic<pid_t> g_reader_tid;

// Reads a byte from the pipe (a cancellation point) with a cleanup
// handler pushed; with `disable`, cancellation disabled first. Returns the
// byte read, or -1.
void* read_a_byte(void* disable)
{
    if (disable)
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, nullptr);
    g_reader_tid = gettid();
    char byte = 0;
    ssize_t n;
    pthread_cleanup_push([](void*) { g_cleanups.fetch_add(1); }, nullptr);
    n = read(g_cancel_fds[0], &byte, 1);
    pthread_cleanup_pop(0);
    return reinterpret_cast<void*>(n == 1 ? std::intptr_t(byte) : -1);
}

// pthread_cancel reaches a thread asleep in read (a cancellation point):
// its cleanup handlers run and join says PTHREAD_CANCELED. A thread with
// cancellation disabled sleeps on and returns normally once data comes.
void cancel_a_blocked_read(Test& t)
{
    ASSERT_EQ(pipe(g_cancel_fds), 0);
    g_cleanups = 0;
    for (bool disabled : {false, true}) {
        g_reader_tid = 0;
        pthread_t reader;
        ASSERT_EQ(pthread_create(&reader, nullptr, read_a_byte, disabled ? reinterpret_cast<void*>(1) : nullptr), 0);
        while (g_reader_tid == 0)
            sched_yield();
        EXPECT(wait_until_asleep(g_reader_tid)); // in read, not before it
        EXPECT_EQ(pthread_cancel(reader), 0);
        if (disabled)
            EXPECT_EQ(write(g_cancel_fds[1], "d", 1), ssize_t(1));
        void* result = nullptr;
        EXPECT_EQ(pthread_join(reader, &result), 0);
        if (disabled) {
            EXPECT_EQ(result, reinterpret_cast<void*>(std::intptr_t('d')));
        } else {
            EXPECT_EQ(result, PTHREAD_CANCELED);
            EXPECT_EQ(g_cleanups.load(), 1);
        }
    }
    EXPECT_EQ(g_cleanups.load(), 1);
    close(g_cancel_fds[0]);
    close(g_cancel_fds[1]);
}

// tgkill names a thread by its group and its id: both must match.
void tgkill_errors(Test& t)
{
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t other = spawn([&] {
        char byte;
        return read(fds[0], &byte, 1) == 1 ? 0 : 1;
    });
    ASSERT(other > 0);
    std::atomic<pid_t> tid{0};
    std::uint32_t done = 0;
    std::thread thread([&] {
        tid = gettid();
        wait_while(done, 0);
    });
    while (tid == 0)
        sched_yield();

    EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), 0), 0L);
    EXPECT_EQ(syscall(SYS_tgkill, getpid(), tid.load(), 0), 0L);
    EXPECT_ERRNO(syscall(SYS_tgkill, other, gettid(), 0), ESRCH);     // our tid, another group
    EXPECT_ERRNO(syscall(SYS_tgkill, other, tid.load(), 0), ESRCH);   // our thread, another group
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), other, 0), ESRCH);     // another process as our thread
    EXPECT_ERRNO(syscall(SYS_tgkill, 0, tid.load(), 0), EINVAL);      // no such group id
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);        // no such thread id
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), tid.load(), 100), EINVAL); // no such signal
    EXPECT_EQ(syscall(SYS_tgkill, other, other, 0), 0L);                  // its leader

    set_and_wake(done, 1);
    thread.join();
    EXPECT_EQ(write(fds[1], "x", 1), ssize_t(1));
    EXPECT_EQ(describe_status(wait_for(other)), describe_status(0));
    close(fds[0]);
    close(fds[1]);
}

} // namespace

std::vector<ut::Case> thread_signal_cases()
{
    return {
        {"pthread_kill_runs_handler_on_target", pthread_kill_runs_handler_on_target},
        {"process_signal_goes_to_the_unblocking_thread", process_signal_goes_to_the_unblocking_thread},
        {"cancel_a_blocked_read", cancel_a_blocked_read},
        {"tgkill_errors", tgkill_errors},
    };
}
