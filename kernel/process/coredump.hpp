// Core dumps (core(5)): a process killed by a signal whose default action
// dumps core writes an ELF core file, in Linux's riscv64 format, named by
// /proc/sys/kernel/core_pattern. docs/processes.md ("Core dumps") has the
// rules; coredump.cpp the format.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

// SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU,
// SIGXFSZ, SIGSYS: the default action is "Core" (signal(7)).
bool is_core_signal(int sig);

// Why the fatal signal came, for NT_SIGINFO: si_code, and the faulting
// address (a fault) or the sender (a kill).
struct FatalSignal {
    int signal;
    int code;
    bool fault;
    u64 address;
    Pid sender;
};
// The calling thread takes its process down with the signal: for a core
// signal, when RLIMIT_CORE and PR_SET_DUMPABLE allow, the other threads
// are ended first and the core is written (the wait status then carries
// 0x80, WCOREDUMP). Never returns.
[[noreturn]] void exit_current_fatal(const FatalSignal&);

// A thread of a process that is dumping core leaves, killed: its registers
// go into the core (process lock held).
void coredump_note_thread_proc_locked(Thread&);

// /proc/sys/kernel/core_pattern (at most 127 bytes, as Linux's
// CORENAME_MAX_SIZE) and core_uses_pid. Vfs lock held.
inline constexpr usize CORE_PATTERN_MAX = 128;
const char* core_pattern_vfs_locked();
Result<void> set_core_pattern_vfs_locked(const char* text, usize length);
bool core_uses_pid_vfs_locked();
void set_core_uses_pid_vfs_locked(bool);

} // namespace kernel
