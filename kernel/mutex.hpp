// A sleeping lock for long critical sections that allocate (the VFS): a
// thread that finds it taken blocks on a wait queue instead of spinning,
// and interrupts stay on while it is held. Owned by a process, not a hart.
// Taken only with no spinlock held (the rank rules of kernel/locking.hpp),
// never from an interrupt handler.
#pragma once

#include "kernel/locking.hpp"
#include "kernel/panic.hpp"
#include "kernel/process/wait_queue.hpp"
#include "kernel/test_build.hpp"

namespace kernel {

class Mutex {
public:
    constexpr explicit Mutex(LockRank rank) : m_rank(rank) {}
    Mutex(const Mutex&) = delete;

    void lock();
    // As lock, but a signal for the thread ends the wait: false, not held.
    [[nodiscard]] bool lock_interruptible();
    void unlock();
    bool is_held_by_current() const;
    // The first line of every `_locked` function that needs this lock (in
    // the test kernel only, as SpinLock::assert_held).
    void assert_held() const
    {
        if constexpr (TEST_BUILD)
            VERIFY(is_held_by_current());
    }
    const char* name() const { return lock_rank_name(m_rank); }

private:
    bool lock_or_wait(bool interruptible);
    bool lock_slow(void* me, bool interruptible);

    void* m_owner = nullptr; // the owning thread (owner_token()), or null
    u32 m_waiters = 0;       // someone may be blocked on m_queue
    WaitQueue m_queue;       // [process lock]
    LockRank m_rank;
};

class MutexGuard {
public:
    explicit MutexGuard(Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexGuard() { m_mutex.unlock(); }
    MutexGuard(const MutexGuard&) = delete;

private:
    Mutex& m_mutex;
};

} // namespace kernel
