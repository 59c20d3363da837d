// Spinlocks that disable interrupts on this hart while held (so an
// interrupt handler can never spin on a lock its own hart holds), taken
// only through RAII guards. Protected<T> makes data reachable only with its
// lock held. Every lock has a rank (kernel/locking.hpp: the lock order and
// what each lock guards); the test kernel checks the order on every
// acquire.
#pragma once

#include "arch/arch.hpp"
#include "kernel/locking.hpp"
#include "kernel/panic.hpp"
#include "kernel/test_build.hpp"

namespace kernel {

// The order checker runs in the test kernel only: production keeps the
// cheaper recursion check alone.
inline constexpr bool LOCK_ORDER_CHECKS = TEST_BUILD;

void smp_poll_while_spinning(); // kernel/smp.hpp

// Panics naming the lock being taken and the highest-ranked lock held.
[[noreturn]] void lock_order_violation(LockRank taking, u64 held_ranks);

// The order rule: every rank held is below the one being taken (an equal
// rank is refused too: the same lock again would deadlock).
constexpr bool lock_order_allows(u64 held_ranks, LockRank taking) { return (held_ranks >> unsigned(taking)) == 0; }

class SpinLock {
public:
    constexpr explicit SpinLock(LockRank rank) : m_rank(rank) {}
    SpinLock(const SpinLock&) = delete;

    void lock()
    {
        arch::push_interrupts_off();
        if constexpr (LOCK_ORDER_CHECKS) {
            u64 held = arch::this_hart().held_lock_ranks;
            if (!lock_order_allows(held, m_rank)) [[unlikely]]
                lock_order_violation(m_rank, held);
        } else if (is_held_by_this_hart()) {
            panic_message(__FILE__, __LINE__, name()); // recursive acquire: a deadlock
        }
        if (__atomic_exchange_n(&m_locked, 1u, __ATOMIC_ACQUIRE) != 0) [[unlikely]]
            spin_contended();
        m_owner = &arch::this_hart();
        if constexpr (LOCK_ORDER_CHECKS)
            m_owner->held_lock_ranks |= lock_rank_bit(m_rank);
    }

    void unlock()
    {
        VERIFY(is_held_by_this_hart());
        if constexpr (LOCK_ORDER_CHECKS)
            m_owner->held_lock_ranks &= ~lock_rank_bit(m_rank);
        m_owner = nullptr;
        __atomic_store_n(&m_locked, 0u, __ATOMIC_RELEASE);
        arch::pop_interrupts_off();
    }

    // Another lock of a rank this hart already holds (a second run queue,
    // to move a thread between them), without waiting: a try cannot
    // deadlock, so the order rule does not apply. The rank stays marked
    // held by the first lock; release with unlock_nested.
    bool try_lock_nested()
    {
        arch::push_interrupts_off();
        if constexpr (LOCK_ORDER_CHECKS)
            VERIFY(arch::this_hart().held_lock_ranks & lock_rank_bit(m_rank));
        if (__atomic_load_n(&m_locked, __ATOMIC_RELAXED) != 0 ||
            __atomic_exchange_n(&m_locked, 1u, __ATOMIC_ACQUIRE) != 0) {
            arch::pop_interrupts_off();
            return false;
        }
        m_owner = &arch::this_hart();
        return true;
    }

    void unlock_nested()
    {
        VERIFY(is_held_by_this_hart());
        m_owner = nullptr;
        __atomic_store_n(&m_locked, 0u, __ATOMIC_RELEASE);
        arch::pop_interrupts_off();
    }

    bool is_held_by_this_hart() const
    {
        return __atomic_load_n(&m_locked, __ATOMIC_RELAXED) && m_owner == &arch::this_hart();
    }
    // The first line of every `_locked` function that needs this lock. In
    // the test kernel only: some run per page or per wake-up, and the
    // check measurably slowed boot (per free page) and pipe ping-pong.
    void assert_held() const
    {
        if constexpr (TEST_BUILD)
            VERIFY(is_held_by_this_hart());
    }
    const char* name() const { return lock_rank_name(m_rank); }
    LockRank rank() const { return m_rank; }

private:
    [[gnu::noinline]] void spin_contended()
    {
        u64 start = arch::read_time();
        while (__atomic_exchange_n(&m_locked, 1u, __ATOMIC_ACQUIRE) != 0)
            smp_poll_while_spinning(); // answer shootdowns: the holder may be waiting for us
        note_contention(m_rank, arch::read_time() - start);
    }

    u32 m_locked = 0;
    arch::Hart* m_owner = nullptr;
    LockRank m_rank;
};

class SpinLockGuard {
public:
    explicit SpinLockGuard(SpinLock& lock) : m_lock(lock) { m_lock.lock(); }
    ~SpinLockGuard() { m_lock.unlock(); }
    SpinLockGuard(const SpinLockGuard&) = delete;

private:
    SpinLock& m_lock;
};

template <typename T> class Protected {
public:
    constexpr explicit Protected(LockRank rank) : m_lock(rank) {}

    template <typename F> auto with(F&& f)
    {
        SpinLockGuard guard(m_lock);
        return f(m_value);
    }

private:
    SpinLock m_lock;
    T m_value{};
};

} // namespace kernel
