// A sleeping lock for long critical sections that allocate (the VFS): a
// thread that finds it taken blocks on a wait queue instead of spinning,
// and interrupts stay on while it is held. Owned by a process, not a hart.
// Taken only with no spinlock held (the rank rules of kernel/locking.hpp),
// never from an interrupt handler.
#pragma once

#include "kernel/locking.hpp"
#include "kernel/spinlock.hpp" // LOCK_ORDER_CHECKS
#include "kernel/panic.hpp"
#include "kernel/process/wait_queue.hpp"
#include "kernel/test_build.hpp"

namespace kernel {

class Mutex {
public:
    constexpr explicit Mutex(LockRank rank) : m_rank(rank) {}
    Mutex(const Mutex&) = delete;

    // The fast paths inline (a pipe's read and write, brk and every page
    // fault take one): one compare-and-swap each way when nobody waits.
    // The test kernel always takes the checked path.
    void lock()
    {
        if (!try_fast_lock())
            (void)lock_or_wait(false);
    }
    // As lock, but a signal for the thread ends the wait: false, not held.
    [[nodiscard]] bool lock_interruptible() { return try_fast_lock() || lock_or_wait(true); }
    void unlock()
    {
        if constexpr (!LOCK_ORDER_CHECKS) {
            if (__atomic_load_n(&m_owner, __ATOMIC_RELAXED) == owner_token()) [[likely]] {
                __atomic_store_n(&m_owner, nullptr, __ATOMIC_SEQ_CST);
                if (__atomic_load_n(&m_waiters, __ATOMIC_SEQ_CST)) [[unlikely]]
                    wake_waiters();
                return;
            }
        }
        unlock_slow();
    }
    bool is_held_by_current() const { return __atomic_load_n(&m_owner, __ATOMIC_RELAXED) == owner_token(); }
    // The first line of every `_locked` function that needs this lock (in
    // the test kernel only, as SpinLock::assert_held).
    void assert_held() const
    {
        if constexpr (TEST_BUILD)
            VERIFY(is_held_by_current());
    }
    const char* name() const { return lock_rank_name(m_rank); }

private:
    // The current thread; before threads exist (early boot) the hart itself.
    static void* owner_token()
    {
        arch::Hart& hart = arch::this_hart();
        return hart.current ? hart.current : static_cast<void*>(&hart);
    }
    bool try_fast_lock()
    {
        if constexpr (LOCK_ORDER_CHECKS)
            return false;
        void* expected = nullptr;
        return __atomic_compare_exchange_n(&m_owner, &expected, owner_token(), false, __ATOMIC_SEQ_CST,
                                           __ATOMIC_RELAXED);
    }
    void unlock_slow();
    void wake_waiters();
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
