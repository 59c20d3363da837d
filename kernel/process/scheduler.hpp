// Scheduling, split the classic way:
//  - policy (SchedulerPolicy, sched_policy.hpp): which ready process runs
//    next and when the running one has had enough. Two classes stack on
//    each hart: real-time (realtime.cpp: SCHED_FIFO, SCHED_RR, O(1)) above
//    time-sharing, where the weighted fair policy (fair.cpp, O(log n) per
//    decision) is the default and sched=rr on the command line chooses
//    round-robin (round_robin.cpp, O(1)). A policy sees only each
//    process's SchedEntity (Process::sched);
//  - mechanism (scheduler.cpp): one run queue per hart under its own
//    lock, the mapping between processes and entities, the context
//    switch, the address-space switch, idle (scheduler.cpp); sleeping
//    (wait.cpp: wait queues and the sleep list under the process lock,
//    taken before a queue's).
#pragma once

#include "kernel/process/process.hpp"
#include "kernel/process/sched_policy.hpp"

namespace kernel {

void scheduler_init(u64 time_slice_ns);

namespace detail {
extern bool g_one_hart;
}
// Only one hart runs. Then the process lock is every run queue's lock
// too, and every wait queue's: a sleep or a wake-up takes that one lock,
// as it did before harts ran in parallel.
inline bool one_hart() { return detail::g_one_hart; }
// The lock of the wait queues of an object that has one of its own (a
// pipe's), for block_on_locked and wake_all_locked: its own where harts
// run in parallel, the process lock on one hart.
inline SpinLock& wait_queue_lock(SpinLock& own) { return one_hart() ? process_lock() : own; }
// Block on, or wake, a queue guarded by `lock` = wait_queue_lock(own).
inline bool block_on_locked(WaitQueue& wq, SpinLock& lock)
{
    return &lock == &process_lock() ? block_on_proc_locked(wq) : block_on_own_locked(wq, lock);
}
inline usize wake_all_locked(WaitQueue& wq, SpinLock& lock)
{
    return &lock == &process_lock() ? wake_all_proc_locked(wq) : wake_all_own_locked(wq, lock);
}
SchedulerPolicy& scheduler_policy();
// Room in every run queue for n ready processes, made without holding a
// lock (it allocates): false when memory ran out.
bool scheduler_reserve(usize n);

// setpriority: t's nice value becomes `nice` (clamped to -20..19), which
// the policy applies even while p is queued. Caller holds the process lock.
void set_nice_proc_locked(Thread& t, int nice);
// sched_setscheduler: t's policy (SchedEntity::POLICY_*) and real-time
// priority (1..99 for FIFO and RR, else 0), already validated, move it
// between the real-time and time-sharing classes even while queued or
// running; its hart decides afresh what runs. Caller holds the process lock.
void set_policy_proc_locked(Thread& t, u8 policy, u8 rt_priority, bool reset_on_fork);
// sched_rr_get_interval: RR's slice, 0 for FIFO, a tick for the others.
u64 rr_interval_ns(const Thread& t);
// /proc/sys/kernel/sched_rt_period_us and sched_rt_runtime_us: every hart
// lets real-time threads run `runtime` of each `period` (-1: all of it).
// The setter refuses what Linux refuses (false: EINVAL).
i64 sched_rt_period_us();
i64 sched_rt_runtime_us();
bool set_sched_rt_bandwidth(i64 period_us, i64 runtime_us);

// Make t runnable (New/Blocked/Stopped -> Ready). Caller holds the process lock.
void make_ready_proc_locked(Thread& t);
// Wake t if it is blocked, wherever it waits (a signal, a stop): claimed
// first, then taken off a wait queue under the process lock (one with its
// own lock the thread leaves itself) and the sleep list, and queued. False
// if it was not blocked or another waker had it.
bool wake_blocked_proc_locked(Thread& t);
// t's affinity mask changed: move it off a hart it may no longer use.
void affinity_changed_proc_locked(Thread& t);
// Give up the CPU: the current thread stays ready. No lock held.
void yield_current();
// Switch to the next ready thread (or idle). The current thread's state
// must already say why it stops (Blocked, Stopped, Dead). The process
// lock is held; it is dropped for the switch (the hart's queue lock is
// held across it instead) and held again on return, when this thread
// runs again (never, for a dead one).
void switch_away_proc_locked();
// The first thing a thread does when switched in (after switch_context,
// or in its first entry), holding this hart's queue lock: the thread
// switched away from is off the hart (another may run it now), and a
// dead one is freed. The caller then drops the queue lock.
void switched_in_rq_locked();
// After a new thread's first switch: drops the queue lock (and queues a
// thread that left this hart for another).
void finish_first_switch();

// From the timer interrupt: charge the tick, wake sleepers.
void scheduler_tick();
// On the way back to user mode: switch if the tick asked for it.
void preempt_if_needed();

// Sleep the current thread until monotonic time `deadline_ns`; false if
// a signal cut the sleep short.
bool sleep_until(u64 deadline_ns);

// System-wide figures for /proc/stat, /proc/uptime and /proc/loadavg.
struct SchedulerStats {
    u64 user_ns, system_ns, idle_ns; // since boot, all processes
    u64 switches, interrupts, forks;
    u64 running;   // ready + running now
    u64 tasks;     // threads and zombies (Linux's nr_threads)
    Pid last_pid;
    u64 load[3];   // 1, 5, 15 minute load averages, fixed point (11 bits)
};
SchedulerStats scheduler_stats();
// Add what cpu used since the last fold to the system totals (switch-out).
void fold_cpu_time(CpuTime& cpu);
void note_fork(Pid);

// ITIMER_REAL: send SIGALRM at deadline, then every interval (if nonzero).
void alarm_arm_proc_locked(Process&, u64 deadline_ns, u64 interval_ns);
void alarm_cancel_proc_locked(Process&);

// The boot hart becomes the idle loop; never returns.
[[noreturn]] void scheduler_run_idle();

// The first kernel code a new process runs (context.ra points here).
extern "C" void process_first_entry();

} // namespace kernel
