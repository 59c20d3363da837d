// Processes and threads: the pid and tid tables, the counts, names, init
// in the table. Creation and ending are lifecycle.cpp's.
#include "kernel/process/process.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/smp.hpp"
#include "kernel/boot.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/futex.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"
#include "lib/scope_guard.hpp"

namespace kernel {

namespace detail {
// "{}": GCC 12 zero-fills a default-initialised constinit array of a class
// with default member initialisers instead of applying them.
constinit Thread g_idle_threads[MAX_IDLE_THREADS]{}; // one per hart, by hart index
constinit SpinLock g_process_lock(LockRank::Process);
} // namespace detail

namespace {

SpinLock& s_lock = detail::g_process_lock;
constinit Process s_idle;                  // pid 0: the harts' idle loops
constexpr usize PID_BUCKETS = 4096;        // chained hashes: O(1) average lookup
constinit Process* s_pid_table[PID_BUCKETS] = {};
constinit Thread* s_tid_table[PID_BUCKETS] = {};
constinit usize s_count = 0;               // processes in the table, zombies included
constinit usize s_tasks = 0;               // live threads plus zombie processes (RLIMIT_NPROC, max_procs)
constinit usize s_threads = 0;             // live threads (each holds a kernel stack)
constinit Pid s_next_pid = 1;
constinit Pid s_pid_max = 32768;           // as Linux's default pid_max
constinit usize s_max_processes = 32767;
constinit Process* s_init = nullptr;

void ring_init(lib::ListNode& n) { n.prev = n.next = &n; }

void append(lib::ListNode& head, lib::ListNode& n)
{
    n.prev = head.prev;
    n.next = &head;
    head.prev->next = &n;
    head.prev = &n;
}

} // namespace

void process_lists_init(Process& p)
{
    ring_init(p.children);
    ring_init(p.threads);
    ring_init(p.child_event.head);
    ring_init(p.thread_exited.head);
}

Process* child_of(lib::ListNode* node)
{
    return reinterpret_cast<Process*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Process, sibling_node));
}

namespace {

void add_child_proc_locked(Process& parent, Process& child)
{
    s_lock.assert_held();
    child.parent = &parent;
    append(parent.children, child.sibling_node);
}

void hash_insert_proc_locked(Process& p)
{
    s_lock.assert_held();
    Process*& bucket = s_pid_table[usize(p.pid) % PID_BUCKETS];
    p.pid_hash_next = bucket;
    bucket = &p;
    ++s_count;
}

void hash_remove_proc_locked(Process& p)
{
    s_lock.assert_held();
    Process** link = &s_pid_table[usize(p.pid) % PID_BUCKETS];
    while (*link != &p)
        link = &(*link)->pid_hash_next;
    *link = p.pid_hash_next;
    --s_count;
}

void tid_insert_proc_locked(Thread& t)
{
    s_lock.assert_held();
    Thread*& bucket = s_tid_table[usize(t.tid) % PID_BUCKETS];
    t.tid_hash_next = bucket;
    bucket = &t;
}

void tid_remove_proc_locked(Thread& t)
{
    s_lock.assert_held();
    Thread** link = &s_tid_table[usize(t.tid) % PID_BUCKETS];
    while (*link != &t)
        link = &(*link)->tid_hash_next;
    *link = t.tid_hash_next;
}

} // namespace

// A thread joins its process (and the tid table).
void attach_thread_proc_locked(Process& p, Thread& t)
{
    s_lock.assert_held();
    t.process = &p;
    append(p.threads, t.thread_node);
    ++p.thread_count;
    tid_insert_proc_locked(t);
    ++s_tasks;
    ++s_threads;
}

// RLIMIT_NPROC (Linux kernel/fork.c copy_process): clone fails with EAGAIN
// once the caller's user already has that many tasks -- threads count, as
// in Linux, and zombies until reaped. Every process is uid 0 until users
// exist, so the user's count is every task. Unlike Linux, uid 0 is not
// exempt: everything runs as root here, and the limit is what keeps a fork
// bomb from taking the machine (docs/processes.md).
bool over_nproc_limit_proc_locked(const Process& parent)
{
    s_lock.assert_held();
    return s_tasks >= parent.rlimit_cur[Process::RLIMIT_NPROC];
}

// The next free id, wrapping at pid_max like Linux (but to 2, not 300).
// Pids and tids share the space: an id is free when no process and no
// thread has it.
Result<Pid> allocate_pid_proc_locked()
{
    s_lock.assert_held();
    if (s_tasks >= s_max_processes)
        return Errno::eagain;
    for (Pid tries = 0; tries < s_pid_max; ++tries) {
        Pid pid = s_next_pid++;
        if (s_next_pid >= s_pid_max)
            s_next_pid = 2;
        if (!find_process_proc_locked(pid) && !find_thread_proc_locked(pid))
            return pid;
    }
    return Errno::eagain;
}

void copy_name(Process& to, const Process& from)
{
    __builtin_memcpy(to.name, from.name, sizeof(to.name));
    __builtin_memcpy(to.cmdline, from.cmdline, sizeof(to.cmdline));
    to.cmdline_length = from.cmdline_length;
}



Process& idle_process() { return s_idle; }
bool is_idle(const Process& p) { return &p == &s_idle; }

Thread* thread_of_node(lib::ListNode* node)
{
    return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Thread, thread_node));
}

Thread* main_thread_proc_locked(Process& p)
{
    s_lock.assert_held();
    if (p.threads.next == &p.threads)
        return nullptr;
    Thread* first = thread_of_node(p.threads.next);
    for_each_thread_proc_locked(p, [&](Thread& t) {
        if (t.tid == p.pid)
            first = &t;
    });
    return first;
}

ProcessTimes process_times_proc_locked(Process& p)
{
    s_lock.assert_held();
    u64 user = p.dead_user_ticks, run = p.dead_run_ticks;
    Thread* me = static_cast<Thread*>(arch::this_hart().current);
    for_each_thread_proc_locked(p, [&](Thread& t) {
        user += t.cpu.user;
        run += t.cpu.run_ticks(&t == me);
    });
    return {counter_to_ns(user), counter_to_ns(run > user ? run - user : 0)};
}

Process* find_process_proc_locked(Pid pid)
{
    s_lock.assert_held();
    for (Process* p = s_pid_table[usize(pid) % PID_BUCKETS]; p; p = p->pid_hash_next)
        if (p->pid == pid)
            return p;
    return nullptr;
}

Thread* find_thread_proc_locked(Pid tid)
{
    s_lock.assert_held();
    for (Thread* t = s_tid_table[usize(tid) % PID_BUCKETS]; t; t = t->tid_hash_next)
        if (t->tid == tid)
            return t;
    return nullptr;
}

Process* process_table_bucket_proc_locked(usize index)
{
    s_lock.assert_held();
    return s_pid_table[index];
}
usize process_table_buckets() { return PID_BUCKETS; }

usize process_count_proc_locked()
{
    s_lock.assert_held();
    return s_count;
}

usize process_count()
{
    SpinLockGuard guard(s_lock);
    return s_count;
}

usize task_count_proc_locked()
{
    s_lock.assert_held();
    return s_tasks;
}

usize thread_count()
{
    SpinLockGuard guard(s_lock);
    return s_threads;
}

namespace {
void copy_comm(char (&to)[16], const char* name)
{
    usize n = 0;
    for (; n < sizeof(to) - 1 && name[n]; ++n)
        to[n] = name[n];
    for (; n < sizeof(to); ++n)
        to[n] = 0;
}
} // namespace

void set_thread_comm_proc_locked(Thread& t, const char* name)
{
    s_lock.assert_held();
    copy_comm(t.name, name);
    // The leader's comm is the process's (Linux has no other).
    if (t.tid == t.process->pid)
        copy_comm(t.process->name, name);
}

void set_process_comm_proc_locked(Process& p, const char* name)
{
    s_lock.assert_held();
    copy_comm(p.name, name);
    Thread* leader = find_thread_proc_locked(p.pid);
    if (leader && leader->process == &p)
        copy_comm(leader->name, name);
}

// Linux's default (kernel/fork.c set_max_threads, fork_init): max_threads
// = RAM pages / (8 * THREAD_SIZE / PAGE_SIZE) with THREAD_SIZE = 16 KiB,
// at least 20, and init's RLIMIT_NPROC is max_threads / 2.
u64 default_nproc_limit()
{
    constexpr u64 THREAD_SIZE = 16 * 1024;
    u64 max_threads = mm::page_stats().total / (8 * THREAD_SIZE / mm::PAGE_SIZE);
    return lib::max<u64>(max_threads, 20) / 2;
}

void process_init()
{
    kernel_stack_init();
    process_lists_init(s_idle);
    __builtin_memcpy(s_idle.name, "idle", 5);
    for (Thread& idle : detail::g_idle_threads) {
        idle.process = &s_idle;
        idle.state = ThreadState::Running;
        idle.on_cpu = true; // each runs on its own hart from the start
        __builtin_memcpy(idle.name, "idle", 5);
    }
    arch::this_hart().current = &detail::g_idle_threads[0];
    const auto& cmdline = boot_info().cmdline;
    if (auto v = cmdline.get_u64("pid_max"); v.is_ok() && v.value() >= 64 && v.value() <= (1u << 22))
        s_pid_max = Pid(v.value());
    s_max_processes = usize(s_pid_max - 1);
    if (auto v = cmdline.get_u64("max_procs"); v.is_ok() && v.value() >= 1 && v.value() < usize(s_pid_max))
        s_max_processes = usize(v.value());
}

void set_process_name(Process& p, lib::StringView path, const char* argv_block, usize argv_length)
{
    usize slash = 0;
    for (usize i = 0; i < path.length(); ++i)
        if (path[i] == '/')
            slash = i + 1;
    usize n = lib::min(path.length() - slash, sizeof(p.name) - 1);
    __builtin_memcpy(p.name, path.data() + slash, n);
    p.name[n] = 0;
    p.cmdline_length = lib::min(argv_length, sizeof(p.cmdline));
    // execve with an empty argv has no argument block at all (nullptr):
    // memcpy from a null pointer is undefined even for no bytes.
    if (p.cmdline_length)
        __builtin_memcpy(p.cmdline, argv_block, p.cmdline_length);
}

void register_init_proc_locked(Process& init, Thread& main)
{
    s_lock.assert_held();
    s_init = &init;
    init.pid = 1;
    main.tid = 1;
    init.pgid = init.sid = 1;
    s_next_pid = 2;
    hash_insert_proc_locked(init);
    add_child_proc_locked(s_idle, init);
    attach_thread_proc_locked(init, main);
}

// ---- For the other files of kernel/process (process_internal.hpp) -------

Process* init_process() { return s_init; }

void publish_process_proc_locked(Process& child, Process& parent)
{
    s_lock.assert_held();
    hash_insert_proc_locked(child);
    add_child_proc_locked(parent, child);
}

void detach_thread_proc_locked(Thread& t)
{
    s_lock.assert_held();
    t.thread_node.unlink();
    tid_remove_proc_locked(t);
    --s_tasks;
    --s_threads;
}

void change_tid_proc_locked(Thread& t, Pid tid)
{
    s_lock.assert_held();
    tid_remove_proc_locked(t);
    t.tid = tid;
    tid_insert_proc_locked(t);
}

void count_zombie_proc_locked()
{
    s_lock.assert_held();
    ++s_tasks; // a zombie counts against RLIMIT_NPROC until reaped
}

void orphans_to_init_proc_locked(Process& p)
{
    s_lock.assert_held();
    bool zombie_orphans = false;
    while (p.children.next != &p.children) {
        Process* c = child_of(p.children.next);
        c->sibling_node.unlink();
        add_child_proc_locked(*s_init, *c);
        zombie_orphans |= c->zombie;
    }
    if (zombie_orphans)
        wake_all_proc_locked(s_init->child_event);
}

void reap_proc_locked(Process& c)
{
    s_lock.assert_held();
    c.sibling_node.unlink();
    hash_remove_proc_locked(c);
    --s_tasks;
    mm::destroy(&c);
}

} // namespace kernel
