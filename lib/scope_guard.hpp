// Run a callback when a scope ends, however it ends (an early return, a
// TRY): the rollback of a half-built object is written once, next to the
// step it undoes, instead of in a ladder before every error return.
// ScopeGuard always runs; ArmedScopeGuard runs unless disarm() was called
// (call it once the object is committed). SerenityOS's AK/ScopeGuard.h is
// the model. Freestanding: builds for the kernel and the host tests.
#pragma once

#include "lib/types.hpp"

namespace lib {

template <typename Callback> class ScopeGuard {
public:
    constexpr explicit ScopeGuard(Callback callback) : m_callback(lib::move(callback)) {}
    ~ScopeGuard() { m_callback(); }
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;

private:
    Callback m_callback;
};

template <typename Callback> class ArmedScopeGuard {
public:
    constexpr explicit ArmedScopeGuard(Callback callback) : m_callback(lib::move(callback)) {}
    ~ArmedScopeGuard()
    {
        if (m_armed)
            m_callback();
    }
    ArmedScopeGuard(const ArmedScopeGuard&) = delete;
    ArmedScopeGuard& operator=(const ArmedScopeGuard&) = delete;

    // The work is committed: the rollback must not run.
    void disarm() { m_armed = false; }
    bool is_armed() const { return m_armed; }

private:
    Callback m_callback;
    bool m_armed = true;
};

} // namespace lib
