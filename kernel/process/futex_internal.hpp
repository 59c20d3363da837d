// Between kernel/process/futex.cpp and its ktests (kernel/tests/futex_test.cpp):
// the key, the waiter and the hash, which the system call wraps.
#pragma once

#include "kernel/process/futex.hpp"

namespace kernel {

namespace mm {
class AddressSpace;
}

struct FutexKey {
    const void* object; // the address space (private) or the inode (shared)
    u64 offset;         // the address (private) or the offset in the object
    bool operator==(const FutexKey&) const = default;
};

struct FutexWaiter {
    lib::ListNode node; // in its bucket
    FutexKey key{};
    u32 bitset = FUTEX_MATCH_ANY;
    bool woken = false;
    WaitQueue queue;    // its thread sleeps here
};

inline constexpr usize FUTEX_BUCKETS = 1024;
usize futex_bucket(const FutexKey&);
// The key of the word at uaddr of `as`: shared (no FUTEX_PRIVATE_FLAG) in
// a MAP_SHARED region names the mapped object, anything else the address
// space and the address.
FutexKey futex_key(mm::AddressSpace& as, u64 uaddr, bool shared);
// Hash bookkeeping, process lock held.
void enqueue_proc_locked(FutexWaiter&);
void dequeue_proc_locked(FutexWaiter&);
u64 wake_key_proc_locked(const FutexKey&, u32 n, u32 bitset);
u64 requeue_key_proc_locked(const FutexKey& from, const FutexKey& to, u32 wake, u32 requeue);

} // namespace kernel
