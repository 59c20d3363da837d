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

// Calling a handler: its by-value parameters come from the argument
// registers in order (the n-th one from register n, whatever references
// sit between them), its reference parameters are the context objects of
// the same type (the kernel passes the process and the trap frame).
// `reg(i)` reads argument register i.
namespace syscall_detail {

template <usize... I> struct IndexSequence {};
template <usize N, usize... I> struct MakeIndexSequence : MakeIndexSequence<N - 1, N - 1, I...> {};
template <usize... I> struct MakeIndexSequence<0, I...> {
    using Type = IndexSequence<I...>;
};

template <typename T> inline constexpr bool from_register = true;
template <typename T> inline constexpr bool from_register<T&> = false;

// The register of the parameter at `position`: how many by-value
// parameters come before it.
template <typename... Ps> constexpr unsigned register_of(usize position)
{
    constexpr bool uses[] = {from_register<Ps>..., false};
    unsigned reg = 0;
    for (usize i = 0; i < position; ++i)
        reg += uses[i];
    return reg;
}

template <typename T, typename First, typename... Rest>
[[gnu::always_inline]] constexpr T& context_of(First& first, Rest&... rest)
{
    if constexpr (is_same<RemoveCvRefT<T>, RemoveCvRefT<First>>)
        return first;
    else {
        static_assert(sizeof...(Rest) > 0, "a reference parameter of a type no context object has");
        return context_of<T>(rest...);
    }
}

template <typename T, unsigned Index, typename ReadRegister, typename... Context>
[[gnu::always_inline]] constexpr decltype(auto) parameter(ReadRegister& reg, Context&... context)
{
    if constexpr (from_register<T>) {
        static_assert(DecodableSyscallArg<T>, "no SyscallArg<T> decodes this parameter type");
        return SyscallArg<T>::decode(reg(Index));
    } else {
        return context_of<RemoveReferenceT<T>>(context...);
    }
}

template <typename Handler> struct Invoke;

template <typename R, typename... Ps> struct Invoke<R (*)(Ps...)> {
    static_assert(((from_register<Ps> ? 1 : 0) + ... + 0) <= 6, "a system call has at most six arguments");
    static constexpr usize arity = sizeof...(Ps);

    template <auto Handler, typename ReadRegister, typename... Context, usize... I>
    [[gnu::always_inline]] static constexpr R call(IndexSequence<I...>, ReadRegister& reg, Context&... context)
    {
        return Handler(parameter<Ps, register_of<Ps...>(I)>(reg, context...)...);
    }
};

} // namespace syscall_detail

template <auto Handler, typename ReadRegister, typename... Context>
[[gnu::always_inline]] constexpr decltype(auto) call_with_syscall_args(ReadRegister&& reg, Context&... context)
{
    using Invoke = syscall_detail::Invoke<decltype(Handler)>;
    return Invoke::template call<Handler>(typename syscall_detail::MakeIndexSequence<Invoke::arity>::Type{}, reg,
                                          context...);
}

} // namespace lib

using lib::Fd;
