// The usertests harness: test cases grouped in suites, each case run in a
// forked process (a crash or a hang in one case cannot take the runner
// down), results printed as nested KTAP version 1:
//
//   KTAP version 1
//   1..G
//       KTAP version 1
//       # Subtest: GROUP
//       1..N
//       ok 1 case_name
//       not ok 2 other_case
//           # file.cpp:42: what failed
//       ok 3 exec_case # SKIP reason
//   ok 1 GROUP
//
// The case process prints its own result line and diagnostics (there are
// no pipes yet to send them to the runner) and tells the runner the
// verdict through its exit status; when it dies instead, the runner
// reports how.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <type_traits>
#include <unistd.h>
#include <vector>

namespace ut {

// Where the tests run, found once at startup.
struct Platform {
    bool myriad = false;     // uname(2) version contains "Myriad"
    std::string description; // for the log: "Myriad ..." / "Linux reference ..."
    std::string root;        // the image's root: "/" or .../rootfs/ (ends in '/')
    bool is_init = false;    // we are process 1 (init=/bin/usertests)
    bool exec_works = false; // execve of a RISC-V program works here
    std::string exec_skip_reason;
    std::string exec_problem; // what the probe saw, for the log
};
const Platform& platform();
void detect_platform(const char* argv0);

// A path inside the image, e.g. image_path("bin/true").
std::string image_path(std::string_view relative);

class Test {
public:
    void fail(const char* file, int line, const std::string& what);
    void skip(std::string reason) { m_skip_reason = std::move(reason); }
    bool failed() const { return !m_failures.empty(); }

    // Prints the result line and diagnostics; returns the verdict as the
    // case process's exit status (k_pass, k_fail, k_skip).
    int report(int number, std::string_view name) const;

private:
    std::vector<std::string> m_failures;
    std::string m_skip_reason;
};

enum class Isolation {
    child,            // always in a forked case process
    runner_when_init, // in the runner itself when it is process 1 (to be
                      // the parent that orphans are reparented to)
};

struct Case {
    const char* name;
    void (*run)(Test&);
    // 0: none -- the runner then blocks in waitpid instead of polling, so
    // that it does nothing at all while the case runs (see leak_tests.cpp).
    int timeout_seconds = 30;
    Isolation isolation = Isolation::child;
};

struct Group {
    const char* name;
    std::vector<Case> cases;
    bool only_when_named = false; // not part of a run of everything
};

// Runs the selected cases (`filter`: comma-separated GROUP or GROUP.CASE;
// empty for every group not marked only_when_named). Returns the exit status: 0 only if nothing failed.
int run_groups(const std::vector<Group>& groups, std::string_view filter);

// --- Helpers for cases ---------------------------------------------------

// Runs `body` in a forked child whose exit status is body's return
// value. Flushes stdio first so no buffered output is printed twice.
template<typename Body>
pid_t spawn(Body&& body);

// Blocks until `pid` ends (retrying EINTR); -1 if waitpid failed.
int wait_for(pid_t pid);

// Like wait_for, but gives up after `seconds` (polling); -1 on timeout.
int wait_for_at_most(pid_t pid, double seconds);

// "exited with status 3", "killed by SIGSEGV".
std::string describe_status(int status);

double monotonic_seconds();
void sleep_seconds(double seconds);

// A diagnostic from a process forked by a case, which has no Test to
// report to: printed straight away, before the case's result line.
void child_diagnostic(const char* file, int line, const std::string& what);

template<typename T>
std::string show(const T& value)
{
    if constexpr (std::is_same_v<T, bool>)
        return value ? "true" : "false";
    else if constexpr (std::is_pointer_v<T>) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%p", static_cast<const volatile void*>(value));
        return buffer;
    } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>)
        return std::to_string(static_cast<std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>>(value));
    else if constexpr (std::is_floating_point_v<T>) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.17g", double(value));
        return buffer;
    } else
        return "\"" + std::string(value) + "\"";
}

std::string errno_name(int error);

} // namespace ut

// In a case (with a `Test& t` in scope). EXPECT_* go on after a failure,
// ASSERT_* end the case.
#define EXPECT(cond)                                                                                   \
    ((cond) ? true : (t.fail(__FILE_NAME__, __LINE__, "expected " #cond), false))
#define ASSERT(cond)                                                                                   \
    do {                                                                                               \
        if (!EXPECT(cond))                                                                             \
            return;                                                                                    \
    } while (0)
#define EXPECT_EQ(actual, expected)                                                                    \
    ([&] {                                                                                             \
        const auto& a_ = (actual);                                                                     \
        const auto& e_ = (expected);                                                                   \
        if (a_ == e_)                                                                                  \
            return true;                                                                               \
        t.fail(__FILE_NAME__, __LINE__,                                                                \
               #actual " is " + ::ut::show(a_) + ", expected " #expected " = " + ::ut::show(e_));      \
        return false;                                                                                  \
    }())
#define ASSERT_EQ(actual, expected)                                                                    \
    do {                                                                                               \
        if (!EXPECT_EQ(actual, expected))                                                              \
            return;                                                                                    \
    } while (0)
// `call` must fail with -1 and errno `error`.
#define EXPECT_ERRNO(call, error)                                                                      \
    ([&] {                                                                                             \
        errno = 0;                                                                                     \
        long r_ = long(call);                                                                          \
        int e_ = errno;                                                                                \
        if (r_ == -1 && e_ == (error))                                                                 \
            return true;                                                                               \
        t.fail(__FILE_NAME__, __LINE__,                                                                \
               #call " returned " + std::to_string(r_) + " (errno " + ::ut::errno_name(e_) +           \
                   "), expected -1 (errno " + ::ut::errno_name(error) + ")");                          \
        return false;                                                                                  \
    }())
#define SKIP(reason)                                                                                   \
    do {                                                                                               \
        t.skip(reason);                                                                                \
        return;                                                                                        \
    } while (0)
#define REQUIRE_EXEC()                                                                                 \
    do {                                                                                               \
        if (!::ut::platform().exec_works)                                                              \
            SKIP(::ut::platform().exec_skip_reason);                                                   \
    } while (0)

// In a process forked by a case (a function returning its exit status):
// on failure, say why and exit with status 1.
#define CHILD_CHECK(cond)                                                                              \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            ::ut::child_diagnostic(__FILE_NAME__, __LINE__, "in child: expected " #cond);              \
            return 1;                                                                                  \
        }                                                                                              \
    } while (0)

template<typename Body>
pid_t ut::spawn(Body&& body)
{
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    return pid;
}

namespace ut {

// Runs `body` in a child that must be killed by `signal`.
template<typename Body>
void expect_death(Test& t, int line, int signal, Body body)
{
    pid_t pid = spawn([&] {
        body();
        return 0; // survived: wrong
    });
    if (pid < 0)
        return t.fail(__FILE_NAME__, line, "fork failed: " + errno_name(errno));
    int status = wait_for(pid);
    std::string expected = std::string("killed by SIG") + sigabbrev_np(signal);
    if (describe_status(status) != expected)
        t.fail(__FILE_NAME__, line, "the child " + describe_status(status) + ", expected " + expected);
}

} // namespace ut

// In a case: the statements must kill a forked child with `signal`.
#define EXPECT_DEATH(signal, ...) ::ut::expect_death(t, __LINE__, signal, [&] { __VA_ARGS__; })
