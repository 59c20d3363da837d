// Which signals reach a process, and when: SIGKILL and SIGSTOP cannot be
// caught, ignored or blocked; blocked signals wait in the pending set
// (standard ones once, real-time ones queued); SA_NODEFER, SA_RESETHAND,
// sigsuspend; kill(2)'s error paths; SIGCHLD with its si_code for each
// change of a child's state.
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using namespace signal_tests;

// An unreachable pid (Linux pids stay below PID_MAX_LIMIT, 4M).
constexpr pid_t k_no_such_pid = 0x7ffffff0;

volatile int g_runs;
void count_runs(int, siginfo_t*, void*) { g_runs = g_runs + 1; }

// A child that blocks every signal (and ignores what it may), tells the
// parent through `ready`, then waits to be killed; exits 3 if it is not
// within 10 s.
int block_everything_and_wait(int ready)
{
    for (int sig = 1; sig <= 64; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCONT && sig != SIGCHLD)
            set_disposition(sig, SIG_IGN);
    }
    set_blocked_mask(~std::uint64_t(0));
    // The kernel silently leaves SIGKILL and SIGSTOP out.
    CHILD_CHECK((blocked_mask() & usable_signals()) == (~(bit(SIGKILL) | bit(SIGSTOP)) & usable_signals()));
    char byte = 1;
    CHILD_CHECK(write(ready, &byte, 1) == 1);
    const double deadline = monotonic_seconds() + 10;
    while (monotonic_seconds() < deadline)
        sleep_seconds(0.01);
    return 3;
}

void sigkill_cannot_be_caught_or_blocked(Test& t)
{
    for (int sig : {SIGKILL, SIGSTOP}) {
        // No new action at all, not even SIG_DFL; asking is fine.
        for (std::uint64_t handler : {std::uint64_t(reinterpret_cast<std::uintptr_t>(count_runs)),
                                      std::uint64_t(0) /* SIG_DFL */, std::uint64_t(1) /* SIG_IGN */}) {
            std::uint64_t action[4] = {handler, SA_SIGINFO, 0, 0};
            EXPECT_ERRNO(raw_sigaction(sig, action, nullptr), EINVAL);
        }
        EXPECT_EQ(disposition(sig), std::uint64_t(0));
        EXPECT(signal(sig, SIG_IGN) == SIG_ERR);
    }
    // Bad signal numbers and set sizes (Linux: 1..64, sigsetsize 8).
    std::uint64_t action[4] = {0, 0, 0, 0};
    EXPECT_ERRNO(raw_sigaction(0, action, nullptr), EINVAL);
    EXPECT_ERRNO(raw_sigaction(65, action, nullptr), EINVAL);
    EXPECT_ERRNO(raw_sigaction(SIGUSR1, action, nullptr, 4), EINVAL);
    EXPECT_ERRNO(raw_sigaction(SIGUSR1, action, nullptr, 16), EINVAL);
    EXPECT_EQ(raw_sigaction(64, action, nullptr), 0L);

    // rt_sigprocmask: blocking everything leaves SIGKILL and SIGSTOP out;
    // a bad `how` or set size is EINVAL and changes nothing.
    std::uint64_t all = ~std::uint64_t(0), old = 0;
    EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8), 0L);
    EXPECT_EQ(old, std::uint64_t(0));
    EXPECT_EQ(blocked_mask() & usable_signals(), ~(bit(SIGKILL) | bit(SIGSTOP)) & usable_signals());
    std::uint64_t none = 0;
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 3, &none, nullptr, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, 4), EINVAL);
    EXPECT_EQ(blocked_mask() & usable_signals(), ~(bit(SIGKILL) | bit(SIGSTOP)) & usable_signals());
    set_blocked_mask(0);
    EXPECT_EQ(blocked_mask(), std::uint64_t(0));

    // A child that blocks and ignores everything: other signals do not
    // touch it, SIGSTOP still stops it, SIGKILL kills it even stopped.
    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t pid = spawn([&] { return block_everything_and_wait(fds[1]); });
    ASSERT(pid > 0);
    close(fds[1]);
    char byte = 0;
    EXPECT_EQ(read(fds[0], &byte, 1), 1L);
    close(fds[0]);
    for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGHUP, SIGQUIT, SIGALRM})
        EXPECT_EQ(kill(pid, sig), 0);
    sleep_seconds(0.1);
    int status = -1;
    EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0); // still running
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    EXPECT_EQ(waitpid(pid, &status, WUNTRACED), pid);
    EXPECT(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

// --- masks_and_pending -------------------------------------------------------

volatile int g_depth, g_max_depth, g_runs_seen_after_inner_kill;
volatile std::uint64_t g_mask_in_handler;

void reentering_handler(int sig, siginfo_t*, void*)
{
    g_runs = g_runs + 1;
    g_depth = g_depth + 1;
    g_max_depth = std::max(g_max_depth, g_depth);
    g_mask_in_handler = blocked_mask();
    if (g_runs == 1) {
        kill(getpid(), sig);
        g_runs_seen_after_inner_kill = g_runs;
    }
    g_depth = g_depth - 1;
}

void reset_reentry()
{
    g_runs = 0;
    g_depth = 0;
    g_max_depth = 0;
}

void masks_and_pending(Test& t)
{
    // Blocked: the signal waits in the pending set, once however often
    // it is sent, and runs as soon as it is unblocked -- before the
    // rt_sigprocmask that unblocks it returns.
    ASSERT(install(SIGUSR2, count_runs));
    g_runs = 0;
    set_blocked_mask(bit(SIGUSR2));
    EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
    EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
    EXPECT_EQ(g_runs, 0);
    EXPECT_EQ(pending_mask(), bit(SIGUSR2));
    sigset_t pending;
    EXPECT_EQ(sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGUSR2), 1);
    set_blocked_mask(0);
    EXPECT_EQ(g_runs, 1);
    EXPECT_EQ(pending_mask(), std::uint64_t(0));

    // Setting SIG_IGN discards a pending signal; a default-ignored signal
    // (SIGWINCH) still becomes pending while blocked.
    set_blocked_mask(bit(SIGUSR2) | bit(SIGWINCH));
    EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
    EXPECT_EQ(kill(getpid(), SIGWINCH), 0);
    EXPECT_EQ(pending_mask(), bit(SIGUSR2) | bit(SIGWINCH));
    EXPECT(set_disposition(SIGUSR2, SIG_IGN));
    EXPECT_EQ(pending_mask(), bit(SIGWINCH));
    set_blocked_mask(0);
    EXPECT_EQ(pending_mask(), std::uint64_t(0));

    // sigsuspend: waits with the given mask, returns -1/EINTR after the
    // handler ran, and puts the old mask back.
    ASSERT(install(SIGUSR2, count_runs));
    g_runs = 0;
    set_blocked_mask(bit(SIGUSR2) | bit(SIGHUP));
    EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
    std::uint64_t during = bit(SIGHUP);
    EXPECT_ERRNO(syscall(SYS_rt_sigsuspend, &during, 8), EINTR);
    EXPECT_EQ(g_runs, 1);
    EXPECT_EQ(blocked_mask(), bit(SIGUSR2) | bit(SIGHUP));
    set_blocked_mask(0);

    // Without SA_NODEFER the signal is blocked in its own handler: a kill
    // from there waits until the handler returns.
    ASSERT(install(SIGUSR1, reentering_handler));
    reset_reentry();
    EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
    EXPECT_EQ(g_runs, 2);
    EXPECT_EQ(g_runs_seen_after_inner_kill, 1);
    EXPECT_EQ(g_max_depth, 1);
    EXPECT_EQ(g_mask_in_handler, bit(SIGUSR1));
    // With SA_NODEFER it runs again inside itself.
    ASSERT(install(SIGUSR1, reentering_handler, SA_NODEFER));
    reset_reentry();
    EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
    EXPECT_EQ(g_runs, 2);
    EXPECT_EQ(g_runs_seen_after_inner_kill, 2);
    EXPECT_EQ(g_max_depth, 2);
    EXPECT_EQ(g_mask_in_handler, std::uint64_t(0));
    EXPECT_EQ(blocked_mask(), std::uint64_t(0));

    // SA_RESETHAND: one delivery, then back to SIG_DFL (the second signal
    // kills).
    pid_t pid = spawn([] {
        CHILD_CHECK(install(SIGUSR1, count_runs, SA_RESETHAND));
        g_runs = 0;
        CHILD_CHECK(raise(SIGUSR1) == 0);
        CHILD_CHECK(g_runs == 1);
        CHILD_CHECK(disposition(SIGUSR1) == 0);
        raise(SIGUSR1);
        return 4;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGUSR1));
}

void realtime_signals_queue(Test& t)
{
    // Real-time signals (32..64) queue: each kill is one delivery. The
    // lowest ones are glibc's own (SIGRTMIN is 34 for programs); 40 is free.
    constexpr int k_realtime = 40;
    ASSERT(install(k_realtime, count_runs));
    g_runs = 0;
    set_blocked_mask(bit(k_realtime));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(kill(getpid(), k_realtime), 0);
    EXPECT_EQ(pending_mask(), bit(k_realtime));
    set_blocked_mask(0);
    EXPECT_EQ(g_runs, 3);
    EXPECT_EQ(pending_mask(), std::uint64_t(0));
    // The last one (SIGRTMAX, 64) is as good as any.
    ASSERT(install(highest_usable_signal(), count_runs));
    g_runs = 0;
    EXPECT_EQ(kill(getpid(), highest_usable_signal()), 0);
    EXPECT_EQ(g_runs, 1);
}

// --- kill_errors -------------------------------------------------------------

void kill_errors(Test& t)
{
    EXPECT_ERRNO(syscall(SYS_kill, k_no_such_pid, SIGTERM), ESRCH);
    EXPECT_ERRNO(syscall(SYS_kill, k_no_such_pid, 0), ESRCH);
    EXPECT_ERRNO(syscall(SYS_kill, -k_no_such_pid, 0), ESRCH); // no such group
    EXPECT_ERRNO(syscall(SYS_kill, INT_MIN, 0), ESRCH);
    EXPECT_ERRNO(syscall(SYS_kill, getpid(), 65), EINVAL);
    EXPECT_ERRNO(syscall(SYS_kill, getpid(), -1), EINVAL);
    EXPECT_ERRNO(syscall(SYS_kill, getpid(), 1000), EINVAL);
    EXPECT_EQ(syscall(SYS_kill, getpid(), 0), 0L);
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), k_no_such_pid, 0), ESRCH);
    EXPECT_ERRNO(syscall(SYS_tgkill, 0, gettid(), 0), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);
    EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);
    EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), 0), 0L);

    // Signal 0 probes: a live child, its process group, and a zombie all
    // exist; a reaped child does not.
    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        close(fds[1]);
        setpgid(0, 0);
        char byte;
        return read(fds[0], &byte, 1) == 0 ? 0 : 1; // until the parent closes
    });
    ASSERT(pid > 0);
    close(fds[0]);
    setpgid(pid, pid); // (either side may win the race; both ask the same)
    EXPECT_EQ(kill(pid, 0), 0);
    EXPECT_EQ(kill(-pid, 0), 0);
    close(fds[1]);
    EXPECT(wait_for_state(pid, 'Z'));
    EXPECT_EQ(kill(pid, 0), 0);
    EXPECT_EQ(kill(pid, SIGKILL), 0); // too late to change how it ended
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    EXPECT_ERRNO(kill(pid, 0), ESRCH);
    EXPECT_ERRNO(kill(-pid, 0), ESRCH);
}

// --- sigchld_on_child_exit ---------------------------------------------------

struct ChildEvent {
    int signo, code, pid, status, uid;
};
volatile ChildEvent g_events[16];
volatile int g_event_count;

void record_child_event(int, siginfo_t* info, void*)
{
    int n = g_event_count;
    if (n < 16) {
        g_events[n].signo = info->si_signo;
        g_events[n].code = info->si_code;
        g_events[n].pid = info->si_pid;
        g_events[n].status = info->si_status;
        g_events[n].uid = int(info->si_uid);
    }
    g_event_count = n + 1;
}

// Waits for event number `n` (from 0) and checks it.
void expect_event(Test& t, int n, pid_t pid, int code, int status, int line)
{
    if (!poll_until([n] { return g_event_count > n; }, 5)) {
        t.fail(__FILE_NAME__, line, "no SIGCHLD number " + std::to_string(n + 1));
        return;
    }
    const volatile ChildEvent& e = g_events[n];
    if (e.signo != SIGCHLD || e.code != code || e.pid != pid || e.status != status || e.uid != int(getuid()))
        t.fail(__FILE_NAME__, line,
               "SIGCHLD siginfo: signo " + std::to_string(e.signo) + " code " + std::to_string(e.code) + " pid " +
                   std::to_string(e.pid) + " status " + std::to_string(e.status) + " uid " + std::to_string(e.uid) +
                   "; expected code " + std::to_string(code) + " pid " + std::to_string(pid) + " status " +
                   std::to_string(status));
}

void sigchld_on_child_exit(Test& t)
{
    ASSERT(install(SIGCHLD, record_child_event, SA_RESTART));
    g_event_count = 0;

    pid_t pid = spawn([] { return 7; });
    ASSERT(pid > 0);
    expect_event(t, 0, pid, CLD_EXITED, 7, __LINE__);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(7 << 8));

    pid = spawn_spinner();
    ASSERT(pid > 0);
    EXPECT_EQ(kill(pid, SIGTERM), 0);
    expect_event(t, 1, pid, CLD_KILLED, SIGTERM, __LINE__);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGTERM));

    // Stop and continue are reported too, with the signal as si_status.
    pid = spawn_spinner();
    ASSERT(pid > 0);
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    expect_event(t, 2, pid, CLD_STOPPED, SIGSTOP, __LINE__);
    EXPECT_EQ(kill(pid, SIGCONT), 0);
    expect_event(t, 3, pid, CLD_CONTINUED, SIGCONT, __LINE__);
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    expect_event(t, 4, pid, CLD_KILLED, SIGKILL, __LINE__);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));

    // SA_NOCLDSTOP: no SIGCHLD for stop and continue, only for the end.
    // (qemu-user does not pass the flag on to the host kernel.)
    if (!platform().myriad)
        return;
    ASSERT(install(SIGCHLD, record_child_event, SA_RESTART | SA_NOCLDSTOP));
    pid = spawn_spinner();
    ASSERT(pid > 0);
    stop_and_continue(t, pid);
    sleep_seconds(0.1);
    EXPECT_EQ(g_event_count, 5);
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    expect_event(t, 5, pid, CLD_KILLED, SIGKILL, __LINE__);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
    EXPECT_EQ(g_event_count, 6);
}

} // namespace

// sigwaitinfo/sigtimedwait (rt_sigtimedwait): a blocked signal is taken
// instead of delivered, with who sent it; the wait ends with one, with
// EAGAIN at the timeout, or with EINTR when another signal's handler runs.
volatile sig_atomic_t g_alarm_handled = 0;
void on_alarm(int) { g_alarm_handled = 1; }

void sigtimedwait_takes_blocked_signals(Test& t)
{
    sigset_t usr1, usr2, chld, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigset_t all = usr1;
    sigaddset(&all, SIGUSR2);
    sigaddset(&all, SIGCHLD);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &all, &old), 0);

    // Already pending: taken at once, with the sender; no longer pending.
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
    siginfo_t info{};
    timespec zero{0, 0};
    EXPECT_EQ(sigtimedwait(&usr1, &info, &zero), SIGUSR1);
    EXPECT_EQ(info.si_signo, SIGUSR1);
    EXPECT_EQ(info.si_code, SI_USER);
    EXPECT_EQ(info.si_pid, getpid());
    sigset_t pending;
    sigpending(&pending);
    EXPECT(!sigismember(&pending, SIGUSR1));

    // Nothing pending: EAGAIN at once, or after the timeout.
    errno = 0;
    EXPECT_EQ(sigtimedwait(&usr1, &info, &zero), -1);
    EXPECT_EQ(errno, EAGAIN);
    timespec twenty_ms{0, 20000000}, before{}, after{};
    clock_gettime(CLOCK_MONOTONIC, &before);
    errno = 0;
    EXPECT_EQ(sigtimedwait(&usr1, &info, &twenty_ms), -1);
    EXPECT_EQ(errno, EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &after);
    long waited_ms = (after.tv_sec - before.tv_sec) * 1000 + (after.tv_nsec - before.tv_nsec) / 1000000;
    EXPECT(waited_ms >= 19);

    // Sent while waiting, by a child: the wait ends with it.
    pid_t parent = getpid();
    pid_t child = fork();
    ASSERT(child >= 0);
    if (child == 0) {
        usleep(10000);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    EXPECT_EQ(sigwaitinfo(&usr2, &info), SIGUSR2);
    EXPECT_EQ(info.si_pid, child);
    // SIGCHLD's default action is to ignore it, yet it can be waited for
    // (Linux's real_blocked): the child's exit ends this wait.
    timespec second{1, 0};
    EXPECT_EQ(sigtimedwait(&chld, &info, &second), SIGCHLD);
    EXPECT_EQ(info.si_pid, child);
    EXPECT_EQ(info.si_code, CLD_EXITED);
    EXPECT_EQ(info.si_status, 0);
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, 0), child);

    // Another signal with a handler interrupts the wait: EINTR.
    struct sigaction sa{};
    sa.sa_handler = on_alarm;
    struct sigaction old_alarm{};
    sigaction(SIGALRM, &sa, &old_alarm);
    // A host that stalls this guest past the timer before the wait has
    // begun delivers it early (the wait then times out): try again.
    int result = 0, error = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        g_alarm_handled = 0;
        itimerval in_50ms{{0, 0}, {0, 50000}};
        setitimer(ITIMER_REAL, &in_50ms, nullptr);
        errno = 0;
        result = sigtimedwait(&usr1, &info, &second);
        error = errno;
        if (!(result == -1 && error == EAGAIN && g_alarm_handled == 1))
            break;
    }
    EXPECT_EQ(result, -1);
    EXPECT_EQ(error, EINTR);
    EXPECT_EQ(g_alarm_handled, 1);
    sigaction(SIGALRM, &old_alarm, nullptr);

    // Errors: a bad timeout, a bad set size (the raw call), a bad pointer.
    timespec bad{0, 1000000000};
    errno = 0;
    EXPECT_EQ(sigtimedwait(&usr1, &info, &bad), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(syscall(SYS_rt_sigtimedwait, &usr1, nullptr, &zero, 4), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(syscall(SYS_rt_sigtimedwait, reinterpret_cast<void*>(16), nullptr, &zero, 8), -1);
    EXPECT_EQ(errno, EFAULT);
    sigprocmask(SIG_SETMASK, &old, nullptr);
}

std::vector<ut::Case> signal_mask_cases()
{
    return {
        {"sigkill_cannot_be_caught_or_blocked", sigkill_cannot_be_caught_or_blocked},
        {"masks_and_pending", masks_and_pending},
        {"realtime_signals_queue", realtime_signals_queue},
        {"kill_errors", kill_errors},
        {"sigchld_on_child_exit", sigchld_on_child_exit},
        {"sigtimedwait_takes_blocked_signals", sigtimedwait_takes_blocked_signals},
    };
}
