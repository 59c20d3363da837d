// /sbin/init: process 1. Runs /bin/sh on the console (the kernel opened
// fds 0, 1 and 2 on it), starts a new one whenever it exits, and reaps
// every child -- orphans are reparented to process 1, and a zombie nobody
// waits for would keep its kernel resources forever. It blocks in
// wait4(2) between events; it never polls.
#include "box/applets.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr const char* k_shell = "/bin/sh";

// The kernel may start init with an empty environment; programs expect
// at least these.
char k_path[] = "PATH=/bin:/sbin:/usr/bin:/usr/sbin";
char k_home[] = "HOME=/";
char* k_default_env[] = {k_path, k_home, nullptr};

double monotonic_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

pid_t start_shell(char** env)
{
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        char arg0[] = "sh";
        char* argv[] = {arg0, nullptr};
        execve(k_shell, argv, env);
        std::fprintf(stderr, "init: cannot run %s: %s\n", k_shell, std::strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        std::fprintf(stderr, "init: fork: %s\n", std::strerror(errno));
    return pid;
}

void describe_exit(pid_t pid, int status)
{
    if (WIFEXITED(status))
        std::fprintf(stderr, "init: shell (pid %d) exited with status %d; starting a new one\n", pid,
                     WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        std::fprintf(stderr, "init: shell (pid %d) killed by SIG%s; starting a new one\n", pid,
                     sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
}

void pause_briefly()
{
    timespec one_second{1, 0};
    while (nanosleep(&one_second, &one_second) != 0 && errno == EINTR) {
    }
}

} // namespace

int box::init_main(int, char**)
{
    if (getpid() != 1) {
        std::fprintf(stderr, "init: must run as process 1 (this is process %d)\n", getpid());
        return 1;
    }
    char** env = (environ != nullptr && environ[0] != nullptr) ? environ : k_default_env;

    pid_t shell = -1;
    double shell_started = 0;
    for (;;) {
        if (shell < 0) {
            shell_started = monotonic_seconds();
            shell = start_shell(env);
            if (shell < 0) {
                pause_briefly();
                continue;
            }
        }
        int status = 0;
        pid_t pid = wait4(-1, &status, 0, nullptr);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            // ECHILD cannot happen while the shell lives; anything else is
            // a kernel bug. Either way, do not spin on it.
            std::fprintf(stderr, "init: wait4: %s\n", std::strerror(errno));
            shell = -1;
            pause_briefly();
            continue;
        }
        if (pid != shell)
            continue; // an orphan, reaped
        describe_exit(pid, status);
        shell = -1;
        // A shell that dies at once (missing, crashing) must not turn
        // init into a fork loop.
        if (monotonic_seconds() - shell_started < 1.0)
            pause_briefly();
    }
}
