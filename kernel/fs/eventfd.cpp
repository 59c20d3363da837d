// The eventfd counter. Its state is guarded by the process lock, which
// its waits need anyway (as a pipe's is).
#include "kernel/fs/eventfd.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/wait_queue.hpp"

namespace kernel {

namespace {

// The counter never reaches ~0: a write that would make it pass this waits.
constexpr u64 MAX_COUNT = ~0ull - 1;

class EventFd final : public File {
public:
    EventFd(u64 initial, bool semaphore) : m_count(initial), m_semaphore(semaphore) {}

    Result<usize> read(u64 buffer, usize length) override
    {
        if (length < sizeof(u64))
            return Errno::einval;
        u64 value;
        {
            SpinLockGuard guard(process_lock());
            while (m_count == 0) {
                if (flags() & O_NONBLOCK)
                    return Errno::eagain;
                if (block_on_proc_locked(m_readers))
                    return Errno::eintr;
            }
            value = m_semaphore ? 1 : m_count;
            m_count -= value;
            changed_proc_locked(POLLOUT | POLLWRNORM, m_writers);
        }
        // As Linux: a bad buffer loses the value taken.
        TRY(mm::write_user(buffer, value));
        return sizeof(u64);
    }

    Result<usize> write(u64 buffer, usize length) override
    {
        if (length < sizeof(u64))
            return Errno::einval;
        u64 value = TRY(mm::read_user<u64>(buffer));
        if (value == ~0ull)
            return Errno::einval;
        SpinLockGuard guard(process_lock());
        while (MAX_COUNT - m_count < value) {
            if (flags() & O_NONBLOCK)
                return Errno::eagain;
            if (block_on_proc_locked(m_writers))
                return Errno::eintr;
        }
        m_count += value;
        if (value)
            changed_proc_locked(POLLIN | POLLRDNORM, m_readers);
        return sizeof(u64);
    }

    // Linux's eventfd_poll: readable with a count, writable while one
    // more can be added.
    u32 poll_proc_locked() override
    {
        process_lock().assert_held();
        return (m_count > 0 ? POLLIN | POLLRDNORM : 0) | (m_count < MAX_COUNT ? POLLOUT | POLLWRNORM : 0);
    }
    PollQueue* poll_queue() override { return &m_poll; }

    Result<void> stat(LinuxStat& st) override
    {
        anonymous_file_stat(st, this);
        return {};
    }

private:
    void changed_proc_locked(u32 events, WaitQueue& waiters)
    {
        process_lock().assert_held();
        wake_all_proc_locked(waiters);
        if (!m_poll.is_empty())
            poll_wake_proc_locked(m_poll, events);
    }

    void destroy() override { mm::destroy(this); }

    u64 m_count;          // [P]
    bool m_semaphore;
    WaitQueue m_readers;  // [P]
    WaitQueue m_writers;  // [P]
    PollQueue m_poll;     // [P]
};

} // namespace

Result<File*> eventfd_create(u64 initial, u32 flags)
{
    auto* f = mm::make<EventFd>(initial, (flags & EFD_SEMAPHORE) != 0);
    if (!f)
        return Errno::enomem;
    f->set_flags(O_RDWR | (flags & O_NONBLOCK));
    return static_cast<File*>(f);
}

} // namespace kernel
