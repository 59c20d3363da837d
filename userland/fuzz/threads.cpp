// Thread storms (threads.h): pthreads making random calls and thread
// chaos beside the worker, joined with bounded waits.
#include "threads.h"
#include "thread_support.h"

#include "args.h"
#include "calls.h"
#include "sequences.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fuzz {

namespace {

using namespace thread_support;

// --- the storm ------------------------------------------------------------

struct Storm;

struct StormThread {
    Storm* storm = nullptr;
    unsigned index = 0; // 1..count
    WorkerContext ctx;
    unsigned steps = 0;
    unsigned ending = 0; // how it ends: 0-99, see end_thread
    pthread_t handle{};
    bool created = false;
    bool finished = false; // joined, or gone without a join
    std::atomic<std::uint64_t> progress{0};
    std::uint64_t seen = ~0ull; // progress at the last look (nudge)
    double since = 0;           // when `seen` was first seen
    double interval = k_nudge_interval;
};

struct Storm {
    const CallPicker* picker = nullptr;
    pid_t pid = 0;
    unsigned count = 0;
    std::atomic<bool> stop{false};
    std::atomic<int> tids[k_max_threads + 1] = {}; // [0]: the worker's main thread
    std::uint32_t* words = nullptr;        // a private page
    std::uint32_t* shared_words = nullptr; // a MAP_SHARED page: keyed by object, not address
    std::size_t victim_length = 0;
    std::atomic<int> pipe_read{-1};
    std::atomic<int> pipe_write{-1};
    StormThread* threads[k_max_threads + 1] = {};
    double last_nudge = 0;
};

std::uint64_t storm_word(Storm& s, WorkerContext& ctx, std::uint32_t*& arena_word)
{
    Rng& rng = ctx.rng;
    arena_word = nullptr;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 45)
        arena_word = s.words + rng.below(k_words);
    else if (roll < 70)
        arena_word = s.shared_words + rng.below(k_words);
    if (arena_word)
        return ptr(arena_word);
    if (roll < 80)
        return k_victim_base + 4 * rng.below(s.victim_length / 4); // maybe gone by now
    if (roll < 90)
        return ptr(scratch_bytes(ctx, 8)) & ~3ull;
    if (roll < 95)
        return ptr(s.words + rng.below(k_words)) + 1 + rng.below(3); // misaligned: EINVAL
    return bad_pointer(ctx, true);
}

// A timeout for FUTEX_WAIT (relative): 1-5 ms mostly; none (a wake, a
// nudge or a cancel ends the wait), or invalid now and then.
std::uint64_t wait_timeout(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 12)
        return 0;
    auto* ts = reinterpret_cast<timespec*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 24)) & ~7ull);
    if (roll < 94)
        *ts = {0, long(1 + rng.below(5)) * 1000000};
    else if (roll < 97)
        *ts = {0, 1000000000}; // EINVAL
    else
        *ts = {-1, 0};
    return ptr(ts);
}

// An absolute deadline for FUTEX_WAIT_BITSET, on the clock `realtime` says.
std::uint64_t wait_deadline(WorkerContext& ctx, bool realtime)
{
    Rng& rng = ctx.rng;
    if (rng.chance(8))
        return 0;
    auto* ts = reinterpret_cast<timespec*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 24)) & ~7ull);
    clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, ts);
    if (rng.chance(10)) { // in the past
        ts->tv_sec -= 1;
        return ptr(ts);
    }
    ts->tv_nsec += long(1 + rng.below(5)) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_nsec -= 1000000000;
        ts->tv_sec += 1;
    }
    return ptr(ts);
}

void futex_chaos(Storm& s, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    std::uint32_t* arena_word = nullptr;
    std::uint64_t word = storm_word(s, ctx, arena_word);
    std::uint32_t* arena_word2 = nullptr;
    std::uint64_t word2 = storm_word(s, ctx, arena_word2);
    std::uint32_t current = arena_word ? __atomic_load_n(arena_word, __ATOMIC_RELAXED) : std::uint32_t(rng.below(4));
    std::uint64_t value = rng.chance(75) ? current : current + 1;
    std::uint64_t flags = rng.chance(60) ? k_futex_private : 0;
    constexpr std::uint64_t counts[] = {0, 1, 1, 2, 3, 0x7fffffff, 0x80000000, ~0ull};
    switch (rng.below(8)) {
    case 0: recorded_call(ctx, w, SYS_futex, word, k_futex_wait | flags, value, wait_timeout(ctx)); break;
    case 1: {
        bool realtime = rng.chance(30);
        constexpr std::uint64_t bitsets[] = {0xffffffff, 0xffffffff, 1, 0x80000000, 0 /* EINVAL */};
        recorded_call(ctx, w, SYS_futex, word, k_futex_wait_bitset | flags | (realtime ? k_futex_clock_realtime : 0),
                      value, wait_deadline(ctx, realtime), 0, rng.pick(bitsets));
        break;
    }
    case 2: recorded_call(ctx, w, SYS_futex, word, k_futex_wake | flags, rng.pick(counts)); break;
    case 3:
        recorded_call(ctx, w, SYS_futex, word, k_futex_wake_bitset | flags, rng.pick(counts), 0, 0,
                      rng.chance(80) ? 0xffffffff : rng.next() & 0xffffffff);
        break;
    case 4: // wake some, move others to word2 (the fourth argument is a count here)
        recorded_call(ctx, w, SYS_futex, word, k_futex_requeue | flags, rng.pick(counts), rng.pick(counts), word2);
        break;
    case 5:
        recorded_call(ctx, w, SYS_futex, word, k_futex_cmp_requeue | flags, rng.pick(counts), rng.pick(counts), word2,
                      value);
        break;
    case 6: {
        // FUTEX_OP(op, oparg, cmp, cmparg): op 0-4 (SET ADD OR ANDN XOR)
        // with FUTEX_OP_OPARG_SHIFT (8) now and then, shifts past 31,
        // comparisons 0-5; unknown ops and comparisons too.
        std::uint64_t op = rng.chance(90) ? rng.below(5) : 5 + rng.below(3);
        if (rng.chance(20))
            op |= 8;
        std::uint64_t cmp = rng.chance(90) ? rng.below(6) : 6 + rng.below(10);
        std::uint64_t oparg = rng.chance(70) ? rng.below(40) : rng.next() & 0xfff;
        std::uint64_t cmparg = rng.chance(70) ? current & 0xfff : rng.next() & 0xfff;
        std::uint64_t encoded = (op << 28) | (cmp << 24) | (oparg << 12) | cmparg;
        recorded_call(ctx, w, SYS_futex, word, k_futex_wake_op | flags, rng.pick(counts), rng.pick(counts), word2,
                      encoded);
        break;
    }
    default: // an "unlock": a new value, then wake every waiter
        if (arena_word)
            __atomic_fetch_add(arena_word, 1, __ATOMIC_RELAXED);
        recorded_call(ctx, w, SYS_futex, word, k_futex_wake | flags, 0x7fffffff);
        break;
    }
}

void signal_chaos(Storm& s, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    int sig = harmless_signal(rng);
    pid_t tid = s.tids[rng.below(s.count + 1)].load(std::memory_order_relaxed);
    pid_t own = ctx.tid ? ctx.tid : ctx.self;
    if (tid <= 0)
        tid = own;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 55) {
        recorded_call(ctx, w, SYS_tgkill, std::uint64_t(s.pid), std::uint64_t(tid), std::uint64_t(sig));
    } else if (roll < 70) {
        recorded_call(ctx, w, SYS_tkill, std::uint64_t(tid), std::uint64_t(sig));
    } else if (roll < 78) {
        recorded_call(ctx, w, SYS_kill, std::uint64_t(s.pid), std::uint64_t(sig)); // to whichever thread takes it
    } else if (roll < 86) {
        constexpr std::int64_t none[] = {0, -1, INT32_MIN, 0x7fffffff};
        recorded_call(ctx, w, SYS_tgkill, std::uint64_t(s.pid), std::uint64_t(rng.pick(none)), std::uint64_t(sig));
    } else if (roll < 92) {
        // Our thread under another group's id, another group's thread
        // under ours: ESRCH both (no such thread in that group).
        if (rng.chance(50))
            recorded_call(ctx, w, SYS_tgkill, 1, std::uint64_t(own), std::uint64_t(sig));
        else
            recorded_call(ctx, w, SYS_tgkill, std::uint64_t(s.pid), 1, std::uint64_t(sig));
    } else {
        // rt_tgsigqueueinfo with a siginfo of our own making: si_code < 0
        // (SI_QUEUE) is allowed to a thread of our own group.
        auto* info = reinterpret_cast<std::int32_t*>(scratch_bytes(ctx, 128));
        std::memset(info, 0, 128);
        info[0] = sig;
        constexpr std::int32_t codes[] = {-1 /* SI_QUEUE */, -6 /* SI_TKILL */, 0 /* SI_USER */, 1, -60};
        info[2] = rng.pick(codes);
        recorded_call(ctx, w, SYS_rt_tgsigqueueinfo, std::uint64_t(s.pid), std::uint64_t(tid), std::uint64_t(sig),
                      ptr(info));
    }
}

void pipe_chaos(Storm& s, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    int rfd = s.pipe_read.load(), wfd = s.pipe_write.load();
    std::uint64_t buffer = rng.chance(80) ? ptr(scratch_bytes(ctx, 4096)) : k_victim_base;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 20) {
        // glibc's read: a cancellation point, where pthread_cancel acts
        std::uint64_t a[6] = {std::uint64_t(rfd), buffer, 64, 0, 0, 0};
        CallRecord& record = ring_begin(*ctx.ring, w, SYS_read, a, ctx.who);
        std::uint32_t seq = record.seq;
        ssize_t n = read(rfd, reinterpret_cast<void*>(buffer), 64);
        ring_end(record, seq, n < 0 ? -errno : n);
    } else if (roll < 40) {
        recorded_call(ctx, w, SYS_read, std::uint64_t(rfd), buffer, 1 + rng.below(4096));
    } else if (roll < 48) {
        auto* p = reinterpret_cast<pollfd*>(scratch_bytes(ctx, sizeof(pollfd)));
        *p = {rfd, POLLIN, 0};
        recorded_call(ctx, w, SYS_ppoll, ptr(p), 1, 0, 0, 8);
    } else if (roll < 58) {
        recorded_call(ctx, w, SYS_close, std::uint64_t(rfd)); // under the readers
    } else if (roll < 63) {
        recorded_call(ctx, w, SYS_close, std::uint64_t(wfd)); // the readers get EOF
    } else if (roll < 78) {
        recorded_call(ctx, w, SYS_write, std::uint64_t(wfd), ptr(scratch_bytes(ctx, 4096)), 1 + rng.below(4096));
    } else if (roll < 88) {
        std::uint64_t from = ctx.fds.empty() ? std::uint64_t(wfd) : std::uint64_t(rng.pick(ctx.fds));
        recorded_call(ctx, w, SYS_dup3, from, std::uint64_t(rfd), 0); // another file under the readers
    } else {
        auto* fds = reinterpret_cast<int*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 16)) & ~7ull);
        if (recorded_call(ctx, w, SYS_pipe2, ptr(fds), rng.chance(30) ? O_NONBLOCK : 0) == 0) {
            int r = fds[0], wr = fds[1];
            s.pipe_read.store(r);
            s.pipe_write.store(wr);
            ctx.fds.push_back(r);
            ctx.fds.push_back(wr);
        }
    }
}

void victim_chaos(Storm& s, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    std::uint64_t v = k_victim_base, length = s.victim_length;
    std::uint64_t pages = length / k_page;
    std::uint64_t first = rng.below(pages), count = 1 + rng.below(pages - first);
    std::uint64_t at = v + first * k_page, span = count * k_page;
    std::uint64_t inside = v + rng.below(length);
    int fd = ctx.fds.empty() ? 0 : rng.pick(ctx.fds);
    unsigned roll = unsigned(rng.below(100));
    if (roll < 45) { // the kernel reads or writes it for us, while others change it
        switch (rng.below(7)) {
        case 0: recorded_call(ctx, w, SYS_read, std::uint64_t(fd), inside, 1 + rng.below(length)); break;
        case 1: recorded_call(ctx, w, SYS_write, std::uint64_t(fd), inside, 1 + rng.below(length)); break;
        case 2: recorded_call(ctx, w, SYS_getrandom, inside, 1 + rng.below(length), 0); break;
        case 3: recorded_call(ctx, w, SYS_pread64, std::uint64_t(fd), inside, 1 + rng.below(length), 0); break;
        case 4: recorded_call(ctx, w, SYS_clock_gettime, CLOCK_MONOTONIC, inside & ~7ull); break;
        case 5:
            recorded_call(ctx, w, SYS_futex, inside & ~3ull, k_futex_wait | (rng.chance(50) ? k_futex_private : 0), 0,
                          wait_timeout(ctx));
            break;
        default: {
            auto* iov = reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 48)) &
                                                         ~7ull);
            iov[0] = ptr(scratch_bytes(ctx, 64));
            iov[1] = 64;
            iov[2] = inside;
            iov[3] = 1 + rng.below(length);
            recorded_call(ctx, w, rng.chance(50) ? SYS_readv : SYS_writev, std::uint64_t(fd), ptr(iov), 2);
            break;
        }
        }
    } else if (roll < 60) {
        recorded_call(ctx, w, SYS_munmap, at, span);
    } else if (roll < 70) {
        constexpr std::uint64_t prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
        recorded_call(ctx, w, SYS_mprotect, at, span, rng.pick(prots));
    } else if (roll < 78) {
        constexpr std::uint64_t advice[] = {MADV_DONTNEED, 8 /* FREE */, 9 /* REMOVE */, MADV_WILLNEED};
        recorded_call(ctx, w, SYS_madvise, at, span, rng.pick(advice));
    } else if (roll < 86) {
        std::uint64_t new_length = rng.chance(50) ? length * 2 : std::max<std::uint64_t>(k_page, length / 2);
        recorded_call(ctx, w, SYS_mremap, v, length, new_length, rng.chance(80) ? MREMAP_MAYMOVE : 0);
    } else if (roll < 96) {
        // Something else at the same address, under the threads using it.
        std::uint64_t flags = MAP_FIXED | MAP_ANONYMOUS | (rng.chance(60) ? MAP_PRIVATE : MAP_SHARED);
        recorded_call(ctx, w, SYS_mmap, v, length, PROT_READ | PROT_WRITE, flags, ~0ull, 0);
    } else {
        recorded_call(ctx, w, SYS_msync, v, length, MS_SYNC | MS_INVALIDATE);
    }
}

void affinity_chaos(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    unsigned roll = unsigned(rng.below(100));
    if (roll < 40)
        recorded_call(ctx, w, SYS_sched_setaffinity, tid_value(ctx), cpumask_length(ctx), cpumask(ctx));
    else if (roll < 70)
        recorded_call(ctx, w, SYS_sched_getaffinity, tid_value(ctx), cpumask_length(ctx), any_pointer(ctx, true));
    else if (roll < 90)
        recorded_call(ctx, w, SYS_getcpu, rng.chance(80) ? any_pointer(ctx, true) : 0,
                      rng.chance(70) ? any_pointer(ctx, true) : 0, interesting_integer(ctx));
    else
        recorded_call(ctx, w, SYS_get_robust_list, tid_value(ctx), any_pointer(ctx, true), any_pointer(ctx, true));
}

// Per-thread masks and pending signals.
void mask_chaos(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    auto* set = reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 16)) & ~7ull);
    *set = 0;
    for (int i = 0; i < 3; ++i)
        *set |= 1ull << (harmless_signal(rng) - 1);
    unsigned roll = unsigned(rng.below(100));
    if (roll < 40) {
        recorded_call(ctx, w, SYS_rt_sigprocmask, rng.below(3), ptr(set), any_pointer(ctx, true), 8);
        reassert(); // SIGALRM back in this thread's mask
    } else if (roll < 60) {
        recorded_call(ctx, w, SYS_rt_sigpending, any_pointer(ctx, true), 8);
    } else if (roll < 85) {
        auto* ts = reinterpret_cast<timespec*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 24)) & ~7ull);
        *ts = {0, long(rng.below(3)) * 1000000};
        recorded_call(ctx, w, SYS_rt_sigtimedwait, ptr(set), any_pointer(ctx, true), ptr(ts), 8);
    } else {
        // An alternate signal stack of this thread's own (in its scratch), or none.
        auto* ss = reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::uintptr_t>(scratch_bytes(ctx, 24)) & ~7ull);
        ss[0] = ptr(ctx.scratch);
        ss[1] = rng.chance(80) ? 0 : 2 /* SS_DISABLE */;
        ss[2] = rng.chance(80) ? 8192 : rng.below(4096);
        recorded_call(ctx, w, SYS_sigaltstack, ptr(ss), any_pointer(ctx, true));
    }
}

void vfork_chaos(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    std::uint64_t a[6] = {k_clone_vm | k_clone_vfork | SIGCHLD, 0, 0, 0, 0, 0};
    int mode = int(rng.below(3)); // 0: _exit, 1: exec /bin/true, 2: a failing exec, then _exit
    CallRecord& record = ring_begin(*ctx.ring, where_of(ctx), SYS_clone, a, ctx.who);
    std::uint32_t seq = record.seq;
    pid_t pid = vfork_and_go(mode, 0, int(rng.below(256)));
    ring_end(record, seq, pid < 0 ? -errno : pid);
    if (pid > 0)
        wait_bounded(pid, 1);
}

void clone_chaos(WorkerContext& ctx)
{
    std::uint64_t a[6] = {};
    if (ctx.rng.chance(50)) {
        a[0] = clone3_struct(ctx);
        a[1] = clone3_size(ctx);
        run_clone_in_child(ctx, SYS_clone3, a, where_of(ctx));
    } else {
        a[0] = thread_clone_flags(ctx, false);
        a[2] = any_pointer(ctx, true);
        a[4] = any_pointer(ctx, true);
        complete_thread_clone_args(ctx, a);
        run_clone_in_child(ctx, SYS_clone, a, where_of(ctx));
    }
}

// The main thread only (it is the one that joins): glibc's pthread_cancel
// sends SIGCANCEL, acted on at the thread's next cancellation point.
void cancel_chaos(Storm& s, WorkerContext& ctx)
{
    unsigned i = 1 + unsigned(ctx.rng.below(s.count));
    StormThread* t = s.threads[i];
    if (!t || !t->created || t->finished)
        return;
    std::uint64_t a[6] = {std::uint64_t(s.pid), std::uint64_t(s.tids[i].load()), k_sigcancel, 0, 0, 0};
    CallRecord& record = ring_begin(*ctx.ring, Where::worker, SYS_tgkill, a, ctx.who);
    std::uint32_t seq = record.seq;
    ring_end(record, seq, -pthread_cancel(t->handle));
}

// One chaos step; false: the calling storm thread is to end now.
bool chaos(Storm& s, WorkerContext& ctx, bool main_thread)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 26)
        futex_chaos(s, ctx);
    else if (roll < 40)
        signal_chaos(s, ctx);
    else if (roll < 52)
        pipe_chaos(s, ctx);
    else if (roll < 64)
        victim_chaos(s, ctx);
    else if (roll < 70)
        affinity_chaos(ctx);
    else if (roll < 76)
        mask_chaos(ctx);
    else if (roll < 80)
        recorded_call(ctx, where_of(ctx), SYS_set_robust_list, robust_list(ctx), rng.chance(90) ? 24 : 23);
    else if (roll < 84)
        vfork_chaos(ctx);
    else if (roll < 89)
        clone_chaos(ctx);
    else if (roll < 92)
        run_thread_group_child(ctx, *s.picker, where_of(ctx));
    else if (main_thread)
        cancel_chaos(s, ctx);
    else if (roll >= 97)
        return false; // an early end (end_thread chooses how)
    return true;
}

void end_thread(StormThread& t)
{
    WorkerContext& ctx = t.ctx;
    if (t.ending < 25) // a garbage robust list, walked as it exits
        recorded_call(ctx, Where::thread, SYS_set_robust_list, robust_list(ctx), 24);
    if ((t.ending >= 15 && t.ending < 35)) {
        // exit() behind glibc's back: the kernel clears the tid word
        // (CLONE_CHILD_CLEARTID) and wakes the joiner.
        raw_exit(ctx);
    }
    if (t.ending >= 35 && t.ending < 45)
        pthread_exit(nullptr);
}

void* storm_thread_main(void* arg)
{
    auto& t = *static_cast<StormThread*>(arg);
    Storm& s = *t.storm;
    t.ctx.tid = pid_t(syscall(SYS_gettid));
    s.tids[t.index].store(t.ctx.tid);
    reassert(); // SIGALRM unblocked in this thread's mask
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, nullptr);
    for (unsigned i = 0; i < t.steps && !s.stop.load(std::memory_order_relaxed); ++i) {
        pthread_testcancel();
        if (t.ctx.rng.chance(k_chaos_percent)) {
            t.progress.fetch_add(1, std::memory_order_relaxed);
            if (!chaos(s, t.ctx, false))
                break;
        } else {
            run_step(t.ctx, *s.picker, i, Where::thread);
        }
    }
    end_thread(t);
    return nullptr;
}

// The interval timer's SIGALRM goes to one thread: a thread whose counter
// has not moved for 10 ms is in a blocking call, which SIGALRM ends
// (EINTR). If it is still in the same step, the next SIGALRM comes twice
// as late, up to 320 ms apart: a call that restarts when a signal arrives
// (a fork of a large process restarts on any pending signal, as Linux's
// ERESTARTNOINTR) must get to finish, not be restarted forever.
void nudge_thread(Storm& s, unsigned i, double now)
{
    StormThread* t = s.threads[i];
    if (!t || !t->created || t->finished)
        return;
    std::uint64_t p = t->progress.load(std::memory_order_relaxed);
    if (p != t->seen) {
        t->seen = p;
        t->since = now;
        t->interval = k_nudge_interval;
        return;
    }
    int tid = s.tids[i].load();
    if (now - t->since < t->interval || tid <= 0)
        return;
    syscall(SYS_tgkill, s.pid, tid, SIGALRM);
    t->since = now;
    t->interval = std::min(t->interval * 2, k_nudge_max);
}

void nudge(Storm& s)
{
    double now = now_seconds();
    if (now - s.last_nudge < k_nudge_interval / 2)
        return;
    s.last_nudge = now;
    for (unsigned i = 1; i <= s.count; ++i)
        nudge_thread(s, i, now);
}

// Joins the threads, bounded; returns how many were left.
unsigned join_threads(Storm& s)
{
    double start = now_seconds();
    bool cancelled = false;
    for (;;) {
        unsigned left = 0;
        for (unsigned i = 1; i <= s.count; ++i) {
            StormThread* t = s.threads[i];
            if (!t || !t->created || t->finished)
                continue;
            timespec until{};
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += 4000000;
            if (until.tv_nsec >= 1000000000) {
                until.tv_nsec -= 1000000000;
                until.tv_sec += 1;
            }
            if (pthread_clockjoin_np(t->handle, nullptr, CLOCK_MONOTONIC, &until) == 0) {
                t->finished = true;
                s.tids[i].store(0);
                continue;
            }
            int tid = s.tids[i].load();
            if (tid > 0 && syscall(SYS_tgkill, s.pid, tid, 0) != 0 && errno == ESRCH) {
                // Gone, but its tid word was not cleared where glibc waits
                // (a random set_tid_address moved it): nothing to join.
                t->finished = true;
                s.tids[i].store(0);
                continue;
            }
            nudge_thread(s, i, now_seconds());
            ++left;
        }
        if (!left)
            return 0;
        double elapsed = now_seconds() - start;
        if (!cancelled && elapsed > k_cancel_after) {
            cancelled = true;
            for (unsigned i = 1; i <= s.count; ++i)
                if (s.threads[i] && s.threads[i]->created && !s.threads[i]->finished)
                    pthread_cancel(s.threads[i]->handle);
        }
        if (elapsed > k_give_up_after)
            return left;
    }
}

bool map_victim(Storm& s, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = Where::worker;
    s.victim_length = (1 + rng.below(k_victim_max_pages)) * k_page;
    unsigned kind = unsigned(rng.below(3));
    std::uint64_t fd = ~0ull;
    if (kind == 2) {
        std::string path = ctx.dir + "/victim";
        long r = recorded_call(ctx, w, SYS_openat, std::uint64_t(AT_FDCWD), ptr(path.c_str()),
                               O_CREAT | O_RDWR | O_TRUNC, 0644);
        if (r >= 0) {
            fd = std::uint64_t(r);
            ctx.fds.push_back(int(r));
            // Sometimes shorter than the mapping: the kernel's accesses past
            // the end fail (the threads never touch it themselves).
            recorded_call(ctx, w, SYS_ftruncate, fd, s.victim_length / 2 + rng.below(s.victim_length));
        } else {
            kind = 0;
        }
    }
    std::uint64_t flags = MAP_FIXED | (kind == 0 ? MAP_PRIVATE | MAP_ANONYMOUS
                                       : kind == 1 ? MAP_SHARED | MAP_ANONYMOUS
                                                   : MAP_SHARED);
    return recorded_call(ctx, w, SYS_mmap, k_victim_base, s.victim_length, PROT_READ | PROT_WRITE, flags, fd, 0) ==
           long(k_victim_base);
}

} // namespace

void run_thread_storm(WorkerContext& ctx, const CallPicker& picker)
{
    Rng& rng = ctx.rng;
    auto* s = new Storm;
    s->picker = &picker;
    s->pid = ctx.self;
    s->count = 2 + unsigned(rng.below(k_max_threads - 1));
    unsigned main_steps = 4 + unsigned(rng.below(29));
    std::uint64_t a[6] = {s->count, main_steps, 0, 0, 0, 0};
    CallRecord& record = ring_begin(*ctx.ring, Where::worker, k_storm_record, a, 0);
    std::uint32_t seq = record.seq;
    ctx.ring->storms.fetch_add(1, std::memory_order_relaxed);

    s->words = static_cast<std::uint32_t*>(
        mmap(nullptr, k_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    s->shared_words = static_cast<std::uint32_t*>(
        mmap(nullptr, k_page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    int pipe_fds[2];
    if (s->words == MAP_FAILED || s->shared_words == MAP_FAILED || !map_victim(*s, ctx) ||
        pipe2(pipe_fds, 0) != 0) {
        if (s->words != MAP_FAILED)
            munmap(s->words, k_page);
        if (s->shared_words != MAP_FAILED)
            munmap(s->shared_words, k_page);
        ring_end(record, seq, -ENOMEM);
        delete s;
        return;
    }
    s->pipe_read.store(pipe_fds[0]);
    s->pipe_write.store(pipe_fds[1]);
    ctx.fds.push_back(pipe_fds[0]);
    ctx.fds.push_back(pipe_fds[1]);
    s->tids[0].store(ctx.tid ? ctx.tid : ctx.self);

    // The worker's context, as the threads see it: its descriptors and
    // mappings (and the victim), a stream, a scratch area and an id each.
    ctx.mappings.push_back({k_victim_base, s->victim_length});
    ctx.sibling_tids = s->tids;
    ctx.sibling_count = s->count + 1;
    ctx.futex_words[0] = s->words;
    ctx.futex_words[1] = s->shared_words;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, k_stack_size);
    for (unsigned i = 1; i <= s->count; ++i) {
        auto* t = new StormThread;
        t->storm = s;
        t->index = i;
        t->ctx = ctx;
        t->ctx.rng = Rng(rng.next());
        t->ctx.who = std::uint8_t(i);
        t->ctx.tid = 0;
        t->ctx.children.clear();
        t->ctx.skip = nullptr;
        t->ctx.progress = &t->progress;
        t->ctx.scratch = map_guarded(k_thread_scratch_pages);
        t->ctx.scratch_size = k_thread_scratch_pages * k_page;
        t->steps = 4 + unsigned(rng.below(29));
        t->ending = unsigned(rng.below(100));
        s->threads[i] = t;
        if (!t->ctx.scratch) {
            t->finished = true;
            continue;
        }
        t->created = pthread_create(&t->handle, &attr, storm_thread_main, t) == 0;
        if (!t->created)
            t->finished = true;
        else
            ctx.ring->threads.fetch_add(1, std::memory_order_relaxed);
    }
    pthread_attr_destroy(&attr);

    for (unsigned i = 0; i < main_steps; ++i) {
        nudge(*s);
        if (rng.chance(k_chaos_percent))
            chaos(*s, ctx, true);
        else
            run_step(ctx, picker, 1 + i, Where::worker);
    }
    s->stop.store(true);
    unsigned left = join_threads(*s);
    ctx.ring->storms.fetch_add(std::min(left, 0xffffu) << 16, std::memory_order_relaxed);
    if (record.seq == seq)
        record.result = left;
    else // the ring came round meanwhile: the end gets a record of its own
        ring_begin(*ctx.ring, Where::worker, k_storm_record, a, 0).result = left;

    ctx.sibling_tids = nullptr;
    ctx.sibling_count = 0;
    ctx.futex_words[0] = ctx.futex_words[1] = nullptr;
    ctx.forget_range(k_victim_base, k_victim_max_pages * 4 * k_page);
    for (unsigned i = 1; i <= s->count; ++i) {
        StormThread* t = s->threads[i];
        if (!t || !t->finished)
            continue;
        // What the thread opened and forked is the worker's now.
        for (int fd : t->ctx.fds)
            if (std::find(ctx.fds.begin(), ctx.fds.end(), fd) == ctx.fds.end())
                ctx.fds.push_back(fd);
        for (pid_t c : t->ctx.children)
            ctx.children.push_back(c);
        if (left == 0) {
            if (t->ctx.scratch)
                munmap(t->ctx.scratch, t->ctx.scratch_size);
            delete t;
        }
    }
    if (left == 0) {
        // Nobody uses the storm's memory any more (threads left behind
        // would: then it stays, with them, until the worker exits).
        munmap(s->words, k_page);
        munmap(s->shared_words, k_page);
        munmap(reinterpret_cast<void*>(k_victim_base), k_victim_max_pages * 4 * k_page);
        delete s;
    }
    reassert();
}
} // namespace fuzz
