// The usertests harness: platform detection, the KTAP runner, and the
// helpers cases share. See harness.h for the output format.
#include "harness.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <string>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ut {
namespace {

// The case process's exit status says what it printed. Unusual values,
// so that a case process that ends some other way (an exit() deep in a
// bug, an execve that wrongly succeeded) is never mistaken for one.
constexpr int k_pass = 40;
constexpr int k_fail = 41;
constexpr int k_skip = 42;

Platform g_platform;

enum class Verdict { pass, fail, skip };

std::vector<std::string> split(std::string_view text, char separator)
{
    std::vector<std::string> parts;
    while (!text.empty()) {
        auto end = text.find(separator);
        if (end != 0)
            parts.emplace_back(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return parts;
}

// The test is selected by `filter` (see run_groups).
bool selected(const std::vector<std::string>& filter, const Group& group, std::string_view name)
{
    if (filter.empty())
        return !group.only_when_named;
    for (const auto& f : filter) {
        if (f == group.name || f == std::string(group.name) + "." + std::string(name))
            return true;
        if (f == "default" && !group.only_when_named) // "default,smp": everything plus a named group
            return true;
    }
    return false;
}

// Process 1 inherits every orphan; reap those the cases left behind so
// they do not pile up as zombies.
void reap_strays()
{
    if (!g_platform.is_init)
        return;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

Verdict run_case(const Case& c, int number)
{
    if (c.isolation == Isolation::runner_when_init && g_platform.is_init) {
        Test t;
        c.run(t);
        int code = t.report(number, c.name);
        reap_strays();
        return code == k_pass ? Verdict::pass : code == k_skip ? Verdict::skip : Verdict::fail;
    }

    pid_t pid = spawn([&] {
        const pid_t case_process = getpid();
        Test t;
        c.run(t);
        if (getpid() != case_process) {
            // A process forked by the case fell out of the case function.
            child_diagnostic(__FILE_NAME__, __LINE__, "a process forked by the case returned from it");
            return 99;
        }
        int code = t.report(number, c.name);
        std::fflush(stdout);
        return code;
    });
    std::string problem;
    if (pid < 0) {
        problem = std::string("fork of the case process failed: ") + errno_name(errno);
    } else {
        int status = c.timeout_seconds > 0 ? wait_for_at_most(pid, c.timeout_seconds) : wait_for(pid);
        if (status == -1 && c.timeout_seconds == 0) {
            problem = "waitpid for the case process failed: " + errno_name(errno);
        } else if (status == -1) {
            problem = "timed out after " + std::to_string(c.timeout_seconds) + " s";
            kill(pid, SIGKILL);
            wait_for_at_most(pid, 2);
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == k_pass) {
            reap_strays();
            return Verdict::pass;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == k_skip) {
            reap_strays();
            return Verdict::skip;
        } else if (WIFEXITED(status) && WEXITSTATUS(status) == k_fail) {
            reap_strays();
            return Verdict::fail;
        } else {
            problem = "the case process ended before reporting: " + describe_status(status);
        }
    }
    std::printf("    not ok %d %s\n        # %s\n", number, c.name, problem.c_str());
    std::fflush(stdout);
    reap_strays();
    return Verdict::fail;
}

} // namespace

const Platform& platform() { return g_platform; }

std::string image_path(std::string_view relative) { return g_platform.root + std::string(relative); }

void detect_platform(const char* argv0)
{
    utsname u{};
    if (uname(&u) == 0) {
        g_platform.myriad = std::strstr(u.version, "Myriad") != nullptr;
        g_platform.description = std::string(g_platform.myriad ? "Myriad" : "Linux reference") + " (" +
                                 u.sysname + " " + u.release + " " + u.version + " " + u.machine + ")";
    } else {
        g_platform.description = std::string("unknown (uname: ") + errno_name(errno) + ")";
    }
    g_platform.is_init = getpid() == 1;

    // The helpers live next to us: ROOT/bin/usertests -> ROOT/bin/...
    std::string self = argv0 ? argv0 : "";
    auto slash = self.rfind('/');
    std::string bin = slash == std::string::npos ? "" : self.substr(0, slash);
    auto bin_slash = bin.rfind('/');
    if (slash == std::string::npos || bin_slash == std::string::npos)
        g_platform.root = "/";
    else
        g_platform.root = bin.substr(0, bin_slash + 1);

    // Under qemu-user, execve of another RISC-V program is the host's
    // execve, which refuses it (ENOEXEC) unless binfmt_misc sends RISC-V
    // binaries to qemu. Myriad must be able to exec, so it is not asked.
    if (g_platform.myriad) {
        g_platform.exec_works = true;
        return;
    }
    std::string probe = image_path("bin/exec_probe");
    pid_t pid = spawn([&] {
        char arg0[] = "exec_probe", arg1[] = "exit", arg2[] = "42";
        char* argv[] = {arg0, arg1, arg2, nullptr};
        execve(probe.c_str(), argv, environ);
        return errno;
    });
    int status = wait_for(pid);
    g_platform.exec_works = WIFEXITED(status) && WEXITSTATUS(status) == 42;
    if (!g_platform.exec_works) {
        int error = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
        g_platform.exec_skip_reason = "exec needs binfmt_misc under qemu-user";
        g_platform.exec_problem = "execve " + probe + ": " +
                                  (error == ENOEXEC ? "ENOEXEC" : "the child " + describe_status(status));
    }
}

void Test::fail(const char* file, int line, const std::string& what)
{
    m_failures.push_back(std::string(file) + ":" + std::to_string(line) + ": " + what);
}

int Test::report(int number, std::string_view name) const
{
    std::string line;
    if (failed())
        line = "    not ok " + std::to_string(number) + " " + std::string(name) + "\n";
    else if (!m_skip_reason.empty())
        line = "    ok " + std::to_string(number) + " " + std::string(name) + " # SKIP " + m_skip_reason + "\n";
    else
        line = "    ok " + std::to_string(number) + " " + std::string(name) + "\n";
    for (const auto& failure : m_failures)
        line += "        # " + failure + "\n";
    // One write, so that the result line and its diagnostics stay together.
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
    return failed() ? k_fail : !m_skip_reason.empty() ? k_skip : k_pass;
}

int run_groups(const std::vector<Group>& groups, std::string_view filter_text)
{
    std::vector<std::string> filter = split(filter_text, ',');
    std::set<std::string> unknown(filter.begin(), filter.end());
    std::vector<std::pair<const Group*, std::vector<const Case*>>> plan;
    for (const auto& group : groups) {
        std::vector<const Case*> cases;
        for (const auto& c : group.cases) {
            if (selected(filter, group, c.name)) {
                cases.push_back(&c);
                unknown.erase("default");
                unknown.erase(group.name);
                unknown.erase(std::string(group.name) + "." + c.name);
            }
        }
        if (!cases.empty())
            plan.emplace_back(&group, std::move(cases));
    }
    if (!unknown.empty()) {
        std::fprintf(stderr, "usertests: no such group or case: %s\n", unknown.begin()->c_str());
        std::fprintf(stderr, "usertests: groups and cases:\n");
        for (const auto& group : groups) {
            std::fprintf(stderr, "  %s:", group.name);
            for (const auto& c : group.cases)
                std::fprintf(stderr, " %s", c.name);
            std::fprintf(stderr, "\n");
        }
        return 2;
    }

    std::printf("KTAP version 1\n1..%zu\n# usertests on %s\n", plan.size(), g_platform.description.c_str());
    if (!g_platform.exec_works)
        std::printf("# cases that exec skip: %s\n", g_platform.exec_problem.c_str());
    std::fflush(stdout);
    bool all_passed = true;
    int group_number = 0;
    for (const auto& [group, cases] : plan) {
        std::printf("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", group->name, cases.size());
        std::fflush(stdout);
        bool group_passed = true;
        bool all_skipped = true;
        int number = 0;
        for (const Case* c : cases) {
            Verdict verdict = run_case(*c, ++number);
            group_passed &= verdict != Verdict::fail;
            all_skipped &= verdict == Verdict::skip;
        }
        all_passed &= group_passed;
        std::printf("%s %d %s%s\n", group_passed ? "ok" : "not ok", ++group_number, group->name,
                    all_skipped ? " # SKIP" : "");
        std::fflush(stdout);
    }
    return all_passed ? 0 : 1;
}

int wait_for(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return status;
}

int wait_for_at_most(pid_t pid, double seconds)
{
    const double deadline = monotonic_seconds() + seconds;
    double pause = 0.001;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (monotonic_seconds() > deadline)
            return -1;
        sleep_seconds(pause);
        pause = std::min(pause * 2, 0.02);
    }
}

std::string describe_status(int status)
{
    if (status == -1)
        return "could not be waited for";
    if (WIFEXITED(status))
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* abbrev = sigabbrev_np(WTERMSIG(status));
        return abbrev ? std::string("killed by SIG") + abbrev : "killed by signal " + std::to_string(WTERMSIG(status));
    }
    return "changed state (status " + std::to_string(status) + ")";
}

double monotonic_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void sleep_seconds(double seconds)
{
    timespec ts{time_t(seconds), long((seconds - double(time_t(seconds))) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void child_diagnostic(const char* file, int line, const std::string& what)
{
    std::fprintf(stderr, "        # %s:%d: %s\n", file, line, what.c_str());
}

std::string errno_name(int error)
{
    if (error == 0)
        return "0";
    const char* name = strerrorname_np(error);
    return name ? name : std::to_string(error);
}

} // namespace ut
