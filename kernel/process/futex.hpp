// Futexes (futex(2)): threads wait on a 32-bit word of user memory and
// are woken by address. The waiters are hashed by key; a key names the
// word as every process sees it:
//  - in private memory (and for FUTEX_PRIVATE_FLAG): the address space
//    and the address, so threads of one process meet;
//  - in a MAP_SHARED region: the object mapped (the file, or the unnamed
//    inode of shared anonymous memory) and the offset in it, so processes
//    that map it at different addresses meet.
// docs/threads.md explains the design.
#pragma once

#include "kernel/process/process.hpp"

namespace kernel {

// FUTEX_BITSET_MATCH_ANY: wait/wake without a bitset.
inline constexpr u32 FUTEX_MATCH_ANY = 0xffffffff;

// Wait while the word at uaddr holds `expected`: 0 once woken, EAGAIN if
// it held something else, ETIMEDOUT at deadline_ns (monotonic; ~0: none),
// EINTR on a signal, EFAULT for a bad address. `shared`: the caller did not
// say FUTEX_PRIVATE_FLAG.
Result<u64> futex_wait(u64 uaddr, bool shared, u32 expected, u64 deadline_ns, u32 bitset);
// Wake up to `count` waiters on uaddr whose bitset meets `bitset`; returns
// how many.
Result<u64> futex_wake(u64 uaddr, bool shared, u32 count, u32 bitset);
// Wake up to `wake` waiters on uaddr and move up to `requeue` others to
// uaddr2. With a `compare` value (FUTEX_CMP_REQUEUE), EAGAIN unless the
// word still holds it. Returns woken + moved.
Result<u64> futex_requeue(u64 uaddr, bool shared, u32 wake, u32 requeue, u64 uaddr2, const u32* compare);
// FUTEX_WAKE_OP: change the word at uaddr2 by the encoded operation, wake
// up to `wake` on uaddr and, if the old value of uaddr2 passes the
// encoded comparison, up to `wake2` on uaddr2.
Result<u64> futex_wake_op(u64 uaddr, bool shared, u32 wake, u64 uaddr2, u32 wake2, u32 encoded_op);

// A thread is exiting (the caller, its address space still in place): walk
// its robust list (the locks it held get FUTEX_OWNER_DIED and a waiter is
// woken) and clear its CLONE_CHILD_CLEARTID word, waking a joiner.
void futex_exit_thread(Thread&);

// Waiters in the hash now (tests).
usize futex_waiter_count();

} // namespace kernel
