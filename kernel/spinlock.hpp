// Spinlocks that disable interrupts on this hart while held (so an
// interrupt handler can never spin on a lock its own hart holds), taken
// only through RAII guards. Protected<T> makes data reachable only with its
// lock held.
#pragma once

#include "arch/arch.hpp"
#include "kernel/panic.hpp"

namespace kernel {

class SpinLock {
public:
    constexpr explicit SpinLock(const char* name) : m_name(name) {}
    SpinLock(const SpinLock&) = delete;

    void lock()
    {
        arch::push_interrupts_off();
        if (is_held_by_this_hart())
            panic_message(__FILE__, __LINE__, m_name); // recursive acquire: a deadlock
        while (__atomic_exchange_n(&m_locked, 1u, __ATOMIC_ACQUIRE) != 0)
            ;
        m_owner = &arch::this_hart();
    }

    void unlock()
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
    const char* name() const { return m_name; }

private:
    u32 m_locked = 0;
    arch::Hart* m_owner = nullptr;
    const char* m_name;
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
    constexpr explicit Protected(const char* name) : m_lock(name) {}

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
