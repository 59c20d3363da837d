// Time system calls: clocks, sleeping.
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"

namespace kernel {

namespace {

struct Timespec {
    i64 tv_sec;
    i64 tv_nsec;
};

// include/uapi/linux/time.h
enum ClockId : u64 {
    CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
    CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
};
constexpr u64 TIMER_ABSTIME = 1;

Result<u64> clock_now(u64 id)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return wallclock_ns();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return monotonic_ns();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: {
        Process& p = current_process();
        // Include the span running right now (we are in the kernel for it).
        return p.user_ns + p.system_ns + (monotonic_ns() - p.last_switch_ns);
    }
    default:
        return Errno::einval;
    }
}

Result<u64> read_duration(u64 address)
{
    auto ts = TRY(mm::read_user<Timespec>(address));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return Errno::einval;
    if (u64(ts.tv_sec) > (~0ull - 999999999ull) / 1000000000ull)
        return ~0ull; // effectively forever
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

Result<void> write_timespec(u64 address, u64 ns)
{
    Timespec ts{i64(ns / 1000000000), i64(ns % 1000000000)};
    return mm::write_user(address, ts);
}

u64 deadline_after(u64 duration)
{
    u64 now = monotonic_ns();
    return duration > ~0ull - now ? ~0ull : now + duration;
}

} // namespace

Result<u64> sys_nanosleep(const SyscallArgs& a)
{
    u64 duration = TRY(read_duration(a.a0));
    u64 deadline = deadline_after(duration);
    if (!sleep_until(deadline)) {
        u64 now = monotonic_ns();
        if (a.a1)
            TRY(write_timespec(a.a1, deadline > now ? deadline - now : 0));
        return Errno::eintr;
    }
    return u64(0);
}

Result<u64> sys_clock_nanosleep(const SyscallArgs& a)
{
    u64 id = a.a0, flags = a.a1;
    if (id == CLOCK_THREAD_CPUTIME_ID)
        return Errno::einval;
    if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC && id != CLOCK_BOOTTIME && id != CLOCK_PROCESS_CPUTIME_ID)
        return Errno::einval;
    if (id == CLOCK_PROCESS_CPUTIME_ID)
        return Errno::enotsup; // sleeping on a CPU clock: not supported (as Linux for threads)
    u64 value = TRY(read_duration(a.a2));
    if (flags & TIMER_ABSTIME) {
        u64 now = TRY(clock_now(id));
        if (!sleep_until(value <= now ? 0 : deadline_after(value - now)))
            return Errno::eintr;
    } else {
        u64 deadline = deadline_after(value);
        if (!sleep_until(deadline)) {
            u64 now = monotonic_ns();
            if (a.a3)
                TRY(write_timespec(a.a3, deadline > now ? deadline - now : 0));
            return Errno::eintr;
        }
    }
    return u64(0);
}

Result<u64> sys_clock_gettime(const SyscallArgs& a)
{
    u64 ns = TRY(clock_now(a.a0));
    TRY(write_timespec(a.a1, ns));
    return u64(0);
}

Result<u64> sys_clock_getres(const SyscallArgs& a)
{
    TRY(clock_now(a.a0)); // validates the id
    if (a.a1) {
        u64 resolution = timebase_hz() ? lib::max<u64>(1, 1000000000ull / timebase_hz()) : 1;
        if (a.a0 == CLOCK_REALTIME_COARSE || a.a0 == CLOCK_MONOTONIC_COARSE)
            resolution = tick_period_ns();
        TRY(write_timespec(a.a1, resolution));
    }
    return u64(0);
}

Result<u64> sys_gettimeofday(const SyscallArgs& a)
{
    if (a.a0) {
        u64 ns = wallclock_ns();
        i64 tv[2] = {i64(ns / 1000000000), i64(ns / 1000 % 1000000)};
        TRY(mm::copy_to_user(a.a0, tv, sizeof(tv)));
    }
    if (a.a1) {
        i32 tz[2] = {0, 0}; // UTC, no DST
        TRY(mm::copy_to_user(a.a1, tz, sizeof(tz)));
    }
    return u64(0);
}

} // namespace kernel
