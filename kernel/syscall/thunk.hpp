// From the trap frame to a typed handler. syscall_thunk<sys_read> reads
// the handler's parameter types off its function type, decodes each
// register parameter from a0..a5 in order (lib/syscall_arg.hpp: Linux's
// casts), passes Process& and arch::TrapFrame& through without using a
// register, and turns the Result into what goes back in a0. The handler
// is a template argument, so it is called directly and a small one is
// inlined into its thunk: the dispatch table holds the thunks.
#pragma once

#include "kernel/syscall/syscall.hpp"

namespace kernel {

using SyscallThunk = i64 (*)(Process&, arch::TrapFrame&);

namespace syscall_detail {

template <typename T> struct Param {
    static_assert(lib::DecodableSyscallArg<T>, "no SyscallArg<T> decodes this parameter type");
    static constexpr bool uses_register = true;
    static T get(Process&, arch::TrapFrame& f, unsigned reg) { return lib::SyscallArg<T>::decode(f.syscall_arg(reg)); }
};

template <> struct Param<Process&> {
    static constexpr bool uses_register = false;
    static Process& get(Process& p, arch::TrapFrame&, unsigned) { return p; }
};

template <> struct Param<arch::TrapFrame&> {
    static constexpr bool uses_register = false;
    static arch::TrapFrame& get(Process&, arch::TrapFrame& f, unsigned) { return f; }
};

template <usize... I> struct IndexSequence {};
template <usize N, usize... I> struct MakeIndexSequence : MakeIndexSequence<N - 1, N - 1, I...> {};
template <usize... I> struct MakeIndexSequence<0, I...> {
    using Type = IndexSequence<I...>;
};

// Which register the parameter at `position` comes from: the number of
// register parameters before it.
template <typename... Ps> constexpr unsigned register_of(usize position)
{
    constexpr bool uses[] = {Param<Ps>::uses_register..., false};
    unsigned reg = 0;
    for (usize i = 0; i < position; ++i)
        reg += uses[i];
    return reg;
}

template <typename Handler> struct Thunk;

template <typename... Ps> struct Thunk<Result<u64> (*)(Ps...)> {
    static_assert(((Param<Ps>::uses_register ? 1 : 0) + ... + 0) <= 6, "a system call has at most six arguments");

    template <auto Handler, usize... I>
    [[gnu::always_inline]] static Result<u64> call(Process& p, arch::TrapFrame& f, IndexSequence<I...>)
    {
        return Handler(Param<Ps>::get(p, f, register_of<Ps...>(I))...);
    }

    template <auto Handler> [[gnu::always_inline]] static i64 run(Process& p, arch::TrapFrame& f)
    {
        Result<u64> r = call<Handler>(p, f, typename MakeIndexSequence<sizeof...(Ps)>::Type{});
        return r.is_ok() ? i64(r.value()) : -i64(r.code());
    }
};

} // namespace syscall_detail

template <auto Handler> [[gnu::always_inline]] inline i64 syscall_thunk(Process& p, arch::TrapFrame& f)
{
    return syscall_detail::Thunk<decltype(Handler)>::template run<Handler>(p, f);
}

// The table's entries: syscall_entry_read() is syscall_thunk<sys_read>,
// defined in sys_read's own file (instantiate_thunks.inc) where the
// handler is inlined into it.
#define SYSCALL(number, name, handler, family, attrs, params, note)                                               \
    i64 syscall_entry_##handler(Process&, arch::TrapFrame&);
#define ALIAS(number, name, handler, family, attrs, note)
#define MISSING(number, name, note)
#include "kernel/syscall/syscalls.def"
#undef SYSCALL
#undef ALIAS
#undef MISSING

} // namespace kernel
