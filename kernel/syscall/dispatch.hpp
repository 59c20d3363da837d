// The dispatcher: number -> thunk -> handler, and the result or -errno
// back. Inline, because it runs on every system call (kernel/trap/ calls
// it); the table and the cold paths are in dispatch.cpp, all made from
// syscalls.def.
#pragma once

#include "kernel/syscall/thunk.hpp"
#include "kernel/test_build.hpp"

namespace kernel {

inline constexpr u64 SYSCALL_COUNT = 512;

struct SyscallTable {
    SyscallThunk thunks[SYSCALL_COUNT] = {};
    const char* names[SYSCALL_COUNT] = {};
    u64 restarted_without_handler_only[SYSCALL_COUNT / 64] = {}; // attribute no_restart
    u64 never_restarted[SYSCALL_COUNT / 64] = {};                // attribute eintr_final
    constexpr SyscallTable();
};
extern const SyscallTable g_syscall_table;

// Out of line and cold: -ENOSYS (logged once per number), a call
// interrupted by a signal (remember how to restart it), the phase
// profiler's report and the test kernel's checks after each call.
[[gnu::cold]] i64 unknown_syscall(Thread&, u64 number);
// The table's entry for every number below SYSCALL_COUNT with no handler.
[[gnu::cold]] i64 syscall_entry_unknown(Thread&, arch::TrapFrame&);
[[gnu::cold]] void syscall_interrupted(Thread&, u64 number, u64 a0);
[[gnu::cold]] void syscall_before_handler(Thread&, u64 number);
void syscall_after_handler(Thread&, u64 number);

#ifdef MYRIAD_PHASE_PROFILE
inline constexpr bool SYSCALL_PROFILING = true;
#else
inline constexpr bool SYSCALL_PROFILING = false;
#endif

// Runs the call the frame asks for; returns what goes back in a0. `f` is
// t's own user frame.
[[gnu::always_inline]] inline i64 syscall_dispatch(Thread& t, arch::TrapFrame& f)
{
    u64 number = f.syscall_number();
    if (number >= SYSCALL_COUNT) [[unlikely]]
        return unknown_syscall(t, number);
    SyscallThunk thunk = g_syscall_table.thunks[number]; // unlisted: syscall_entry_unknown
    if constexpr (SYSCALL_PROFILING)
        syscall_before_handler(t, number);
    arch::prof::mark(arch::prof::Phase::Handler);
    i64 result = thunk(t, f);
    arch::prof::mark(arch::prof::Phase::Dispatch);
    if constexpr (TEST_BUILD)
        syscall_after_handler(t, number);
    // No handler succeeds with -EINTR's bit pattern but rt_sigreturn (the
    // a0 it restores), which is eintr_final; and a handler that fails with
    // EINTR has not touched the frame, so a0 is still the first argument,
    // which a restart needs. The restart flag is set only here and cleared
    // when the way out consumes it (deliver_signals).
    if (result == -i64(Errno::eintr)) [[unlikely]]
        syscall_interrupted(t, number, f.syscall_arg(0));
    return result;
}

} // namespace kernel
