// UserPtr<T>: an address in a user program's memory that should hold a T.
// It is only a number the program passed us: it has no dereference
// operator, and the only way to reach what it points at is the checked
// copies in kernel/mm/uaccess.hpp, which turn a bad address into EFAULT.
#pragma once

#include "lib/types.hpp"

namespace lib {

template <typename T> class UserPtr {
public:
    using Element = T;

    constexpr UserPtr() = default;
    constexpr explicit UserPtr(u64 address) : m_address(address) {}

    constexpr u64 address() const { return m_address; }
    constexpr bool is_null() const { return m_address == 0; }
    constexpr explicit operator bool() const { return m_address != 0; }

    // The element `count` places on, as in C; no check here (the copy
    // that uses it checks the range, and wrapping makes it fail there).
    constexpr UserPtr operator+(u64 count) const
        requires(!is_same<RemoveCvRefT<T>, void>)
    {
        return UserPtr(m_address + count * sizeof(T));
    }

    // A different view of the same address (a byte buffer handed on as
    // the structure the call reads from it, for instance).
    template <typename U> constexpr UserPtr<U> as() const { return UserPtr<U>(m_address); }

    // Read-only view: a UserPtr<T> goes wherever a UserPtr<const T> is asked for.
    constexpr operator UserPtr<const T>() const
        requires(!is_same<T, const T>)
    {
        return UserPtr<const T>(m_address);
    }

    constexpr bool operator==(const UserPtr&) const = default;

private:
    u64 m_address = 0;
};

} // namespace lib

using lib::UserPtr;
