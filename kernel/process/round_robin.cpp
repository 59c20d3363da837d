// Round-robin policy: one FIFO of ready processes; every process gets a
// time slice of the configured length (default one 10 ms tick). O(1)
// enqueue, remove and pick.
#include "kernel/process/scheduler.hpp"
#include "kernel/time.hpp"

namespace kernel {

namespace {

class RoundRobin final : public SchedulerPolicy {
public:
    void set_slice(u64 slice_ticks) { m_slice_ticks = slice_ticks ? slice_ticks : 1; }

    void enqueue(Process& p) override { m_ready.push_back(p); }
    void remove(Process& p) override { Queue::remove(p); }
    Process* pick_next() override { return m_ready.pop_front(); }
    void started(Process&) override { m_remaining = m_slice_ticks; }
    bool tick(Process&) override
    {
        if (m_remaining > 0)
            --m_remaining;
        // Preempt only if someone else is waiting: a lone process keeps
        // the CPU without a pointless switch.
        return m_remaining == 0 && !m_ready.is_empty();
    }
    const char* name() const override { return "rr"; }

private:
    using Queue = lib::IntrusiveList<Process, &Process::queue_node>;
    Queue m_ready;
    u64 m_slice_ticks = 1;
    u64 m_remaining = 1; // of the running process (one hart today)
};

RoundRobin s_round_robin;

} // namespace

SchedulerPolicy& round_robin_policy(u64 slice_ticks)
{
    s_round_robin.set_slice(slice_ticks);
    return s_round_robin;
}

} // namespace kernel
