// Helpers the thread_tests*.cpp files share: the raw futex call (so that
// glibc neither hides nor adds anything), the threads the kernel lists for
// this process in /proc, waiting until a thread sleeps, and telling
// qemu-user (the Linux reference) from a kernel.
//
// ut::Test is not thread-safe: threads of a case hand their results back
// (return values, atomics, arrays) and the case's own thread checks them.
#pragma once

#include "harness.h"

#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <optional>
#include <sys/types.h>
#include <vector>

namespace thread_tests {

// futex(2) straight to the kernel: the result, or -1 with errno.
long futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* timeout = nullptr,
           std::uint32_t* word2 = nullptr, std::uint32_t value3 = 0);
// FUTEX_WAKE / FUTEX_REQUEUE ... take a count where FUTEX_WAIT takes a
// timeout (the same register, Linux futex(2) "val2").
long futex_n(std::uint32_t* word, int op, std::uint32_t value, std::uint32_t count, std::uint32_t* word2,
             std::uint32_t value3);

// The word as another thread may change it.
std::uint32_t load(const std::uint32_t& word);
void store(std::uint32_t& word, std::uint32_t value);
// Sets the word and wakes every thread waiting on it; waits while it
// holds `value` (private futexes: a gate between the threads of a case).
void set_and_wake(std::uint32_t& word, std::uint32_t value);
void wait_while(const std::uint32_t& word, std::uint32_t value);

// A timespec `seconds` from now on `clock` (for absolute timeouts), and
// back.
timespec after(clockid_t clock, double seconds);
double seconds(const timespec& ts);
double clock_seconds(clockid_t clock);

// The thread ids in /proc/self/task, sorted; nothing if it cannot be
// read.
std::optional<std::vector<pid_t>> task_ids();
// The "Threads:" line of /proc/self/status.
std::optional<int> status_threads();
// Whether /proc shows our thread ids (see signal_tests::proc_matches_pids:
// not under run_usertests.py --as-init).
bool proc_shows_our_tids();
// The threads of this process that are not the program's: qemu-user has
// one of its own (its RCU thread), which /proc lists; a kernel has none.
// Measured (once) as /proc/self/task's size when only one thread runs.
int foreign_threads();

// Waits until thread `tid` of this process sleeps ('S' in
// /proc/self/task/TID/stat): blocked in the call it was about to make.
// Where /proc cannot tell, waits 200 ms instead. False after `seconds`.
bool wait_until_asleep(pid_t tid, double seconds = 2);

// The Linux reference runs under qemu-user (qemu-riscv64-static), which
// emulates a few thread calls in ways a kernel does not: vfork is a fork
// (the parent is not suspended), and there are no robust futex lists
// (get_robust_list says ENOSYS, which no Linux since 2.6.17 does).
bool qemu_user();

} // namespace thread_tests
