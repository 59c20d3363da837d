// Processes: the pid table, creation (init, fork), exit and wait.
#include "kernel/process/process.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/boot.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"
#include "lib/scope_guard.hpp"

namespace kernel {

namespace {

constinit SpinLock s_lock(LockRank::Process);
constinit Process s_idle;                  // pid 0: the boot hart's idle loop
constexpr usize PID_BUCKETS = 4096;        // chained hash: O(1) average lookup
constinit Process* s_pid_table[PID_BUCKETS] = {};
constinit usize s_count = 0;
constinit Pid s_next_pid = 1;
constinit Pid s_pid_max = 32768;           // as Linux's default pid_max
constinit usize s_max_processes = 32767;
constinit Process* s_init = nullptr;

void children_init(Process& p)
{
    p.children.prev = p.children.next = &p.children;
    p.child_event.head.prev = p.child_event.head.next = &p.child_event.head;
}

Process* child_of(lib::ListNode* node)
{
    return reinterpret_cast<Process*>(reinterpret_cast<u8*>(node) - __builtin_offsetof(Process, sibling_node));
}

void add_child_proc_locked(Process& parent, Process& child)
{
    s_lock.assert_held();
    child.parent = &parent;
    lib::ListNode& n = child.sibling_node;
    n.prev = parent.children.prev;
    n.next = &parent.children;
    parent.children.prev->next = &n;
    parent.children.prev = &n;
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

// RLIMIT_NPROC (Linux kernel/fork.c copy_process): fork fails with EAGAIN
// once the caller's user already has that many processes. Every process is
// uid 0 until users exist, so the user's count is the whole table (zombies
// included until reaped, as Linux counts them). Unlike Linux, uid 0 is not
// exempt: everything runs as root here, and the limit is what keeps a fork
// bomb from taking the machine (docs/processes.md).
bool over_nproc_limit_proc_locked(const Process& parent)
{
    s_lock.assert_held();
    return s_count >= parent.rlimit_cur[Process::RLIMIT_NPROC];
}

// The next free pid, wrapping at pid_max like Linux (but to 2, not 300).
Result<Pid> allocate_pid_proc_locked()
{
    s_lock.assert_held();
    if (s_count >= s_max_processes)
        return Errno::eagain;
    for (Pid tries = 0; tries < s_pid_max; ++tries) {
        Pid pid = s_next_pid++;
        if (s_next_pid >= s_pid_max)
            s_next_pid = 2;
        if (!find_process_proc_locked(pid))
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

Process& current_process() { return *static_cast<Process*>(arch::this_hart().current); }

bool is_idle(const Process& p) { return &p == &s_idle; }

Process* find_process_proc_locked(Pid pid)
{
    s_lock.assert_held();
    for (Process* p = s_pid_table[usize(pid) % PID_BUCKETS]; p; p = p->pid_hash_next)
        if (p->pid == pid)
            return p;
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
    children_init(s_idle);
    s_idle.state = ProcessState::Running;
    __builtin_memcpy(s_idle.name, "idle", 5);
    arch::this_hart().current = &s_idle;
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

// Allocate a control block with a kernel stack, not yet in the table.
static Result<Process*> new_process()
{
    auto* p = mm::make<Process>();
    if (!p)
        return Errno::enomem;
    auto stack = alloc_kernel_stack();
    if (stack.is_error()) {
        mm::destroy(p);
        return stack.error();
    }
    children_init(*p);
    p->kernel_stack_top = stack->top;
    p->kernel_stack_slot = stack->slot;
    p->context.ra = u64(&process_first_entry);
    p->context.sp = stack->top;
    p->start_ns = monotonic_ns();
    return p;
}

static void free_process(Process* p)
{
    free_kernel_stack({p->kernel_stack_top, p->kernel_stack_slot});
    mm::destroy(p);
}

// Everything that allocates or touches memory (the control block, the
// address space, the file table, the run-queue room, the child's tid)
// happens without the process lock; under it the child is only checked
// against the limits and published. Until then each step is undone by its
// guard, in reverse order, on any error return.
Result<Pid> fork_current(const ForkOptions& options)
{
    Process& parent = current_process();
    {
        // Checked first, so a fork bomb at its limit costs no address-space copy.
        SpinLockGuard guard(s_lock);
        if (over_nproc_limit_proc_locked(parent))
            return Errno::eagain;
    }
    Process* child = TRY(new_process());
    lib::ArmedScopeGuard free_child([&] { free_process(child); });
    child->address_space = TRY(parent.address_space->clone());
    lib::ArmedScopeGuard destroy_address_space([&] { mm::AddressSpace::destroy(child->address_space); });
    arch::sync_instruction_cache(); // the copy holds code written by stores
    child->files = TRY(parent.files->clone());
    lib::ArmedScopeGuard destroy_files([&] { FileTable::destroy(child->files); });
    child->cwd = parent.cwd;
    if (child->cwd)
        fs::inode_ref(*child->cwd);
    lib::ArmedScopeGuard unref_cwd([&] {
        if (child->cwd)
            fs::inode_unref(*child->cwd);
    });
    child->umask = parent.umask;
    // The parent's own mask and actions: it reads them without the lock.
    child->signals_blocked = parent.signals_blocked;
    child->signals_ignored = parent.signals_ignored;
    child->signals_caught = parent.signals_caught;
    for (int i = 0; i < 64; ++i)
        child->actions[i] = parent.actions[i];
    child->sched.inherit_from(parent.sched);
    fp_sync(parent);
    child->frame = parent.frame;
    child->frame.set_syscall_result(0); // fork returns 0 in the child
    child->fp = parent.fp; // current: fork_current synced it
    if (options.stack)
        child->frame.set_user_sp(options.stack);
    if (options.set_tls)
        child->frame.set_tls(options.tls);
    child->clear_child_tid = options.clear_child_tid;
    copy_name(*child, parent);
    for (unsigned i = 0; i < Process::RLIMIT_COUNT; ++i) {
        child->rlimit_cur[i] = parent.rlimit_cur[i];
        child->rlimit_max[i] = parent.rlimit_max[i];
    }

    for (;;) {
        // Room in the run queue for every process and the child, so that
        // enqueueing it under the lock never allocates.
        usize room = process_count() + 2;
        if (!scheduler_reserve(room))
            return Errno::enomem;
        SpinLockGuard guard(s_lock);
        if (s_count + 2 > room)
            continue; // another fork published meanwhile: reserve again
        // A signal that arrived while the child was being built (^C to a fork
        // bomb's group, say) must reach the child too, or the child would
        // escape it: like Linux (kernel/fork.c, ERESTARTNOINTR), give up and
        // let the caller restart the fork after the signal has been handled.
        if (parent.signals_pending & ~(parent.signals_blocked & ~UNBLOCKABLE))
            return Errno::eintr;
        if (over_nproc_limit_proc_locked(parent))
            return Errno::eagain;
        child->pid = TRY(allocate_pid_proc_locked());
        child->pgid = parent.pgid; // [P]: setpgid may change the parent's
        child->sid = parent.sid;
        note_fork(child->pid);
        hash_insert_proc_locked(*child);
        add_child_proc_locked(parent, *child);
        // Published: the child belongs to the process table now.
        free_child.disarm();
        destroy_address_space.disarm();
        destroy_files.disarm();
        unref_cwd.disarm();
        if (!options.child_settid) {
            make_ready_proc_locked(*child);
            return child->pid;
        }
        break;
    }
    // CLONE_CHILD_SETTID: the tid goes into the child's copy of memory
    // before it first runs (a bad address is ignored, as Linux does). The
    // write may fault a page in, so it happens without the lock; the child
    // waits in the table, New, meanwhile.
    u32 tid = u32(child->pid);
    (void)child->address_space->write(options.child_settid, &tid, sizeof(tid));
    SpinLockGuard guard(s_lock);
    make_ready_proc_locked(*child);
    return child->pid;
}

void exit_current(i32 wait_status)
{
    Process& p = current_process();
    VERIFY(!is_idle(p));
    if (&p == s_init) {
        bool signaled = (wait_status & 0x7f) != 0;
        int code = signaled ? 128 + (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
        kstack_check_report();
        printk("init (pid 1) {} {}; powering off\n", signaled ? "killed by signal" : "exited with status",
               signaled ? wait_status & 0x7f : code);
        power_off(code);
    }
    // Release what the process owns; only the control block and the
    // kernel stack (still in use right here) wait for the reaper.
    FileTable::destroy(p.files);
    p.files = nullptr;
    if (p.cwd)
        fs::inode_unref(*p.cwd);
    p.cwd = nullptr;
    mm::AddressSpace* as = p.address_space;
    p.address_space = nullptr;
    // Leave the dying table before freeing it: the kernel half is in every table.
    mm::AddressSpace::deactivate();
    mm::AddressSpace::destroy(as);
    fp_forget(p);

    SpinLockGuard guard(s_lock);
    // Orphans go to init, which reaps them.
    bool zombie_orphans = false;
    while (p.children.next != &p.children) {
        Process* c = child_of(p.children.next);
        c->sibling_node.unlink();
        add_child_proc_locked(*s_init, *c);
        zombie_orphans |= c->state == ProcessState::Zombie;
    }
    if (zombie_orphans)
        wake_all_proc_locked(s_init->child_event);
    p.exit_status = wait_status;
    p.state = ProcessState::Zombie;
    bool killed = (wait_status & 0x7f) != 0;
    notify_parent_proc_locked(p, killed ? CLD_KILLED : CLD_EXITED,
                         killed ? (wait_status & 0x7f) : ((wait_status >> 8) & 0xff));
    alarm_cancel_proc_locked(p);
    switch_away_proc_locked();
    PANIC("a zombie ran again");
}

Result<WaitResult> wait_for_child(Pid pid, u64 options)
{
    Process& p = current_process();
    SpinLockGuard guard(s_lock);
    for (;;) {
        bool have_match = false;
        for (lib::ListNode* n = p.children.next; n != &p.children; n = n->next) {
            Process* c = child_of(n);
            if (pid > 0 ? c->pid != pid : pid == 0 ? c->pgid != p.pgid : pid < -1 ? c->pgid != -pid : false)
                continue;
            have_match = true;
            if (c->state == ProcessState::Zombie) {
                WaitResult r{c->pid, c->exit_status, c->cpu.user_ns() + c->children_user_ns,
                             c->cpu.system_ns(false) + c->children_system_ns};
                p.children_user_ns += r.user_ns;
                p.children_system_ns += r.system_ns;
                c->sibling_node.unlink();
                hash_remove_proc_locked(*c);
                free_process(c);
                return r;
            }
            // Stops and continues are reported once each, without reaping.
            if ((options & WUNTRACED) && c->state == ProcessState::Stopped && c->stop_unreported) {
                c->stop_unreported = false;
                return WaitResult{c->pid, (c->stop_signal << 8) | 0x7f, c->cpu.user_ns(), c->cpu.system_ns(false)};
            }
            if ((options & WCONTINUED) && c->continue_unreported) {
                c->continue_unreported = false;
                return WaitResult{c->pid, 0xffff, c->cpu.user_ns(), c->cpu.system_ns(false)};
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

void register_init_proc_locked(Process& init)
{
    s_lock.assert_held();
    s_init = &init;
    init.pid = 1;
    init.pgid = init.sid = 1;
    s_next_pid = 2;
    hash_insert_proc_locked(init);
    add_child_proc_locked(s_idle, init);
}

Result<Process*> create_process_for_init()
{
    Process* p = TRY(new_process());
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
    return p;
}
void discard_unstarted_process(Process* p) { free_process(p); }

} // namespace kernel
