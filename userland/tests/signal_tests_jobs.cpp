// Job control: stopping and continuing a process (what wait4 and /proc
// say about it, and that a stopped process gets no CPU), the stop
// signals a terminal sends, and the process group and session rules of
// setpgid(2) and setsid(2).
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <csignal>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using namespace signal_tests;

constexpr pid_t k_no_such_pid = 0x7ffffff0;

unsigned long cpu_ticks(pid_t pid)
{
    auto stat = read_proc_stat(pid);
    return stat ? stat->utime + stat->stime : 0;
}

void stop_and_continue(Test& t)
{
    pid_t pid = spawn_spinner();
    ASSERT(pid > 0);
    int status = -1;
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    // wait4 reports a stop only when asked to (WUNTRACED), and once:
    // status 0x137f (stop signal << 8 | 0x7f).
    EXPECT_EQ(waitpid(pid, &status, WUNTRACED), pid);
    EXPECT(WIFSTOPPED(status));
    EXPECT_EQ(WSTOPSIG(status), SIGSTOP);
    EXPECT_EQ(status, 0x137f);
    EXPECT_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0);
    EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
    EXPECT(wait_for_state(pid, 'T', 0));

    // SIGCONT: WCONTINUED reports it, once, as status 0xffff.
    EXPECT_EQ(kill(pid, SIGCONT), 0);
    status = -1;
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED), pid);
    EXPECT(WIFCONTINUED(status));
    EXPECT_EQ(status, 0xffff);
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED | WNOHANG), 0);
    EXPECT(wait_for_state(pid, 'R'));
    // SIGCONT to a running process changes nothing to report.
    EXPECT_EQ(kill(pid, SIGCONT), 0);
    sleep_seconds(0.05);
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED | WUNTRACED | WNOHANG), 0);

    // Stopped again, a stop and a continue not yet waited for: waitpid
    // with both flags reports the latest state only.
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    EXPECT(wait_for_state(pid, 'T'));
    EXPECT_EQ(kill(pid, SIGCONT), 0);
    EXPECT(wait_for_state(pid, 'R'));
    status = -1;
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED | WUNTRACED), pid);
    EXPECT(WIFCONTINUED(status));
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED | WUNTRACED | WNOHANG), 0);

    EXPECT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

void stopped_process_accumulates_no_cpu(Test& t)
{
    if (!proc_matches_pids())
        SKIP("/proc is another PID namespace's");
    pid_t pid = spawn_spinner();
    ASSERT(pid > 0);
    // Running, its CPU time grows...
    const unsigned long running_before = cpu_ticks(pid);
    sleep_seconds(0.3);
    const unsigned long running_after = cpu_ticks(pid);
    EXPECT(running_after > running_before);

    // ...stopped, it does not.
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, WUNTRACED), pid);
    EXPECT(WIFSTOPPED(status));
    const unsigned long stopped_before = cpu_ticks(pid);
    sleep_seconds(0.3);
    auto stat = read_proc_stat(pid);
    ASSERT(stat.has_value());
    EXPECT_EQ(stat->state, 'T');
    EXPECT_EQ(stat->utime + stat->stime, stopped_before);
    auto text = read_text_file("/proc/" + std::to_string(pid) + "/status");
    EXPECT(text && text->find("\nState:\tT (stopped)\n") != std::string::npos);

    // SIGKILL ends it without a SIGCONT.
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

// Sends `sig` to a spinning child in a process group of its own and
// returns what waitpid(WUNTRACED) saw within `seconds` (0: nothing),
// then kills the child.
int stop_status(pid_t pid, int sig, double seconds)
{
    kill(pid, sig);
    int status = 0;
    const double deadline = monotonic_seconds() + seconds;
    while (waitpid(pid, &status, WUNTRACED | WNOHANG) == 0 && monotonic_seconds() < deadline) {
        status = 0;
        sleep_seconds(0.005);
    }
    return status;
}

void stop_signals_tstp_ttin_ttou(Test& t)
{
    // Their default action is to stop -- in a process group that is not
    // orphaned: this child's own group, whose parent (us) is in another
    // group of the same session.
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) {
        pid_t pid = spawn_spinner();
        ASSERT(pid > 0);
        EXPECT_EQ(setpgid(pid, pid), 0);
        int status = stop_status(pid, sig, 5);
        EXPECT(WIFSTOPPED(status));
        EXPECT_EQ(WSTOPSIG(status), sig);
        kill(pid, SIGKILL);
        EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
    }

    // Ignored, SIGTSTP does nothing.
    pid_t pid = spawn_spinner(20, [] { set_disposition(SIGTSTP, SIG_IGN); });
    ASSERT(pid > 0);
    EXPECT_EQ(setpgid(pid, pid), 0);
    EXPECT_EQ(stop_status(pid, SIGTSTP, 0.1), 0);
    EXPECT(wait_for_state(pid, 'R', 0));
    kill(pid, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));

    // In an orphaned process group (a new session: no parent in the same
    // session) the kernel discards them (POSIX: "shall not stop"); SIGSTOP
    // still stops.
    pid = spawn_spinner(20, [] { setsid(); });
    ASSERT(pid > 0);
    EXPECT_EQ(getsid(pid), pid);
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU})
        EXPECT_EQ(stop_status(pid, sig, 0.1), 0);
    EXPECT(wait_for_state(pid, 'R', 0));
    int status = stop_status(pid, SIGSTOP, 5);
    EXPECT(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    kill(pid, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

// --- setpgid_rules -------------------------------------------------------------

void setpgid_rules(Test& t)
{
    // getpgid / getsid of ourselves, and of nobody.
    EXPECT_EQ(getpgid(0), getpgrp());
    EXPECT_EQ(getpgid(getpid()), getpgrp());
    EXPECT_EQ(getsid(0), getsid(getpid()));
    EXPECT_ERRNO(getpgid(k_no_such_pid), ESRCH);
    EXPECT_ERRNO(getsid(k_no_such_pid), ESRCH);
    // Only ourselves and our children (our parent is not one).
    EXPECT_ERRNO(setpgid(getppid(), getppid()), ESRCH);
    EXPECT_ERRNO(setpgid(k_no_such_pid, 0), ESRCH);
    EXPECT_ERRNO(setpgid(0, -1), EINVAL);

    // A child starts in our group; we move it to a group of its own and
    // back, but not to a group that does not exist.
    pid_t child = spawn_spinner();
    ASSERT(child > 0);
    EXPECT_EQ(getpgid(child), getpgrp());
    EXPECT_EQ(getsid(child), getsid(0));
    EXPECT_EQ(setpgid(child, 0), 0); // 0: its own pid
    EXPECT_EQ(getpgid(child), child);
    if (proc_matches_pids()) {
        auto stat = read_proc_stat(child);
        EXPECT(stat && stat->pgrp == child && stat->session == getsid(0));
    }
    // (Process 1 may be in group 0, where no one can be moved: 0 says
    // "the process's own pid".)
    if (getpgrp() > 0) {
        EXPECT_EQ(setpgid(child, getpgrp()), 0);
        EXPECT_EQ(getpgid(child), getpgrp());
    }
    EXPECT_ERRNO(setpgid(child, k_no_such_pid), EPERM);

    // A child in a session of its own: it leads that session and a group;
    // no setpgid moves it or moves anyone into its group (EPERM).
    pid_t leader = spawn_spinner(20, [] { setsid(); });
    ASSERT(leader > 0);
    EXPECT_EQ(getsid(leader), leader); // (Linux answers across sessions)
    EXPECT_EQ(getpgid(leader), leader);
    EXPECT_ERRNO(setpgid(leader, leader), EPERM);
    EXPECT_ERRNO(setpgid(leader, getpgrp()), EPERM);
    EXPECT_ERRNO(setpgid(child, leader), EPERM);

    // setsid: fails in a group leader, works elsewhere and makes the
    // caller the leader of a new session and group.
    pid_t pid = spawn([] {
        CHILD_CHECK(getpgrp() != getpid());
        CHILD_CHECK(setsid() == getpid());
        CHILD_CHECK(getsid(0) == getpid());
        CHILD_CHECK(getpgrp() == getpid());
        CHILD_CHECK(setsid() == -1 && errno == EPERM);
        CHILD_CHECK(setpgid(0, 0) == -1 && errno == EPERM); // a session leader stays put
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    pid = spawn([] {
        CHILD_CHECK(setpgid(0, 0) == 0);
        CHILD_CHECK(getpgrp() == getpid());
        CHILD_CHECK(setsid() == -1 && errno == EPERM);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));

    for (pid_t p : {child, leader}) {
        kill(p, SIGKILL);
        EXPECT_EQ(describe_status(wait_for(p)), describe_status(SIGKILL));
    }
}

void setpgid_after_exec(Test& t)
{
    // A child that has exec'd can no longer be moved by its parent.
    REQUIRE_EXEC();
    int fds[2];
    ASSERT(pipe2(fds, O_CLOEXEC) == 0);
    const std::string spin = image_path("bin/spin");
    pid_t pid = spawn([&] {
        char arg0[] = "spin", arg1[] = "10";
        char* argv[] = {arg0, arg1, nullptr};
        execve(spin.c_str(), argv, environ);
        return 1;
    });
    ASSERT(pid > 0);
    close(fds[1]);
    char byte;
    EXPECT_EQ(read(fds[0], &byte, 1), 0L); // EOF: the exec closed it
    close(fds[0]);
    EXPECT_ERRNO(setpgid(pid, pid), EACCES);
    EXPECT_EQ(getpgid(pid), getpgrp());
    kill(pid, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

} // namespace

std::vector<ut::Case> signal_job_control_cases()
{
    return {
        {"stop_and_continue", stop_and_continue},
        {"stopped_process_accumulates_no_cpu", stopped_process_accumulates_no_cpu},
        {"stop_signals_tstp_ttin_ttou", stop_signals_tstp_ttin_ttou},
        {"setpgid_rules", setpgid_rules},
        {"setpgid_after_exec", setpgid_after_exec},
    };
}
