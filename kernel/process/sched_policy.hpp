// The scheduling policy interface: which ready entity runs next and when
// the running one has had enough. A policy object is one run queue's
// state (its ready set, its clock of virtual time); it works on
// SchedEntity only and never sees a Process, a lock or the hardware, so
// the same source builds for the kernel and the host tests. The caller
// (kernel/process/scheduler.cpp) holds the run queue's lock around every
// call and maps between processes and entities.
#pragma once

#include "kernel/process/sched_entity.hpp"

namespace kernel {

// Where a policy's own bookkeeping arrays come from (kmalloc in the
// kernel, a fake in the host tests). allocate returns nullptr when out of
// memory.
struct PolicyMemory {
    void* (*allocate)(usize bytes);
    void (*release)(void* block);
};

class SchedulerPolicy {
public:
    // e became ready.
    virtual void enqueue(SchedEntity& e) = 0;
    // e leaves the ready set before being picked (it died, say); nothing
    // happens if it is not queued.
    virtual void remove(SchedEntity& e) = 0;
    // Take the next entity to run out of the ready set, or nullptr when
    // none is ready.
    virtual SchedEntity* pick_next() = 0;
    // A timer tick charged to the running entity: true = preempt it.
    virtual bool tick(SchedEntity& running) = 0;
    // The running entity was just picked: start its time slice.
    virtual void started(SchedEntity& e) = 0;
    virtual const char* name() const = 0;
    // e's nice value becomes `nice` (already clamped to NICE_MIN..NICE_MAX);
    // e may be queued.
    virtual void renice(SchedEntity& e, int nice) { e.nice = nice; }
    // Room for n ready entities, so that enqueue never needs memory (fork
    // makes room before the child exists). In two steps, so that the
    // caller allocates with no lock held (scheduler_reserve): with the run
    // queue's lock held, room_needed(n) is the size in bytes of the bigger
    // queue to allocate (0: there is room), and adopt_room(block, bytes)
    // moves the queue into the block if it still needs it and returns what
    // to free afterwards (the old queue, or the block itself when another
    // caller made room first; may be nullptr). A queue's room never
    // shrinks, so a 0 from room_needed without the lock holds (the caller
    // asks without it first).
    virtual usize room_needed(usize) const { return 0; }
    // Moving between run queues (harts): the queue's clock, against which
    // an entity's own progress is measured (fair: min_vruntime; 0 when the
    // policy keeps none). An entity leaving one queue for another keeps
    // its distance to the clock.
    virtual u64 clock() const { return 0; }
    // A queued entity for which accept(e, ctx) holds, looking at no more
    // than `limit` of them (the next to run first), or nullptr. It stays
    // queued: the caller removes it.
    virtual SchedEntity* find_queued(bool (*accept)(const SchedEntity&, void*), void* ctx, usize limit) = 0;
    virtual void* adopt_room(void* block, usize) { return block; }

protected:
    constexpr SchedulerPolicy() = default;
    ~SchedulerPolicy() = default;
};

} // namespace kernel
