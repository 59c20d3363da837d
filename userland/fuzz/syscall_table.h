// The Linux riscv64 system-call table (asm-generic numbers) as the
// fuzzer sees it: for each call, the type of each argument (so the
// generators can make values the kernel will take seriously), how often
// to pick it, and how to run it.
#pragma once

#include <cstdint>
#include <span>

namespace fuzz {

// What an argument is; args.cpp makes a value for each.
enum class Arg : std::uint8_t {
    none,
    any,          // an integer: boundaries and random bits
    small,        // a small integer (counts, indices)
    fd,           // a descriptor the worker opened, or a bad one
    dirfd,        // AT_FDCWD or fd
    path,         // a path: valid in the worker's directory, /proc, loops, long, unmapped
    buf_in,       // a buffer the kernel reads
    buf_out,      // a buffer the kernel writes
    struct_in,    // a small struct the kernel reads (filled with boundary words)
    len,          // a length: 0, 1, page boundaries +-1, huge, negative
    offset,       // a file offset
    whence,
    open_flags,
    at_flags,     // AT_* flags
    mode,
    prot,
    mmap_flags,
    map_addr,     // an address for the mmap family
    map_len,
    madvise_advice,
    mremap_flags,
    msync_flags,
    clone_flags,  // mostly fork-style; else thread flags (the clone is then made in a throwaway child)
    wait_options,
    target_pid,   // self, own children, own group: never the watchdog or another worker
    any_pid,      // for calls that only read (getpgid, getsid...)
    signal,
    sigset,       // pointer to a sigset_t
    sigaction,    // pointer to a struct sigaction (kernel layout)
    sigprocmask_how,
    timespec,     // pointer to a timespec (valid, huge, negative, bad pointer)
    itimerval,
    iovec,        // pointer to an iovec array
    iov_count,
    rlimit_resource,
    rlimit,       // pointer to a struct rlimit
    clock_id,
    fcntl_cmd,
    ioctl_cmd,
    futex_op,
    argv,         // a NULL-terminated vector of strings (or a bad one)
    pollfds,
    fdset,
    which,        // which/who selectors (rusage, priority, itimer)
    uid,
    // The calls of threads (thread_args.cpp):
    tid,          // a thread of this worker (its storm's, its own), 0, or one nothing has
    cpumask,      // pointer to a CPU mask: hart 0, none, all, random bits
    cpumask_len,  // its size in bytes: 0, 1, 8, 128, 4096, huge
    futex_word,   // a 32-bit word: a storm's futex word, scratch, a mapping, misaligned, bad
    robust_head,  // pointer to a robust_list_head: empty, cycles, long, bad entries, wild offsets
    robust_len,   // 24 (its size) mostly
    clone3_args,  // pointer to a struct clone_args: flags of every kind, stacks, tids, tls
    clone3_size,  // its size: 64, 80, 88 (the three versions), 0..4096+
};

enum CallFlags : std::uint8_t {
    k_normal = 0,
    // Runs in a forked child that exits after it: the call replaces the
    // caller's image or registers, or ends it (execve, rt_sigreturn, exit).
    k_in_child = 1,
    // fork-style clone: the child runs a few calls of its own and exits.
    // With thread flags (CLONE_VM, THREAD, VFORK...) it runs in a
    // throwaway child instead, as clone3 does (threads.h).
    k_fork = 2,
    // Never called: the reason says why (it would end the campaign or
    // the machine, not test the kernel).
    k_denied = 4,
};

struct Syscall {
    int number;
    const char* name;
    std::uint8_t weight; // relative chance of being picked
    std::uint8_t flags;
    Arg args[6];
    const char* deny_reason = nullptr;
};

std::span<const Syscall> syscall_table();
// The name of `number`, or "sys_N" for numbers outside the table.
const char* syscall_name(long number);
const char* errno_name(int error);

} // namespace fuzz
