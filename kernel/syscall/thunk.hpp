// From the trap frame to a typed handler. syscall_thunk<sys_read> reads
// the handler's parameter types off its function type, decodes each
// by-value parameter from a0..a5 in order (lib/syscall_arg.hpp: Linux's
// casts), passes Thread&, Process& and arch::TrapFrame& parameters through without
// using a register, and turns the Result into what goes back in a0. The
// handler is a template argument, so it is called directly and inlined
// into its thunk: the dispatch table holds the thunks.
#pragma once

#include "kernel/syscall/syscall.hpp"

namespace kernel {

using SyscallThunk = i64 (*)(Thread&, arch::TrapFrame&);

template <auto Handler> [[gnu::always_inline]] inline i64 syscall_thunk(Thread& t, arch::TrapFrame& f)
{
    Result<u64> r =
        lib::call_with_syscall_args<Handler>([&f](unsigned i) { return f.syscall_arg(i); }, t, *t.process, f);
    return r.is_ok() ? i64(r.value()) : -i64(r.code());
}

// The table's entries: syscall_entry_read() is syscall_thunk<sys_read>,
// defined in sys_read's own file (instantiate_thunks.inc) where the
// handler is inlined into it.
#define SYSCALL(number, name, handler, family, attrs, params, note)                                               \
    i64 syscall_entry_##handler(Thread&, arch::TrapFrame&);
#define ALIAS(number, name, handler, family, attrs, note)
#define MISSING(number, name, note)
#include "kernel/syscall/syscalls.def"
#undef SYSCALL
#undef ALIAS
#undef MISSING

} // namespace kernel
