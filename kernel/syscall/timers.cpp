// POSIX timer system calls (timer_create(2), timer_settime(2),
// timer_getoverrun(2), timer_delete(2)) with Linux's checks and errors
// (kernel/time/posix-timers.c); the timers themselves, and how they fire,
// are kernel/process/posix_timer.cpp's.
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"

namespace kernel {

namespace {

constexpr i32 TIMER_ABSTIME = 1;
// Clocks that exist but take no timers (Linux's k_clocks without timer_create).
constexpr i32 CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6;
constexpr int SIGALRM_DEFAULT = 14;

PosixTimer* find_timer_proc_locked(Process& p, i32 id)
{
    for (PosixTimer* tm = p.posix_timers; tm; tm = tm->next)
        if (tm->id == id)
            return tm;
    return nullptr;
}

// good_sigevent(): the notification is one Linux knows, its signal is
// valid, and SIGEV_THREAD_ID names a live thread of the caller's process.
bool good_sigevent_proc_locked(Process& p, const Sigevent& ev)
{
    switch (ev.notify) {
    case SIGEV_SIGNAL | SIGEV_THREAD_ID: {
        Thread* t = find_thread_proc_locked(ev.thread_id);
        if (!t || t->process != &p || t->state == ThreadState::Dead)
            return false;
        [[fallthrough]];
    }
    case SIGEV_SIGNAL:
    case SIGEV_THREAD:
        if (ev.signo <= 0 || ev.signo > NSIG)
            return false;
        [[fallthrough]];
    case SIGEV_NONE: return true;
    default: return false;
    }
}

// The clock's reading, in the base a timer's expiry is kept in: the
// monotonic clock for the real ones, the CPU time for the CPU ones.
u64 timer_clock_now_proc_locked(const PosixTimer& tm)
{
    if (!is_cpu_clock(tm.clock))
        return monotonic_ns();
    if (tm.clock == CLOCK_THREAD_CPUTIME_ID) {
        Thread* t = find_thread_proc_locked(tm.clock_tid);
        if (!t || t->state == ThreadState::Dead)
            return 0;
        return counter_to_ns(t->cpu.run_ticks(t == &current_thread()));
    }
    ProcessTimes times = process_times_proc_locked(*tm.process);
    return times.user_ns + times.system_ns;
}

Result<u64> timespec_ns(const Timespec& ts)
{
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return Errno::einval;
    if (u64(ts.tv_sec) > (~0ull >> 1) / 1000000000ull)
        return ~0ull >> 1; // beyond any clock's reach
    return u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
}

Timespec ns_timespec(u64 ns) { return {i64(ns / 1000000000), i64(ns % 1000000000)}; }

// The time left and the interval, as timer_gettime reports them: an armed
// timer whose expiry has come but not yet been seen by the tick shows 1 ns
// (never 0, which would read as disarmed).
Itimerspec timer_state_proc_locked(const PosixTimer& tm)
{
    u64 left = 0;
    if (tm.expiry_ns) {
        u64 now = timer_clock_now_proc_locked(tm);
        left = tm.expiry_ns > now ? tm.expiry_ns - now : 1;
    }
    return {ns_timespec(tm.interval_ns), ns_timespec(left)};
}

void free_timer(PosixTimer* tm) { mm::destroy(tm); }

// An absolute CLOCK_REALTIME time on the monotonic clock, given both
// clocks' readings now. Signed: with no RTC the wall clock starts at the
// epoch, a hair behind the monotonic one. A time before boot is due.
u64 realtime_to_monotonic(u64 value, u64 wall, u64 mono)
{
    i64 on_monotonic = i64(value) - (i64(wall) - i64(mono));
    return on_monotonic > 0 ? u64(on_monotonic) : 1;
}

// Give tm the next free id and the event's settings, and link it into p's timers.
i32 claim_id_proc_locked(Process& p, PosixTimer& timer, Thread& t, i32 clock, const Sigevent* event)
{
    PosixTimer* tm = &timer;
    i32 id;
    // Ids count up from 0 and wrap at INT_MAX, skipping those in use
    // (Linux's next_posix_timer_id).
    do {
        id = p.next_posix_timer_id;
        p.next_posix_timer_id = (id + 1) & DELAYTIMER_MAX;
    } while (find_timer_proc_locked(p, id));
    tm->process = &p;
    tm->id = id;
    tm->clock = clock;
    tm->clock_tid = t.tid;
    if (event) {
        tm->notify = event->notify == SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL;
        tm->signo = event->signo;
        tm->value = event->value;
        tm->target_tid = event->notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID) ? event->thread_id : 0;
    } else {
        // No sigevent: SIGALRM to the process, with the id as si_value.
        tm->notify = SIGEV_SIGNAL;
        tm->signo = SIGALRM_DEFAULT;
        tm->value = u64(id);
    }
    tm->next = p.posix_timers;
    p.posix_timers = tm;
    ++p.posix_timer_count;
    return id;
}

} // namespace

Result<u64> sys_timer_create(Thread& t, i32 clock, UserPtr<const Sigevent> event, UserPtr<i32> timer_id)
{
    Process& p = *t.process;
    Sigevent ev{};
    bool have_event = bool(event);
    if (have_event)
        ev = TRY(mm::read_user(event));
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: break;
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE: return Errno::enotsup;
    default: return Errno::einval;
    }
    // Allocated before the lock is taken, freed after it is dropped.
    PosixTimer* tm = mm::make<PosixTimer>();
    if (!tm)
        return Errno::eagain;
    i32 id = -1;
    Errno error = Errno::eagain;
    {
        SpinLockGuard guard(process_lock());
        if (have_event && !good_sigevent_proc_locked(p, ev))
            error = Errno::einval;
        else if (p.posix_timer_count < MAX_POSIX_TIMERS)
            id = claim_id_proc_locked(p, *tm, t, clock, have_event ? &ev : nullptr);
    }
    if (id < 0) {
        free_timer(tm);
        return error;
    }
    if (auto written = mm::write_user(timer_id, id); written.is_error()) {
        // Linux deletes the timer it could not name.
        (void)sys_timer_delete(p, id);
        return Errno::efault;
    }
    return u64(0);
}

Result<u64> sys_timer_settime(Process& p, i32 timer_id, i32 flags, UserPtr<const Itimerspec> new_value,
                              UserPtr<Itimerspec> old_value)
{
    if (!new_value)
        return Errno::einval;
    Itimerspec spec = TRY(mm::read_user(new_value));
    u64 interval = TRY(timespec_ns(spec.it_interval));
    u64 value = TRY(timespec_ns(spec.it_value));
    // CLOCK_REALTIME's absolute times map onto the monotonic clock with
    // the offset of now (a later clock_settime does not move them).
    u64 wall = wallclock_ns(), mono = monotonic_ns();
    Itimerspec old;
    {
        SpinLockGuard guard(process_lock());
        PosixTimer* tm = find_timer_proc_locked(p, timer_id);
        if (!tm)
            return Errno::einval;
        old = timer_state_proc_locked(*tm);
        posix_timer_disarm_proc_locked(*tm);
        tm->interval_ns = 0;
        tm->overrun = 0;
        tm->last_overrun = 0;
        if (value) {
            u64 now = is_cpu_clock(tm->clock) ? timer_clock_now_proc_locked(*tm) : mono;
            u64 expiry;
            if (!(flags & TIMER_ABSTIME))
                expiry = now + value;
            else if (tm->clock == CLOCK_REALTIME)
                expiry = realtime_to_monotonic(value, wall, mono);
            else
                expiry = value;
            tm->interval_ns = interval;
            posix_timer_arm_proc_locked(*tm, expiry ? expiry : 1);
            posix_timer_fire_if_due_proc_locked(*tm, now);
        }
    }
    if (old_value)
        TRY(mm::write_user(old_value, old));
    return u64(0);
}

Result<u64> sys_timer_gettime(Process& p, i32 timer_id, UserPtr<Itimerspec> value)
{
    Itimerspec state;
    {
        SpinLockGuard guard(process_lock());
        PosixTimer* tm = find_timer_proc_locked(p, timer_id);
        if (!tm)
            return Errno::einval;
        state = timer_state_proc_locked(*tm);
    }
    TRY(mm::write_user(value, state));
    return u64(0);
}

Result<u64> sys_timer_getoverrun(Process& p, i32 timer_id)
{
    SpinLockGuard guard(process_lock());
    PosixTimer* tm = find_timer_proc_locked(p, timer_id);
    if (!tm)
        return Errno::einval;
    return u64(tm->last_overrun);
}

Result<u64> sys_timer_delete(Process& p, i32 timer_id)
{
    PosixTimer* gone = nullptr;
    {
        SpinLockGuard guard(process_lock());
        for (PosixTimer** at = &p.posix_timers; *at; at = &(*at)->next) {
            if ((*at)->id != timer_id)
                continue;
            gone = *at;
            *at = gone->next;
            posix_timer_disarm_proc_locked(*gone);
            --p.posix_timer_count;
            break;
        }
    }
    if (!gone)
        return Errno::einval;
    free_timer(gone);
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_timers(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
