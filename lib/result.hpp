// Result<T>: a value or an Errno, in the spirit of SerenityOS's ErrorOr and
// std::expected. Kernel code returns it instead of -1 or panicking; TRY()
// propagates the error to the caller.
#pragma once

#include "lib/errno.hpp"
#include "lib/types.hpp"

namespace lib {

struct Error {
    Errno code;
    // A static string saying what was wrong, for messages ("bad FDT magic").
    const char* what = nullptr;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(const T& v) : m_ok(true) { new (&m_value) T(v); }
    Result(T&& v) : m_ok(true) { new (&m_value) T(lib::move(v)); }
    Result(Error e) : m_ok(false), m_error(e) {}
    Result(Errno e) : m_ok(false), m_error{e, nullptr} {}
    Result(const Result& o) : m_ok(o.m_ok)
    {
        if (m_ok)
            new (&m_value) T(o.m_value);
        else
            m_error = o.m_error;
    }
    Result(Result&& o) : m_ok(o.m_ok)
    {
        if (m_ok)
            new (&m_value) T(lib::move(o.m_value));
        else
            m_error = o.m_error;
    }
    Result& operator=(const Result& o)
    {
        if (this != &o) {
            this->~Result();
            new (this) Result(o);
        }
        return *this;
    }
    Result& operator=(Result&& o)
    {
        if (this != &o) {
            this->~Result();
            new (this) Result(lib::move(o));
        }
        return *this;
    }
    ~Result()
    {
        if (m_ok)
            m_value.~T();
    }

    bool is_ok() const { return m_ok; }
    bool is_error() const { return !m_ok; }
    explicit operator bool() const { return m_ok; }
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    T& operator*() { return m_value; }
    T* operator->() { return &m_value; }
    const T* operator->() const { return &m_value; }
    T release_value() { return lib::move(m_value); }
    Error error() const { return m_error; }
    Errno code() const { return m_error.code; }
    T value_or(T fallback) const { return m_ok ? m_value : fallback; }

private:
    bool m_ok;
    union {
        T m_value;
        Error m_error;
    };
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() : m_ok(true) {}
    Result(Error e) : m_ok(false), m_error(e) {}
    Result(Errno e) : m_ok(false), m_error{e, nullptr} {}
    bool is_ok() const { return m_ok; }
    bool is_error() const { return !m_ok; }
    explicit operator bool() const { return m_ok; }
    Error error() const { return m_error; }
    Errno code() const { return m_error.code; }
    void release_value() {}

private:
    bool m_ok;
    Error m_error{};
};

inline Error make_error(Errno code, const char* what) { return Error{code, what}; }

} // namespace lib

using lib::Result;

// Evaluate a Result expression; on error return it from the enclosing
// function, otherwise yield the value (a GNU statement expression, as
// SerenityOS's TRY).
#define TRY(expr)                                                                                  \
    ({                                                                                             \
        auto _try_result = (expr);                                                                 \
        if (_try_result.is_error())                                                                \
            return _try_result.error();                                                            \
        _try_result.release_value();                                                               \
    })
