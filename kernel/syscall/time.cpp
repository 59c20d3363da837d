// Time system calls: clocks, sleeping.
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"

namespace kernel {

namespace {

// include/uapi/linux/time.h
enum ClockId : i32 {
    CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
    CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
};
constexpr i32 TIMER_ABSTIME = 1;

// The CPU-time clock of a thread or process named by a negative id
// (clock_getcpuclockid, pthread_getcpuclockid; Linux's
// include/linux/posix-timers.h): ~pid in the bits above 3, bit 2 "a
// thread", bits 0-1 which time (0 user + system, 1 user, 2 on a hart).
Result<u64> cpu_clock_now(i32 id)
{
    Pid pid = Pid(~(id >> 3));
    bool thread = id & 4;
    int which = id & 3;
    if (which == 3)
        return Errno::einval;
    SpinLockGuard guard(process_lock());
    u64 user, system;
    if (thread) {
        // A thread clock: of a thread of the caller's process (Linux).
        Thread* t = pid ? find_thread_proc_locked(pid) : &current_thread();
        if (!t || t->state == ThreadState::Dead || t->process != &current_process())
            return Errno::einval;
        user = t->cpu.user_ns();
        system = t->cpu.system_ns(t == &current_thread());
    } else {
        Process* p = pid ? find_process_proc_locked(pid) : &current_process();
        if (!p)
            return Errno::einval;
        ProcessTimes times = process_times_proc_locked(*p);
        user = times.user_ns;
        system = times.system_ns;
    }
    return which == 1 ? user : user + system;
}

Result<u64> clock_now(i32 id)
{
    if (id < 0)
        return cpu_clock_now(id);
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return wallclock_ns();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return monotonic_ns();
    case CLOCK_PROCESS_CPUTIME_ID: {
        // Every thread's, exited ones' included.
        SpinLockGuard guard(process_lock());
        ProcessTimes t = process_times_proc_locked(current_process());
        return t.user_ns + t.system_ns;
    }
    case CLOCK_THREAD_CPUTIME_ID:
        // Include the span running right now (we are in the kernel for it).
        return counter_to_ns(current_thread().cpu.run_ticks(true));
    default:
        return Errno::einval;
    }
}

Result<u64> read_duration(UserPtr<const Timespec> duration)
{
    auto ts = TRY(mm::read_user(duration));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return Errno::einval;
    if (u64(ts.tv_sec) > (~0ull - 999999999ull) / 1000000000ull)
        return ~0ull; // effectively forever
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

Result<void> write_timespec(UserPtr<Timespec> to, u64 ns)
{
    Timespec ts{i64(ns / 1000000000), i64(ns % 1000000000)};
    return mm::write_user(to, ts);
}

u64 deadline_after(u64 duration)
{
    u64 now = monotonic_ns();
    return duration > ~0ull - now ? ~0ull : now + duration;
}

} // namespace

// clock_settime(2) (kernel/time/posix-timers.c): only CLOCK_REALTIME can
// be set, with CAP_SYS_TIME (EPERM after the value is checked). A CPU clock named by a negative id
// refuses with EPERM after reading the value (posix_cpu_clock_set); every
// other clock, the caller's own CPU clocks included, has no setter (EINVAL).
Result<u64> sys_clock_settime(i32 id, UserPtr<const Timespec> value)
{
    if (id != CLOCK_REALTIME && id >= 0)
        return Errno::einval;
    if (id < 0)
        TRY(cpu_clock_now(id)); // a clock that does not exist: EINVAL
    Timespec ts = TRY(mm::read_user(value));
    if (id < 0)
        return Errno::eperm;
    // timespec64_valid_settod: a valid time the kernel's clock can hold.
    constexpr i64 KTIME_SEC_MAX = INT64_MAX / 1000000000;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000 || ts.tv_sec >= KTIME_SEC_MAX - 30 * 365 * 86400ll)
        return Errno::einval;
    if (!current_process().creds.capable(Cap::sys_time))
        return Errno::eperm;
    wallclock_set(u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec));
    return u64(0);
}

namespace {

// A relative sleep interrupted by a signal: the time left goes to
// `remaining`, and if no handler runs (a stop, then SIGCONT) the call
// goes on through restart_syscall to the same target (Linux's
// restart_block), not for its whole length again.
Result<u64> relative_sleep_interrupted(i32 clock, u64 target, u64 left, UserPtr<Timespec> remaining)
{
    if (remaining)
        TRY(write_timespec(remaining, left));
    Thread& t = current_thread();
    t.restart_block = {clock, true, target, remaining.address()};
    return Errno::eintr;
}

// A monotonic deadline: 0 on time, else EINTR (the time left for a
// relative sleep).
Result<u64> sleep_to_deadline(u64 deadline, bool relative, UserPtr<Timespec> remaining)
{
    if (sleep_until(deadline))
        return u64(0);
    if (!relative)
        return Errno::eintr;
    u64 now = monotonic_ns();
    return relative_sleep_interrupted(-1, deadline, deadline > now ? deadline - now : 0, remaining);
}

// Sleep until a CPU clock reaches a time: CPU time advances only while
// threads run, so the sleeper looks again at every tick (a signal ends the
// sleep with EINTR, the time left for a relative one).
Result<u64> cpu_clock_sleep_to(i32 id, u64 target, bool relative, UserPtr<Timespec> remaining)
{
    u64 now = TRY(clock_now(id));
    while (now < target) {
        if (!sleep_until(deadline_after(tick_period_ns())))
            return relative ? relative_sleep_interrupted(id, target, target - now, remaining) : Errno::eintr;
        now = TRY(clock_now(id)); // its process may be gone: EINVAL
    }
    return u64(0);
}

Result<u64> cpu_clock_sleep(i32 id, i32 flags, UserPtr<const Timespec> request, UserPtr<Timespec> remaining)
{
    u64 value = TRY(read_duration(request));
    if (flags & TIMER_ABSTIME)
        return cpu_clock_sleep_to(id, value, false, remaining);
    u64 now = TRY(clock_now(id));
    return cpu_clock_sleep_to(id, value > ~0ull - now ? ~0ull : now + value, true, remaining);
}

} // namespace

Result<u64> sys_nanosleep(UserPtr<const Timespec> duration, UserPtr<Timespec> remaining)
{
    return sleep_to_deadline(deadline_after(TRY(read_duration(duration))), true, remaining);
}

// restart_syscall(2): what an interrupted relative sleep left to do, if
// anything (Linux's do_no_restart_syscall: EINTR).
Result<u64> sys_restart_syscall(Thread& t)
{
    Thread::RestartBlock block = t.restart_block;
    t.restart_block = {};
    if (!block.target)
        return Errno::eintr;
    UserPtr<Timespec> remaining{block.remaining};
    if (block.clock == -1)
        return sleep_to_deadline(block.target, true, remaining);
    return cpu_clock_sleep_to(block.clock, block.target, true, remaining);
}

Result<u64> sys_clock_nanosleep(i32 id, i32 flags, UserPtr<const Timespec> request, UserPtr<Timespec> remaining)
{
    // Linux (kernel/time/posix-timers.c, posix-cpu-timers.c): the calling
    // thread's CPU clock has no sleep (EOPNOTSUPP, which glibc's wrapper
    // turns into EINVAL before asking), and neither have the coarse and raw
    // clocks; the caller's own thread clock named by id is EINVAL. Process
    // CPU clocks (and other threads' by id) sleep until they reach the time.
    if (id == CLOCK_THREAD_CPUTIME_ID || id == CLOCK_MONOTONIC_RAW || id == CLOCK_REALTIME_COARSE ||
        id == CLOCK_MONOTONIC_COARSE)
        return Errno::enotsup;
    if (id < 0) {
        TRY(cpu_clock_now(id)); // one that does not exist: EINVAL
        Pid pid = Pid(~(id >> 3));
        if ((id & 4) && (pid == 0 || pid == current_thread().tid))
            return Errno::einval;
    } else if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC && id != CLOCK_BOOTTIME &&
               id != CLOCK_PROCESS_CPUTIME_ID) {
        return Errno::einval;
    }
    if (id < 0 || id == CLOCK_PROCESS_CPUTIME_ID)
        return cpu_clock_sleep(id, flags, request, remaining);
    u64 value = TRY(read_duration(request));
    if (flags & TIMER_ABSTIME) {
        // Restarted as it is after a stop: the same absolute time.
        u64 now = TRY(clock_now(id));
        return sleep_to_deadline(value <= now ? 0 : deadline_after(value - now), false, remaining);
    }
    return sleep_to_deadline(deadline_after(value), true, remaining);
}

Result<u64> sys_clock_gettime(i32 clock, UserPtr<Timespec> now)
{
    u64 ns = TRY(clock_now(clock));
    TRY(write_timespec(now, ns));
    return u64(0);
}

Result<u64> sys_clock_getres(i32 clock, UserPtr<Timespec> resolution_out)
{
    TRY(clock_now(clock)); // validates the id
    if (resolution_out) {
        u64 resolution = timebase_hz() ? lib::max<u64>(1, 1000000000ull / timebase_hz()) : 1;
        if (clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE)
            resolution = tick_period_ns();
        TRY(write_timespec(resolution_out, resolution));
    }
    return u64(0);
}

Result<u64> sys_gettimeofday(UserPtr<Timeval> tv, UserPtr<Timezone> tz)
{
    if (tv) {
        u64 ns = wallclock_ns();
        TRY(mm::write_user(tv, Timeval{i64(ns / 1000000000), i64(ns / 1000 % 1000000)}));
    }
    if (tz)
        TRY(mm::write_user(tz, Timezone{0, 0})); // UTC, no DST
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_time(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
