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

// The error code lives beside the value (0 = success) and the error's text
// shares the value's storage, so a Result<u64> or Result<void> is two
// registers: for a trivially copyable T it is trivially copyable too and
// comes back from a call in a0/a1 (the psABI passes such a struct of at
// most two words in registers), never through memory. The storage is a
// base class chosen by T's triviality (clang 14, which builds the host
// fuzzers, lacks C++20's conditionally trivial special members).
namespace detail {

template <typename T, bool = __is_trivially_copyable(T) && __has_trivial_destructor(T)> struct ResultStorage {
    ResultStorage(const T& v) : m_value(v), m_code{} {}
    ResultStorage(T&& v) : m_value(lib::move(v)), m_code{} {}
    ResultStorage(const char* what, Errno code) : m_what(what), m_code(code) {}
    ResultStorage(const ResultStorage& o) : m_code(o.m_code)
    {
        if (m_code == Errno{})
            new (&m_value) T(o.m_value);
        else
            m_what = o.m_what;
    }
    ResultStorage(ResultStorage&& o) : m_code(o.m_code)
    {
        if (m_code == Errno{})
            new (&m_value) T(lib::move(o.m_value));
        else
            m_what = o.m_what;
    }
    ResultStorage& operator=(const ResultStorage& o)
    {
        if (this != &o) {
            this->~ResultStorage();
            new (this) ResultStorage(o);
        }
        return *this;
    }
    ResultStorage& operator=(ResultStorage&& o)
    {
        if (this != &o) {
            this->~ResultStorage();
            new (this) ResultStorage(lib::move(o));
        }
        return *this;
    }
    ~ResultStorage()
    {
        if (m_code == Errno{})
            m_value.~T();
    }

    union {
        T m_value;
        const char* m_what;
    };
    Errno m_code;
};

template <typename T> struct ResultStorage<T, true> {
    ResultStorage(const T& v) : m_value(v), m_code{} {}
    ResultStorage(const char* what, Errno code) : m_what(what), m_code(code) {}

    union {
        T m_value;
        const char* m_what;
    };
    Errno m_code;
};

} // namespace detail

template <typename T> class [[nodiscard]] Result : private detail::ResultStorage<T> {
    using Storage = detail::ResultStorage<T>;

public:
    Result(const T& v) : Storage(v) {}
    Result(T&& v) : Storage(lib::move(v)) {}
    // An error: the code must be a real errno (not 0).
    Result(Error e) : Storage(e.what, e.code) {}
    Result(Errno e) : Storage(nullptr, e) {}

    bool is_ok() const { return this->m_code == Errno{}; }
    bool is_error() const { return !is_ok(); }
    explicit operator bool() const { return is_ok(); }
    T& value() { return this->m_value; }
    const T& value() const { return this->m_value; }
    T& operator*() { return this->m_value; }
    T* operator->() { return &this->m_value; }
    const T* operator->() const { return &this->m_value; }
    T release_value() { return lib::move(this->m_value); }
    Error error() const { return Error{this->m_code, this->m_what}; }
    Errno code() const { return this->m_code; }
    T value_or(T fallback) const { return is_ok() ? this->m_value : fallback; }
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() : m_what(nullptr), m_code{} {}
    Result(Error e) : m_what(e.what), m_code(e.code) {}
    Result(Errno e) : m_what(nullptr), m_code(e) {}
    bool is_ok() const { return m_code == Errno{}; }
    bool is_error() const { return !is_ok(); }
    explicit operator bool() const { return is_ok(); }
    Error error() const { return Error{m_code, m_what}; }
    Errno code() const { return m_code; }
    void release_value() {}

private:
    const char* m_what;
    Errno m_code;
};

static_assert(sizeof(Result<u64>) == 16 && __is_trivially_copyable(Result<u64>));
static_assert(sizeof(Result<void>) == 16 && __is_trivially_copyable(Result<void>));

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
