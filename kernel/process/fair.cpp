// The weighted fair policy (after Linux's CFS): every entity accumulates
// "virtual runtime", its CPU time divided by a weight from its nice value
// (Linux's sched_prio_to_weight: each nice step is ~1.25x), and the ready
// entity with the least runs next. A binary min-heap keeps that O(log n)
// per decision. An entity waking from a sleep is placed no further back
// than one latency period behind the others, so interactive processes get
// the CPU promptly while CPU hogs cannot be starved nor starve anyone.
#include "kernel/process/fair.hpp"
#include "kernel/panic.hpp"

namespace kernel {

// FairPolicy::WEIGHTS is kernel/sched/core.c's sched_prio_to_weight, nice -20 .. 19.
static_assert(FairPolicy::WEIGHTS[0 - SchedEntity::NICE_MIN] == FairPolicy::NICE_0_WEIGHT);

void FairPolicy::enqueue(SchedEntity& e)
{
    // A sleeper comes back at most one latency period behind the queue:
    // prompt, but no hoarded credit.
    u64 credit = wake_credit_ns();
    u64 floor = m_min_vruntime > credit ? m_min_vruntime - credit : 0;
    if (e.vruntime < floor)
        e.vruntime = floor;
    // The heap holds one pointer per ready entity and grows in doubling
    // steps; fork reserves room before a process can be enqueued
    // (reserve()), so this cannot fail here.
    if (m_count == m_capacity)
        VERIFY(grow(m_count + 1));
    m_heap[m_count] = &e;
    e.heap_index = u32(m_count);
    ++m_count;
    sift_up(m_count - 1);
}

void FairPolicy::remove(SchedEntity& e)
{
    if (e.heap_index == SchedEntity::NOT_QUEUED || e.heap_index >= m_count || m_heap[e.heap_index] != &e)
        return;
    usize i = e.heap_index;
    e.heap_index = SchedEntity::NOT_QUEUED;
    --m_count;
    if (i == m_count)
        return;
    m_heap[i] = m_heap[m_count];
    m_heap[i]->heap_index = u32(i);
    sift_down(i);
    sift_up(i);
}

SchedEntity* FairPolicy::pick_next()
{
    if (m_count == 0)
        return nullptr;
    SchedEntity* e = m_heap[0];
    remove(*e);
    return e;
}

SchedEntity* FairPolicy::find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit)
{
    // Heap order: the first entries are the ones due soonest.
    for (usize i = 0; i < m_count && i < limit; ++i)
        if (accept(*m_heap[i], ctx))
            return m_heap[i];
    return nullptr;
}

bool FairPolicy::tick(SchedEntity& running)
{
    running.vruntime += m_tick_ns * NICE_0_WEIGHT / weight_of(running);
    if (m_count == 0)
        return false;
    // Preempt once the running entity is ahead of the best waiting one by
    // more than one nice-0 tick (so equals alternate every tick).
    return running.vruntime > m_heap[0]->vruntime + m_tick_ns;
}

void FairPolicy::renice(SchedEntity& e, int nice)
{
    // The weight changes how fast vruntime grows from now on; a queued
    // entity keeps its place (its key, vruntime, is unchanged).
    e.nice = nice;
}

usize FairPolicy::room_needed(usize n) const
{
    if (n <= m_capacity)
        return 0;
    usize capacity = m_capacity ? m_capacity * 2 : 64;
    while (capacity < n)
        capacity *= 2;
    return capacity * sizeof(SchedEntity*);
}

void* FairPolicy::adopt_room(void* block, usize bytes)
{
    usize capacity = bytes / sizeof(SchedEntity*);
    if (capacity <= m_capacity)
        return block; // someone made room meanwhile
    auto** heap = static_cast<SchedEntity**>(block);
    for (usize i = 0; i < m_count; ++i)
        heap[i] = m_heap[i];
    SchedEntity** old = m_heap;
    m_heap = heap;
    m_capacity = capacity;
    return old;
}

bool FairPolicy::reserve(usize n)
{
    usize bytes = room_needed(n);
    if (bytes == 0)
        return true;
    void* block = m_memory.allocate(bytes);
    if (!block)
        return false;
    if (void* spare = adopt_room(block, bytes))
        m_memory.release(spare);
    return true;
}

bool FairPolicy::grow(usize needed)
{
    if (needed <= m_capacity)
        return true;
    usize capacity = m_capacity ? m_capacity * 2 : 64;
    while (capacity < needed)
        capacity *= 2;
    auto** heap = static_cast<SchedEntity**>(m_memory.allocate(capacity * sizeof(SchedEntity*)));
    if (!heap)
        return false;
    for (usize i = 0; i < m_count; ++i)
        heap[i] = m_heap[i];
    if (m_heap)
        m_memory.release(m_heap);
    m_heap = heap;
    m_capacity = capacity;
    return true;
}

// The heap helpers are inline: every switch runs them, and with one or two
// ready entities a call costs more than their work.
inline bool FairPolicy::less(usize a, usize b)
{
    ++m_comparisons;
    return m_heap[a]->vruntime < m_heap[b]->vruntime;
}

inline void FairPolicy::swap_at(usize a, usize b)
{
    lib::swap(m_heap[a], m_heap[b]);
    m_heap[a]->heap_index = u32(a);
    m_heap[b]->heap_index = u32(b);
}

inline void FairPolicy::sift_up(usize i)
{
    while (i > 0 && less(i, (i - 1) / 2)) {
        swap_at(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

inline void FairPolicy::sift_down(usize i)
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

} // namespace kernel
