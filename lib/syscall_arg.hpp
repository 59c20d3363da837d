// How a system-call argument register becomes a handler's parameter.
// Linux's SYSCALL_DEFINEn receives every argument as a long and casts it
// to the declared type (include/linux/syscalls.h, __SC_CAST), so an
// `int` parameter is the low 32 bits of its register, an `unsigned int`
// the same bits unsigned, and `long`, `size_t` and pointers the whole
// register. SyscallArg<T>::decode does that cast for each type a handler
// may declare; the kernel's thunks (kernel/syscall/thunk.hpp) call it.
#pragma once

#include "lib/types.hpp"
#include "lib/user_ptr.hpp"

namespace lib {

// A file descriptor as a system call receives it: the low 32 bits of its
// register, as an int (negative ones are EBADF, or AT_FDCWD for a
// directory descriptor). A distinct type so it cannot be passed where a
// count or a pid is meant.
enum class Fd : i32 {
    at_cwd = -100, // AT_FDCWD (include/uapi/linux/fcntl.h)
};

template <typename T> struct SyscallArg;

// Integers: the C cast from the register, i.e. the low bits for the
// narrower types (modular since C++20). bool is not a Linux argument type.
template <Integral T>
    requires(!is_same<RemoveCvRefT<T>, bool>)
struct SyscallArg<T> {
    static constexpr T decode(u64 reg) { return T(reg); }
};

// Enumerations (Fd and friends): the cast to their underlying integer.
template <typename T>
    requires(__is_enum(T))
struct SyscallArg<T> {
    static constexpr T decode(u64 reg) { return T(__underlying_type(T)(reg)); }
};

// User pointers: the whole register.
template <typename T> struct SyscallArg<UserPtr<T>> {
    static constexpr UserPtr<T> decode(u64 reg) { return UserPtr<T>(reg); }
};

template <typename T> concept DecodableSyscallArg = requires(u64 reg) {
    { SyscallArg<T>::decode(reg) } -> SameAs<T>;
};

} // namespace lib

using lib::Fd;
