// Optional<T> for the freestanding kernel (no <optional> there).
#pragma once

#include "lib/types.hpp"

namespace lib {

template <typename T> class Optional {
public:
    constexpr Optional() : m_has(false) {}
    Optional(const T& v) : m_has(true) { new (&m_value) T(v); }
    Optional(T&& v) : m_has(true) { new (&m_value) T(lib::move(v)); }
    Optional(const Optional& o) : m_has(o.m_has)
    {
        if (m_has)
            new (&m_value) T(o.m_value);
    }
    Optional& operator=(const Optional& o)
    {
        if (this != &o) {
            reset();
            m_has = o.m_has;
            if (m_has)
                new (&m_value) T(o.m_value);
        }
        return *this;
    }
    ~Optional() { reset(); }

    void reset()
    {
        if (m_has)
            m_value.~T();
        m_has = false;
    }
    bool has_value() const { return m_has; }
    explicit operator bool() const { return m_has; }
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    T& operator*() { return m_value; }
    const T& operator*() const { return m_value; }
    T* operator->() { return &m_value; }
    const T* operator->() const { return &m_value; }
    T value_or(T fallback) const { return m_has ? m_value : fallback; }

private:
    bool m_has;
    union {
        char m_none = 0; // the active member while empty (constant-initializable)
        T m_value;
    };
};

} // namespace lib
