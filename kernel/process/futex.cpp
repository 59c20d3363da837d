// Futex waiters, hashed by key (kernel/process/futex.hpp).
//
// Each waiter is a FutexWaiter on its own kernel stack, linked into the
// bucket of its key; a wake unlinks it, marks it woken and readies its
// thread. All of it is under the process lock, like every wait queue.
// A waiter reads the word under the lock when its page is resident (a
// no-fault read, Linux's futex_get_value_locked), then queues and sleeps:
// no wake can come in between. When the page is not resident it queues
// *before* reading the word without the lock (the read may fault it in):
// a wake that changes the word and runs after the read finds it queued,
// and a wake that runs between the queueing and the read marks it woken,
// which it sees before sleeping. Either way no wake-up is lost.
#include "kernel/process/futex.hpp"
#include "kernel/process/futex_internal.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"

namespace kernel {

namespace {

// Enough buckets that a few thousand waiters keep short chains; a bucket
// is a ring of FutexWaiter::node.
constexpr usize BUCKETS = FUTEX_BUCKETS;
constinit lib::ListNode s_buckets[BUCKETS] = {};
constinit usize s_waiters = 0;

lib::ListNode& bucket_of_proc_locked(const FutexKey& k)
{
    process_lock().assert_held();
    lib::ListNode& b = s_buckets[futex_bucket(k)];
    if (!b.next) // zero-initialised: make it a ring
        b.prev = b.next = &b;
    return b;
}

FutexWaiter* waiter_of(lib::ListNode* n)
{
    return reinterpret_cast<FutexWaiter*>(reinterpret_cast<u8*>(n) - __builtin_offsetof(FutexWaiter, node));
}

} // namespace

usize futex_bucket(const FutexKey& k)
{
    // The object and the word mixed by MurmurHash3's finalizer: dense
    // arrays of locks and the same offset in many spaces both spread.
    u64 h = u64(reinterpret_cast<uptr>(k.object)) ^ (k.offset * 0x9e3779b97f4a7c15ull);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return usize(h % BUCKETS);
}

namespace {

// A shared futex in a shared file mapping is the file's word (other
// processes map it elsewhere); any other is this space's address.
FutexKey key_in(const mm::AddressSpace& as, const mm::Region* r, u64 uaddr)
{
    if (r && r->shared() && r->file)
        return FutexKey{r->file, r->offset + (uaddr - r->start)};
    return FutexKey{&as, uaddr};
}

} // namespace

FutexKey futex_key(mm::AddressSpace& as, u64 uaddr, bool shared)
{
    if (!shared)
        return FutexKey{&as, uaddr};
    MutexGuard guard(as.lock());
    return key_in(as, as.find_region(uaddr), uaddr);
}

void enqueue_proc_locked(FutexWaiter& w)
{
    process_lock().assert_held();
    lib::ListNode& b = bucket_of_proc_locked(w.key);
    w.node.prev = b.prev;
    w.node.next = &b;
    b.prev->next = &w.node;
    b.prev = &w.node;
    ++s_waiters;
}

void dequeue_proc_locked(FutexWaiter& w)
{
    process_lock().assert_held();
    if (!w.node.is_linked())
        return;
    w.node.unlink();
    --s_waiters;
}

namespace {

void wake_waiter_proc_locked(FutexWaiter& w)
{
    process_lock().assert_held();
    dequeue_proc_locked(w);
    w.woken = true;
    wake_all_proc_locked(w.queue);
}

// The key of the word at uaddr in the caller's address space.
Result<FutexKey> key_of(u64 uaddr, bool shared)
{
    if (uaddr % 4)
        return Errno::einval;
    mm::AddressSpace& as = *current_process().address_space;
    if (!shared)
        return FutexKey{&as, uaddr};
    MutexGuard guard(as.lock());
    const mm::Region* r = as.find_region(uaddr);
    if (!r)
        return Errno::efault;
    return key_in(as, r, uaddr);
}

} // namespace

// Wake up to n waiters of key whose bitset meets `bitset`.
u64 wake_key_proc_locked(const FutexKey& key, u32 n, u32 bitset)
{
    process_lock().assert_held();
    lib::ListNode& b = bucket_of_proc_locked(key);
    u64 woken = 0;
    for (lib::ListNode* at = b.next; at != &b && woken < n;) {
        lib::ListNode* next = at->next;
        FutexWaiter* w = waiter_of(at);
        if (w->key == key && (w->bitset & bitset)) {
            wake_waiter_proc_locked(*w);
            ++woken;
        }
        at = next;
    }
    return woken;
}

u64 requeue_key_proc_locked(const FutexKey& from, const FutexKey& to, u32 wake, u32 requeue)
{
    process_lock().assert_held();
    u64 woken = wake_key_proc_locked(from, wake, FUTEX_MATCH_ANY);
    u64 moved = 0;
    if (from == to)
        return woken;
    lib::ListNode& b = bucket_of_proc_locked(from);
    for (lib::ListNode* at = b.next; at != &b && moved < requeue;) {
        lib::ListNode* next = at->next;
        FutexWaiter* w = waiter_of(at);
        if (w->key == from) {
            dequeue_proc_locked(*w);
            w->key = to;
            enqueue_proc_locked(*w);
            ++moved;
        }
        at = next;
    }
    return woken + moved;
}

namespace {

// After queueing and sleeping under the lock: what the wait came to.
Result<u64> wait_outcome(bool woken, WaitOutcome outcome)
{
    if (woken)
        return u64(0);
    if (outcome == WaitOutcome::TimedOut)
        return Errno::etimedout;
    if (outcome == WaitOutcome::Interrupted)
        return Errno::eintr;
    // Woken by something else than a futex wake (a group stop's wake-up
    // that was no signal): a spurious wake-up, which futex(2) allows.
    return u64(0);
}

WaitOutcome sleep_proc_locked(FutexWaiter& w, u64 deadline_ns)
{
    process_lock().assert_held();
    if (w.woken)
        return WaitOutcome::Woken;
    if (deadline_ns == ~0ull)
        return block_on_proc_locked(w.queue) ? WaitOutcome::Interrupted : WaitOutcome::Woken;
    return block_on_until_proc_locked(w.queue, deadline_ns);
}

} // namespace

Result<u64> futex_wait(u64 uaddr, bool shared, u32 expected, u64 deadline_ns, u32 bitset)
{
    if (bitset == 0)
        return Errno::einval;
    FutexWaiter w;
    w.key = TRY(key_of(uaddr, shared));
    w.bitset = bitset;
    w.queue.head.prev = w.queue.head.next = &w.queue.head;
    // The common case: the word is resident, read under the lock without
    // faulting (as Linux's futex_get_value_locked), so no wake can come
    // between the read and the queueing.
    {
        SpinLockGuard guard(process_lock());
        u32 value;
        if (mm::copy_from_user_nofault(&value, uaddr, sizeof(value)).is_ok()) {
            if (value != expected)
                return Errno::eagain;
            enqueue_proc_locked(w);
            WaitOutcome outcome = sleep_proc_locked(w, deadline_ns);
            bool woken = w.woken;
            dequeue_proc_locked(w);
            return wait_outcome(woken, outcome);
        }
    }
    // Not resident (or a bad address): queue first, then read, which may
    // fault the page in; a wake between the two finds us queued.
    {
        SpinLockGuard guard(process_lock());
        enqueue_proc_locked(w);
    }
    auto value = mm::read_user<u32>(uaddr);
    SpinLockGuard guard(process_lock());
    if (value.is_error() || value.value() != expected) {
        bool woken = w.woken;
        dequeue_proc_locked(w);
        if (woken)
            return u64(0); // a wake found us first: it counted us
        return value.is_error() ? Errno::efault : Errno::eagain;
    }
    WaitOutcome outcome = sleep_proc_locked(w, deadline_ns);
    bool woken = w.woken;
    dequeue_proc_locked(w);
    return wait_outcome(woken, outcome);
}

Result<u64> futex_wake(u64 uaddr, bool shared, u32 count, u32 bitset)
{
    if (bitset == 0)
        return Errno::einval;
    FutexKey key = TRY(key_of(uaddr, shared));
    SpinLockGuard guard(process_lock());
    return wake_key_proc_locked(key, count, bitset);
}

Result<u64> futex_requeue(u64 uaddr, bool shared, u32 wake, u32 requeue, u64 uaddr2, const u32* compare)
{
    FutexKey from = TRY(key_of(uaddr, shared));
    FutexKey to = TRY(key_of(uaddr2, shared));
    if (compare) {
        // Read before the lock (user memory); a waiter that changes its
        // mind meanwhile is found woken or still queued, as in futex_wait.
        u32 now = TRY(mm::read_user<u32>(uaddr));
        if (now != *compare)
            return Errno::eagain;
    }
    SpinLockGuard guard(process_lock());
    return requeue_key_proc_locked(from, to, wake, requeue);
}

Result<u64> futex_wake_op(u64 uaddr, bool shared, u32 wake, u64 uaddr2, u32 wake2, u32 encoded_op)
{
    // include/uapi/linux/futex.h: op, cmp, oparg, cmparg.
    u32 op = (encoded_op >> 28) & 7, cmp = (encoded_op >> 24) & 15;
    i32 oparg = i32(encoded_op << 8) >> 20, cmparg = i32(encoded_op << 20) >> 20;
    if (encoded_op & (8u << 28)) // FUTEX_OP_OPARG_SHIFT; a shift past 31 is masked, as Linux does
        oparg = i32(1u << (oparg & 31));
    if (op > 4 || cmp > 5)
        return Errno::enosys;
    FutexKey key1 = TRY(key_of(uaddr, shared));
    FutexKey key2 = TRY(key_of(uaddr2, shared));
    // The read-modify-write of the word is atomic: another thread may
    // change it from another hart at the same moment.
    u32 old = TRY(mm::update_user_word(uaddr2, [&](u32 was) {
        return op == 0 ? u32(oparg) : op == 1 ? was + u32(oparg) : op == 2 ? was | u32(oparg)
             : op == 3 ? was & ~u32(oparg) : was ^ u32(oparg);
    }));
    i32 o = i32(old);
    bool pass = cmp == 0 ? o == cmparg : cmp == 1 ? o != cmparg : cmp == 2 ? o < cmparg
              : cmp == 3 ? o <= cmparg : cmp == 4 ? o > cmparg : o >= cmparg;
    SpinLockGuard guard(process_lock());
    u64 woken = wake_key_proc_locked(key1, wake, FUTEX_MATCH_ANY);
    if (pass)
        woken += wake_key_proc_locked(key2, wake2, FUTEX_MATCH_ANY);
    return woken;
}

namespace {

// include/uapi/linux/futex.h
constexpr u32 FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
constexpr u32 ROBUST_LIST_LIMIT = 2048; // ROBUST_LIST_LIMIT: a loop in the list ends here

// A robust lock the dying thread held: mark its owner dead, wake a waiter.
void robust_lock_owner_died(u64 uaddr, Pid tid)
{
    // A compare-and-swap, as Linux's handle_futex_death: a waiter on
    // another hart may be setting FUTEX_WAITERS at the same moment. A
    // word the thread does not own is left alone, not even rewritten.
    auto read = mm::read_user<u32>(uaddr);
    if (read.is_error())
        return;
    for (u32 word = read.value();;) {
        if ((word & FUTEX_TID_MASK) != u32(tid))
            return;
        u32 found;
        auto swapped = mm::cmpxchg_user_word(uaddr, word, (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED, found);
        if (swapped.is_error())
            return;
        if (swapped.value()) {
            if (word & FUTEX_WAITERS)
                (void)futex_wake(uaddr, true, 1, FUTEX_MATCH_ANY);
            return;
        }
        word = found;
    }
}

// struct robust_list_head { robust_list* list; long futex_offset; robust_list* list_op_pending; }
void walk_robust_list(u64 head, Pid tid)
{
    u64 h[3];
    if (mm::copy_from_user(h, head, sizeof(h)).is_error())
        return;
    u64 entry = h[0];
    i64 offset = i64(h[1]);
    u64 pending = h[2];
    for (u32 n = 0; entry != head && n < ROBUST_LIST_LIMIT; ++n) {
        auto next = mm::read_user<u64>(entry & ~1ull);
        if (next.is_error())
            return;
        if ((entry & ~1ull) != (pending & ~1ull)) // the pending one is done last
            robust_lock_owner_died((entry & ~1ull) + u64(offset), tid);
        entry = next.value();
    }
    if (pending)
        robust_lock_owner_died((pending & ~1ull) + u64(offset), tid);
}

} // namespace

void futex_exit_thread(Thread& t)
{
    if (!t.process->address_space)
        return;
    if (t.robust_list) {
        walk_robust_list(t.robust_list, t.tid);
        t.robust_list = 0;
    }
    // The tid word matters only to someone else who sees this memory: other
    // threads, or a vfork parent (Linux's mm_users > 1); a process's last
    // thread skips it.
    bool seen;
    {
        SpinLockGuard guard(process_lock());
        seen = t.process->thread_count > 1 || t.process->address_space->users() > 1;
    }
    if (t.clear_child_tid && seen) {
        // A bad address is ignored, as Linux does.
        if (mm::write_user<u32>(t.clear_child_tid, 0).is_ok())
            (void)futex_wake(t.clear_child_tid, true, 1, FUTEX_MATCH_ANY);
        t.clear_child_tid = 0;
    }
}

usize futex_waiter_count()
{
    SpinLockGuard guard(process_lock());
    return s_waiters;
}

} // namespace kernel
