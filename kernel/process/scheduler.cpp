// The scheduling mechanism: run-queue bookkeeping through the policy
// (which sees each process's SchedEntity, never the Process), the context
// switch (with the address-space switch), idle, and timed sleep.
// Everything here runs under the process lock.
#include "kernel/process/scheduler.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/boot.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/process/fair.hpp"
#include "kernel/process/round_robin.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"

extern "C" void switch_context(kernel::Context* from, const kernel::Context* to);

namespace kernel {

namespace prof = arch::prof;

namespace {

// The one run queue: both policies exist, scheduler_init picks one. A run
// queue per hart would be one more instance of the chosen policy each.
constinit FairPolicy s_fair{PolicyMemory{mm::kmalloc, mm::kfree}};
constinit RoundRobinPolicy s_round_robin;
constinit SchedulerPolicy* s_policy = nullptr;
constinit Thread* s_idle_thread = nullptr; // &idle_thread(), from scheduler_init
// Sleepers, sorted by deadline (insertion is O(sleepers); waking is O(1)).
constinit lib::ListNode s_sleepers;
constinit u64 s_switches = 0;
// Idle time per hart: the sum of finished idle stretches, and when the
// current one began (0: the hart is not idle).
constinit u64 s_idle_ns[MAX_HARTS] = {}, s_idle_since[MAX_HARTS] = {};
constinit u64 s_forks = 0;
// Processes with an armed ITIMER_REAL (few: a plain list, checked per tick).
constinit lib::ListNode s_alarms;
constinit Pid s_last_pid = 0;
// Load averages as Linux computes them (kernel/sched/loadavg.c): every
// 5 s, load = load * e + active * (1 - e), 11-bit fixed point.
constexpr u64 FSHIFT = 11, FIXED_1 = 1 << FSHIFT, EXP_1 = 1884, EXP_5 = 2014, EXP_15 = 2037;
constinit u64 s_load[3] = {};
constinit u64 s_next_load_ns = 5000000000ull;

u64 count_active_proc_locked()
{
    process_lock().assert_held();
    u64 n = 0;
    for_each_process_proc_locked([&](Process& p) {
        for_each_thread_proc_locked(p, [&](Thread& t) {
            n += t.state == ThreadState::Running || t.state == ThreadState::Ready;
        });
    });
    return n;
}

void update_load_proc_locked(u64 now)
{
    process_lock().assert_held();
    if (now < s_next_load_ns)
        return;
    s_next_load_ns = now + 5000000000ull;
    u64 active = count_active_proc_locked() * FIXED_1;
    constexpr u64 factors[3] = {EXP_1, EXP_5, EXP_15};
    for (int i = 0; i < 3; ++i)
        s_load[i] = (s_load[i] * factors[i] + active * (FIXED_1 - factors[i])) >> FSHIFT;
}

Thread* sleeper_of(lib::ListNode* node)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Thread, sleep_node));
}

void add_sleeper_proc_locked(Thread& t)
{
    process_lock().assert_held();
    lib::ListNode* at = s_sleepers.next;
    while (at != &s_sleepers) {
        if (sleeper_of(at)->sleep_deadline_ns > t.sleep_deadline_ns)
            break;
        at = at->next;
    }
    t.sleep_node.prev = at->prev;
    t.sleep_node.next = at;
    at->prev->next = &t.sleep_node;
    at->prev = &t.sleep_node;
}

Thread* thread_of(lib::ListNode* node)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Thread, queue_node));
}

Thread* thread_of(SchedEntity* e)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(e) - __builtin_offsetof(Thread, sched));
}

// Idle time of hart `index` so far, the current stretch included.
u64 idle_ns_proc_locked(u32 index)
{
    process_lock().assert_held();
    u64 since = s_idle_since[index];
    return s_idle_ns[index] + (since ? monotonic_ns() - since : 0);
}

} // namespace

void scheduler_init(u64 time_slice_ns)
{
    s_idle_thread = &idle_thread();
    s_sleepers.prev = s_sleepers.next = &s_sleepers;
    s_alarms.prev = s_alarms.next = &s_alarms;
    u64 ticks = time_slice_ns / (tick_period_ns() ? tick_period_ns() : 1);
    // sched=rr or sched=fair (the default) on the kernel command line.
    auto choice = boot_option("sched");
    if (choice && *choice == lib::StringView("rr")) {
        s_round_robin.set_slice(ticks);
        s_policy = &s_round_robin;
    } else {
        s_fair.configure(tick_period_ns());
        s_policy = &s_fair;
    }
}

SchedulerPolicy& scheduler_policy() { return *s_policy; }

bool scheduler_reserve(usize n)
{
    for (;;) {
        usize bytes;
        {
            SpinLockGuard guard(process_lock());
            bytes = s_policy->room_needed(n);
        }
        if (bytes == 0)
            return true;
        void* block = mm::kmalloc(bytes);
        if (!block)
            return false;
        void* spare;
        {
            SpinLockGuard guard(process_lock());
            spare = s_policy->adopt_room(block, bytes);
        }
        mm::kfree(spare);
    }
}

void set_nice_proc_locked(Thread& t, int nice)
{
    process_lock().assert_held();
    s_policy->renice(t.sched, SchedEntity::clamp_nice(nice));
}

void make_ready_proc_locked(Thread& t)
{
    process_lock().assert_held();
    auto was = prof::mark(prof::Phase::Scheduler);
    // A thread woken from a timed wait leaves the sleep list too.
    if (t.sleep_node.next && t.sleep_node.is_linked())
        t.sleep_node.unlink();
    t.state = ThreadState::Ready;
    s_policy->enqueue(t.sched);
    prof::mark(was);
}

void switch_away_proc_locked()
{
    VERIFY(process_lock().is_held_by_this_hart()); // in every build: a switch without it corrupts the run queue
    auto was = prof::mark(prof::Phase::Scheduler);
    Thread& prev = *static_cast<Thread*>(arch::this_hart().current); // current_thread(), inline
    Thread* const idle = s_idle_thread; // is_idle() would be a call, up to four per switch
    SchedEntity* picked = s_policy->pick_next();
    Thread* next = picked ? thread_of(picked) : nullptr;
    if (!next) {
        if (&prev == idle) {
            prof::mark(was);
            return;
        }
        next = idle;
    }
    if (next == &prev) {
        prev.state = ThreadState::Running;
        s_policy->started(prev.sched);
        prof::mark(was);
        return;
    }
    next->state = ThreadState::Running;
    next->last_hart = arch::this_hart().index;
    if (next != idle)
        s_policy->started(next->sched);
    arch::this_hart().current = next;
    prof::mark(prof::Phase::Switch);
    // Idle runs in the kernel half, which every table shares: no switch.
    // Threads of one process share the table: no switch either.
    mm::AddressSpace* next_space = next->process->address_space;
    if (next_space && next_space != mm::AddressSpace::active())
        next_space->activate();
    prof::mark(prof::Phase::Scheduler);
    ++s_switches;
    u64 counter = arch::read_time();
    u64 now = counter_to_monotonic_ns(counter);
    u32 hart = arch::this_hart().index;
    if (&prev == idle) {
        s_idle_ns[hart] += now - s_idle_since[hart];
        s_idle_since[hart] = 0;
    } else if (prev.state != ThreadState::Dead) { // a dead thread's time is final
        // Kernel time up to the switch is prev's; time switched out is nobody's.
        prev.cpu.switch_out(counter);
        fold_cpu_time(prev.cpu);
    }
    if (next == idle)
        s_idle_since[hart] = now;
    prof::mark(prof::Phase::Switch);
    // The interrupt state to restore when the lock is released belongs to
    // the thread that took the lock, not to the hart: carry it across.
    bool irq_was_on = arch::this_hart().irq_was_on;
    fp_switch_out(prev);
    switch_context(&prev.context, &next->context);
    prof::mark(prof::Phase::Scheduler);
    arch::this_hart().irq_was_on = irq_was_on;
    free_retiring_thread_proc_locked();
    arch::bind_frame_to_hart(prev.frame, prev.kernel_stack_top);
    fp_switch_in(prev);
    prev.cpu.switch_in(arch::read_time()); // running again from here
    prof::mark(was);
    // Running again (this may be much later, on behalf of prev).
}

void yield_proc_locked()
{
    process_lock().assert_held();
    Thread& t = current_thread();
    if (!is_idle(t))
        make_ready_proc_locked(t);
    switch_away_proc_locked();
}

namespace {

// Queue t at the tail of wq, blocked, and switch away until woken.
void sleep_on_proc_locked(Thread& t, WaitQueue& wq)
{
    process_lock().assert_held();
    t.state = ThreadState::Blocked;
    if (!wq.head.next) // a zero-initialised queue: make it a ring
        wq.head.prev = wq.head.next = &wq.head;
    t.queue_node.prev = wq.head.prev;
    t.queue_node.next = &wq.head;
    wq.head.prev->next = &t.queue_node;
    wq.head.prev = &t.queue_node;
    switch_away_proc_locked();
}

} // namespace

void block_uninterruptible_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    sleep_on_proc_locked(t, wq);
}

bool block_on_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    if (signal_interrupts_proc_locked(t))
        return true;
    sleep_on_proc_locked(t, wq);
    return signal_interrupts_proc_locked(t);
}

WaitOutcome block_on_until_proc_locked(WaitQueue& wq, u64 deadline_ns)
{
    process_lock().assert_held();
    Thread& t = current_thread();
    VERIFY(!is_idle(t));
    if (signal_interrupts_proc_locked(t))
        return WaitOutcome::Interrupted;
    if (monotonic_ns() >= deadline_ns)
        return WaitOutcome::TimedOut;
    t.sleep_deadline_ns = deadline_ns;
    add_sleeper_proc_locked(t);
    sleep_on_proc_locked(t, wq);
    // Woken by the queue (make_ready took it off the sleep list), by the
    // tick at the deadline (off the queue), or by a signal (off both).
    if (t.sleep_node.is_linked())
        t.sleep_node.unlink();
    if (t.queue_node.is_linked())
        t.queue_node.unlink();
    if (signal_interrupts_proc_locked(t))
        return WaitOutcome::Interrupted;
    return monotonic_ns() >= deadline_ns ? WaitOutcome::TimedOut : WaitOutcome::Woken;
}

usize wake_all_proc_locked(WaitQueue& wq)
{
    process_lock().assert_held();
    usize n = 0;
    if (!wq.head.next)
        return 0;
    while (wq.head.next != &wq.head) {
        Thread* t = thread_of(wq.head.next);
        t->queue_node.unlink();
        make_ready_proc_locked(*t);
        ++n;
    }
    return n;
}

usize wake_all(WaitQueue& wq)
{
    SpinLockGuard guard(process_lock());
    return wake_all_proc_locked(wq);
}

bool sleep_until(u64 deadline_ns)
{
    SpinLockGuard guard(process_lock());
    Thread& t = current_thread();
    if (signal_interrupts_proc_locked(t))
        return false;
    if (monotonic_ns() >= deadline_ns)
        return true;
    t.sleep_deadline_ns = deadline_ns;
    t.state = ThreadState::Blocked;
    add_sleeper_proc_locked(t);
    switch_away_proc_locked();
    return !signal_interrupts_proc_locked(t);
}

void scheduler_tick()
{
    SpinLockGuard guard(process_lock());
    if (!s_policy)
        return;
    u64 now = monotonic_ns();
    update_load_proc_locked(now);
    for (lib::ListNode* n = s_alarms.next; n != &s_alarms;) {
        lib::ListNode* next = n->next;
        auto* p = reinterpret_cast<Process*>(reinterpret_cast<u8*>(n) - __builtin_offsetof(Process, alarm_node));
        if (p->alarm_deadline_ns <= now) {
            if (p->alarm_interval_ns)
                p->alarm_deadline_ns = now + p->alarm_interval_ns;
            else
                alarm_cancel_proc_locked(*p);
            send_signal_proc_locked(*p, SIGALRM, SI_KERNEL, 0);
        }
        n = next;
    }
    while (s_sleepers.next != &s_sleepers) {
        Thread* t = sleeper_of(s_sleepers.next);
        if (t->sleep_deadline_ns > now)
            break;
        t->sleep_node.unlink();
        if (t->queue_node.is_linked()) // a timed wait: off its wait queue too
            t->queue_node.unlink();
        make_ready_proc_locked(*t);
    }
    Thread& running = current_thread();
    if (is_idle(running))
        return;
    if (s_policy->tick(running.sched))
        running.set_work(Thread::WORK_RESCHED);
}

void preempt_if_needed()
{
    Thread& t = current_thread();
    if (!t.has_work(Thread::WORK_RESCHED))
        return;
    t.clear_work(Thread::WORK_RESCHED);
    SpinLockGuard guard(process_lock());
    yield_proc_locked();
}

void scheduler_run_idle()
{
    for (;;) {
        // Interrupts stay off from the check to wfi, so a wake-up between
        // them cannot be missed: wfi returns on a pending interrupt even
        // with sstatus.SIE clear (priv spec 4.1.3 / 3.3.3).
        arch::interrupts_disable();
        {
            SpinLockGuard guard(process_lock());
            switch_away_proc_locked();
        }
        arch::wait_for_interrupt();
        arch::interrupts_enable();
    }
}

u64 context_switches() { return s_switches; }

void alarm_arm_proc_locked(Process& p, u64 deadline_ns, u64 interval_ns)
{
    process_lock().assert_held();
    alarm_cancel_proc_locked(p);
    p.alarm_deadline_ns = deadline_ns;
    p.alarm_interval_ns = interval_ns;
    lib::ListNode& n = p.alarm_node;
    n.prev = s_alarms.prev;
    n.next = &s_alarms;
    s_alarms.prev->next = &n;
    s_alarms.prev = &n;
}

void alarm_cancel_proc_locked(Process& p)
{
    process_lock().assert_held();
    if (p.alarm_deadline_ns && p.alarm_node.next)
        p.alarm_node.unlink();
    p.alarm_deadline_ns = 0;
    p.alarm_interval_ns = 0;
}

// All threads' CPU time, in counter ticks, per hart: each thread's share
// is added to the hart it ran on as the scheduler switches away from it
// (fold_cpu_time).
constinit u64 s_user_ticks[MAX_HARTS] = {}, s_run_ticks[MAX_HARTS] = {};

void fold_cpu_time(CpuTime& cpu)
{
    u32 hart = arch::this_hart().index;
    __atomic_fetch_add(&s_user_ticks[hart], cpu.user - cpu.user_folded, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s_run_ticks[hart], cpu.run - cpu.run_folded, __ATOMIC_RELAXED);
    cpu.user_folded = cpu.user;
    cpu.run_folded = cpu.run;
}

HartTimes hart_times(u32 index)
{
    HartTimes t{};
    if (!hart_info(index))
        return t;
    SpinLockGuard guard(process_lock());
    u64 user = __atomic_load_n(&s_user_ticks[index], __ATOMIC_RELAXED);
    u64 run = __atomic_load_n(&s_run_ticks[index], __ATOMIC_RELAXED);
    // The reader's own time since its last switch has not been folded yet.
    const Thread& me = current_thread();
    if (index == arch::this_hart().index && !is_idle(me)) {
        user += me.cpu.user - me.cpu.user_folded;
        run += me.cpu.run_ticks(true) - me.cpu.run_folded;
    }
    t.user_ns = counter_to_ns(user);
    t.system_ns = counter_to_ns(run > user ? run - user : 0);
    t.idle_ns = idle_ns_proc_locked(index);
    return t;
}

void note_fork(Pid pid)
{
    ++s_forks;
    s_last_pid = pid;
}

SchedulerStats scheduler_stats()
{
    SpinLockGuard guard(process_lock());
    SchedulerStats s{};
    // The running thread (the reader) has not been folded in yet.
    const Thread& me = current_thread();
    u64 user = 0, run = 0;
    for (u32 i = 0; i < MAX_HARTS; ++i) {
        user += __atomic_load_n(&s_user_ticks[i], __ATOMIC_RELAXED);
        run += __atomic_load_n(&s_run_ticks[i], __ATOMIC_RELAXED);
        s.idle_ns += idle_ns_proc_locked(i);
    }
    if (!is_idle(me)) {
        user += me.cpu.user - me.cpu.user_folded;
        run += me.cpu.run_ticks(true) - me.cpu.run_folded;
    }
    s.user_ns = counter_to_ns(user);
    s.system_ns = counter_to_ns(run > user ? run - user : 0);
    s.switches = s_switches;
    s.interrupts = tick_count();
    s.forks = s_forks;
    s.running = count_active_proc_locked();
    s.tasks = task_count_proc_locked();
    s.last_pid = s_last_pid;
    for (int i = 0; i < 3; ++i)
        s.load[i] = s_load[i];
    return s;
}

} // namespace kernel
