// futex(2): decoding the operation and its timeout; the waiting and
// waking are kernel/process/futex.cpp's.
#include "kernel/process/futex.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"

namespace kernel {

namespace {

// include/uapi/linux/futex.h
constexpr i32 FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
              FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
constexpr i32 FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;

// FUTEX_WAIT's timeout is relative (monotonic); FUTEX_WAIT_BITSET's is
// absolute, on CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, the wall
// clock. Returns the monotonic deadline (~0: none).
Result<u64> deadline_of(UserPtr<const Timespec> timeout, bool absolute, bool realtime)
{
    if (!timeout)
        return ~0ull;
    Timespec ts = TRY(mm::read_user(timeout));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return Errno::einval;
    u64 t = u64(ts.tv_sec) * 1000000000ull + u64(ts.tv_nsec);
    u64 now = monotonic_ns();
    if (!absolute)
        return now + t;
    if (realtime) {
        u64 wall = wallclock_ns();
        return t > wall ? now + (t - wall) : now;
    }
    return t;
}

} // namespace

Result<u64> sys_futex(UserPtr<u32> word, i32 op_and_flags, u32 value, UserPtr<const Timespec> timeout,
                      UserPtr<u32> word2, u32 value3)
{
    u64 address = word.address();
    bool shared = !(op_and_flags & FUTEX_PRIVATE_FLAG);
    bool realtime = op_and_flags & FUTEX_CLOCK_REALTIME;
    i32 op = op_and_flags & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (realtime && op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET)
        return Errno::enosys;
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        u32 bitset = op == FUTEX_WAIT ? FUTEX_MATCH_ANY : value3;
        u64 deadline = TRY(deadline_of(timeout, op == FUTEX_WAIT_BITSET, realtime));
        return futex_wait(address, shared, value, deadline, bitset);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        return futex_wake(address, shared, value, op == FUTEX_WAKE ? FUTEX_MATCH_ANY : value3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        // The fourth argument is a count here, not a timeout (val2).
        u32 requeue = u32(timeout.address());
        if (i32(value) < 0 || i32(requeue) < 0)
            return Errno::einval;
        return futex_requeue(address, shared, value, requeue, word2.address(),
                             op == FUTEX_CMP_REQUEUE ? &value3 : nullptr);
    }
    case FUTEX_WAKE_OP:
        return futex_wake_op(address, shared, value, word2.address(), u32(timeout.address()), value3);
    default:
        return Errno::enosys; // priority inheritance: not supported
    }
}

} // namespace kernel

#define MYRIAD_THUNKS_futex(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
