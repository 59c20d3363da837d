// The helpers of signal_tests.h.
#include "signal_tests.h"

#include "harness.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace signal_tests {
namespace {

// struct sigaction as the kernel reads it (Linux
// include/uapi/asm-generic/signal.h; riscv has no sa_restorer): handler,
// flags, mask. qemu-user (7.2) believes riscv has an sa_restorer and reads
// sa_mask one word later, so the mask is written twice; Linux reads only
// the first three words (and writes only those back).
struct KernelSigaction {
    std::uint64_t handler = 0;
    std::uint64_t flags = 0;
    std::uint64_t mask = 0;
    std::uint64_t mask_for_qemu = 0;
};

bool install_raw(int sig, std::uint64_t handler, std::uint64_t flags, std::uint64_t mask)
{
    KernelSigaction action{handler, flags, mask, mask};
    return raw_sigaction(sig, &action, nullptr) == 0;
}

} // namespace

std::uint64_t usable_signals() { return ut::platform().myriad ? ~std::uint64_t(0) : ~std::uint64_t(0) >> 2; }

int highest_usable_signal() { return ut::platform().myriad ? 64 : 62; }

long raw_sigaction(int sig, const void* act, void* old, unsigned long sigsetsize)
{
    return syscall(SYS_rt_sigaction, sig, act, old, sigsetsize);
}

bool install(int sig, Handler handler, int flags, std::uint64_t mask)
{
    return install_raw(sig, reinterpret_cast<std::uintptr_t>(handler), std::uint64_t(SA_SIGINFO | flags), mask);
}

bool set_disposition(int sig, void (*handler)(int), int flags)
{
    return install_raw(sig, reinterpret_cast<std::uintptr_t>(handler), std::uint64_t(flags), 0);
}

std::uint64_t disposition(int sig, std::uint64_t* flags)
{
    KernelSigaction old{~0ULL, ~0ULL, 0, 0};
    if (raw_sigaction(sig, nullptr, &old) != 0)
        return ~0ULL;
    if (flags)
        *flags = old.flags;
    return old.handler;
}

std::uint64_t blocked_mask()
{
    std::uint64_t mask = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &mask, sizeof mask);
    return mask;
}

void set_blocked_mask(std::uint64_t mask)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, sizeof mask);
}

std::uint64_t pending_mask()
{
    std::uint64_t mask = 0;
    syscall(SYS_rt_sigpending, &mask, sizeof mask);
    return mask;
}

std::optional<std::string> read_text_file(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<ProcStat> read_proc_stat(const std::string& path)
{
    auto text = read_text_file(path);
    if (!text)
        return std::nullopt;
    // "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
    // majflt cmajflt utime stime ..."; comm may hold spaces and ')'.
    auto open = text->find('(');
    auto close = text->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return std::nullopt;
    ProcStat stat;
    stat.pid = std::atoi(text->c_str());
    stat.comm = text->substr(open + 1, close - open - 1);
    std::istringstream rest(text->substr(close + 1));
    std::vector<std::string> fields; // fields[0] is field 3 of proc(5)
    for (std::string field; rest >> field;)
        fields.push_back(field);
    if (fields.size() < 17 || fields[0].size() != 1)
        return std::nullopt;
    stat.state = fields[0][0];
    stat.ppid = std::atoi(fields[1].c_str());
    stat.pgrp = std::atoi(fields[2].c_str());
    stat.session = std::atoi(fields[3].c_str());
    stat.utime = std::strtoul(fields[11].c_str(), nullptr, 10);
    stat.stime = std::strtoul(fields[12].c_str(), nullptr, 10);
    stat.priority = std::atol(fields[15].c_str());
    stat.nice = std::atol(fields[16].c_str());
    return stat;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) { return read_proc_stat("/proc/" + std::to_string(pid) + "/stat"); }

char proc_state(pid_t pid)
{
    auto stat = read_proc_stat(pid);
    return stat ? stat->state : '?';
}

bool proc_matches_pids()
{
    // /proc/self links to our pid as numbered in /proc's PID namespace.
    char target[32] = {};
    ssize_t length = readlink("/proc/self", target, sizeof target - 1);
    return length > 0 && std::string(target, size_t(length)) == std::to_string(getpid());
}

bool wait_for_state(pid_t pid, char state, double seconds)
{
    if (!proc_matches_pids()) {
        ut::sleep_seconds(0.2);
        return true;
    }
    return poll_until([pid, state] { return proc_state(pid) == state; }, seconds);
}

bool poll_until(const std::function<bool()>& done, double seconds)
{
    const double deadline = ut::monotonic_seconds() + seconds;
    while (!done()) {
        if (ut::monotonic_seconds() > deadline)
            return false;
        ut::sleep_seconds(0.001);
    }
    return true;
}

pid_t spawn_spinner(double seconds, const std::function<void()>& setup)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = ut::spawn([&] {
        close(fds[0]);
        if (setup)
            setup();
        const double deadline = ut::monotonic_seconds() + seconds;
        char byte = 1;
        if (write(fds[1], &byte, 1) != 1)
            return 1;
        close(fds[1]);
        // Mostly user mode: the clock (a system call under qemu-user) is
        // read only now and then.
        std::uint64_t x = 1;
        while (ut::monotonic_seconds() < deadline) {
            for (int i = 0; i < 1000000; ++i) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                asm volatile("" : "+r"(x));
            }
        }
        return 0;
    });
    close(fds[1]);
    char byte = 0;
    bool started = pid > 0 && read(fds[0], &byte, 1) == 1;
    close(fds[0]);
    return started ? pid : -1;
}

void stop_and_continue(ut::Test& t, pid_t pid)
{
    EXPECT_EQ(kill(pid, SIGSTOP), 0);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, WUNTRACED), pid);
    EXPECT(WIFSTOPPED(status));
    EXPECT_EQ(kill(pid, SIGCONT), 0);
    EXPECT_EQ(waitpid(pid, &status, WCONTINUED), pid);
    EXPECT(WIFCONTINUED(status));
}

} // namespace signal_tests
