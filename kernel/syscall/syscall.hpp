// System calls with the Linux riscv64 ABI: ecall with the number in a7,
// arguments in a0-a5, the result (or -errno) in a0. Numbers are Linux's
// asm-generic/unistd.h; docs/processes.md lists which exist.
#pragma once

#include "arch/arch.hpp"
#include "lib/result.hpp"

namespace kernel {

struct SyscallArgs {
    u64 a0, a1, a2, a3, a4, a5;
    arch::TrapFrame& frame;
};

using SyscallHandler = Result<u64> (*)(const SyscallArgs&);

// Returns what goes back in a0.
i64 syscall_dispatch(arch::TrapFrame& frame);

// Handlers, one per family file.
#define MYRIAD_SYSCALL(name) Result<u64> sys_##name(const SyscallArgs&)
// process.cpp
MYRIAD_SYSCALL(exit);
MYRIAD_SYSCALL(exit_group);
MYRIAD_SYSCALL(getpid);
MYRIAD_SYSCALL(getppid);
MYRIAD_SYSCALL(gettid);
MYRIAD_SYSCALL(getuid);
MYRIAD_SYSCALL(clone);
MYRIAD_SYSCALL(execve);
MYRIAD_SYSCALL(wait4);
MYRIAD_SYSCALL(sched_yield);
MYRIAD_SYSCALL(set_tid_address);
MYRIAD_SYSCALL(set_robust_list);
MYRIAD_SYSCALL(prlimit64);
MYRIAD_SYSCALL(getrlimit);
MYRIAD_SYSCALL(setrlimit);
MYRIAD_SYSCALL(times);
MYRIAD_SYSCALL(getrusage);
// memory.cpp
MYRIAD_SYSCALL(brk);
MYRIAD_SYSCALL(mmap);
MYRIAD_SYSCALL(munmap);
MYRIAD_SYSCALL(mprotect);
MYRIAD_SYSCALL(madvise);
MYRIAD_SYSCALL(mremap);
MYRIAD_SYSCALL(msync);
// time.cpp
MYRIAD_SYSCALL(nanosleep);
MYRIAD_SYSCALL(clock_nanosleep);
MYRIAD_SYSCALL(clock_gettime);
MYRIAD_SYSCALL(clock_getres);
MYRIAD_SYSCALL(gettimeofday);
// files.cpp
MYRIAD_SYSCALL(read);
MYRIAD_SYSCALL(write);
MYRIAD_SYSCALL(readv);
MYRIAD_SYSCALL(writev);
MYRIAD_SYSCALL(close);
MYRIAD_SYSCALL(ioctl);
MYRIAD_SYSCALL(fstat);
MYRIAD_SYSCALL(newfstatat);
MYRIAD_SYSCALL(readlinkat);
MYRIAD_SYSCALL(sync);
MYRIAD_SYSCALL(pread64);
MYRIAD_SYSCALL(pwrite64);
MYRIAD_SYSCALL(lseek);
MYRIAD_SYSCALL(dup);
MYRIAD_SYSCALL(dup3);
MYRIAD_SYSCALL(fcntl);
MYRIAD_SYSCALL(ftruncate);
MYRIAD_SYSCALL(getdents64);
MYRIAD_SYSCALL(pipe2);
// paths.cpp
MYRIAD_SYSCALL(openat);
MYRIAD_SYSCALL(faccessat);
MYRIAD_SYSCALL(faccessat2);
MYRIAD_SYSCALL(mkdirat);
MYRIAD_SYSCALL(unlinkat);
MYRIAD_SYSCALL(renameat2);
MYRIAD_SYSCALL(symlinkat);
MYRIAD_SYSCALL(linkat);
MYRIAD_SYSCALL(chdir);
MYRIAD_SYSCALL(fchdir);
MYRIAD_SYSCALL(getcwd);
MYRIAD_SYSCALL(truncate);
MYRIAD_SYSCALL(umask);
MYRIAD_SYSCALL(fchmodat);
MYRIAD_SYSCALL(fchmod);
MYRIAD_SYSCALL(utimensat);
// signals.cpp
MYRIAD_SYSCALL(kill);
MYRIAD_SYSCALL(tkill);
MYRIAD_SYSCALL(tgkill);
MYRIAD_SYSCALL(rt_sigaction);
MYRIAD_SYSCALL(rt_sigprocmask);
MYRIAD_SYSCALL(rt_sigpending);
MYRIAD_SYSCALL(setpgid);
MYRIAD_SYSCALL(getpgid);
MYRIAD_SYSCALL(getsid);
MYRIAD_SYSCALL(setsid);
MYRIAD_SYSCALL(rt_sigreturn);
MYRIAD_SYSCALL(rt_sigsuspend);
MYRIAD_SYSCALL(ppoll);
MYRIAD_SYSCALL(getitimer);
MYRIAD_SYSCALL(setitimer);
MYRIAD_SYSCALL(setpriority);
MYRIAD_SYSCALL(getpriority);
MYRIAD_SYSCALL(futex);
// system.cpp
MYRIAD_SYSCALL(uname);
MYRIAD_SYSCALL(getrandom);
MYRIAD_SYSCALL(sysinfo);
MYRIAD_SYSCALL(reboot);
#undef MYRIAD_SYSCALL

} // namespace kernel
