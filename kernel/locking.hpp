// The kernel's locks: which lock guards what, the one order they are
// taken in, and the rules every lock user follows. This comment is the
// single place that states them; the checker in spinlock.hpp and mutex.hpp
// enforces the order in the test kernel (TEST_BUILD).
//
// Lock order: a lock may be taken only while every lock this hart (for
// a mutex: this thread) already holds has a LOWER rank. Taking a lock of
// a rank equal to or below one already held panics in the test kernel
// with both names ("lock order violation: taking 'vfs' (rank 5) while
// holding 'process' (rank 10)"); equal ranks include taking the same lock
// twice, which would deadlock.
//
//   rank lock            kind      guards
//   ---- --------------- --------- -----------------------------------------
//     3  pipe            mutex     one reader / one small writer of a pipe at
//                                  a time (fs/pipe.cpp); its user copies may
//                                  fault, which takes the address space's
//     4  address-space   mutex     one address space's regions, page tables
//                                  and resident counts (Linux's mmap_lock):
//                                  page faults, mmap and friends, fork's
//                                  copy, /proc/PID/maps. Taken before the
//                                  VFS mutex (a fault reads the page cache),
//                                  so no user copy happens under the VFS
//                                  mutex: reads and writes go through a
//                                  kernel bounce buffer.
//     5  vfs             mutex     the RAM filesystem: inodes, directory
//                                  entries, page-cache slots, procfs
//                                  (fs/inode.hpp). May sleep and allocate.
//     9  pipe-ring       spinlock  one pipe's ring and its two wait queues
//                                  (fs/pipe.cpp) when more than one hart
//                                  runs (on one, the process lock serves);
//                                  wakes readers and writers (run-queue
//                                  locks), takes the process lock for
//                                  SIGPIPE and poll wake-ups
//    10  process         spinlock  the pid table, process tree, wait queues
//                                  and poll queues (fs/poll.hpp, epoll
//                                  sets), sleepers and alarms, the Blocked,
//                                  Stopped and Dead thread states, and
//                                  every Process field under "guarded by the
//                                  process lock" (process/process.hpp),
//                                  including signal masks and actions.
//    11  run-queue       spinlock  one per hart: that hart's run queue (the
//                                  policy's ready set, its load), which
//                                  thread runs there, the Ready/Running
//                                  states of its threads. Held across the
//                                  context switch and released by the
//                                  thread that runs next (xv6's rule). A
//                                  second run queue only through
//                                  try_lock_nested (stealing, balancing).
//    12  file-table      spinlock  one descriptor table's slots (fs/file.cpp);
//                                  files are referenced inside and released
//                                  outside it
//    15  tty             spinlock  the console line discipline (fs/tty.cpp)
//    20  irq             spinlock  the interrupt handler table (irq.cpp)
//    25  kernel-vm       spinlock  the kernel's ioremap window and tables
//    30  kernel-stacks   spinlock  kernel stack slots and depth records
//    35  random          spinlock  the kernel's random generator state
//    40  console-in      spinlock  the console input ring (console.cpp)
//    45  kmalloc         spinlock  the slab heap (mm/kmalloc.cpp)
//    48  page-cache      spinlock  one per hart: that hart's cache of free
//                                  pages (mm/page_alloc.cpp); one held at a time
//    50  page-alloc      spinlock  the buddy allocator (mm/page_alloc.cpp)
//    55  console-out     spinlock  console output; printk works under any lock
//
// Rules:
//  - Spinlocks save and disable interrupts on this hart while held, so an
//    interrupt handler never finds a lock of its own hart taken: the timer
//    interrupt (scheduler_tick, SIGALRM) starts with no spinlock held and
//    takes the process lock like any other path.
//  - Never sleep, allocate or touch user memory while holding a spinlock
//    (the one exception: copy_from_user_nofault, which reads only pages
//    that are resident and fails instead of faulting one in).
//    Allocate first (kmalloc, pages, a child's address space), then take
//    the lock and publish. The test kernel checks it: kmalloc, the page
//    allocator, the user-copy routines and Mutex::lock panic when this hart
//    holds a spinlock other than the allocator's own (kernel-vm,
//    kernel-stacks, kmalloc, page-alloc, which allocate pages for their
//    own bookkeeping: the kernel-stack window maps under its lock).
//  - A function whose caller must hold a lock ends in `_<lock>_locked`
//    naming the lock: `_proc_locked` the process lock, `_vfs_locked` the
//    VFS mutex, `_pages_locked` page-alloc, `_kstacks_locked`
//    kernel-stacks, `_random_locked` random. Its first line asserts the
//    lock is held (`lock.assert_held()`, checked in the test kernel).
//  - Locks are taken only through RAII guards (SpinLockGuard, MutexGuard)
//    or Protected<T>::with.
#pragma once

#include "arch/arch.hpp"
#include "kernel/test_build.hpp"
#include "lib/types.hpp"

namespace kernel {

enum class LockRank : u8 {
    Pipe = 3,
    AddressSpace = 4,
    Vfs = 5,
    PipeRing = 9,
    Process = 10,
    RunQueue = 11,
    FileTable = 12,
    Tty = 15,
    Irq = 20,
    KernelVm = 25,
    KernelStacks = 30,
    Random = 35,
    ConsoleIn = 40,
    Kmalloc = 45,
    PageCache = 48,
    PageAlloc = 50,
    ConsoleOut = 55,
};

constexpr const char* lock_rank_name(LockRank rank)
{
    switch (rank) {
    case LockRank::Pipe: return "pipe";
    case LockRank::AddressSpace: return "address-space";
    case LockRank::Vfs: return "vfs";
    case LockRank::PipeRing: return "pipe-ring";
    case LockRank::Process: return "process";
    case LockRank::RunQueue: return "run-queue";
    case LockRank::FileTable: return "file-table";
    case LockRank::Tty: return "tty";
    case LockRank::Irq: return "irq";
    case LockRank::KernelVm: return "kernel-vm";
    case LockRank::KernelStacks: return "kernel-stacks";
    case LockRank::Random: return "random";
    case LockRank::ConsoleIn: return "console-in";
    case LockRank::Kmalloc: return "kmalloc";
    case LockRank::PageCache: return "page-cache";
    case LockRank::PageAlloc: return "page-alloc";
    case LockRank::ConsoleOut: return "console-out";
    }
    return "?";
}

constexpr u64 lock_rank_bit(LockRank rank) { return 1ull << unsigned(rank); }

// Locks that allocate pages for their own bookkeeping while held: the only
// spinlocks under which allocating is allowed.
inline constexpr u64 ALLOCATOR_LOCKS = lock_rank_bit(LockRank::KernelVm) | lock_rank_bit(LockRank::KernelStacks) |
                                      lock_rank_bit(LockRank::Kmalloc) | lock_rank_bit(LockRank::PageAlloc);

[[noreturn]] void spinlock_held_violation(u64 held_ranks, const char* what);

// Contention statistics per rank (all locks of a rank together), counted
// on the slow paths only, so an uncontended acquire costs nothing more:
// how often an acquire found the lock taken, and the time it then waited
// (timebase ticks: spinning for a spinlock, asleep for a mutex).
// /proc/lock_stat prints them; the SMP benchmarks read it before and
// after a run to show which lock the harts fight over.
struct LockContention {
    u64 contentions = 0;
    u64 wait_ticks = 0;
};
void note_contention(LockRank, u64 wait_ticks);
LockContention lock_contention(LockRank);

// The checks (in the test kernel; nothing in production): panic if this
// hart holds a spinlock under which `what` is forbidden (sleeping, user
// memory access)...
inline void verify_no_spinlock_held(const char* what)
{
    if constexpr (TEST_BUILD)
        if (u64 held = arch::this_hart().held_lock_ranks) [[unlikely]]
            spinlock_held_violation(held, what);
}
// ... or allocation, allocator-internal locks excepted.
inline void verify_no_spinlock_but_allocator_held(const char* what)
{
    if constexpr (TEST_BUILD)
        if (u64 held = arch::this_hart().held_lock_ranks & ~ALLOCATOR_LOCKS) [[unlikely]]
            spinlock_held_violation(held, what);
}

} // namespace kernel
