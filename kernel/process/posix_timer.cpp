// POSIX timers: firing (from the tick), the signal's bookkeeping as it is
// taken, and the release at exec and exit. The system calls that create
// and arm them are in kernel/syscall/timers.cpp.
#include "kernel/process/posix_timer.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/process/signal.hpp"

namespace kernel {

namespace {

// Armed real-clock timers of every process, soonest first.
constinit lib::ListNode s_real_timers;

PosixTimer* timer_of(lib::ListNode* n)
{
    return reinterpret_cast<PosixTimer*>(reinterpret_cast<u8*>(n) - __builtin_offsetof(PosixTimer, armed_node));
}

void add_overrun(PosixTimer& tm, u64 n)
{
    u64 total = u64(tm.overrun) + n;
    tm.overrun = total > u64(DELAYTIMER_MAX) ? DELAYTIMER_MAX : i32(total);
}

// The timer expired `periods` times (at least once) by now: queue its
// signal, or count the expiries as overruns if it is still pending.
void expire_proc_locked(PosixTimer& tm, u64 periods)
{
    if (tm.notify == SIGEV_NONE)
        return;
    if (tm.queued) {
        add_overrun(tm, periods);
        return;
    }
    Process& p = *tm.process;
    Thread* target = nullptr;
    if (tm.target_tid) {
        target = find_thread_proc_locked(tm.target_tid);
        if (!target || target->process != &p || target->state == ThreadState::Dead)
            return; // the thread is gone: nobody to tell (Linux's pid_task is NULL)
    }
    if (!send_timer_signal_proc_locked(p, target, tm.signo, tm.id))
        return; // ignored, or a standard signal already pending
    tm.queued = true;
    tm.queued_seq = ++p.posix_timer_seq;
    tm.overrun = 0;
    add_overrun(tm, periods - 1);
}

// A timer due at `now` (on its own clock): how many periods passed, and
// the next expiry (0 for a one-shot).
u64 advance(PosixTimer& tm, u64 now)
{
    if (!tm.interval_ns) {
        tm.expiry_ns = 0;
        return 1;
    }
    u64 periods = 1 + (now - tm.expiry_ns) / tm.interval_ns;
    tm.expiry_ns += periods * tm.interval_ns;
    return periods;
}

// A due timer already taken off its list (or its process's count of armed
// CPU timers): rearmed for its next period, then its signal sent.
void fire_proc_locked(PosixTimer& tm, u64 now)
{
    u64 periods = advance(tm, now);
    u64 next = tm.expiry_ns;
    tm.expiry_ns = 0;
    if (next)
        posix_timer_arm_proc_locked(tm, next);
    expire_proc_locked(tm, periods);
}

} // namespace

bool is_cpu_clock(i32 clock) { return clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID; }

void posix_timer_disarm_proc_locked(PosixTimer& tm)
{
    process_lock().assert_held();
    if (!tm.expiry_ns)
        return;
    if (is_cpu_clock(tm.clock))
        --tm.process->posix_cpu_timers_armed;
    else
        tm.armed_node.unlink();
    tm.expiry_ns = 0;
}

void posix_timer_arm_proc_locked(PosixTimer& tm, u64 expiry_ns)
{
    process_lock().assert_held();
    posix_timer_disarm_proc_locked(tm);
    tm.expiry_ns = expiry_ns ? expiry_ns : 1;
    if (is_cpu_clock(tm.clock)) {
        ++tm.process->posix_cpu_timers_armed;
        return;
    }
    if (!s_real_timers.next)
        s_real_timers.prev = s_real_timers.next = &s_real_timers;
    // Sorted insert: arming walks the list, the tick only its head.
    lib::ListNode* at = &s_real_timers;
    while (at->prev != &s_real_timers && timer_of(at->prev)->expiry_ns > tm.expiry_ns)
        at = at->prev;
    lib::ListNode& n = tm.armed_node;
    n.prev = at->prev;
    n.next = at;
    at->prev->next = &n;
    at->prev = &n;
}

void posix_timers_due_proc_locked(u64 now_ns)
{
    process_lock().assert_held();
    if (!s_real_timers.next)
        return;
    while (s_real_timers.next != &s_real_timers) {
        PosixTimer& tm = *timer_of(s_real_timers.next);
        if (tm.expiry_ns > now_ns)
            break;
        tm.armed_node.unlink();
        fire_proc_locked(tm, now_ns);
    }
}

// Fire a real-clock timer whose new expiry is already past (TIMER_ABSTIME
// in the past, a tiny relative value): at once, not at the next tick.
void posix_timer_fire_if_due_proc_locked(PosixTimer& tm, u64 now_ns)
{
    process_lock().assert_held();
    if (!tm.expiry_ns || tm.expiry_ns > now_ns)
        return;
    if (is_cpu_clock(tm.clock)) {
        --tm.process->posix_cpu_timers_armed;
        fire_proc_locked(tm, now_ns);
        return;
    }
    posix_timers_due_proc_locked(now_ns);
}

void posix_cpu_timers_tick_proc_locked(Thread& running)
{
    process_lock().assert_held();
    Process& p = *running.process;
    if (!p.posix_cpu_timers_armed)
        return;
    ProcessTimes times = process_times_proc_locked(p);
    u64 process_now = times.user_ns + times.system_ns;
    u64 thread_now = running.cpu.user_ns() + running.cpu.system_ns(true);
    for (PosixTimer* tm = p.posix_timers; tm; tm = tm->next) {
        if (!tm->expiry_ns || !is_cpu_clock(tm->clock))
            continue;
        bool thread_clock = tm->clock == CLOCK_THREAD_CPUTIME_ID;
        if (thread_clock && tm->clock_tid != running.tid)
            continue; // that thread's time moves only while it runs
        u64 now = thread_clock ? thread_now : process_now;
        posix_timer_fire_if_due_proc_locked(*tm, now);
    }
}

bool posix_timer_signal_taken_proc_locked(Process& p, int sig, TimerSignalInfo& out)
{
    process_lock().assert_held();
    PosixTimer* oldest = nullptr;
    for (PosixTimer* tm = p.posix_timers; tm; tm = tm->next)
        if (tm->queued && tm->signo == sig && (!oldest || tm->queued_seq < oldest->queued_seq))
            oldest = tm;
    if (!oldest)
        return false;
    oldest->queued = false;
    oldest->last_overrun = oldest->overrun;
    oldest->overrun = 0;
    out = {oldest->id, oldest->last_overrun, oldest->value};
    return true;
}

void posix_timers_release(Process& p)
{
    PosixTimer* list;
    {
        SpinLockGuard guard(process_lock());
        list = p.posix_timers;
        for (PosixTimer* tm = list; tm; tm = tm->next)
            posix_timer_disarm_proc_locked(*tm);
        p.posix_timers = nullptr;
        p.posix_timer_count = 0;
    }
    // Freed outside the lock.
    while (list) {
        PosixTimer* next = list->next;
        mm::destroy(list);
        list = next;
    }
}

} // namespace kernel
