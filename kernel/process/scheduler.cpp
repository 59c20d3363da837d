// The scheduling mechanism: run-queue bookkeeping through the policy
// (which sees each process's SchedEntity, never the Process), placement
// and balancing across harts, the context switch (with the address-space
// switch), idle. Each hart's run queue has its own lock (the run-queue
// lock, held across the switch). Sleeping and waking (wait queues, the
// sleep list, alarms, under the process lock, taken first) are wait.cpp's.
#include "kernel/process/scheduler.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/boot.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/process/fair.hpp"
#include "kernel/process/realtime.hpp"
#include "kernel/process/round_robin.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/process/scheduler_internal.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/smp.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"

extern "C" void switch_context(kernel::Context* from, const kernel::Context* to);

namespace kernel {

namespace prof = arch::prof;
using namespace sched_detail;

constinit bool detail::g_one_hart = false;

namespace {

// One run queue per hart, each under its own lock, each a stack of two
// classes: the real-time class (rt, SCHED_FIFO and SCHED_RR) above the
// time-sharing class `policy` (the fair policy, or round-robin with
// sched=rr: both exist, scheduler_init picks one), which holds SCHED_OTHER,
// SCHED_BATCH and SCHED_IDLE. The queue's load is the fair policy's
// weight of what it holds and runs; placement and balancing compare
// loads, reading other harts' without their locks (a stale load only
// makes a placement less even).
struct RunQueue {
    SpinLock lock{LockRank::RunQueue};
    FairPolicy fair{PolicyMemory{mm::kmalloc, mm::kfree}};
    RoundRobinPolicy round_robin;
    RealtimePolicy rt;
    SchedulerPolicy* policy = nullptr;
    // What runs, for wake-up preemption and placement from other harts
    // (read without the lock): 0 idle, 1 the time-sharing class, 1 + p a
    // real-time thread of priority p.
    u32 running_rank = 0;
    u32 rt_queued = 0;       // of `queued`, in rt (read without the lock)
    // The real-time throttle (Linux's sched_rt_runtime_us): real-time
    // threads may use rt_used_ns of each period starting at
    // rt_period_start_ns; past the runtime the class is throttled and the
    // time-sharing class runs first until the period ends.
    u64 rt_period_start_ns = 0;
    u64 rt_used_ns = 0;
    u64 last_tick_ns = 0;    // the previous tick's time: what a tick charges
    bool rt_throttled = false;
    u32 queued = 0;          // threads in the policy's ready set
    u64 queued_weight = 0;   // their weights
    u64 running_weight = 0;  // the running thread's; 0 while the hart idles
    u64 load() const
    {
        return __atomic_load_n(&queued_weight, __ATOMIC_RELAXED) + __atomic_load_n(&running_weight, __ATOMIC_RELAXED);
    }
    bool idle() const
    {
        return __atomic_load_n(&running_weight, __ATOMIC_RELAXED) == 0 && __atomic_load_n(&queued, __ATOMIC_RELAXED) == 0;
    }
};
// "{}": GCC 12 zero-fills a default-initialised constinit array of a class
// with default member initialisers (the policies' vtable pointers too).
constinit RunQueue s_rq[MAX_HARTS]{};
constinit SchedulerPolicy* s_policy = nullptr; // hart 0's: the policy's name, the tests
// The harts online when the scheduler started (they all start before it),
// and whether that is one: then placement, stealing and IPIs are skipped
// (the single-hart paths stay as cheap as before there were others).
constinit u64 s_online = 1;
// /proc/sys/kernel/sched_rt_period_us and sched_rt_runtime_us (-1: no
// throttle); Linux's defaults.
constinit i64 s_rt_period_us = 1'000'000, s_rt_runtime_us = 950'000;
static_assert(MAX_HARTS == detail::MAX_IDLE_THREADS);
constexpr u32 BALANCE_TICKS = 4;   // each hart looks for imbalance this often
constexpr usize STEAL_LOOK = 8;    // queued threads a balancing hart looks at
constinit u64 s_switches[MAX_HARTS] = {}; // each hart's, under its queue's lock
// Idle time per hart: the sum of finished idle stretches, and when the
// current one began (0: the hart is not idle).
constinit u64 s_idle_ns[MAX_HARTS] = {}, s_idle_since[MAX_HARTS] = {};
constinit u64 s_forks = 0;
constinit Pid s_last_pid = 0;
// Load averages as Linux computes them (kernel/sched/loadavg.c): every
// 5 s, load = load * e + active * (1 - e), 11-bit fixed point.
constexpr u64 FSHIFT = 11, FIXED_1 = 1 << FSHIFT, EXP_1 = 1884, EXP_5 = 2014, EXP_15 = 2037;
constinit u64 s_load[3] = {};
constinit u64 s_next_load_ns = 5000000000ull;

// Ready and running threads on every hart (a snapshot: the queues change
// under their own locks).
u64 count_active()
{
    u64 n = 0;
    for (const RunQueue& rq : s_rq)
        n += __atomic_load_n(&rq.queued, __ATOMIC_RELAXED) + (__atomic_load_n(&rq.running_weight, __ATOMIC_RELAXED) != 0);
    return n;
}

} // namespace

void sched_detail::update_load_proc_locked(u64 now)
{
    process_lock().assert_held();
    if (arch::this_hart().index != 0 || now < s_next_load_ns)
        return;
    s_next_load_ns = now + 5000000000ull;
    u64 active = count_active() * FIXED_1;
    constexpr u64 factors[3] = {EXP_1, EXP_5, EXP_15};
    for (int i = 0; i < 3; ++i)
        s_load[i] = (s_load[i] * factors[i] + active * (FIXED_1 - factors[i])) >> FSHIFT;
}

namespace {

Thread* thread_of(SchedEntity* e)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(e) - __builtin_offsetof(Thread, sched));
}

// The class that holds e: the mechanism asks the entity, the class
// decides the rest.
inline SchedulerPolicy& class_of(RunQueue& rq, const SchedEntity& e)
{
    if (e.is_rt()) [[unlikely]]
        return rq.rt;
    return *rq.policy;
}

// e was picked to run: its class starts its slice. The fair policy's,
// which every switch makes, is called directly (and inline).
[[gnu::always_inline]] inline void started_rq_locked(RunQueue& rq, SchedEntity& e)
{
    if (e.is_rt()) [[unlikely]]
        rq.rt.started(e);
    else if (rq.policy == &rq.fair) [[likely]]
        rq.fair.started(e);
    else
        rq.policy->started(e);
}

// running_rank's scale: 1 for the time-sharing class, 1 + p for real-time p.
inline u32 rank_of(const SchedEntity& e) { return 1u + e.rt_priority; }

// Idle time of hart `index` so far, the current stretch included (that
// hart updates both under its queue's lock: a snapshot).
u64 idle_ns(u32 index)
{
    u64 since = __atomic_load_n(&s_idle_since[index], __ATOMIC_RELAXED);
    u64 done = __atomic_load_n(&s_idle_ns[index], __ATOMIC_RELAXED);
    u64 now = monotonic_ns();
    return done + (since && now > since ? now - since : 0);
}

// A queue's lock. On one hart it is the process lock: nothing runs in
// parallel to need two, and a sleep or a wake-up, which hold the process
// lock already, then take no other (the one-hart figures stay as before
// the queues had locks).
inline SpinLock& queue_lock(RunQueue& rq) { return one_hart() ? process_lock() : rq.lock; }

// The lock of the queue that holds t, or of the hart it runs on, taken
// with the process lock held (unlock_rq_of releases it). Its rq_hart
// changes only under that queue's lock (stealing holds both), so
// re-checked once locked.
// A thread being woken (Waking) is waited out: its waker, holding no lock
// this caller holds, is about to queue it.
RunQueue& lock_rq_of(Thread& t)
{
    process_lock().assert_held();
    if (one_hart())
        return s_rq[0];
    for (;;) {
        while (__atomic_load_n(&t.state, __ATOMIC_ACQUIRE) == ThreadState::Waking)
            smp_poll_while_spinning();
        u32 hart = __atomic_load_n(&t.rq_hart, __ATOMIC_RELAXED);
        RunQueue& rq = s_rq[hart];
        rq.lock.lock();
        if (__atomic_load_n(&t.rq_hart, __ATOMIC_RELAXED) == hart && t.state != ThreadState::Waking)
            return rq;
        rq.lock.unlock();
    }
}

void unlock_rq_of(RunQueue& rq)
{
    if (!one_hart())
        rq.lock.unlock();
}


// --- Run queues across harts ---------------------------------------------

// t joins hart `hart`'s queue from another hart's: it keeps its distance
// to the queue's clock (fair: its lag behind min_vruntime). Both queues'
// locks are held, or t is in neither queue (and the caller holds the
// process lock, which keeps lock_rq_of from looking at it).
[[gnu::noinline]] void move_to_clock_of(Thread& t, u32 hart)
{
    i64 lag = i64(t.sched.vruntime - s_rq[t.rq_hart].policy->clock());
    u64 clock = s_rq[hart].policy->clock();
    t.sched.vruntime = lag < 0 && u64(-lag) > clock ? 0 : clock + u64(lag);
    __atomic_store_n(&t.rq_hart, hart, __ATOMIC_RELAXED);
}

inline bool preempts_rq_locked(RunQueue& rq, const Thread& t);

// Inline: every wake-up and preemption queues a thread. True when t is a
// real-time thread that outranks what runs on `hart` (it should preempt).
[[gnu::always_inline]] inline bool enqueue_rq_locked(Thread& t, u32 hart)
{
    RunQueue& rq = s_rq[hart];
    queue_lock(rq).assert_held();
    t.state = ThreadState::Ready;
    if (t.rq_hart != hart) [[unlikely]]
        move_to_clock_of(t, hart);
    // rq_weight follows nice and policy (set at clone, then by
    // set_nice_proc_locked and set_policy_proc_locked).
    ++rq.queued;
    rq.queued_weight += t.rq_weight;
    if (t.sched.is_rt()) [[unlikely]] {
        rq.rt.enqueue(t.sched);
        __atomic_store_n(&rq.rt_queued, rq.rt_queued + 1, __ATOMIC_RELAXED);
        return preempts_rq_locked(rq, t);
    }
    rq.policy->enqueue(t.sched);
    return false;
}

// t left rq's policy (picked or removed).
inline void dequeued_rq_locked(RunQueue& rq, Thread& t)
{
    queue_lock(rq).assert_held();
    --rq.queued;
    rq.queued_weight -= t.rq_weight;
    if (t.sched.is_rt()) [[unlikely]]
        __atomic_store_n(&rq.rt_queued, rq.rt_queued - 1, __ATOMIC_RELAXED);
}

u64 allowed_harts(const Thread& t)
{
    u64 allowed = t.affinity & s_online;
    return allowed ? allowed : s_online;
}

// Where a thread that becomes ready goes: the running thread (preempted
// or yielding) stays; a woken one goes back to the hart it last ran on if
// that hart idles or is not much busier than the least loaded allowed
// one; a new one to an idle allowed hart, else the least loaded.
u32 select_hart(const Thread& t, bool is_new)
{
    u32 me = arch::this_hart().index;
    u64 allowed = allowed_harts(t);
    if (allowed == (allowed & -allowed)) // one hart: no choice
        return u32(__builtin_ctzll(allowed));
    if (&t == &current_thread() && (allowed & (1ull << me)))
        return me;
    u32 prev = t.last_hart;
    if (t.sched.is_rt()) [[unlikely]] {
        // Real-time: where it preempts the least, running at once (Linux's
        // find_lowest_rq): the last hart if it runs something lower, else
        // the allowed hart running the lowest rank; if every hart runs as
        // high or higher, its last hart, where it waits its turn.
        u32 rank = rank_of(t.sched);
        bool prev_allowed = allowed & (1ull << prev);
        if (prev_allowed && __atomic_load_n(&s_rq[prev].running_rank, __ATOMIC_RELAXED) < rank)
            return prev;
        u32 lowest = prev_allowed ? prev : u32(__builtin_ctzll(allowed));
        for (u64 m = allowed; m; m &= m - 1) {
            u32 i = u32(__builtin_ctzll(m));
            if (__atomic_load_n(&s_rq[i].running_rank, __ATOMIC_RELAXED) <
                __atomic_load_n(&s_rq[lowest].running_rank, __ATOMIC_RELAXED))
                lowest = i;
        }
        return lowest;
    }
    bool prev_ok = !is_new && (allowed & (1ull << prev));
    if (prev_ok && s_rq[prev].idle())
        return prev;
    u32 best = prev_ok ? prev : u32(__builtin_ctzll(allowed));
    for (u64 m = allowed; m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        if (s_rq[i].idle())
            return i;
        if (s_rq[i].load() < s_rq[best].load())
            best = i;
    }
    // Cache warmth is worth one nice-0 thread's worth of imbalance.
    if (prev_ok && s_rq[prev].load() <= s_rq[best].load() + FairPolicy::NICE_0_WEIGHT)
        return prev;
    return best;
}

// The next thread of rq's queue, taken off it: real-time first unless
// throttled (then only if the time-sharing class has nothing ready: a
// throttle never idles a hart), then the time-sharing class. With no
// real-time thread ready this costs one bitmap test.
[[gnu::noinline]] Thread* pick_rt_rq_locked(RunQueue& rq)
{
    if (rq.rt_throttled && rq.queued != rq.rt_queued)
        return nullptr;
    SchedEntity* e = rq.rt.pick_next();
    if (!e)
        return nullptr;
    Thread* t = thread_of(e);
    dequeued_rq_locked(rq, *t);
    return t;
}

Thread* pick_runnable_rq_locked(RunQueue& rq)
{
    queue_lock(rq).assert_held();
    if (rq.rt_queued) [[unlikely]] {
        if (Thread* t = pick_rt_rq_locked(rq))
            return t;
    }
    SchedEntity* e = rq.policy->pick_next();
    if (!e)
        return nullptr;
    Thread* t = thread_of(e);
    --rq.queued; // a time-sharing thread: dequeued_rq_locked without the class test
    rq.queued_weight -= t->rq_weight;
    return t;
}

struct StealContext {
    u64 hart_bit;
    u64 max_weight;
};

bool may_steal(const SchedEntity& e, void* context)
{
    auto& c = *static_cast<StealContext*>(context);
    const Thread& t = *thread_of(const_cast<SchedEntity*>(&e));
    return (allowed_harts(t) & c.hart_bit) && FairPolicy::weight_of(e) <= c.max_weight;
}

bool may_run_here(const SchedEntity& e, void* context)
{
    auto& c = *static_cast<StealContext*>(context);
    return (allowed_harts(*thread_of(const_cast<SchedEntity*>(&e))) & c.hart_bit) && rank_of(e) > c.max_weight;
}

// A real-time thread queued on another hart behind a higher one, that
// `hart` (running rank `below`) would run at once: taken off that queue
// as take_from_busiest_rq_locked does, or nullptr. So no runnable
// real-time thread waits while a hart runs something lower or idles.
[[gnu::noinline]] Thread* take_rt_rq_locked(u32 hart, u32 below)
{
    for (u64 m = online_harts_mask() & ~(1ull << hart); m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        if (!__atomic_load_n(&s_rq[i].rt_queued, __ATOMIC_RELAXED))
            continue;
        RunQueue& from = s_rq[i];
        if (!from.lock.try_lock_nested())
            continue;
        Thread* taken = nullptr;
        StealContext context{1ull << hart, below};
        if (SchedEntity* e = from.rt.find_queued(may_run_here, &context, STEAL_LOOK)) {
            taken = thread_of(e);
            from.rt.remove(*e);
            dequeued_rq_locked(from, *taken);
            move_to_clock_of(*taken, hart);
        }
        from.lock.unlock_nested();
        if (taken)
            return taken;
    }
    return nullptr;
}

// Move a queued thread from the busiest hart to `hart` when that lowers
// the larger of the two loads (for an idle hart: any queued thread).
// Returns it, taken off the other queue, on `hart`'s clock and not yet
// queued anywhere. Holding `hart`'s queue lock, it only tries the other's:
// two harts stealing from each other must not wait for each other; a
// busy queue is left for the next balancing tick.
Thread* take_from_busiest_rq_locked(u32 hart)
{
    s_rq[hart].lock.assert_held();
    u32 busiest = hart;
    for (u64 m = online_harts_mask() & ~(1ull << hart); m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        if (__atomic_load_n(&s_rq[i].queued, __ATOMIC_RELAXED) &&
            (busiest == hart || s_rq[i].load() > s_rq[busiest].load()))
            busiest = i;
    }
    if (busiest == hart)
        return nullptr;
    RunQueue& from = s_rq[busiest];
    if (!from.lock.try_lock_nested())
        return nullptr;
    Thread* taken = nullptr;
    u64 mine = s_rq[hart].load();
    if (from.queued && mine < from.load()) {
        // Moving weight w helps while mine + w < theirs.
        StealContext context{1ull << hart, from.load() - mine - 1};
        if (SchedEntity* e = from.policy->find_queued(may_steal, &context, STEAL_LOOK)) {
            taken = thread_of(e);
            from.policy->remove(*e);
            dequeued_rq_locked(from, *taken);
            move_to_clock_of(*taken, hart); // under both locks
        }
    }
    from.lock.unlock_nested();
    return taken;
}

// Periodic balancing (every BALANCE_TICKS on each hart): pull one thread
// from the busiest hart if that evens the loads. An idle hart's loop
// picks it up after this interrupt.
void balance_rq_locked(u32 hart)
{
    RunQueue& rq = s_rq[hart];
    queue_lock(rq).assert_held();
    // The rank this hart will run next: what runs, or a higher queued one.
    u32 running = rq.running_rank, top = rq.rt.top_priority();
    if (top && 1 + top > running)
        running = 1 + top;
    Thread* t = rq.rt_throttled ? nullptr : take_rt_rq_locked(hart, running);
    if (t) [[unlikely]] {
        enqueue_rq_locked(*t, hart);
        if (!is_idle(current_thread()))
            current_thread().set_work(Thread::WORK_RESCHED);
        return;
    }
    if ((t = take_from_busiest_rq_locked(hart)))
        enqueue_rq_locked(*t, hart);
}

} // namespace

void scheduler_init(u64 time_slice_ns)
{
    wait_init();
    u64 ticks = time_slice_ns / (tick_period_ns() ? tick_period_ns() : 1);
    // sched=rr or sched=fair (the default) on the kernel command line.
    auto choice = boot_option("sched");
    bool rr = choice && *choice == lib::StringView("rr");
    for (RunQueue& rq : s_rq) {
        if (rr) {
            rq.round_robin.set_slice(ticks);
            rq.policy = &rq.round_robin;
        } else {
            rq.fair.configure(tick_period_ns());
            rq.policy = &rq.fair;
        }
    }
    s_policy = s_rq[0].policy;
    s_online = online_harts_mask();
    detail::g_one_hart = s_online == 1;
}

SchedulerPolicy& scheduler_policy() { return *s_policy; }

bool scheduler_reserve(usize n)
{
    // Any hart's queue may receive every ready thread.
    for (u64 harts = online_harts_mask(); harts; harts &= harts - 1) {
        RunQueue& rq = s_rq[__builtin_ctzll(harts)];
        SchedulerPolicy& policy = *rq.policy;
        // A queue's room only grows: enough now is enough later, and
        // asking costs no lock (nearly every clone).
        if (policy.room_needed(n) == 0)
            continue;
        for (;;) {
            usize bytes;
            {
                SpinLockGuard guard(queue_lock(rq));
                bytes = policy.room_needed(n);
            }
            if (bytes == 0)
                break;
            void* block = mm::kmalloc(bytes);
            if (!block)
                return false;
            void* spare;
            {
                SpinLockGuard guard(queue_lock(rq));
                spare = policy.adopt_room(block, bytes);
            }
            mm::kfree(spare);
        }
    }
    return true;
}

void set_nice_proc_locked(Thread& t, int nice)
{
    process_lock().assert_held();
    RunQueue& rq = lock_rq_of(t);
    class_of(rq, t.sched).renice(t.sched, SchedEntity::clamp_nice(nice));
    // Its share of the queue's load follows (queued, or running there).
    u32 weight = FairPolicy::weight_of(t.sched);
    if (t.state == ThreadState::Ready)
        rq.queued_weight += u64(weight) - t.rq_weight;
    else if (t.state == ThreadState::Running) // on the hart of rq_hart
        rq.running_weight = weight;
    t.rq_weight = weight;
    unlock_rq_of(rq);
}

namespace {

// t, running on its last hart, should give the hart up soon: at its next
// return to user mode (now, if that hart is this one and t the caller).
void resched_running(Thread& t)
{
    t.set_work(Thread::WORK_RESCHED);
    if (!one_hart() && t.last_hart != arch::this_hart().index)
        smp_send(1ull << t.last_hart, IPI_RESCHED);
}

// A real-time thread just queued on `target` (whose lock is held): true
// when it should take the hart from what runs there now (Linux's
// check_preempt_curr for the rt class). Never while throttled. On one
// hart the running thread is the current one (running_rank is kept for
// other harts to read).
inline bool preempts_rq_locked(RunQueue& rq, const Thread& t)
{
    queue_lock(rq).assert_held();
    u32 running = one_hart() ? (is_idle(current_thread()) ? 0 : rank_of(current_thread().sched)) : rq.running_rank;
    return rank_of(t.sched) > running && !rq.rt_throttled;
}

// This hart's running thread makes way at its next return to user mode
// (idle notices the queued thread on its own).
void preempt_here()
{
    Thread& me = current_thread();
    if (!is_idle(me))
        me.set_work(Thread::WORK_RESCHED);
}

// On one hart, under the process lock: queue a woken t, preempting a
// lower class.
inline void enqueue_one_hart(Thread& t)
{
    if (enqueue_rq_locked(t, 0)) [[unlikely]]
        preempt_here();
}

} // namespace

void set_policy_proc_locked(Thread& t, u8 policy, u8 rt_priority, bool reset_on_fork)
{
    process_lock().assert_held();
    RunQueue& rq = lock_rq_of(t);
    SchedEntity& e = t.sched;
    bool queued = t.state == ThreadState::Ready;
    if (queued) // leaves its class, counted as queued all along
        class_of(rq, e).remove(e);
    if (queued && e.is_rt())
        __atomic_store_n(&rq.rt_queued, rq.rt_queued - 1, __ATOMIC_RELAXED);
    bool was_rt = e.is_rt();
    e.policy = policy;
    e.rt_priority = rt_priority;
    e.reset_on_fork = reset_on_fork;
    e.preempted = false;
    e.slice_left = 0; // an RR slice starts afresh
    // Back in the time-sharing class: from its clock, as a new thread.
    if (was_rt && !e.is_rt())
        e.vruntime = rq.policy->clock();
    if (queued) {
        class_of(rq, e).enqueue(e);
        if (e.is_rt())
            __atomic_store_n(&rq.rt_queued, rq.rt_queued + 1, __ATOMIC_RELAXED);
    }
    u32 weight = FairPolicy::weight_of(e);
    if (queued)
        rq.queued_weight += u64(weight) - t.rq_weight;
    else if (t.state == ThreadState::Running)
        rq.running_weight = weight;
    t.rq_weight = weight;
    // Its hart decides afresh (Linux's check_class_changed): what runs
    // there may now be lower than t, or t lower than what waits.
    bool running = t.state == ThreadState::Running;
    if (running) {
        __atomic_store_n(&rq.running_rank, rank_of(e), __ATOMIC_RELAXED);
        if (e.policy == SchedEntity::POLICY_RR)
            e.slice_left = rq.rt.slice_ticks();
    }
    u32 hart = t.rq_hart;
    bool preempt = queued && e.is_rt() && preempts_rq_locked(rq, t);
    unlock_rq_of(rq);
    if (running) {
        resched_running(t);
    } else if (preempt) {
        if (one_hart() || hart == arch::this_hart().index)
            preempt_here();
        else
            smp_send(1ull << hart, IPI_RESCHED);
    }
}

u64 rr_interval_ns(const Thread& t)
{
    if (t.sched.policy == SchedEntity::POLICY_FIFO)
        return 0; // never sliced
    if (t.sched.policy == SchedEntity::POLICY_RR)
        return RealtimePolicy::RR_SLICE_NS;
    return tick_period_ns(); // the fair class's preemption granularity
}

i64 sched_rt_period_us() { return __atomic_load_n(&s_rt_period_us, __ATOMIC_RELAXED); }
i64 sched_rt_runtime_us() { return __atomic_load_n(&s_rt_runtime_us, __ATOMIC_RELAXED); }

bool set_sched_rt_bandwidth(i64 period_us, i64 runtime_us)
{
    // Linux's sched_rt_handler: a period of at least 1 us, a runtime of -1
    // (no throttle) or 0..period.
    if (period_us < 1 || period_us > 0x7fffffff || runtime_us < -1 || (runtime_us >= 0 && runtime_us > period_us))
        return false;
    __atomic_store_n(&s_rt_period_us, period_us, __ATOMIC_RELAXED);
    __atomic_store_n(&s_rt_runtime_us, runtime_us, __ATOMIC_RELAXED);
    return true;
}

namespace {

// Queue t, which runs nowhere or is the caller staying on its hart, on
// the hart that suits it. Out of line: the one-hart path of make_ready
// saves no registers for it.
[[gnu::noinline]] void place(Thread& t, bool is_new)
{
    u32 target = select_hart(t, is_new);
    // It may still be switching away on its last hart (blocked, then woken
    // at once). Queued there, it waits behind that hart's queue lock, held
    // until the switch is done. Queued elsewhere, it must not be picked
    // before: wait for its registers to be saved (Linux's wake-up waits
    // for on_cpu too). Never the picking hart waits: two harts each
    // picking the thread the other is leaving would wait forever.
    if (target != t.last_hart && __atomic_load_n(&t.on_cpu, __ATOMIC_ACQUIRE)) [[unlikely]] {
        while (__atomic_load_n(&t.on_cpu, __ATOMIC_ACQUIRE))
            smp_poll_while_spinning();
    }
    RunQueue& rq = s_rq[target];
    bool was_idle, preempt = false;
    {
        SpinLockGuard guard(rq.lock);
        was_idle = rq.running_weight == 0;
        preempt = enqueue_rq_locked(t, target);
    }
    // An idle hart sleeps in wfi: wake it. A busy one finds the thread at
    // its next tick or switch, unless the thread is real-time and higher
    // than what runs there: then at once.
    if (target != arch::this_hart().index) {
        if (was_idle || preempt)
            smp_send(1ull << target, IPI_RESCHED);
    } else if (preempt) {
        preempt_here();
    }
}

} // namespace

void make_ready_proc_locked(Thread& t)
{
    process_lock().assert_held();
    auto was = prof::mark(prof::Phase::Scheduler);
    // A thread woken from a timed wait leaves the sleep list too.
    if (t.sleep_node.next && t.sleep_node.is_linked())
        t.sleep_node.unlink();
    // New and Stopped change under the process lock only; Blocked may be
    // claimed by a waker holding another lock (a pipe's); Ready and
    // Running change under a run-queue lock.
    if (t.state == ThreadState::Blocked) {
        // On one hart every waker holds the process lock: no race to claim.
        if (!one_hart() && !claim_blocked(t))
            return; // another waker has it
    } else if constexpr (TEST_BUILD) {
        VERIFY(t.state == ThreadState::New || t.state == ThreadState::Stopped);
    }
    bool is_new = t.state == ThreadState::New;
    if (one_hart()) {
        enqueue_one_hart(t); // under the process lock, its queue lock
    } else {
        place(t, is_new);
    }
    prof::mark(was);
}

void affinity_changed_proc_locked(Thread& t)
{
    process_lock().assert_held();
    u64 allowed = t.affinity & online_harts_mask();
    RunQueue& rq = lock_rq_of(t);
    if (t.state == ThreadState::Ready && !(allowed & (1ull << t.rq_hart))) {
        // Queued where it may no longer run: queue it again.
        class_of(rq, t.sched).remove(t.sched);
        dequeued_rq_locked(rq, t);
        t.state = ThreadState::New; // placed afresh, like a new thread
        unlock_rq_of(rq);
        make_ready_proc_locked(t);
        return;
    }
    if (t.state == ThreadState::Running && !(allowed & (1ull << t.last_hart))) {
        // Running where it may no longer run: it leaves at its next
        // return to user mode, and yielding places it elsewhere.
        t.set_work(Thread::WORK_RESCHED);
        if (t.last_hart != arch::this_hart().index)
            smp_send(1ull << t.last_hart, IPI_RESCHED);
    }
    unlock_rq_of(rq);
}

void smp_reschedule_requested()
{
    // Idle notices on its own: the interrupt ended its wfi.
    Thread& t = current_thread();
    if (!is_idle(t))
        t.set_work(Thread::WORK_RESCHED);
}

namespace {

// Switch this hart to the next ready thread (or idle). The caller holds
// rq's lock (this hart's) and set the current thread's state to say why
// it stops (Ready if queued again, Blocked, Stopped, Dead...). Returns
// when the current thread runs again, perhaps on another hart, holding
// that hart's queue lock, which the thread that switched to it took.
[[gnu::always_inline]] inline void schedule_rq_locked(RunQueue& rq)
{
    VERIFY(queue_lock(rq).is_held_by_this_hart()); // in every build: a switch without it corrupts the run queue
    auto was = prof::mark(prof::Phase::Scheduler);
    Thread& prev = *static_cast<Thread*>(arch::this_hart().current); // current_thread(), inline
    u32 hart = arch::this_hart().index;
    Thread* const idle = &idle_thread(hart);
    Thread* next = pick_runnable_rq_locked(rq);
    if (!next && !one_hart()) {
        // This hart would idle: a real-time thread waiting elsewhere, else
        // work from the busiest.
        next = take_rt_rq_locked(hart, 0);
        if (!next)
            next = take_from_busiest_rq_locked(hart);
    }
    if (!next) {
        if (&prev == idle) {
            prof::mark(was);
            return;
        }
        next = idle;
    }
    rq.running_weight = next == idle ? 0 : next->rq_weight; // its weight when queued
    if (!one_hart()) // for placement and preemption from other harts
        __atomic_store_n(&rq.running_rank, next == idle ? 0 : rank_of(next->sched), __ATOMIC_RELAXED);
    if (next == &prev) {
        prev.state = ThreadState::Running;
        class_of(rq, prev.sched).started(prev.sched);
        prof::mark(was);
        return;
    }
    // Whoever queued it waited for its registers to be saved (place), or
    // it was queued behind this queue's lock, held since.
    if constexpr (TEST_BUILD)
        VERIFY(!next->on_cpu); // still running (or saving its registers) on another hart
    next->state = ThreadState::Running;
    // Whether its registers are live: wakers on other harts wait for it
    // (place); one hart has no other to wait, and the test kernel checks.
    if (TEST_BUILD || !one_hart()) {
        next->on_cpu = true;
        arch::this_hart().switched_from = &prev;
    }
    if (next->last_hart != hart) {
        // Its FP registers on this hart, if any, are older than its saved state.
        if (arch::this_hart().fp_owner == next)
            arch::this_hart().fp_owner = nullptr;
        next->last_hart = hart;
    }
    if (next != idle)
        started_rq_locked(rq, next->sched);
    arch::this_hart().current = next;
    prof::mark(prof::Phase::Switch);
    // Idle runs in the kernel half, which every table shares: no switch.
    // Threads of one process share the table: no switch either.
    mm::AddressSpace* next_space = next->process->address_space;
    if (next_space && next_space != mm::AddressSpace::active())
        next_space->activate();
    prof::mark(prof::Phase::Scheduler);
    ++s_switches[hart];
    u64 counter = arch::read_time();
    u64 now = counter_to_monotonic_ns(counter);
    if (&prev == idle) {
        __atomic_store_n(&s_idle_ns[hart], s_idle_ns[hart] + (now - s_idle_since[hart]), __ATOMIC_RELAXED);
        __atomic_store_n(&s_idle_since[hart], 0, __ATOMIC_RELAXED);
    } else if (prev.state != ThreadState::Dead) { // a dead thread's time is final
        // Kernel time up to the switch is prev's; time switched out is nobody's.
        prev.cpu.switch_out(counter);
        fold_cpu_time(prev.cpu);
    }
    if (next == idle)
        __atomic_store_n(&s_idle_since[hart], now, __ATOMIC_RELAXED);
    prof::mark(prof::Phase::Switch);
    // The interrupt state to restore when the lock is released belongs to
    // the thread that took the lock, not to the hart: carry it across.
    bool irq_was_on = arch::this_hart().irq_was_on;
    fp_switch_out(prev);
    switch_context(&prev.context, &next->context);
    prof::mark(prof::Phase::Scheduler);
    arch::this_hart().irq_was_on = irq_was_on;
    switched_in_rq_locked();
    arch::bind_frame_to_hart(prev.frame, prev.kernel_stack_top);
    fp_switch_in(prev);
    prev.cpu.switch_in(arch::read_time()); // running again from here
    prof::mark(was);
    // Running again (this may be much later, on behalf of prev).
}

// A thread that must leave its hart (its affinity excludes it) while
// running there: switched away first, then queued elsewhere by the next
// thread on the hart once its registers are saved and the queue lock is
// dropped (finish_switch). Until then it is Running on no hart.
constinit Thread* s_leaving[MAX_HARTS] = {};

// After a switch: drop this hart's queue lock, taken by whichever thread
// switched here, then queue the thread that left it for another hart.
void finish_switch()
{
    if (one_hart()) {
        process_lock().unlock(); // the queue's lock; nobody leaves the only hart
        return;
    }
    u32 hart = arch::this_hart().index;
    Thread* leaving = s_leaving[hart];
    s_leaving[hart] = nullptr;
    queue_lock(s_rq[hart]).unlock();
    if (leaving) [[unlikely]]
        place(*leaving, false);
}

// The current thread gives up the hart but stays ready: queued here, or
// where its affinity lets it run, and switched away.
void requeue_current_and_switch(bool preempted)
{
    Thread& t = current_thread();
    // A real-time thread that lost the hart (not one that yields) keeps
    // its place at the head of its list.
    if (preempted && t.sched.is_rt()) [[unlikely]]
        t.sched.preempted = true;
    u32 hart = arch::this_hart().index;
    RunQueue& rq = s_rq[hart];
    queue_lock(rq).lock();
    if (!is_idle(t)) {
        if (one_hart() || (allowed_harts(t) & (1ull << hart)))
            enqueue_rq_locked(t, hart);
        else
            s_leaving[hart] = &t;
    }
    schedule_rq_locked(rq);
    finish_switch();
}

} // namespace

void switch_away_proc_locked()
{
    process_lock().assert_held();
    // The queue lock is taken before the process lock is dropped, so a
    // waker (which needs the process lock) finds this thread blocked and
    // its hart's queue locked until the switch is done.
    RunQueue& rq = s_rq[arch::this_hart().index];
    if (one_hart()) {
        schedule_rq_locked(rq); // the process lock is the queue's
        return;
    }
    rq.lock.lock();
    process_lock().unlock();
    schedule_rq_locked(rq);
    finish_switch();
    process_lock().lock();
}

void switched_in_rq_locked()
{
    queue_lock(s_rq[arch::this_hart().index]).assert_held();
    // The thread switched away from has its registers saved now: another
    // hart may run it. Then a dead one is freed.
    auto* from = static_cast<Thread*>(arch::this_hart().switched_from);
    if (from) {
        if constexpr (TEST_BUILD)
            VERIFY(from->on_cpu);
        __atomic_store_n(&from->on_cpu, false, __ATOMIC_RELEASE);
        arch::this_hart().switched_from = nullptr;
    }
    free_retiring_thread();
}

void yield_current() { requeue_current_and_switch(false); }

SpinLock& sched_detail::this_rq_lock() { return s_rq[arch::this_hart().index].lock; }

void sched_detail::switch_rq_locked()
{
    schedule_rq_locked(s_rq[arch::this_hart().index]);
    finish_switch();
}

void sched_detail::queue_claimed(Thread& t)
{
    if (one_hart())
        enqueue_one_hart(t);
    else
        place(t, false);
}

void finish_first_switch() { finish_switch(); }

namespace {

// The real-time throttle's tick, under rq's lock: charge a running
// real-time thread, start a new period when one ended. True when the
// running thread should make way: a real-time one past the runtime with
// time-sharing work waiting, or a time-sharing one when the period that
// throttled real-time work ends.
bool rt_bandwidth_tick_rq_locked(RunQueue& rq, const Thread& running, u64 now)
{
    queue_lock(rq).assert_held();
    // The time since the last tick, not the nominal period: a late tick
    // (a busy host) charges what really passed.
    u64 since = now > rq.last_tick_ns ? now - rq.last_tick_ns : 0;
    rq.last_tick_ns = now;
    bool rt = !is_idle(running) && running.sched.is_rt();
    if (!rt && !rq.rt_throttled) [[likely]]
        return false; // nothing to charge, nothing to lift
    u64 period_ns = u64(sched_rt_period_us()) * 1000;
    i64 runtime_us = sched_rt_runtime_us();
    if (now - rq.rt_period_start_ns >= period_ns) {
        rq.rt_period_start_ns = now;
        rq.rt_used_ns = 0;
        if (rq.rt_throttled) {
            rq.rt_throttled = false;
            return !rt && rq.rt.has_ready();
        }
    }
    if (!rt)
        return false;
    rq.rt_used_ns += since < period_ns ? since : period_ns;
    if (runtime_us >= 0 && rq.rt_used_ns >= u64(runtime_us) * 1000)
        rq.rt_throttled = true;
    return rq.rt_throttled && rq.queued > rq.rt_queued;
}

} // namespace

void scheduler_tick()
{
    if (!s_policy)
        return;
    Thread& running = current_thread();
    arch::Hart& hart = arch::this_hart();
    RunQueue& rq = s_rq[hart.index];
    process_lock().lock();
    u64 now = monotonic_ns();
    update_load_proc_locked(now);
    wake_due_proc_locked(now);
    if (!is_idle(running))
        cpu_itimers_tick_proc_locked(running);
    if (!one_hart()) {
        process_lock().unlock();
        rq.lock.lock();
        if ((hart.ticks + hart.index) % BALANCE_TICKS == 0)
            balance_rq_locked(hart.index);
    }
    bool resched = rt_bandwidth_tick_rq_locked(rq, running, now);
    if (!is_idle(running) && (class_of(rq, running.sched).tick(running.sched) || resched))
        running.set_work(Thread::WORK_RESCHED);
    queue_lock(rq).unlock();
}

void preempt_if_needed()
{
    Thread& t = current_thread();
    if (!t.has_work(Thread::WORK_RESCHED))
        return;
    t.clear_work(Thread::WORK_RESCHED);
    requeue_current_and_switch(true);
}

void scheduler_run_idle()
{
    for (;;) {
        // Interrupts stay off from the check to wfi, so a wake-up between
        // them cannot be missed: wfi returns on a pending interrupt even
        // with sstatus.SIE clear (priv spec 4.1.3 / 3.3.3).
        arch::interrupts_disable();
        queue_lock(s_rq[arch::this_hart().index]).lock();
        schedule_rq_locked(s_rq[arch::this_hart().index]);
        finish_switch(); // idle never moves: this hart's queue lock
        arch::wait_for_interrupt();
        arch::interrupts_enable();
    }
}

u64 context_switches()
{
    u64 n = 0;
    for (const u64& c : s_switches)
        n += __atomic_load_n(&c, __ATOMIC_RELAXED);
    return n;
}

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
    t.idle_ns = idle_ns(index);
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
        s.idle_ns += idle_ns(i);
    }
    if (!is_idle(me)) {
        user += me.cpu.user - me.cpu.user_folded;
        run += me.cpu.run_ticks(true) - me.cpu.run_folded;
    }
    s.user_ns = counter_to_ns(user);
    s.system_ns = counter_to_ns(run > user ? run - user : 0);
    s.switches = context_switches();
    s.interrupts = tick_count();
    s.forks = s_forks;
    s.running = count_active();
    s.tasks = task_count_proc_locked();
    s.last_pid = s_last_pid;
    for (int i = 0; i < 3; ++i)
        s.load[i] = s_load[i];
    return s;
}

} // namespace kernel
