// The sleeping lock. Fast path: one compare-and-swap on the owner. Slow
// path: under the process lock, announce a waiter, try again, and block;
// unlock wakes the waiters when one was announced. The announcement and
// the owner are both sequentially consistent, so an unlock either sees the
// waiter or the waiter sees the lock free (no lost wake-up).
#include "kernel/mutex.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

namespace {

// The test kernel's order check among mutexes: a thread takes them in
// rising rank (kernel/locking.hpp), and holds them across sleeps, so the
// ranks it holds are the thread's, not the hart's.
u64& held_mutex_ranks()
{
    arch::Hart& hart = arch::this_hart();
    if (auto* t = static_cast<Thread*>(hart.current))
        return t->mutex_ranks;
    return hart.boot_mutex_ranks;
}

void note_taken(LockRank rank)
{
    if constexpr (LOCK_ORDER_CHECKS)
        held_mutex_ranks() |= lock_rank_bit(rank);
}

} // namespace


bool Mutex::lock_or_wait(bool interruptible)
{
    // Sleeping while holding a spinlock would deadlock this hart: the
    // mutex ranks below every spinlock.
    if constexpr (LOCK_ORDER_CHECKS) {
        u64 held = arch::this_hart().held_lock_ranks;
        if (held) [[unlikely]]
            lock_order_violation(m_rank, held);
        if (u64 mutexes = held_mutex_ranks() & ~(lock_rank_bit(m_rank) - 1)) [[unlikely]]
            lock_order_violation(m_rank, mutexes);
    }
    void* me = owner_token();
    if (__atomic_load_n(&m_owner, __ATOMIC_RELAXED) == me)
        PANIC("mutex taken twice by the same thread");
    void* expected = nullptr;
    if (__atomic_compare_exchange_n(&m_owner, &expected, me, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
        note_taken(m_rank);
        return true;
    }
    return lock_slow(me, interruptible);
}

bool Mutex::lock_slow(void* me, bool interruptible)
{
    u64 start = arch::read_time();
    SpinLockGuard guard(process_lock());
    for (;;) {
        __atomic_store_n(&m_waiters, 1u, __ATOMIC_SEQ_CST);
        void* expected = nullptr;
        if (__atomic_compare_exchange_n(&m_owner, &expected, me, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            note_taken(m_rank);
            note_contention(m_rank, arch::read_time() - start);
            return true;
        }
        // Woken by unlock, or early by a signal: try again, unless the
        // signal is to end an interruptible wait.
        if (!interruptible)
            block_uninterruptible_proc_locked(m_queue);
        else if (block_on_proc_locked(m_queue)) {
            note_contention(m_rank, arch::read_time() - start);
            return false;
        }
    }
}

void Mutex::unlock_slow()
{
    VERIFY(is_held_by_current());
    if constexpr (LOCK_ORDER_CHECKS)
        held_mutex_ranks() &= ~lock_rank_bit(m_rank);
    __atomic_store_n(&m_owner, nullptr, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&m_waiters, __ATOMIC_SEQ_CST))
        wake_waiters();
}

void Mutex::wake_waiters()
{
    SpinLockGuard guard(process_lock());
    m_waiters = 0;
    wake_all_proc_locked(m_queue);
}

} // namespace kernel
