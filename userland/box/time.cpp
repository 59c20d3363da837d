// time [-p] COMMAND [ARG...]: runs COMMAND (searched along $PATH) and
// reports on stderr the elapsed time and the CPU time the child used,
// from wait4(2)'s rusage, in bash's format:
//   "\nreal\t0m0.003s\nuser\t0m0.000s\nsys\t0m0.002s\n"
// or with -p the POSIX one ("real 0.00\nuser 0.00\nsys 0.00\n").
// The exit status is the command's (128 + N if signal N ended it; 127 if
// it was not found, 126 if it could not run).
#include "box/applets.h"
#include "box/util.h"

#include <csignal>
#include <ctime>
#include <sys/resource.h>
#include <sys/wait.h>

namespace {

double seconds_of(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

double monotonic_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// bash's "%lR" form: "XmY.YYYs", milliseconds.
std::string bash_time(double seconds)
{
    auto ms = static_cast<unsigned long long>(seconds * 1000 + 0.5);
    char out[64];
    std::snprintf(out, sizeof out, "%llum%llu.%03llus", ms / 60000, ms / 1000 % 60, ms % 1000);
    return out;
}

} // namespace

int box::time_main(int argc, char** argv)
{
    int first = 1;
    bool posix = false;
    if (first < argc && std::strcmp(argv[first], "-p") == 0) {
        posix = true;
        ++first;
    }
    if (first < argc && std::strcmp(argv[first], "--") == 0)
        ++first;
    if (first == argc) {
        std::fprintf(stderr, "usage: time [-p] COMMAND [ARG...]\n");
        return 2;
    }

    double start = monotonic_seconds();
    pid_t child = fork();
    if (child < 0) {
        report("time", "fork");
        return 1;
    }
    if (child == 0) {
        execvp(argv[first], argv + first);
        int err = errno;
        report("time", argv[first], err);
        _exit(err == ENOENT ? 127 : 126);
    }
    // While the command runs, ^C and ^\ are for it, not for us: the
    // report still comes out (as GNU time does).
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int status = 0;
    rusage usage{};
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            report("time", "wait4");
            return 1;
        }
    }
    double real = monotonic_seconds() - start;
    double user = seconds_of(usage.ru_utime), sys = seconds_of(usage.ru_stime);

    char out[256];
    if (posix)
        std::snprintf(out, sizeof out, "real %.2f\nuser %.2f\nsys %.2f\n", real, user, sys);
    else
        std::snprintf(out, sizeof out, "\nreal\t%s\nuser\t%s\nsys\t%s\n", bash_time(real).c_str(),
                      bash_time(user).c_str(), bash_time(sys).c_str());
    write_all(STDERR_FILENO, out);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
