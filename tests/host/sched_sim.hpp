// A tick-by-tick model of the scheduling mechanism (kernel/process/
// scheduler.cpp) for the policy tests: tasks that hog the CPU or sleep in
// bursts, a timer that charges each tick to the running task, wakes due
// sleepers and preempts when the policy says so. It calls the policy in
// the kernel's order (wake, tick, then enqueue the preempted task before
// picking), so a policy that misbehaves here misbehaves in the kernel.
#pragma once

#include "kernel/process/sched_policy.hpp"

#include <cstddef>
#include <cstdlib>
#include <vector>

namespace sched_test {

using kernel::SchedEntity;
using kernel::SchedulerPolicy;

// The policies' memory seam, faked: malloc with a byte budget, counting
// calls; what is still allocated is freed when the fake goes. The seam is
// two plain functions, so they serve the newest FakeMemory: a test with
// two policies gives them one.
class FakeMemory {
public:
    static inline FakeMemory* current = nullptr; // the seam's target

    explicit FakeMemory(size_t budget = SIZE_MAX) : m_budget(budget) { current = this; }
    ~FakeMemory()
    {
        for (void* p : m_live)
            std::free(p);
        current = nullptr;
    }

    kernel::PolicyMemory seam() const { return {&FakeMemory::allocate, &FakeMemory::release}; }
    size_t allocations() const { return m_allocations; }
    size_t live_blocks() const { return m_live.size(); }
    void set_budget(size_t bytes) { m_budget = bytes; }

private:
    static void* allocate(size_t bytes)
    {
        FakeMemory& m = *current;
        if (bytes > m.m_budget)
            return nullptr;
        ++m.m_allocations;
        void* p = std::malloc(bytes);
        m.m_live.push_back(p);
        return p;
    }
    static void release(void* p)
    {
        FakeMemory& m = *current;
        for (size_t i = 0; i < m.m_live.size(); ++i)
            if (m.m_live[i] == p) {
                m.m_live.erase(m.m_live.begin() + long(i));
                std::free(p);
                return;
            }
        std::abort(); // freed something it never gave out
    }

    size_t m_budget;
    size_t m_allocations = 0;
    std::vector<void*> m_live;
};

struct Task {
    SchedEntity se; // first: task_of() maps an entity back
    // A hog always wants the CPU; a sleeper runs `burst` ticks, then sleeps
    // `sleep` ticks.
    unsigned burst = 0, sleep = 0;
    bool sleeping = false;
    unsigned ran_in_burst = 0;
    unsigned long wake_at = 0;
    // What the simulation measured.
    unsigned long cpu_ticks = 0;
    unsigned long ready_since = 0;  // tick it last became ready
    unsigned long max_wait = 0;     // longest ready-to-running delay, ticks
    unsigned long runs = 0;         // times it was started

    bool is_hog() const { return burst == 0; }
};

inline Task* task_of(SchedEntity* e) { return reinterpret_cast<Task*>(e); }

class Sim {
public:
    explicit Sim(SchedulerPolicy& policy) : m_policy(policy) {}

    // t becomes ready now (a sleeper starts with its burst).
    void add(Task& t)
    {
        t.ready_since = m_now;
        m_policy.enqueue(t.se);
    }

    // One timer tick: the running task had the CPU for it.
    void step()
    {
        if (!m_running)
            dispatch();
        ++m_now;
        wake_due();
        Task* r = m_running;
        if (!r)
            return;
        ++r->cpu_ticks;
        bool preempt = m_policy.tick(r->se);
        if (!r->is_hog() && ++r->ran_in_burst >= r->burst) {
            r->sleeping = true;
            r->wake_at = m_now + r->sleep;
            m_asleep.push_back(r);
            m_running = nullptr;
            dispatch();
        } else if (preempt) {
            add(*r);
            m_running = nullptr;
            dispatch();
        }
    }
    void run(unsigned long ticks)
    {
        for (unsigned long i = 0; i < ticks; ++i)
            step();
    }

    Task* running() const { return m_running; }
    unsigned long now() const { return m_now; }

private:
    void dispatch()
    {
        SchedEntity* e = m_policy.pick_next();
        if (!e)
            return;
        m_running = task_of(e);
        m_policy.started(*e);
        unsigned long waited = m_now - m_running->ready_since;
        if (waited > m_running->max_wait)
            m_running->max_wait = waited;
        ++m_running->runs;
    }
    void wake_due()
    {
        std::vector<Task*> still;
        for (Task* t : m_asleep) {
            if (t->wake_at > m_now) {
                still.push_back(t);
                continue;
            }
            t->sleeping = false;
            t->ran_in_burst = 0;
            add(*t);
        }
        m_asleep = still;
    }

    SchedulerPolicy& m_policy;
    Task* m_running = nullptr;
    std::vector<Task*> m_asleep;
    unsigned long m_now = 0;
};

} // namespace sched_test
