// Argument generators for the calls of threads (see args.h): thread ids,
// CPU masks, futex words, robust lists, clone flags, clone3's struct.
// Flag values are Linux's (include/uapi/linux/sched.h, futex.h).
#include "args.h"

#include <climits>
#include <csignal>
#include <cstring>

namespace fuzz {

namespace {

constexpr std::uint64_t k_clone_vm = 0x100, k_clone_fs = 0x200, k_clone_files = 0x400, k_clone_sighand = 0x800,
                        k_clone_pidfd = 0x1000, k_clone_ptrace = 0x2000, k_clone_vfork = 0x4000, k_clone_parent = 0x8000,
                        k_clone_thread = 0x10000, k_clone_newns = 0x20000, k_clone_sysvsem = 0x40000,
                        k_clone_settls = 0x80000, k_clone_parent_settid = 0x100000, k_clone_child_cleartid = 0x200000,
                        k_clone_detached = 0x400000, k_clone_untraced = 0x800000, k_clone_child_settid = 0x1000000,
                        k_clone_newcgroup = 0x2000000, k_clone_newuts = 0x4000000, k_clone_newipc = 0x8000000,
                        k_clone_newuser = 0x10000000, k_clone_newpid = 0x20000000, k_clone_newnet = 0x40000000,
                        k_clone_io = 0x80000000, k_clone_clear_sighand = 1ull << 32, k_clone_into_cgroup = 1ull << 33;

// What a fork-style clone may carry besides its exit signal: the child
// is a copy and may run the worker's code.
constexpr std::uint64_t k_fork_style = 0xff | k_clone_parent_settid | k_clone_child_settid | k_clone_child_cleartid |
                                       k_clone_untraced | k_clone_sysvsem | k_clone_pidfd | k_clone_detached;

// The combinations programs use, and a few each rule of copy_process refuses.
constexpr std::uint64_t k_thread_sets[] = {
    // glibc's pthread_create
    k_clone_vm | k_clone_fs | k_clone_files | k_clone_sighand | k_clone_thread | k_clone_sysvsem | k_clone_settls |
        k_clone_parent_settid | k_clone_child_cleartid,
    k_clone_vm | k_clone_sighand | k_clone_thread,
    k_clone_vm | k_clone_vfork, // posix_spawn
    k_clone_vm | k_clone_vfork | k_clone_sighand | k_clone_thread,
    k_clone_vm,
    k_clone_vm | k_clone_sighand,
    k_clone_vm | k_clone_files | k_clone_fs,
    k_clone_files,
    k_clone_fs,
    k_clone_vfork,
    k_clone_parent,
    k_clone_vm | k_clone_sighand | k_clone_thread | k_clone_parent,
    k_clone_thread,              // EINVAL: a thread shares handlers
    k_clone_sighand,             // EINVAL: shared handlers need shared memory
    k_clone_sighand | k_clone_thread,
    k_clone_newns | k_clone_fs,    // EINVAL
    k_clone_newuser | k_clone_fs,  // EINVAL
    k_clone_pidfd | k_clone_thread | k_clone_sighand | k_clone_vm,
    k_clone_pidfd | k_clone_detached,
    k_clone_settls,
    k_clone_vm | k_clone_child_settid | k_clone_child_cleartid,
};
constexpr std::uint64_t k_single_flags[] = {
    k_clone_vm, k_clone_fs, k_clone_files, k_clone_sighand, k_clone_pidfd, k_clone_ptrace, k_clone_vfork, k_clone_parent,
    k_clone_thread, k_clone_newns, k_clone_sysvsem, k_clone_settls, k_clone_parent_settid, k_clone_child_cleartid,
    k_clone_detached, k_clone_untraced, k_clone_child_settid, k_clone_newcgroup, k_clone_newuts, k_clone_newipc,
    k_clone_newuser, k_clone_newpid, k_clone_newnet, k_clone_io,
};

// Exit signals a new task may send the worker (CLONE_PARENT makes it the
// worker's child): none it would die of, whatever its handlers are now.
bool harmless_to_worker(std::uint64_t sig)
{
    return sig == 0 || sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

std::uint64_t exit_signal(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 70)
        return SIGCHLD;
    if (roll < 85)
        return 0;
    return rng.below(65);
}

std::uint64_t* scratch_words(WorkerContext& ctx, std::size_t words)
{
    std::uint8_t* p = scratch_bytes(ctx, words * 8);
    return reinterpret_cast<std::uint64_t*>(reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t(7));
}

bool in_scratch(const WorkerContext& ctx, std::uint64_t p, std::size_t n)
{
    auto s = reinterpret_cast<std::uint64_t>(ctx.scratch);
    return p >= s && p + n <= s + ctx.scratch_size && p + n >= p;
}

// A bad pointer the kernel may read through, but never the program's own
// text or rodata: read as a struct, their bytes could make a request the
// generator would not (CLONE_PARENT with a fatal exit signal).
std::uint64_t unreadable_pointer(WorkerContext& ctx)
{
    constexpr std::uint64_t values[] = {0, 8, 0x1000, 0x3fc0001000, 0x4000000000 - 8, 0xffffffc000000000,
                                        0xffffffffffffffff, 0x8000000000000000};
    return ctx.rng.pick(values);
}

} // namespace

bool clone_is_fork_style(std::uint64_t flags)
{
    return (flags & ~k_fork_style) == 0;
}

std::uint64_t tid_value(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    pid_t own = ctx.tid ? ctx.tid : ctx.self;
    if (roll < 30)
        return std::uint64_t(std::int64_t(own));
    if (roll < 55 && ctx.sibling_tids) {
        pid_t tid = ctx.sibling_tids[rng.below(ctx.sibling_count)].load(std::memory_order_relaxed);
        return std::uint64_t(std::int64_t(tid > 0 ? tid : own));
    }
    if (roll < 65)
        return 0; // the caller, for the calls that take 0 so; EINVAL for tkill
    if (roll < 75)
        return std::uint64_t(std::int64_t(ctx.self));
    if (roll < 82 && !ctx.children.empty())
        return std::uint64_t(std::int64_t(rng.pick(ctx.children)));
    // Ids nothing has (never another process's: pids are not guessed).
    constexpr std::int64_t none[] = {-1, INT_MIN, 0x7fffffff, 0x3fffffff, std::int64_t(0x100000000) + 2};
    return std::uint64_t(rng.pick(none));
}

std::uint64_t thread_clone_flags(WorkerContext& ctx, bool clone3)
{
    Rng& rng = ctx.rng;
    std::uint64_t flags = 0;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 65)
        flags = rng.pick(k_thread_sets);
    else if (roll < 95)
        flags = rng.pick(k_single_flags) | (rng.chance(50) ? rng.pick(k_single_flags) : 0);
    else
        flags = rng.next() & 0xffffff00;
    if (rng.chance(20))
        flags |= rng.pick(k_single_flags);
    if (clone3) {
        if (rng.chance(8))
            flags |= rng.chance(50) ? k_clone_clear_sighand : k_clone_into_cgroup;
        if (rng.one_in(20))
            flags |= rng.chance(50) ? SIGCHLD : rng.next() << 34; // a signal or unknown bits: EINVAL
        return flags;
    }
    std::uint64_t sig = exit_signal(ctx);
    // A fork-style result is made by the worker itself, which gets the
    // exit signal, as with CLONE_PARENT.
    flags &= ~0xffull;
    if ((clone_is_fork_style(flags) || (flags & k_clone_parent)) && !harmless_to_worker(sig))
        sig = SIGCHLD;
    return flags | sig;
}

void complete_thread_clone_args(WorkerContext& ctx, std::uint64_t (&a)[6])
{
    Rng& rng = ctx.rng;
    // The stack the new task starts on (its top): in scratch with room
    // below, none (it runs on a copy of the caller's sp), or bad.
    unsigned roll = unsigned(rng.below(100));
    if (roll < 55) {
        std::uint64_t base = reinterpret_cast<std::uint64_t>(ctx.scratch);
        a[1] = (base + 4096 + rng.below(ctx.scratch_size - 4096)) & ~15ull;
    } else if (roll < 75) {
        a[1] = 0;
    } else {
        a[1] = unreadable_pointer(ctx) + (rng.chance(30) ? 1 + rng.below(15) : 0);
    }
    // Its thread pointer (CLONE_SETTLS): none, scratch or junk. The code
    // the new task runs (threads.cpp) never reads it.
    roll = unsigned(rng.below(100));
    a[3] = roll < 60 ? 0 : roll < 80 ? reinterpret_cast<std::uint64_t>(scratch_bytes(ctx, 64)) : rng.next();
    if ((a[0] & k_clone_parent) && !harmless_to_worker(a[0] & 0xff))
        a[0] = (a[0] & ~0xffull) | SIGCHLD;
}

std::uint64_t clone3_size(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::uint64_t odd[] = {0, 8, 63, 72, 89, 96, 128, 4088, 4095, 4096, 4097, 8192, ~0ull, 0x80000000};
    unsigned roll = unsigned(rng.below(100));
    if (roll < 45)
        return 88; // CLONE_ARGS_SIZE_VER2: with cgroup
    if (roll < 60)
        return 64; // VER0: flags .. tls
    if (roll < 70)
        return 80; // VER1: with set_tid
    if (roll < 90)
        return rng.pick(odd);
    return rng.below(5000);
}

std::uint64_t clone3_struct(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::size_t k_struct = 88, k_room = 4200; // past the largest size the kernel reads
    unsigned roll = unsigned(rng.below(100));
    if (roll < 10 || ctx.scratch_size < k_room + 8)
        return unreadable_pointer(ctx);
    std::uint8_t* p;
    if (roll < 15) // running into the guard page behind scratch: EFAULT, part read
        p = ctx.scratch + ctx.scratch_size - 8 * (1 + rng.below(k_struct / 8));
    else
        p = ctx.scratch + (rng.below(ctx.scratch_size - k_room) & ~7ull);
    std::size_t room = std::size_t(ctx.scratch + ctx.scratch_size - p);
    // The tail a newer kernel's larger struct would have: zero (accepted)
    // or not (E2BIG).
    std::memset(p, 0, std::min(room, k_room));
    if (room > k_struct + 8 && rng.chance(12)) {
        std::size_t at = k_struct + 8 * rng.below((std::min(room, k_room) - k_struct) / 8);
        p[at] = std::uint8_t(1 + rng.below(255));
    }
    if (room < k_struct)
        return reinterpret_cast<std::uint64_t>(p);

    std::uint64_t f[11] = {};
    f[0] = thread_clone_flags(ctx, true);
    auto pointer = [&] {
        unsigned r = unsigned(rng.below(100));
        if (r < 65)
            return reinterpret_cast<std::uint64_t>(scratch_words(ctx, 1));
        if (r < 85)
            return std::uint64_t(0);
        return unreadable_pointer(ctx);
    };
    f[1] = pointer(); // pidfd
    f[2] = pointer(); // child_tid
    f[3] = pointer(); // parent_tid
    constexpr std::uint64_t odd_signals[] = {65, 128, 255, 256, ~0ull, 0x100000011};
    f[4] = rng.chance(95) ? exit_signal(ctx) : rng.pick(odd_signals);
    if ((f[0] & k_clone_parent) && !harmless_to_worker(f[4]) && f[4] < 65)
        f[4] = SIGCHLD;
    // stack, stack_size: a region of scratch (the kernel starts the task at
    // its top), none, only one of the two (EINVAL), or sums that wrap.
    roll = unsigned(rng.below(100));
    std::uint64_t base = reinterpret_cast<std::uint64_t>(ctx.scratch);
    if (roll < 50) {
        std::uint64_t size = 4096 + (rng.below(ctx.scratch_size / 2 - 4096) & ~15ull);
        f[5] = base + (rng.below(ctx.scratch_size - size) & ~15ull);
        f[6] = size;
    } else if (roll < 75) {
        f[5] = f[6] = 0;
    } else if (roll < 85) {
        f[5] = rng.chance(50) ? 0 : base;
        f[6] = f[5] ? 0 : 4096;
    } else {
        f[5] = rng.chance(50) ? unreadable_pointer(ctx) : base;
        constexpr std::uint64_t sizes[] = {~0ull, ~0ull - 4095, 1ull << 63, 0x4000000000, 1, 15};
        f[6] = rng.pick(sizes);
    }
    roll = unsigned(rng.below(100));
    f[7] = roll < 60 ? 0 : roll < 80 ? reinterpret_cast<std::uint64_t>(scratch_bytes(ctx, 64)) : rng.next(); // tls
    if (rng.chance(8)) { // set_tid, set_tid_size: refused (no pid namespaces)
        f[8] = rng.chance(70) ? reinterpret_cast<std::uint64_t>(scratch_words(ctx, 4)) : unreadable_pointer(ctx);
        constexpr std::uint64_t counts[] = {0, 1, 2, 32, 33, ~0ull};
        f[9] = rng.pick(counts);
    }
    if (rng.chance(5))
        f[10] = rng.chance(50) ? 3 : rng.next(); // cgroup
    std::memcpy(p, f, k_struct);
    return reinterpret_cast<std::uint64_t>(p);
}

std::uint64_t robust_list(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    if (rng.chance(12))
        return rng.chance(50) ? unreadable_pointer(ctx) : bad_pointer(ctx, false);
    // struct robust_list_head { next; long futex_offset; list_op_pending; },
    // entries { next }, each lock word at entry + futex_offset.
    std::uint64_t* head = scratch_words(ctx, 3);
    auto head_address = reinterpret_cast<std::uint64_t>(head);
    pid_t own = ctx.tid ? ctx.tid : ctx.self;
    constexpr std::uint32_t k_futex_waiters = 0x80000000u;

    std::int64_t offset;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 70) {
        constexpr std::int64_t near[] = {8, 16, -8, -16, 32, 64};
        offset = rng.pick(near);
    } else {
        constexpr std::int64_t wild[] = {0, 1, 3, -1, 0x7fffffffffffffff, INT64_MIN, 0x100000000, -0x1000};
        offset = rng.pick(wild);
    }
    auto lock_word = [&](std::uint64_t entry) {
        std::uint64_t word = (entry & ~1ull) + std::uint64_t(offset);
        if (in_scratch(ctx, word, 4) && word % 4 == 0) {
            std::uint32_t value = rng.chance(60) ? std::uint32_t(own) | (rng.chance(50) ? k_futex_waiters : 0)
                                                 : std::uint32_t(rng.chance(50) ? 0 : rng.next());
            std::memcpy(reinterpret_cast<void*>(word), &value, 4);
        }
    };

    unsigned count = unsigned(rng.below(8));
    std::uint64_t entries[8];
    for (unsigned i = 0; i < count; ++i)
        entries[i] = reinterpret_cast<std::uint64_t>(scratch_words(ctx, 1)) | (rng.one_in(8) ? 1 : 0); // bit 0: PI
    unsigned shape = unsigned(rng.below(100));
    for (unsigned i = 0; i < count; ++i) {
        std::uint64_t next;
        if (i + 1 < count)
            next = entries[i + 1];
        else if (shape < 50)
            next = head_address; // a proper list
        else if (shape < 70)
            next = entries[rng.below(count)]; // a cycle: the walk must stop at its limit
        else if (shape < 85)
            next = unreadable_pointer(ctx);
        else
            next = any_pointer(ctx, false); // into a mapping, maybe gone by the time of the walk
        std::memcpy(reinterpret_cast<void*>(entries[i] & ~1ull), &next, 8);
        lock_word(entries[i]);
    }
    // A lock word that is one of the storm's futex words: the walk marks it
    // OWNER_DIED and wakes a thread waiting on it.
    if (ctx.futex_words[0] && ctx.futex_words[1] && rng.chance(30) && count > 0) {
        std::uint32_t* word = ctx.futex_words[rng.below(2)] + rng.below(8);
        offset = std::int64_t(reinterpret_cast<std::uint64_t>(word) - (entries[0] & ~1ull));
        __atomic_store_n(word, std::uint32_t(own) | k_futex_waiters, __ATOMIC_RELAXED);
    }
    head[0] = count ? entries[0] : head_address;
    head[1] = std::uint64_t(offset);
    unsigned pending = unsigned(rng.below(100));
    head[2] = pending < 50 ? 0 : pending < 80 && count ? entries[rng.below(count)] : unreadable_pointer(ctx);
    if (head[2] && pending < 80)
        lock_word(head[2]);
    return head_address;
}

std::uint64_t futex_word(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 35 && ctx.futex_words[0] && ctx.futex_words[1])
        return reinterpret_cast<std::uint64_t>(ctx.futex_words[rng.below(2)] + rng.below(8));
    if (roll < 60)
        return reinterpret_cast<std::uint64_t>(scratch_bytes(ctx, 8)) & ~3ull;
    if (roll < 75 && !ctx.mappings.empty()) {
        const Mapping& m = rng.pick(ctx.mappings);
        return (m.start + rng.below(m.length)) & ~3ull;
    }
    if (roll < 85)
        return (reinterpret_cast<std::uint64_t>(scratch_bytes(ctx, 8)) & ~3ull) + 1 + rng.below(3); // EINVAL
    return bad_pointer(ctx, true);
}

std::uint64_t cpumask(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    if (rng.chance(12))
        return bad_pointer(ctx, false);
    std::uint8_t* p = scratch_bytes(ctx, 160);
    std::size_t bytes = std::size_t(ctx.scratch + ctx.scratch_size - p);
    bytes = std::min<std::size_t>(bytes, 160);
    unsigned roll = unsigned(rng.below(100));
    std::memset(p, 0, bytes);
    if (roll < 50)
        p[0] = 1; // hart 0: the one every machine has
    else if (roll < 65)
        std::memset(p, 0xff, bytes); // every hart, and many that do not exist
    else if (roll < 75)
        p[0] = 2; // hart 1 only: EINVAL on one hart
    else if (roll < 85)
        p[bytes - 1] = 0x80; // a hart far past any machine's
    else if (roll < 95)
        for (std::size_t i = 0; i < bytes; ++i)
            p[i] = std::uint8_t(rng.next());
    // else: no hart at all (EINVAL)
    return reinterpret_cast<std::uint64_t>(p);
}

std::uint64_t cpumask_length(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::uint64_t values[] = {0, 1, 2, 4, 7, 8, 8, 8, 16, 128, 128, 129, 4096, 1 << 20, 0x7fffffff, ~0ull};
    return rng.chance(90) ? rng.pick(values) : rng.below(200);
}

} // namespace fuzz
