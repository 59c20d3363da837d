// The system-call table and dispatcher.
#include "arch/arch.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/test_build.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

// Linux asm-generic/unistd.h numbers.
enum Number : u32 {
    SYS_ioctl = 29, SYS_close = 57, SYS_read = 63, SYS_write = 64, SYS_readv = 65, SYS_writev = 66,
    SYS_readlinkat = 78, SYS_newfstatat = 79, SYS_fstat = 80, SYS_exit = 93, SYS_exit_group = 94,
    SYS_set_tid_address = 96, SYS_set_robust_list = 99, SYS_nanosleep = 101, SYS_clock_gettime = 113,
    SYS_clock_getres = 114, SYS_clock_nanosleep = 115, SYS_sched_yield = 124, SYS_uname = 160,
    SYS_getrlimit = 163, SYS_setrlimit = 164, SYS_gettimeofday = 169, SYS_getpid = 172, SYS_getppid = 173,
    SYS_getuid = 174, SYS_geteuid = 175, SYS_getgid = 176, SYS_getegid = 177, SYS_gettid = 178,
    SYS_sysinfo = 179, SYS_brk = 214, SYS_munmap = 215, SYS_clone = 220, SYS_execve = 221, SYS_mmap = 222,
    SYS_mprotect = 226, SYS_wait4 = 260, SYS_prlimit64 = 261, SYS_getrandom = 278, SYS_reboot = 142, SYS_sync = 81,
    SYS_getcwd = 17, SYS_dup = 23, SYS_dup3 = 24, SYS_fcntl = 25, SYS_mkdirat = 34, SYS_unlinkat = 35,
    SYS_symlinkat = 36, SYS_linkat = 37, SYS_truncate = 45, SYS_ftruncate = 46, SYS_faccessat = 48,
    SYS_chdir = 49, SYS_fchdir = 50, SYS_fchmod = 52, SYS_fchmodat = 53, SYS_openat = 56, SYS_pipe2 = 59,
    SYS_getdents64 = 61, SYS_lseek = 62, SYS_pread64 = 67, SYS_pwrite64 = 68, SYS_utimensat = 88,
    SYS_umask = 166, SYS_renameat2 = 276, SYS_faccessat2 = 439, SYS_kill = 129, SYS_tkill = 130,
    SYS_tgkill = 131, SYS_rt_sigaction = 134, SYS_rt_sigprocmask = 135, SYS_rt_sigpending = 136,
    SYS_setpgid = 154, SYS_times = 153, SYS_getrusage = 165, SYS_rt_sigreturn = 139, SYS_rt_sigsuspend = 133,
    SYS_ppoll = 73, SYS_getitimer = 102, SYS_setitimer = 103, SYS_sigaltstack = 132, SYS_setpriority = 140,
    SYS_getpriority = 141, SYS_futex = 98, SYS_getpgid = 155, SYS_getsid = 156, SYS_setsid = 157,
    SYS_mremap = 216, SYS_madvise = 233, SYS_msync = 227,
    SYSCALL_COUNT = 512,
};

struct Table {
    SyscallHandler handlers[SYSCALL_COUNT] = {};
    constexpr Table()
    {
        handlers[SYS_ioctl] = sys_ioctl;
        handlers[SYS_close] = sys_close;
        handlers[SYS_read] = sys_read;
        handlers[SYS_write] = sys_write;
        handlers[SYS_readv] = sys_readv;
        handlers[SYS_writev] = sys_writev;
        handlers[SYS_readlinkat] = sys_readlinkat;
        handlers[SYS_newfstatat] = sys_newfstatat;
        handlers[SYS_fstat] = sys_fstat;
        handlers[SYS_exit] = sys_exit;
        handlers[SYS_exit_group] = sys_exit_group;
        handlers[SYS_set_tid_address] = sys_set_tid_address;
        handlers[SYS_set_robust_list] = sys_set_robust_list;
        handlers[SYS_nanosleep] = sys_nanosleep;
        handlers[SYS_clock_gettime] = sys_clock_gettime;
        handlers[SYS_clock_getres] = sys_clock_getres;
        handlers[SYS_clock_nanosleep] = sys_clock_nanosleep;
        handlers[SYS_sched_yield] = sys_sched_yield;
        handlers[SYS_uname] = sys_uname;
        handlers[SYS_getrlimit] = sys_getrlimit;
        handlers[SYS_setrlimit] = sys_setrlimit;
        handlers[SYS_gettimeofday] = sys_gettimeofday;
        handlers[SYS_getpid] = sys_getpid;
        handlers[SYS_getppid] = sys_getppid;
        handlers[SYS_getuid] = sys_getuid;
        handlers[SYS_geteuid] = sys_getuid; // no users yet: everyone is root
        handlers[SYS_getgid] = sys_getuid;
        handlers[SYS_getegid] = sys_getuid;
        handlers[SYS_gettid] = sys_gettid;
        handlers[SYS_sysinfo] = sys_sysinfo;
        handlers[SYS_brk] = sys_brk;
        handlers[SYS_munmap] = sys_munmap;
        handlers[SYS_clone] = sys_clone;
        handlers[SYS_execve] = sys_execve;
        handlers[SYS_mmap] = sys_mmap;
        handlers[SYS_mprotect] = sys_mprotect;
        handlers[SYS_mremap] = sys_mremap;
        handlers[SYS_madvise] = sys_madvise;
        handlers[SYS_msync] = sys_msync;
        handlers[SYS_wait4] = sys_wait4;
        handlers[SYS_prlimit64] = sys_prlimit64;
        handlers[SYS_getrandom] = sys_getrandom;
        handlers[SYS_reboot] = sys_reboot;
        handlers[SYS_sync] = sys_sync;
        handlers[SYS_getcwd] = sys_getcwd;
        handlers[SYS_dup] = sys_dup;
        handlers[SYS_dup3] = sys_dup3;
        handlers[SYS_fcntl] = sys_fcntl;
        handlers[SYS_mkdirat] = sys_mkdirat;
        handlers[SYS_unlinkat] = sys_unlinkat;
        handlers[SYS_symlinkat] = sys_symlinkat;
        handlers[SYS_linkat] = sys_linkat;
        handlers[SYS_truncate] = sys_truncate;
        handlers[SYS_ftruncate] = sys_ftruncate;
        handlers[SYS_faccessat] = sys_faccessat;
        handlers[SYS_chdir] = sys_chdir;
        handlers[SYS_fchdir] = sys_fchdir;
        handlers[SYS_fchmod] = sys_fchmod;
        handlers[SYS_fchmodat] = sys_fchmodat;
        handlers[SYS_openat] = sys_openat;
        handlers[SYS_pipe2] = sys_pipe2;
        handlers[SYS_getdents64] = sys_getdents64;
        handlers[SYS_lseek] = sys_lseek;
        handlers[SYS_pread64] = sys_pread64;
        handlers[SYS_pwrite64] = sys_pwrite64;
        handlers[SYS_utimensat] = sys_utimensat;
        handlers[SYS_umask] = sys_umask;
        handlers[SYS_renameat2] = sys_renameat2;
        handlers[SYS_faccessat2] = sys_faccessat2;
        handlers[SYS_kill] = sys_kill;
        handlers[SYS_tkill] = sys_tkill;
        handlers[SYS_tgkill] = sys_tgkill;
        handlers[SYS_rt_sigaction] = sys_rt_sigaction;
        handlers[SYS_rt_sigprocmask] = sys_rt_sigprocmask;
        handlers[SYS_rt_sigpending] = sys_rt_sigpending;
        handlers[SYS_setpgid] = sys_setpgid;
        handlers[SYS_getpgid] = sys_getpgid;
        handlers[SYS_getsid] = sys_getsid;
        handlers[SYS_setsid] = sys_setsid;
        handlers[SYS_times] = sys_times;
        handlers[SYS_getrusage] = sys_getrusage;
        handlers[SYS_rt_sigreturn] = sys_rt_sigreturn;
        handlers[SYS_rt_sigsuspend] = sys_rt_sigsuspend;
        handlers[SYS_ppoll] = sys_ppoll;
        handlers[SYS_getitimer] = sys_getitimer;
        handlers[SYS_setitimer] = sys_setitimer;
        handlers[SYS_setpriority] = sys_setpriority;
        handlers[SYS_getpriority] = sys_getpriority;
        handlers[SYS_futex] = sys_futex;
    }
};

constexpr Table s_table;
#ifdef MYRIAD_PHASE_PROFILE
constexpr bool PROFILING = true;
#else
constexpr bool PROFILING = false;
#endif
// Unknown numbers are logged once each (for porting), then just -ENOSYS.
constinit u64 s_reported[SYSCALL_COUNT / 64 + 1] = {};

// Cold paths, out of line so the common path's frame stays small.
[[gnu::noinline, gnu::cold]] i64 unknown_syscall(u64 number)
{
    u64 slot = number < SYSCALL_COUNT ? number : u64(SYSCALL_COUNT);
    if (!(s_reported[slot / 64] & (1ull << (slot % 64)))) {
        s_reported[slot / 64] |= 1ull << (slot % 64);
        Process& p = current_process();
        printk("syscall {} not implemented (pid {} {}); returning -ENOSYS\n", number, p.pid, p.name);
    }
    return -i64(Errno::enosys);
}

[[gnu::noinline]] i64 syscall_failed(Process& p, u64 number, Errno code, u64 a0)
{
    // Interrupted by a signal: restart it after a handler with
    // SA_RESTART, or transparently when no handler runs -- except the
    // calls signal(7) says are never restarted.
    bool never_restarted = number == SYS_nanosleep || number == SYS_clock_nanosleep ||
                           number == SYS_rt_sigsuspend || number == SYS_ppoll;
    if (code == Errno::eintr && !never_restarted) {
        p.syscall_restartable = true;
        p.syscall_a0 = a0;
    }
    return -i64(code);
}

} // namespace

i64 syscall_dispatch(arch::TrapFrame& f)
{
    u64 number = f.syscall_number();
    SyscallHandler handler = number < SYSCALL_COUNT ? s_table.handlers[number] : nullptr;
    if (!handler) [[unlikely]]
        return unknown_syscall(number);
    // The frame is the current process's own (trap entry saved it there).
    Process& p = *reinterpret_cast<Process*>(reinterpret_cast<u8*>(&f) - __builtin_offsetof(Process, frame));
    p.syscall_restartable = false;
    if constexpr (PROFILING) {
        // The profile's report: when init (the benchmark) exits.
        if ((number == SYS_exit_group || number == SYS_exit) && p.pid == 1)
            arch::prof::profile_dump();
    }
    SyscallArgs args{f.syscall_arg(0), f.syscall_arg(1), f.syscall_arg(2), f.syscall_arg(3), f.syscall_arg(4), f.syscall_arg(5), f};
    arch::prof::mark(arch::prof::Phase::Handler);
    auto result = handler(args);
    arch::prof::mark(arch::prof::Phase::Dispatch);
    if constexpr (TEST_BUILD) {
        if (mm::mm_check_enabled())
            mm::mm_check_point("system call", number);
        kstack_check_after_syscall(p, number);
    }
    if (result.is_error()) [[unlikely]]
        return syscall_failed(p, number, result.code(), args.a0);
    return i64(result.value());
}

} // namespace kernel
