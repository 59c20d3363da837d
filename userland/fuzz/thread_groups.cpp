// Thread group children, and clones made through an assembly trampoline
// (threads.h): a forked child whose threads end or replace the group, and
// clone/clone3 made in a throwaway child.
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

// fuzz_clone_trampoline(number, a0..a4, fn, arg): makes system call `number`
// (clone or clone3) with arguments a0..a4. The caller gets the result. The
// new task calls fn(arg) if it has a stack of its own (its sp is not the
// caller's) and fn is not null, then exits (exit: this task only). It
// never returns into compiled code, whose frames are on the caller's
// stack -- which it may share (CLONE_VM) and must not write.
extern "C" long fuzz_clone_trampoline(long number, long a0, long a1, long a2, long a3, long a4, void (*fn)(void*),
                                void* arg);

asm(R"(
    .text
    .globl fuzz_clone_trampoline
    .type fuzz_clone_trampoline, @function
    .p2align 2
fuzz_clone_trampoline:
    mv t0, a6
    mv t1, a7
    mv t2, sp
    mv a7, a0
    mv a0, a1
    mv a1, a2
    mv a2, a3
    mv a3, a4
    mv a4, a5
    ecall
    bnez a0, 1f
    beq sp, t2, 2f
    beqz t0, 2f
    andi sp, sp, -16
    mv a0, t1
    jalr t0
2:  li a0, 0
    li a7, 93
    ecall
    j 2b
1:  ret
    .size fuzz_clone_trampoline, .-fuzz_clone_trampoline
)");


namespace fuzz {

namespace {

using namespace thread_support;

// --- clone and clone3 through the trampoline ------------------------------------

// What the new task of a clone does, decided before the fork (all in raw
// calls: its thread pointer, its stack and its errno may be anyone's).
struct CloneBody {
    std::uint64_t robust_head = 0;
    std::uint64_t robust_len = 0;
    std::uint64_t wake_word = 0;
    long signal = 0;
    bool exit_group = false;
};

CloneBody s_clone_body; // a throwaway child's copy; its new task reads it

__attribute__((noinline, no_stack_protector)) void clone_child_body(void* arg)
{
    const CloneBody* body = static_cast<const CloneBody*>(arg);
    long tid = raw_syscall(SYS_gettid);
    long pid = raw_syscall(SYS_getpid);
    if (body->robust_head)
        raw_syscall(SYS_set_robust_list, long(body->robust_head), long(body->robust_len));
    if (body->wake_word)
        raw_syscall(SYS_futex, long(body->wake_word), long(k_futex_wake), 1);
    if (body->signal)
        raw_syscall(SYS_tgkill, pid, tid, body->signal);
    raw_syscall(SYS_sched_yield);
    if (body->exit_group)
        raw_syscall(SYS_exit_group, 0);
}

std::uint64_t clone3_flags_of(const WorkerContext& ctx, std::uint64_t args)
{
    auto s = reinterpret_cast<std::uint64_t>(ctx.scratch);
    std::uint64_t flags = 0;
    if (args >= s && args + 8 <= s + ctx.scratch_size)
        std::memcpy(&flags, reinterpret_cast<const void*>(args), 8);
    return flags;
}

// --- a thread group child -------------------------------------------------

enum GroupAction : unsigned {
    k_exit_group,         // a thread calls exit_group
    k_exec_true,          // a thread execs /bin/true
    k_exec_fails,         // a thread's execve fails (ENOENT, EACCES, ENOEXEC, EFAULT, E2BIG...); then exit_group
    k_leader_exits_first, // the leader exit()s; then a thread execs, exit_groups or exit()s
    k_all_exit,           // every thread exit()s, the leader first: the last one ends the process
    k_fatal_signal,       // a thread sends one thread a fatal signal
    k_vfork_then_end,     // a thread vforks (its child sleeps, then execs or _exits); another ends the group
    k_concurrent_execs,   // two threads exec at once (one of them fails), a third calls exit_group
    k_robust_exits,       // every thread sets a garbage robust list and exit()s
    k_group_actions
};

struct GroupChild;

struct GroupMember {
    GroupChild* group = nullptr;
    unsigned index = 0;
    WorkerContext ctx;
    pthread_t handle{};
};

struct GroupChild {
    const CallPicker* picker = nullptr;
    unsigned action = 0;
    unsigned count = 0;  // threads besides the leader
    unsigned actor = 0;  // who acts (0: the leader)
    unsigned actor2 = 0; // who else, in the actions of two
    pid_t pid = 0;
    std::atomic<int> tids[5] = {};
    std::uint32_t word = 0; // a futex word the others wait on
    int pipe_fds[2] = {-1, -1};
    GroupMember members[5];
};


void exec_true(WorkerContext& ctx)
{
    char* argv[] = {k_true_name, nullptr};
    char* envp[] = {nullptr};
    recorded_call(ctx, where_of(ctx), SYS_execve, ptr("/bin/true"), ptr(argv), ptr(envp));
}

// An execve that must fail, and leave every thread of the caller alone.
void exec_failing(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    char* argv[] = {k_true_name, nullptr};
    char* envp[] = {nullptr};
    std::uint64_t path = ptr("/bin/true"), args = ptr(argv);
    static std::string dir, long_path;
    switch (rng.below(9)) {
    case 0: path = ptr("/nonexistent/true"); break;
    case 1: dir = ctx.dir; path = ptr(dir.c_str()); break; // a directory: EACCES
    case 2: path = ptr("/bin/garbage"); break;              // ENOEXEC
    case 3: path = ptr("/bin/noexec"); break;               // EACCES
    case 4: path = bad_pointer(ctx, false); break;
    case 5: args = bad_pointer(ctx, false); break;
    case 6: { // far past the argument limit: E2BIG
        std::size_t half = ctx.scratch_size / 2;
        std::memset(ctx.scratch + half, 'v', half - 1);
        ctx.scratch[ctx.scratch_size - 1] = 0;
        auto* vector = reinterpret_cast<std::uint64_t*>(ctx.scratch);
        std::size_t count = half / 8 - 1;
        for (std::size_t i = 0; i < count; ++i)
            vector[i] = ptr(ctx.scratch + half);
        vector[count] = 0;
        args = ptr(vector);
        break;
    }
    case 7: { // no terminating null before the guard page: EFAULT
        auto* vector = reinterpret_cast<std::uint64_t*>(ctx.scratch + ctx.scratch_size - 64);
        for (int i = 0; i < 8; ++i)
            vector[i] = ptr(k_true_name);
        args = ptr(vector);
        break;
    }
    default: long_path = std::string(5000, 'p'); path = ptr(long_path.c_str()); break; // ENAMETOOLONG
    }
    recorded_call(ctx, where_of(ctx), SYS_execve, path, args, ptr(envp));
}

// What a thread of the group does while another ends it: something it
// stays in for a while (bounded, for when nothing ends the group).
void block(GroupChild& g, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    timespec* ts = reinterpret_cast<timespec*>(scratch_bytes(ctx, 16));
    switch (rng.below(6)) {
    case 0:
        *ts = {0, 200000000};
        recorded_call(ctx, w, SYS_futex, ptr(&g.word), k_futex_wait | k_futex_private, 0,
                      rng.chance(70) ? ptr(ts) : 0);
        break;
    case 1: recorded_call(ctx, w, SYS_read, std::uint64_t(g.pipe_fds[0]), ptr(ctx.scratch), 64); break;
    case 2:
        *ts = {0, 100000000};
        recorded_call(ctx, w, SYS_nanosleep, ptr(ts), 0);
        break;
    case 3: {
        auto* p = reinterpret_cast<pollfd*>(scratch_bytes(ctx, sizeof(pollfd)));
        *p = {g.pipe_fds[0], POLLIN, 0};
        *ts = {0, 150000000};
        recorded_call(ctx, w, SYS_ppoll, ptr(p), 1, ptr(ts), 0, 8);
        break;
    }
    case 4:
        for (int i = 0; i < 50; ++i)
            sched_yield();
        break;
    default: {
        std::uint64_t* set = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, 8));
        *set = 0;
        recorded_call(ctx, w, SYS_rt_sigsuspend, ptr(set), 8);
        break;
    }
    }
}

// Thread `index` (0: the leader) of a thread group child plays its part.
void play(GroupChild& g, WorkerContext& ctx, unsigned index)
{
    Rng& rng = ctx.rng;
    Where w = where_of(ctx);
    bool actor = index == g.actor, actor2 = index == g.actor2;
    switch (g.action) {
    case k_exit_group:
        if (actor)
            recorded_call(ctx, w, SYS_exit_group, rng.below(256));
        block(g, ctx);
        break;
    case k_exec_true:
        if (actor) {
            exec_true(ctx);
            recorded_call(ctx, w, SYS_exit_group, 126);
        }
        block(g, ctx);
        break;
    case k_exec_fails:
        if (actor) {
            exec_failing(ctx);
            sleep_ns(2000000); // the others must all still be here
            recorded_call(ctx, w, SYS_exit_group, 127);
        }
        block(g, ctx);
        break;
    case k_leader_exits_first:
        if (index == 0)
            raw_exit(ctx);
        if (actor) {
            sleep_ns(long(1 + rng.below(10)) * 1000000);
            switch (rng.below(3)) {
            case 0: recorded_call(ctx, w, SYS_exit_group, 5); break;
            case 1: exec_true(ctx); break;
            default: raw_exit(ctx);
            }
        }
        block(g, ctx);
        break;
    case k_all_exit:
        if (index != 0 && rng.chance(50))
            block(g, ctx);
        raw_exit(ctx);
        break;
    case k_fatal_signal:
        if (actor) {
            constexpr int fatal[] = {SIGKILL, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGTRAP};
            int target = g.tids[rng.below(g.count + 1)].load();
            recorded_call(ctx, w, SYS_tgkill, std::uint64_t(g.pid), std::uint64_t(target > 0 ? target : g.pid),
                          std::uint64_t(rng.pick(fatal)));
        }
        block(g, ctx);
        break;
    case k_vfork_then_end:
        if (actor) {
            std::uint64_t a[6] = {k_clone_vm | k_clone_vfork | SIGCHLD, 0, 0, 0, 0, 0};
            CallRecord& record = ring_begin(*ctx.ring, w, SYS_clone, a, ctx.who);
            std::uint32_t seq = record.seq;
            ring_end(record, seq, vfork_and_go(int(rng.below(3)), long(rng.below(20)) * 1000000, 3));
        }
        if (actor2) {
            sleep_ns(long(1 + rng.below(5)) * 1000000);
            if (rng.chance(50))
                recorded_call(ctx, w, SYS_exit_group, 6);
            else
                exec_true(ctx);
        }
        block(g, ctx);
        break;
    case k_concurrent_execs:
        if (actor)
            exec_true(ctx);
        if (actor2) {
            exec_failing(ctx);
            exec_true(ctx);
        }
        if (!actor && !actor2)
            recorded_call(ctx, w, SYS_exit_group, 7);
        block(g, ctx);
        break;
    default: // k_robust_exits
        ctx.futex_words[0] = ctx.futex_words[1] = nullptr;
        recorded_call(ctx, w, SYS_set_robust_list, robust_list(ctx), rng.chance(90) ? 24 : 25);
        if (index != 0)
            sleep_ns(long(rng.below(3)) * 1000000);
        raw_exit(ctx);
        break;
    }
}

void* group_member_main(void* arg)
{
    auto& m = *static_cast<GroupMember*>(arg);
    GroupChild& g = *m.group;
    m.ctx.tid = pid_t(syscall(SYS_gettid));
    g.tids[m.index].store(m.ctx.tid);
    run_calls(m.ctx, *g.picker, unsigned(m.ctx.rng.below(4)), Where::fork_child);
    play(g, m.ctx, m.index);
    return nullptr;
}

[[noreturn]] void group_child_main(WorkerContext& parent_ctx, const CallPicker& picker, unsigned action,
                                   unsigned count, std::uint64_t seed)
{
    Rng rng(seed);
    auto* g = new GroupChild;
    WorkerContext ctx = parent_ctx;
    g->picker = &picker;
    g->action = action;
    g->count = count;
    g->pid = getpid();
    g->tids[0].store(g->pid);
    ctx.self = g->pid;
    ctx.tid = 0;
    ctx.is_fork_child = true;
    ctx.children.clear();
    ctx.sibling_tids = g->tids;
    ctx.sibling_count = count + 1;
    ctx.progress = nullptr; // the storm's MAP_SHARED futex words stay: shared with the worker's threads
    ctx.rng = Rng(rng.next());
    reassert(); // interval timers are not inherited
    if (pipe2(g->pipe_fds, 0) != 0)
        g->pipe_fds[0] = g->pipe_fds[1] = -1;
    bool leader_exits = action == k_leader_exits_first || action == k_all_exit;
    g->actor = leader_exits ? 1 + unsigned(rng.below(count)) : unsigned(rng.below(count + 1));
    g->actor2 = (g->actor + 1 + unsigned(rng.below(count))) % (count + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, k_group_stack_size);
    for (unsigned i = 1; i <= count; ++i) {
        GroupMember& m = g->members[i];
        m.group = g;
        m.index = i;
        m.ctx = ctx;
        m.ctx.rng = Rng(rng.next());
        if (pthread_create(&m.handle, &attr, group_member_main, &m) != 0)
            break;
    }
    pthread_attr_destroy(&attr);
    play(*g, ctx, 0);
    // Nothing ended the group yet (an action that failed): end it.
    for (int i = 0; i < 3; ++i)
        sleep_ns(100000000);
    raw_syscall(SYS_exit_group, 99);
    _exit(99);
}

} // namespace

void run_clone_in_child(WorkerContext& ctx, long number, const std::uint64_t (&a)[6], Where)
{
    Rng& rng = ctx.rng;
    CloneBody body;
    if (rng.chance(30)) {
        body.robust_head = robust_list(ctx);
        body.robust_len = rng.chance(90) ? 24 : 25;
    }
    if (rng.chance(40))
        body.wake_word = futex_word(ctx);
    constexpr long signals[] = {0, 0, SIGUSR1, SIGURG, SIGALRM};
    body.signal = rng.pick(signals);
    body.exit_group = rng.chance(20);
    bool run_body = rng.chance(85);
    std::uint64_t flags = number == SYS_clone3 ? clone3_flags_of(ctx, a[0]) : a[0];
    pid_t pid = fork();
    if (pid == 0) {
        ctx.self = getpid();
        s_clone_body = body;
        CallRecord& record = ring_begin(*ctx.ring, Where::throwaway_child, number, a, ctx.who);
        std::uint32_t seq = record.seq;
        long r = fuzz_clone_trampoline(number, long(a[0]), long(a[1]), long(a[2]), long(a[3]), long(a[4]),
                                 run_body ? clone_child_body : nullptr, &s_clone_body);
        ring_end(record, seq, r);
        if (r > 0 && !(flags & k_clone_thread)) {
            // A process (ours, or the worker's with CLONE_PARENT): a moment
            // for its body, then it goes.
            sleep_ns(1000000);
            kill(pid_t(r), SIGKILL);
            wait_bounded(pid_t(r), 0);
        }
        _exit(0);
    }
    if (pid > 0)
        wait_bounded(pid, 2);
}

void run_thread_group_child(WorkerContext& ctx, const CallPicker& picker, Where where)
{
    Rng& rng = ctx.rng;
    unsigned action = unsigned(rng.below(k_group_actions));
    unsigned count = 1 + unsigned(rng.below(4));
    std::uint64_t seed = rng.next();
    std::uint64_t a[6] = {action, count, 0, 0, 0, 0};
    CallRecord& record = ring_begin(*ctx.ring, where, k_group_child_record, a, ctx.who);
    std::uint32_t seq = record.seq;
    pid_t pid = fork();
    if (pid == 0)
        group_child_main(ctx, picker, action, count, seed);
    if (pid < 0) {
        ring_end(record, seq, -errno);
        return;
    }
    if (record.seq == seq)
        record.args[2] = std::uint64_t(pid);
    ring_end(record, seq, wait_bounded(pid, 1));
}
} // namespace fuzz
