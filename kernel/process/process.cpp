// Processes: the pid table, creation (init, fork), exit and wait.
#include "kernel/process/process.hpp"
#include "kernel/process/process_internal.hpp"
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

namespace {

constinit SpinLock s_lock(LockRank::Process);
constinit Process s_idle;                  // pid 0: the boot hart's idle loop
constinit Thread s_idle_thread;
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

} // namespace

SpinLock& process_lock() { return s_lock; }

Process& idle_process() { return s_idle; }
Thread& idle_thread() { return s_idle_thread; }


bool is_idle(const Thread& t) { return &t == &s_idle_thread; }
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
    s_idle_thread.process = &s_idle;
    s_idle_thread.state = ThreadState::Running;
    __builtin_memcpy(s_idle.name, "idle", 5);
    __builtin_memcpy(s_idle_thread.name, "idle", 5);
    arch::this_hart().current = &s_idle_thread;
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

// A thread control block with a kernel stack, in no process yet. The
// block lives at the top of its own kernel stack, the stack growing down
// from just below it: one allocation from the stack cache, no kmalloc page
// (a 1.8 KiB block is a page of its own in kmalloc's 2 KiB class). An
// overflow still runs into the guard below the stack, away from the block.
static Result<Thread*> new_thread()
{
    KernelStack stack = TRY(alloc_kernel_stack());
    u64 block = lib::align_down(stack.top - sizeof(Thread), 64);
    auto* t = new (reinterpret_cast<void*>(block)) Thread();
    t->kernel_stack_top = block; // 64-byte aligned: more than the ABI's 16
    t->kernel_stack_slot = stack.slot;
    t->context.ra = u64(&process_first_entry);
    t->context.sp = block;
    t->start_ns = monotonic_ns();
    return t;
}

static void free_thread(Thread* t)
{
    u32 slot = t->kernel_stack_slot;
    t->~Thread();
    free_kernel_stack({0, slot}); // the block goes with its stack
}

static Result<Process*> new_process()
{
    auto* p = mm::make<Process>();
    if (!p)
        return Errno::enomem;
    process_lists_init(*p);
    p->start_ns = monotonic_ns();
    return p;
}

void free_retiring_thread_proc_locked()
{
    s_lock.assert_held();
    auto* t = static_cast<Thread*>(arch::this_hart().retiring);
    if (!t)
        return;
    arch::this_hart().retiring = nullptr;
    free_thread(t); // frees take locks of higher rank only (kernel/locking.hpp)
}

// Everything that allocates or touches memory (the control blocks, the
// address space, the file table, the run-queue room, the tid words)
// happens without the process lock; under it the new thread is only
// checked against the limits and published. Until then each step is
// undone by its guard, in reverse order, on any error return.
Result<Pid> clone_current(const CloneArgs& args)
{
    Thread& me = current_thread();
    Process& parent = *me.process;
    const u64 flags = args.flags;
    const bool same_process = flags & CLONE_THREAD;
    {
        // Checked first, so a fork bomb at its limit costs no address-space copy.
        SpinLockGuard guard(s_lock);
        if (over_nproc_limit_proc_locked(parent))
            return Errno::eagain;
    }
    Thread* t = TRY(new_thread());
    lib::ArmedScopeGuard free_new_thread([&] { free_thread(t); });
    Process* child = &parent;
    if (!same_process)
        child = TRY(new_process());
    lib::ArmedScopeGuard free_child([&] {
        if (child != &parent)
            mm::destroy(child);
    });
    if (!same_process) {
        if (flags & CLONE_VM) {
            child->address_space = parent.address_space->share();
        } else {
            child->address_space = TRY(parent.address_space->clone());
            arch::sync_instruction_cache(); // the copy holds code written by stores
        }
    }
    lib::ArmedScopeGuard release_address_space([&] {
        if (child != &parent)
            mm::AddressSpace::release(child->address_space);
    });
    if (!same_process)
        child->files = (flags & CLONE_FILES) ? parent.files->share() : TRY(parent.files->clone());
    lib::ArmedScopeGuard release_files([&] {
        if (child != &parent)
            FileTable::release(child->files);
    });
    if (!same_process) {
        // CLONE_FS without CLONE_THREAD would share cwd and umask between
        // processes; they are copied (docs/threads.md).
        child->cwd = parent.cwd;
        if (child->cwd)
            fs::inode_ref(*child->cwd);
        child->umask = parent.umask;
        // The actions, read without the lock by their own process.
        child->signals_ignored = parent.signals_ignored;
        child->signals_caught = parent.signals_caught;
        for (int i = 0; i < 64; ++i)
            child->actions[i] = parent.actions[i];
        if (flags & CLONE_CLEAR_SIGHAND) {
            // Handlers back to the default; ignored signals stay ignored.
            for (int i = 0; i < 64; ++i)
                if (child->signals_caught & (1ull << i))
                    child->actions[i] = {};
            child->signals_caught = 0;
        }
        copy_name(*child, parent);
        for (unsigned i = 0; i < Process::RLIMIT_COUNT; ++i) {
            child->rlimit_cur[i] = parent.rlimit_cur[i];
            child->rlimit_max[i] = parent.rlimit_max[i];
        }
        child->exit_signal = args.exit_signal;
    }
    lib::ArmedScopeGuard unref_cwd([&] {
        if (child != &parent && child->cwd)
            fs::inode_unref(*child->cwd);
    });
    t->signals_blocked = me.signals_blocked;
    t->affinity = me.affinity;
    t->sched.inherit_from(me.sched);
    fp_sync(me);
    t->frame = me.frame;
    t->frame.set_syscall_result(0); // clone returns 0 in the child
    t->fp = me.fp; // current: fp_sync
    if (args.stack)
        t->frame.set_user_sp(args.stack);
    if (flags & CLONE_SETTLS)
        t->frame.set_tls(args.tls);
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = args.child_tid;

    Pid tid = 0;
    for (;;) {
        // Room in the run queue for every thread and the new one, so that
        // enqueueing it under the lock never allocates.
        usize room;
        {
            SpinLockGuard guard(s_lock);
            room = s_tasks + 2;
        }
        if (!scheduler_reserve(room))
            return Errno::enomem;
        SpinLockGuard guard(s_lock);
        if (s_tasks + 2 > room)
            continue; // another clone published meanwhile: reserve again
        // A signal that arrived while the child was being built (^C to a fork
        // bomb's group, say) must reach the child too, or the child would
        // escape it: like Linux (kernel/fork.c, ERESTARTNOINTR), give up and
        // let the caller restart the clone after the signal has been handled.
        // A group exit or an exec elsewhere in the process shows up here as
        // the SIGKILL they send.
        if (signal_interrupts_proc_locked(me))
            return Errno::eintr;
        if (over_nproc_limit_proc_locked(parent))
            return Errno::eagain;
        tid = TRY(allocate_pid_proc_locked());
        t->tid = tid;
        // Under the lock: another thread of ours may be renaming us (comm).
        __builtin_memcpy(t->name, me.name, sizeof(t->name));
        if (!same_process) {
            child->pid = tid;
            child->pgid = parent.pgid; // [P]: setpgid may change the parent's
            child->sid = parent.sid;
            // CLONE_PARENT: a sibling of the caller (init's children stay init's).
            Process* new_parent = (flags & CLONE_PARENT) && parent.parent && &parent != s_init ? parent.parent : &parent;
            hash_insert_proc_locked(*child);
            add_child_proc_locked(*new_parent, *child);
            if (flags & CLONE_VFORK) {
                child->vfork_parent = &me;
                me.vfork_waiting = true;
            }
        }
        note_fork(tid);
        attach_thread_proc_locked(*child, *t);
        // Published: the thread (and its process) belong to the tables now.
        free_new_thread.disarm();
        free_child.disarm();
        release_address_space.disarm();
        release_files.disarm();
        unref_cwd.disarm();
        break;
    }
    // The tid words are written before the new thread first runs (it may
    // read them: glibc's pthread_create points both at the thread's own
    // descriptor). A bad address is ignored, as Linux does. The writes may
    // fault a page in, so they happen without the lock; the thread waits
    // in the table, New, meanwhile.
    u32 tid_word = u32(tid);
    if (flags & CLONE_PARENT_SETTID)
        (void)mm::write_user<u32>(args.parent_tid, tid_word);
    if (flags & CLONE_CHILD_SETTID)
        (void)child->address_space->write(args.child_tid, &tid_word, sizeof(tid_word));
    SpinLockGuard guard(s_lock);
    make_ready_proc_locked(*t);
    // vfork: the parent waits until the child has left the shared address
    // space (exec or exit), as Linux's vfork does. Only SIGKILL ends the
    // wait early (Linux's killable wait): then the child runs on alone.
    while (me.vfork_waiting) {
        if ((me.signals.pending | parent.signals.pending) & signal_bit(SIGKILL)) {
            child->vfork_parent = nullptr; // still set: the child has not exec'd or exited
            me.vfork_waiting = false;
            break;
        }
        block_uninterruptible_proc_locked(me.vfork_done); // a signal wakes it to look again
    }
    return tid;
}

void release_vfork_parent(Process& p)
{
    SpinLockGuard guard(s_lock);
    Thread* waiter = p.vfork_parent;
    if (!waiter)
        return;
    p.vfork_parent = nullptr;
    waiter->vfork_waiting = false;
    wake_all_proc_locked(waiter->vfork_done);
}

namespace {

// The calling thread leaves its process and the tid table for good and
// switches away; the next thread on this hart frees it.
[[noreturn]] void retire_current_proc_locked(Thread& t)
{
    s_lock.assert_held();
    Process& p = *t.process;
    t.cpu.switch_out(arch::read_time());
    fold_cpu_time(t.cpu);
    t.cpu.switch_in(arch::read_time()); // nothing more is charged: run is final below
    p.dead_user_ticks += t.cpu.user;
    p.dead_run_ticks += t.cpu.run;
    t.thread_node.unlink();
    tid_remove_proc_locked(t);
    --s_tasks;
    --s_threads;
    t.state = ThreadState::Dead;
    arch::this_hart().retiring = &t;
    switch_away_proc_locked();
    PANIC("a dead thread ran again");
}

// The last thread is leaving: the process becomes a zombie for its parent.
[[noreturn]] void exit_last_thread(Thread& t, Process& p, i32 wait_status)
{
    if (&p == s_init) {
        bool signaled = (wait_status & 0x7f) != 0;
        int code = signaled ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
        kstack_check_report();
        printk("init (pid 1) {} {}; powering off\n", signaled ? "killed by signal" : "exited with status",
               signaled ? wait_status & 0x7f : code);
        power_off(code);
    }
    release_vfork_parent(p);
    // Release what the process owns; only the control blocks wait for the
    // reaper (the process's) and the next thread on this hart (ours).
    FileTable::release(p.files);
    p.files = nullptr;
    if (p.cwd)
        fs::inode_unref(*p.cwd);
    p.cwd = nullptr;
    mm::AddressSpace* as = p.address_space;
    p.address_space = nullptr;
    // Leave the dying table before freeing it: the kernel half is in every table.
    mm::AddressSpace::deactivate();
    mm::AddressSpace::release(as);
    fp_forget(t);

    SpinLockGuard guard(s_lock);
    // Orphans go to init, which reaps them.
    bool zombie_orphans = false;
    while (p.children.next != &p.children) {
        Process* c = child_of(p.children.next);
        c->sibling_node.unlink();
        add_child_proc_locked(*s_init, *c);
        zombie_orphans |= c->zombie;
    }
    if (zombie_orphans)
        wake_all_proc_locked(s_init->child_event);
    p.exit_status = wait_status;
    p.zombie = true;
    ++s_tasks; // the zombie counts until reaped; the thread stops counting below
    bool killed = (wait_status & 0x7f) != 0;
    notify_parent_proc_locked(p, killed ? CLD_KILLED : CLD_EXITED,
                              killed ? (wait_status & 0x7f) : ((wait_status >> 8) & 0xff));
    alarm_cancel_proc_locked(p);
    retire_current_proc_locked(t);
}

} // namespace

void exit_thread(i32 wait_status)
{
    Thread& t = current_thread();
    Process& p = *t.process;
    VERIFY(!is_idle(t));
    // User-memory work first, while the address space is ours: the robust
    // futexes this thread held, and its CLONE_CHILD_CLEARTID word
    // (pthread_join sleeps on it).
    futex_exit_thread(t);
    bool last;
    {
        SpinLockGuard guard(s_lock);
        last = p.thread_count == 1;
        if (!last) {
            --p.thread_count;
            wake_all_proc_locked(p.thread_exited);
            fp_forget(t);
            retire_current_proc_locked(t);
        }
        --p.thread_count;
        if (p.group_exit)
            wait_status = p.exit_status;
    }
    exit_last_thread(t, p, wait_status);
}

void exit_current(i32 wait_status)
{
    Thread& me = current_thread();
    Process& p = *me.process;
    {
        SpinLockGuard guard(s_lock);
        // The first group exit sets the status; an exec in progress is
        // already ending the other threads, and this one goes with them.
        if (!p.group_exit && !p.group_exec) {
            p.group_exit = true;
            p.exit_status = wait_status;
            for_each_thread_proc_locked(p, [&](Thread& t) {
                if (&t != &me)
                    send_thread_signal_proc_locked(t, SIGKILL, SI_KERNEL, 0);
            });
        }
    }
    exit_thread(wait_status);
}

bool exec_become_sole_thread()
{
    Thread& me = current_thread();
    Process& p = *me.process;
    SpinLockGuard guard(s_lock);
    if (p.group_exit || p.group_exec)
        return false;
    if (p.thread_count > 1) {
        p.group_exec = &me;
        for_each_thread_proc_locked(p, [&](Thread& t) {
            if (&t != &me)
                send_thread_signal_proc_locked(t, SIGKILL, SI_KERNEL, 0);
        });
        while (p.thread_count > 1)
            block_uninterruptible_proc_locked(p.thread_exited);
        p.group_exec = nullptr;
        if (p.group_exit)
            return false;
    }
    // The exec'ing thread becomes the leader: its tid is the pid.
    if (me.tid != p.pid) {
        tid_remove_proc_locked(me);
        me.tid = p.pid;
        tid_insert_proc_locked(me);
    }
    return true;
}

Result<WaitResult> wait_for_child(Pid pid, u64 options)
{
    Thread& me = current_thread();
    Process& p = *me.process;
    SpinLockGuard guard(s_lock);
    for (;;) {
        bool have_match = false;
        for (lib::ListNode* n = p.children.next; n != &p.children; n = n->next) {
            Process* c = child_of(n);
            if (pid > 0 ? c->pid != pid : pid == 0 ? c->pgid != p.pgid : pid < -1 ? c->pgid != -pid : false)
                continue;
            // Linux: without __WALL, a child whose exit signal is not
            // SIGCHLD is waited for only with __WCLONE, and the other way round.
            if (!(options & WALL) && ((c->exit_signal != SIGCHLD) != bool(options & WCLONE)))
                continue;
            have_match = true;
            if (c->zombie) {
                ProcessTimes times = process_times_proc_locked(*c);
                WaitResult r{c->pid, c->exit_status, times.user_ns + c->children_user_ns,
                             times.system_ns + c->children_system_ns};
                p.children_user_ns += r.user_ns;
                p.children_system_ns += r.system_ns;
                c->sibling_node.unlink();
                hash_remove_proc_locked(*c);
                --s_tasks;
                mm::destroy(c);
                return r;
            }
            // Stops and continues are reported once each, without reaping.
            if ((options & WUNTRACED) && c->stopped && c->stop_unreported) {
                c->stop_unreported = false;
                ProcessTimes times = process_times_proc_locked(*c);
                return WaitResult{c->pid, (c->stop_signal << 8) | 0x7f, times.user_ns, times.system_ns};
            }
            if ((options & WCONTINUED) && c->continue_unreported) {
                c->continue_unreported = false;
                ProcessTimes times = process_times_proc_locked(*c);
                return WaitResult{c->pid, 0xffff, times.user_ns, times.system_ns};
            }
        }
        if (!have_match)
            return Errno::echild;
        if (options & WNOHANG)
            return WaitResult{0, 0, 0, 0};
        if (block_on_proc_locked(p.child_event))
            return Errno::eintr;
    }
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

Result<InitTask> create_process_for_init()
{
    Process* p = TRY(new_process());
    auto t = new_thread();
    if (t.is_error()) {
        mm::destroy(p);
        return t.error();
    }
    (*t)->process = p;
    // Linux's defaults for init (include/asm-generic/resource.h).
    constexpr u64 INFINITY = ~0ull;
    for (unsigned i = 0; i < Process::RLIMIT_COUNT; ++i)
        p->rlimit_cur[i] = p->rlimit_max[i] = INFINITY;
    p->rlimit_cur[3] = 8ull << 20;       // RLIMIT_STACK: 8 MiB soft
    p->rlimit_cur[4] = 0;                // RLIMIT_CORE
    p->rlimit_cur[Process::RLIMIT_NPROC] = p->rlimit_max[Process::RLIMIT_NPROC] = default_nproc_limit();
    p->rlimit_cur[7] = p->rlimit_max[7] = 1024; // RLIMIT_NOFILE
    p->rlimit_cur[8] = p->rlimit_max[8] = 8ull << 20; // RLIMIT_MEMLOCK
    p->rlimit_cur[14] = p->rlimit_max[14] = 0; // RLIMIT_RTPRIO
    p->exit_signal = SIGCHLD;
    return InitTask{p, *t};
}

void discard_unstarted_process(Process* p, Thread* t)
{
    free_thread(t);
    mm::destroy(p);
}

} // namespace kernel
