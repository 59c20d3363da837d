// futex(2), the part single-threaded processes use (glibc's locks call it
// when contended, e.g. stdio locked by an interrupted caller while a
// signal handler prints): FUTEX_WAIT / FUTEX_WAIT_BITSET sleep while the
// word holds the expected value, FUTEX_WAKE / FUTEX_WAKE_BITSET wake
// sleepers on the same word of the same address space. The operations
// only threads need (requeue, wake-op, priority inheritance) return
// ENOSYS: a process has one thread.
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"

namespace kernel {

namespace {

constexpr i32 FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
constexpr i32 FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

// Sleepers hashed by address; each process waits on at most one word.
constexpr usize BUCKETS = 64;
struct Bucket {
    WaitQueue queue;
};
constinit Bucket s_buckets[BUCKETS] = {};

Bucket& bucket_of(u64 address) { return s_buckets[(address >> 2) % BUCKETS]; }

} // namespace

Result<u64> sys_futex(UserPtr<u32> word, i32 op_and_flags, u32 value, UserPtr<const Timespec> timeout, UserPtr<u32>,
                      u32 value3)
{
    u64 address = word.address();
    i32 op = op_and_flags & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (address % 4)
        return Errno::einval;
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (op == FUTEX_WAIT_BITSET && value3 == 0)
            return Errno::einval;
        u64 deadline = ~0ull;
        if (timeout) {
            Timespec ts = TRY(mm::read_user(timeout));
            if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
                return Errno::einval;
            u64 t = u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
            // FUTEX_WAIT takes a relative timeout, the BITSET form an absolute one.
            deadline = op == FUTEX_WAIT ? monotonic_ns() + t : t;
        }
        u32 current = TRY(mm::read_user(word));
        if (current != value)
            return Errno::eagain;
        if (deadline != ~0ull) {
            // No one else can change the word (one thread per process):
            // only the timeout or a signal ends the wait.
            return sleep_until(deadline) ? Result<u64>(Errno::etimedout) : Result<u64>(Errno::eintr);
        }
        SpinLockGuard guard(process_lock());
        Bucket& b = bucket_of(address);
        if (!b.queue.head.next)
            b.queue.head.prev = b.queue.head.next = &b.queue.head;
        if (block_on_proc_locked(b.queue))
            return Errno::eintr;
        return u64(0);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        // One thread per process: nobody else waits on our private words.
        return u64(0);
    default:
        return Errno::enosys;
    }
}

} // namespace kernel

#define MYRIAD_THUNKS_futex(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
