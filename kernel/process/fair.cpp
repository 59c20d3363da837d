// The weighted fair policy (after Linux's CFS): every process accumulates
// "virtual runtime", its CPU time divided by a weight from its nice value
// (Linux's sched_prio_to_weight: each nice step is ~1.25x), and the ready
// process with the least runs next. A binary min-heap keeps that O(log n)
// per decision. A process waking from a sleep is placed no further back
// than one latency period behind the others, so interactive processes get
// the CPU promptly while CPU hogs cannot be starved nor starve anyone.
#include "kernel/mm/kmalloc.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/time.hpp"

namespace kernel {

namespace {

// kernel/sched/core.c sched_prio_to_weight, nice -20 .. 19.
constexpr u32 WEIGHTS[40] = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,  335,  272,  215,
    172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
};

u32 weight_of(const Process& p) { return WEIGHTS[p.nice + 20]; }

class FairPolicy final : public SchedulerPolicy {
public:
    void configure(u64 tick_ns) { m_tick_ns = tick_ns ? tick_ns : 10000000; }

    void enqueue(Process& p) override
    {
        // A sleeper comes back at most one latency period (3 ticks of a
        // nice-0 process) behind the queue: prompt, but no hoarded credit.
        u64 floor = m_min_vruntime > 3 * m_tick_ns ? m_min_vruntime - 3 * m_tick_ns : 0;
        if (p.vruntime < floor)
            p.vruntime = floor;
        // The heap holds one pointer per ready process and grows in
        // doubling steps; fork reserves room before a process can be
        // enqueued (reserve()), so this cannot fail here.
        VERIFY(grow(m_count + 1));
        m_heap[m_count] = &p;
        p.heap_index = u32(m_count);
        ++m_count;
        sift_up(m_count - 1);
    }

    void remove(Process& p) override
    {
        if (p.heap_index == ~0u || p.heap_index >= m_count || m_heap[p.heap_index] != &p)
            return;
        usize i = p.heap_index;
        p.heap_index = ~0u;
        --m_count;
        if (i == m_count)
            return;
        m_heap[i] = m_heap[m_count];
        m_heap[i]->heap_index = u32(i);
        sift_down(i);
        sift_up(i);
    }

    Process* pick_next() override
    {
        if (m_count == 0)
            return nullptr;
        Process* p = m_heap[0];
        remove(*p);
        return p;
    }

    void started(Process& p) override
    {
        if (p.vruntime > m_min_vruntime)
            m_min_vruntime = p.vruntime;
    }

    bool tick(Process& running) override
    {
        running.vruntime += m_tick_ns * 1024 / weight_of(running);
        if (m_count == 0)
            return false;
        // Preempt once the running process is ahead of the best waiting one
        // by more than one nice-0 tick (so equals alternate every tick).
        return running.vruntime > m_heap[0]->vruntime + m_tick_ns;
    }

    void renice(Process& p) override
    {
        // The weight changes how fast vruntime grows from now on; a queued
        // process keeps its place.
        (void)p;
    }

    // Without the process lock (kernel/locking.hpp: no allocation under a
    // spinlock): allocate outside it, install under it.
    bool reserve(usize n) override
    {
        for (;;) {
            usize capacity;
            {
                SpinLockGuard guard(process_lock());
                if (n <= m_capacity)
                    return true;
                capacity = m_capacity ? m_capacity * 2 : 64;
                while (capacity < n)
                    capacity *= 2;
            }
            auto** heap = static_cast<Process**>(mm::kmalloc(capacity * sizeof(Process*)));
            if (!heap)
                return false;
            Process** unused = heap;
            {
                SpinLockGuard guard(process_lock());
                if (capacity > m_capacity) { // nobody grew it meanwhile
                    for (usize i = 0; i < m_count; ++i)
                        heap[i] = m_heap[i];
                    unused = m_heap;
                    m_heap = heap;
                    m_capacity = capacity;
                }
            }
            mm::kfree(unused);
        }
    }

    const char* name() const override { return "fair"; }

private:
    bool grow(usize needed)
    {
        if (needed <= m_capacity)
            return true;
        usize capacity = m_capacity ? m_capacity * 2 : 64;
        auto** heap = static_cast<Process**>(mm::kmalloc(capacity * sizeof(Process*)));
        if (!heap)
            return false;
        for (usize i = 0; i < m_count; ++i)
            heap[i] = m_heap[i];
        mm::kfree(m_heap);
        m_heap = heap;
        m_capacity = capacity;
        return true;
    }
    bool less(usize a, usize b) const { return m_heap[a]->vruntime < m_heap[b]->vruntime; }
    void swap_at(usize a, usize b)
    {
        lib::swap(m_heap[a], m_heap[b]);
        m_heap[a]->heap_index = u32(a);
        m_heap[b]->heap_index = u32(b);
    }
    void sift_up(usize i)
    {
        while (i > 0 && less(i, (i - 1) / 2)) {
            swap_at(i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }
    void sift_down(usize i)
    {
        for (;;) {
            usize smallest = i, l = 2 * i + 1, r = 2 * i + 2;
            if (l < m_count && less(l, smallest))
                smallest = l;
            if (r < m_count && less(r, smallest))
                smallest = r;
            if (smallest == i)
                return;
            swap_at(i, smallest);
            i = smallest;
        }
    }

    Process** m_heap = nullptr;
    usize m_count = 0, m_capacity = 0;
    u64 m_min_vruntime = 0;
    u64 m_tick_ns = 10000000;
};

constinit FairPolicy s_fair;

} // namespace

SchedulerPolicy& fair_policy(u64 tick_ns)
{
    s_fair.configure(tick_ns);
    return s_fair;
}

} // namespace kernel
