// Helpers the signal_tests*.cpp files share: signal dispositions and
// masks as the kernel holds them (raw system calls, so that glibc
// neither hides nor adds anything), /proc/<pid>/stat, and a CPU-bound
// child to stop, signal and measure.
#pragma once

#include "harness.h"

#include <csignal>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

namespace signal_tests {

// A signal's bit in a 64-bit kernel sigset_t (Linux: sigmask(sig)).
constexpr std::uint64_t bit(int sig) { return std::uint64_t(1) << (sig - 1); }

// The signals a test may use: all 64 on Myriad. qemu-user (7.2) runs
// guest signals on host ones and keeps the last two real-time signals for
// itself, so under it 63 and 64 do not exist.
std::uint64_t usable_signals();
int highest_usable_signal();

using Handler = void (*)(int, siginfo_t*, void*);

// rt_sigaction(sig, {handler, SA_SIGINFO | flags, mask}); false on error
// (errno set).
bool install(int sig, Handler handler, int flags = 0, std::uint64_t mask = 0);
// The same for SIG_DFL, SIG_IGN or a one-argument handler (no SA_SIGINFO).
bool set_disposition(int sig, void (*handler)(int), int flags = 0);
// The handler the kernel has for `sig` (SIG_DFL is 0, SIG_IGN 1), and
// its flags.
std::uint64_t disposition(int sig, std::uint64_t* flags = nullptr);

// The raw rt_sigaction(2) call; `act` and `old` are kernel struct
// sigactions (see signal_tests_support.cpp).
long raw_sigaction(int sig, const void* act, void* old, unsigned long sigsetsize = 8);

std::uint64_t blocked_mask();
void set_blocked_mask(std::uint64_t mask);
std::uint64_t pending_mask();

// /proc/<pid>/stat (proc(5)); nothing if it cannot be read or parsed.
struct ProcStat {
    int pid = 0;
    std::string comm;
    char state = '?';
    int ppid = 0;
    int pgrp = 0;
    int session = 0;
    unsigned long utime = 0, stime = 0; // clock ticks (sysconf(_SC_CLK_TCK))
    long priority = 0, nice = 0;
};
std::optional<ProcStat> read_proc_stat(const std::string& path);
std::optional<ProcStat> read_proc_stat(pid_t pid);

// The state letter of /proc/<pid>/stat ('?' if it cannot be read).
char proc_state(pid_t pid);

// Whether /proc numbers processes as we do. Not when usertests runs as
// process 1 of a PID namespace of its own under the Linux reference
// (run_usertests.py --as-init): /proc is then the host's.
bool proc_matches_pids();

// Waits until /proc/<pid>/stat shows `state` (false after `seconds`).
// Where /proc cannot tell (see proc_matches_pids), waits 200 ms instead.
bool wait_for_state(pid_t pid, char state, double seconds = 5);

// A whole (small) file, or nothing.
std::optional<std::string> read_text_file(const std::string& path);

// Polls `done` every millisecond or so until it holds (true) or
// `seconds` have passed (false).
bool poll_until(const std::function<bool()>& done, double seconds);

// SIGSTOP then SIGCONT to `pid` (a child), each seen through waitpid
// (WUNTRACED, then WCONTINUED), as expectations of `t`.
void stop_and_continue(ut::Test& t, pid_t pid);

// A child that runs `setup`, then burns CPU in user mode for at most
// `seconds` and exits with 0. Returns once it is spinning (or -1).
pid_t spawn_spinner(double seconds = 20, const std::function<void()>& setup = {});

} // namespace signal_tests
