// Signals that arrive while a process sleeps in a system call: with a
// handler the call fails with EINTR, or starts again under SA_RESTART
// (except the sleeps, which report the time left instead); ignored
// signals and stop/continue leave it alone. And the timers that send
// SIGALRM: alarm(2), setitimer(2).
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <csignal>
#include <cstring>
#include <ctime>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using namespace signal_tests;

volatile int g_runs;
void count_runs(int, siginfo_t*, void*) { g_runs = g_runs + 1; }

// Once `pid` sleeps ('S' in /proc/<pid>/stat) it is blocked in the
// system call under test -- if it still sleeps 100 ms later, so that a
// passing sleep on its way there does not count.
bool wait_until_sleeping(pid_t pid)
{
    if (!wait_for_state(pid, 'S'))
        return false;
    sleep_seconds(0.1);
    return wait_for_state(pid, 'S');
}

// A child blocked in read(2) on an empty pipe gets SIGUSR1: EINTR, or
// with SA_RESTART the data written after the signal.
void interrupted_read(Test& t, bool restart)
{
    ASSERT(install(SIGUSR1, count_runs, restart ? SA_RESTART : 0));
    g_runs = 0;
    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        close(fds[1]);
        char buffer[8] = {};
        long n = syscall(SYS_read, fds[0], buffer, sizeof buffer);
        if (restart)
            CHILD_CHECK(n == 5 && std::memcmp(buffer, "hello", 5) == 0);
        else
            CHILD_CHECK(n == -1 && errno == EINTR);
        CHILD_CHECK(g_runs == 1);
        return 0;
    });
    ASSERT(pid > 0);
    close(fds[0]);
    EXPECT(wait_until_sleeping(pid));
    EXPECT_EQ(kill(pid, SIGUSR1), 0);
    if (restart) {
        sleep_seconds(0.1);
        EXPECT_EQ(write(fds[1], "hello", 5), 5L);
    }
    // The write end stays open until the child is done: a reader that
    // finds the pipe closed returns 0 even with a signal pending.
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    close(fds[1]);
}

// A child blocked in wait4 for its own child (which exits after 1 s)
// gets SIGUSR1: EINTR, or with SA_RESTART the grandchild's status.
void interrupted_wait4(Test& t, bool restart)
{
    ASSERT(install(SIGUSR1, count_runs, restart ? SA_RESTART : 0));
    g_runs = 0;
    pid_t pid = spawn([&] {
        pid_t grandchild = spawn([] {
            sleep_seconds(1);
            return 3;
        });
        CHILD_CHECK(grandchild > 0);
        int status = 0;
        long r = syscall(SYS_wait4, grandchild, &status, 0, nullptr);
        if (restart) {
            CHILD_CHECK(r == grandchild && WIFEXITED(status) && WEXITSTATUS(status) == 3);
        } else {
            CHILD_CHECK(r == -1 && errno == EINTR);
            kill(grandchild, SIGKILL);
            CHILD_CHECK(wait_for(grandchild) != -1);
        }
        CHILD_CHECK(g_runs == 1);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT(wait_until_sleeping(pid));
    EXPECT_EQ(kill(pid, SIGUSR1), 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

// nanosleep and clock_nanosleep (what glibc's nanosleep uses) fail with
// EINTR even under SA_RESTART, and write the time that was left.
void interrupted_sleep(Test& t, bool clock_variant)
{
    ASSERT(install(SIGUSR1, count_runs, SA_RESTART));
    g_runs = 0;
    pid_t pid = spawn([&] {
        timespec request{2, 0}, remaining{-1, -1};
        long r = clock_variant ? syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &request, &remaining)
                               : syscall(SYS_nanosleep, &request, &remaining);
        CHILD_CHECK(r == -1 && errno == EINTR);
        CHILD_CHECK(g_runs == 1);
        const double left = double(remaining.tv_sec) + double(remaining.tv_nsec) * 1e-9;
        CHILD_CHECK(remaining.tv_nsec >= 0 && remaining.tv_nsec < 1000000000);
        CHILD_CHECK(left > 0.5 && left < 2.0);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT(wait_until_sleeping(pid));
    EXPECT_EQ(kill(pid, SIGUSR1), 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

// Signals without a handler do not interrupt: one whose default is to
// ignore (SIGWINCH), nor a stop and continue. The read goes on.
void uninterrupted_read(Test& t)
{
    ASSERT(set_disposition(SIGWINCH, SIG_DFL));
    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        close(fds[1]);
        char buffer[8] = {};
        long n = syscall(SYS_read, fds[0], buffer, sizeof buffer);
        CHILD_CHECK(n == 5 && std::memcmp(buffer, "hello", 5) == 0);
        return 0;
    });
    ASSERT(pid > 0);
    close(fds[0]);
    EXPECT(wait_until_sleeping(pid));
    EXPECT_EQ(kill(pid, SIGWINCH), 0);
    stop_and_continue(t, pid);
    sleep_seconds(0.05);
    EXPECT_EQ(write(fds[1], "hello", 5), 5L);
    close(fds[1]);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

// A stop and SIGCONT with no handler run leave every wait alone (signal(7)):
// the sleeps go on to their first deadline (a relative one through
// restart_syscall, so the stop neither ends it nor makes it start over),
// ppoll and pselect6 to their timeout, sigsuspend until a signal with a
// handler comes. Four children sleep 1 s at once; each is stopped and
// continued about 0.3 s in, so a sleep begun again would last 1.3 s.
void stop_and_continue_resume_waits(Test& t)
{
    ASSERT(install(SIGUSR1, count_runs));
    enum Wait { Nanosleep, ClockNanosleep, Ppoll, Pselect, Sigsuspend, Count };
    pid_t pids[Count] = {};
    for (int kind = 0; kind < Count; ++kind) {
        pids[kind] = spawn([kind] {
            g_runs = 0;
            const double start = monotonic_seconds();
            timespec request{1, 0}, remaining{-1, -1};
            long r = -1;
            if (kind == Nanosleep) {
                r = syscall(SYS_nanosleep, &request, &remaining);
            } else if (kind == ClockNanosleep) {
                r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &request, &remaining);
            } else if (kind == Ppoll) {
                r = syscall(SYS_ppoll, nullptr, 0, &request, nullptr, 8);
            } else if (kind == Pselect) {
                r = syscall(SYS_pselect6, 0, nullptr, nullptr, nullptr, &request, nullptr);
            } else {
                sigset_t none;
                sigemptyset(&none);
                r = syscall(SYS_rt_sigsuspend, &none, 8);
                CHILD_CHECK(r == -1 && errno == EINTR && g_runs == 1); // only the handler ends it
                return 0;
            }
            const double took = monotonic_seconds() - start;
            CHILD_CHECK(r == 0);
            CHILD_CHECK(took > 0.9 && took < 1.3);
            return 0;
        });
        ASSERT(pids[kind] > 0);
    }
    // All asleep (where /proc cannot tell, as in a PID namespace, a fixed
    // pause: waiting 200 ms for each would outlast their sleeps).
    if (proc_matches_pids()) {
        for (pid_t pid : pids)
            EXPECT(wait_for_state(pid, 'S'));
    }
    sleep_seconds(0.3);
    for (pid_t pid : pids)
        stop_and_continue(t, pid);
    sleep_seconds(0.05);
    EXPECT_EQ(kill(pids[Sigsuspend], SIGUSR1), 0);
    for (pid_t pid : pids)
        EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

void eintr_vs_sa_restart(Test& t)
{
    interrupted_read(t, false);
    interrupted_read(t, true);
    interrupted_wait4(t, false);
    interrupted_wait4(t, true);
    interrupted_sleep(t, false);
    interrupted_sleep(t, true);
    uninterrupted_read(t);
}

// --- alarm_fires -------------------------------------------------------------

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; }

double remaining_real_timer()
{
    itimerval value{};
    getitimer(ITIMER_REAL, &value);
    return seconds(value.it_value);
}

void alarm_fires(Test& t)
{
    // (On riscv64 glibc makes alarm() of setitimer(ITIMER_REAL) and
    // pause() of ppoll(NULL, 0, NULL, NULL).)
    ASSERT(install(SIGALRM, count_runs));
    g_runs = 0;
    EXPECT_EQ(alarm(5), 0U);
    const double start = monotonic_seconds();
    EXPECT_EQ(alarm(1), 5U); // 4.99... s left, rounded
    // fork does not pass the timer on.
    pid_t pid = spawn([] {
        CHILD_CHECK(remaining_real_timer() == 0);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    errno = 0;
    int r = pause();
    int error = errno;
    const double elapsed = monotonic_seconds() - start;
    EXPECT_EQ(r, -1);
    EXPECT_EQ(errno_name(error), errno_name(EINTR));
    EXPECT_EQ(g_runs, 1);
    EXPECT(elapsed > 0.9 && elapsed < 3);
    EXPECT_EQ(alarm(0), 0U);

    // A one-shot 200 ms timer: the time left goes down, then it fires.
    g_runs = 0;
    itimerval value{{0, 0}, {0, 200000}}, old{{1, 1}, {1, 1}};
    const double set_at = monotonic_seconds();
    EXPECT_EQ(setitimer(ITIMER_REAL, &value, &old), 0);
    EXPECT(seconds(old.it_value) == 0 && seconds(old.it_interval) == 0);
    const double first = remaining_real_timer();
    EXPECT(first > 0 && first <= 0.2);
    sleep_seconds(0.05);
    // 0 if a loaded host held this guest back past the deadline meanwhile.
    const double second = remaining_real_timer();
    EXPECT(second >= 0 && second < first);
    EXPECT(poll_until([] { return g_runs == 1; }, 3));
    const double fired_after = monotonic_seconds() - set_at;
    EXPECT(fired_after > 0.15 && fired_after < 2);
    EXPECT_EQ(remaining_real_timer(), 0.0);

    // A periodic one reloads from it_interval.
    g_runs = 0;
    value = {{0, 50000}, {0, 50000}};
    EXPECT_EQ(setitimer(ITIMER_REAL, &value, nullptr), 0);
    EXPECT(poll_until([] { return g_runs >= 3; }, 3));
    itimerval now{};
    EXPECT_EQ(getitimer(ITIMER_REAL, &now), 0);
    EXPECT(now.it_interval.tv_sec == 0 && now.it_interval.tv_usec == 50000);
    EXPECT(seconds(now.it_value) > 0 && seconds(now.it_value) <= 0.05);
    value = {};
    EXPECT_EQ(setitimer(ITIMER_REAL, &value, &old), 0);
    EXPECT(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 50000);
    EXPECT_EQ(remaining_real_timer(), 0.0);

    // Bad timer values and timer kinds.
    itimerval bad{{0, 0}, {0, 1000000}};
    EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, &bad, nullptr), EINVAL);
    bad = {{0, 0}, {0, -1}};
    EXPECT_ERRNO(syscall(SYS_setitimer, ITIMER_REAL, &bad, nullptr), EINVAL);
    EXPECT_ERRNO(syscall(SYS_setitimer, 7, &value, nullptr), EINVAL);
    EXPECT_ERRNO(syscall(SYS_getitimer, 7, &now), EINVAL);
}

} // namespace

std::vector<ut::Case> signal_interrupt_cases()
{
    return {
        {"eintr_vs_sa_restart", eintr_vs_sa_restart},
        {"alarm_fires", alarm_fires},
        {"stop_and_continue_resume_waits", stop_and_continue_resume_waits},
    };
}
