// System calls with the Linux riscv64 ABI: ecall with the number in a7,
// arguments in a0-a5, the result (or -errno) in a0. Numbers are Linux's
// asm-generic/unistd.h. The calls themselves are listed once, in
// kernel/syscall/syscalls.def; this header declares what comes from it.
#pragma once

#include "arch/arch.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/linux_abi.hpp"
#include "lib/result.hpp"
#include "lib/syscall_arg.hpp"

namespace kernel {

// The name of a call ("read"), or nullptr for a number nobody listed.
const char* syscall_name(u64 number);

// Numbers by name, e.g. u64(SyscallNumber::exit_group).
enum class SyscallNumber : u32 {
#define SYSCALL(number, name, handler, family, attrs, params, note) name = number,
#define ALIAS(number, name, handler, family, attrs, note) name = number,
#define MISSING(number, name, note) name = number,
#include "kernel/syscall/syscalls.def"
#undef SYSCALL
#undef ALIAS
#undef MISSING
};

// The handlers, one per family file. Each has one caller, its thunk,
// instantiated in the same file (instantiate_thunks.inc): inlining it
// there costs no code and saves a call and a Result through memory.
#define SYSCALL(number, name, handler, family, attrs, params, note)                                               \
    [[gnu::always_inline]] inline Result<u64> sys_##handler params;
#define ALIAS(number, name, handler, family, attrs, note)
#define MISSING(number, name, note)
#include "kernel/syscall/syscalls.def"
#undef SYSCALL
#undef ALIAS
#undef MISSING

} // namespace kernel
