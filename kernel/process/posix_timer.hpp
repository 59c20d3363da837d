// POSIX per-process timers (timer_create(2) and its family): each timer
// belongs to one process, counts on a clock (a real one: REALTIME,
// MONOTONIC, BOOTTIME; or a CPU one: the process's or a thread's CPU
// time), and when it expires queues a signal (SIGEV_SIGNAL, to the
// process or, with SIGEV_THREAD_ID, to one of its threads) or nothing
// (SIGEV_NONE). A timer has at most one signal queued: expiries while it
// is pending are counted as overruns (si_overrun, timer_getoverrun).
//
// Where armed timers wait (all under the process lock):
//  - real-clock timers in one list of the whole system, sorted by expiry
//    on the monotonic clock: the tick looks only at its head
//    (posix_timers_due_proc_locked, from the scheduler's tick);
//  - CPU-clock timers in their process's own list, looked at on that
//    process's ticks only (posix_cpu_timers_tick_proc_locked).
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

// sigevent's sigev_notify (include/uapi/asm-generic/siginfo.h).
inline constexpr i32 SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
// si_code of a timer's signal; DELAYTIMER_MAX caps the overrun count (INT_MAX, Linux's).
inline constexpr int SI_TIMER = -2;
inline constexpr i32 DELAYTIMER_MAX = 0x7fffffff;
// Timers one process may hold: Linux bounds them by RLIMIT_SIGPENDING;
// here a fixed cap, past which timer_create gives EAGAIN.
inline constexpr u32 MAX_POSIX_TIMERS = 512;
// The clocks a timer may count on (include/uapi/linux/time.h).
inline constexpr i32 CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
                     CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_BOOTTIME = 7;

struct PosixTimer {
    lib::ListNode armed_node;    // [P] in the real-clock list or the process's CPU list
    PosixTimer* next = nullptr;  // [P] the process's timers (Process::posix_timers)
    Process* process = nullptr;  // [P]
    i32 id = 0;                  // [P] the process's timer id
    i32 clock = 0;               // [P] the clock id
    i32 notify = SIGEV_SIGNAL;   // [P] SIGEV_SIGNAL or SIGEV_NONE (SIGEV_THREAD_ID: target_tid)
    i32 signo = 0;               // [P]
    u64 value = 0;               // [P] sigev_value, delivered as si_value
    Pid target_tid = 0;          // [P] SIGEV_THREAD_ID's thread; 0 = the process
    Pid clock_tid = 0;           // [P] CLOCK_THREAD_CPUTIME_ID: whose time (the creator)
    u64 expiry_ns = 0;           // [P] on the monotonic clock or the CPU clock; 0 = disarmed
    u64 interval_ns = 0;         // [P] reload; 0 = one-shot
    i32 overrun = 0;             // [P] expiries while the signal was pending
    i32 last_overrun = 0;        // [P] what the last delivered signal reported
    bool queued = false;         // [P] its signal is pending
    u64 queued_seq = 0;          // [P] order of queuing, to hand out a real-time signal's instances in order
};

// The siginfo fields of a timer's signal, filled as it is taken.
struct TimerSignalInfo {
    i32 timer_id = 0;
    i32 overrun = 0;
    u64 value = 0;
};

bool is_cpu_clock(i32 clock);
// Arm tm to expire at expiry_ns on its clock (monotonic for the real
// clocks), or disarm it. Process lock held.
void posix_timer_arm_proc_locked(PosixTimer& tm, u64 expiry_ns);
void posix_timer_disarm_proc_locked(PosixTimer& tm);
// Fire tm now if it is due by now_ns (on its clock): timer_settime with a
// value already past fires at once, as Linux does.
void posix_timer_fire_if_due_proc_locked(PosixTimer& tm, u64 now_ns);
// The tick, under the process lock: real-clock timers due at `now_ns`
// (monotonic) fire.
void posix_timers_due_proc_locked(u64 now_ns);
// A tick charged to `running`: its process's CPU-clock timers (and
// `running`'s own thread-clock ones) due fire.
void posix_cpu_timers_tick_proc_locked(Thread& running);
// A signal with si_code SI_TIMER was taken off a queue of p: find the
// timer it stands for (the oldest queued one with that signal), clear its
// queued mark, and report its id, overrun and value. False if none (the
// timer was deleted meanwhile).
bool posix_timer_signal_taken_proc_locked(Process& p, int sig, TimerSignalInfo& out);
// exec and exit: every timer of p goes (p has one thread left).
void posix_timers_release(Process& p);

} // namespace kernel
