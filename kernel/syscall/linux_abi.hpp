// The structures system calls exchange with user programs, laid out as
// Linux lays them out for riscv64 (LP64: long and pointers are 8 bytes).
// Handlers name them in their UserPtr parameters.
#pragma once

#include "lib/types.hpp"

namespace kernel {

struct LinuxStat; // kernel/fs/file.hpp
namespace fs {
struct LinuxStatfs; // kernel/fs/fs_info.hpp
}

// include/uapi/linux/time_types.h, struct __kernel_timespec
struct Timespec {
    i64 tv_sec;
    i64 tv_nsec;
};

// struct __kernel_old_timeval
struct Timeval {
    i64 tv_sec;
    i64 tv_usec;
};

// struct timezone (include/uapi/linux/time.h)
struct Timezone {
    i32 tz_minuteswest;
    i32 tz_dsttime;
};

// struct __kernel_old_itimerval
struct Itimerval {
    Timeval it_interval;
    Timeval it_value;
};

// struct __kernel_itimerspec (include/uapi/linux/time_types.h)
struct Itimerspec {
    Timespec it_interval;
    Timespec it_value;
};

// struct sigevent (include/uapi/asm-generic/siginfo.h): 64 bytes, the
// thread id of SIGEV_THREAD_ID first in the union.
struct Sigevent {
    u64 value;
    i32 signo;
    i32 notify;
    i32 thread_id;
    i32 pad[11];
};
static_assert(sizeof(Sigevent) == 64);

// struct tms (include/uapi/linux/times.h), in clock ticks
struct Tms {
    u64 tms_utime, tms_stime, tms_cutime, tms_cstime;
};

// struct rusage (include/uapi/linux/resource.h): two timevals, then 14
// longs, ru_maxrss (KiB) first.
struct Rusage {
    Timeval ru_utime;
    Timeval ru_stime;
    i64 ru_maxrss;
    i64 rest[13];
};
static_assert(sizeof(Rusage) == 144);

// The head of siginfo_t (include/uapi/asm-generic/siginfo.h) with
// _sigchld's first fields, as waitid writes them: signo, errno, code, a
// pad to the 8-byte aligned union, then pid, uid, status. siginfo_t is
// 128 bytes; waitid writes these fields only (kernel/exit.c).
struct SiginfoChld {
    i32 si_signo, si_errno, si_code, pad;
    i32 si_pid;
    u32 si_uid;
    i32 si_status;
};
inline constexpr usize SIGINFO_SIZE = 128;

// capget/capset (include/uapi/linux/capability.h): the header, then one
// data block per 32 capabilities (version 1: one; versions 2 and 3: two).
struct CapHeader {
    u32 version;
    i32 pid;
};
struct CapData {
    u32 effective, permitted, inheritable;
};

// struct rlimit64
struct Rlimit {
    u64 rlim_cur;
    u64 rlim_max;
};

// struct iovec
struct Iovec {
    u64 base;
    u64 length;
};

// struct sigaction as the kernel sees it on riscv64 (no sa_restorer).
struct KernelSigaction {
    u64 handler;
    u64 flags;
    u64 mask;
};

// The kernel's sigset_t: 64 signals in one word (sigsetsize is 8).
using Sigset = u64;

// struct new_utsname: six fields of 65 bytes.
struct Utsname {
    char field[6][65];
};

// struct sysinfo (include/uapi/linux/sysinfo.h)
struct Sysinfo {
    i64 uptime;
    u64 loads[3];
    u64 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    u16 procs, pad;
    u32 pad2;
    u64 totalhigh, freehigh;
    u32 mem_unit;
    char reserved[4];
};
static_assert(sizeof(Sysinfo) == 112);

// Only its address is taken: set_robust_list stores the pointer.
struct RobustListHead;
// clone3's argument (include/uapi/linux/sched.h struct clone_args, the
// version with set_tid and cgroup: 88 bytes).
struct CloneArgsV2 {
    u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
// struct pollfd (include/uapi/asm-generic/poll.h)
struct PollFd {
    i32 fd;
    i16 events;
    i16 revents;
};
static_assert(sizeof(PollFd) == 8);

// struct epoll_event on riscv64: not packed (only x86-64 packs it).
struct EpollEvent {
    u32 events;
    u32 pad;
    u64 data;
};
static_assert(sizeof(EpollEvent) == 16);

// pselect6's sixth argument: the signal mask and its size.
struct SigsetArg {
    u64 mask; // a const sigset_t *
    u64 size;
};

} // namespace kernel
