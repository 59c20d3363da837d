// Creation and ending: clone in all its forms (fork, vfork, threads),
// a thread's and a process's exit, exec's hand-over to one thread, and
// wait. The tables they publish into are process.cpp's.
#include "kernel/process/process.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/coredump.hpp"
#include "kernel/process/fair.hpp"
#include "kernel/process/futex.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"
#include "lib/scope_guard.hpp"

namespace kernel {

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

void free_retiring_thread()
{
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
        SpinLockGuard guard(process_lock());
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
            mm::icache_code_changed(child->address_space->icache, 0, child->address_space); // the copy holds code written by stores
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
        {
            // Another thread's chdir may swap the parent's cwd meanwhile.
            MutexGuard guard(fs::vfs_lock());
            child->cwd = parent.cwd;
            if (child->cwd)
                ++child->cwd->open_refs;
        }
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
        child->personality = parent.personality;
        child->creds = parent.creds;
        child->dumpable = parent.dumpable;
    }
    lib::ArmedScopeGuard unref_cwd([&] {
        if (child != &parent && child->cwd)
            fs::inode_unref(*child->cwd);
    });
    t->signals_blocked = me.signals_blocked;
    t->affinity = me.affinity;
    t->no_new_privs = me.no_new_privs;
    t->timer_slack_ns = me.timer_slack_ns;
    t->default_timer_slack_ns = me.timer_slack_ns;
    t->sched.inherit_from(me.sched);
    t->rq_weight = FairPolicy::weight_of(t->sched);
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
            SpinLockGuard guard(process_lock());
            room = task_count_proc_locked() + 2;
        }
        if (!scheduler_reserve(room))
            return Errno::enomem;
        SpinLockGuard guard(process_lock());
        if (task_count_proc_locked() + 2 > room)
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
            Process* new_parent = (flags & CLONE_PARENT) && parent.parent && &parent != init_process() ? parent.parent : &parent;
            publish_process_proc_locked(*child, *new_parent);
            child->creator_tid = new_parent == &parent ? me.tid : 0;
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
    SpinLockGuard guard(process_lock());
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
    SpinLockGuard guard(process_lock());
    Thread* waiter = p.vfork_parent;
    if (!waiter)
        return;
    p.vfork_parent = nullptr;
    waiter->vfork_waiting = false;
    wake_all_proc_locked(waiter->vfork_done);
}

namespace {

// The thread `tid` of p is ending: the children it created get their
// PR_SET_PDEATHSIG signal (Linux sends it when the creating thread
// exits, even if its process lives on).
void parent_thread_gone_proc_locked(Process& p, Pid tid)
{
    process_lock().assert_held();
    for (lib::ListNode* n = p.children.next; n != &p.children; n = n->next) {
        Process* c = child_of(n);
        if (c->creator_tid != tid)
            continue;
        c->creator_tid = 0;
        if (c->pdeath_signal && !c->zombie)
            send_signal_proc_locked(*c, c->pdeath_signal, SI_USER, p.pid, 0, p.creds.uid);
    }
}

// The calling thread leaves its process and the tid table for good and
// switches away; the next thread on this hart frees it.
[[noreturn]] void retire_current_proc_locked(Thread& t)
{
    process_lock().assert_held();
    Process& p = *t.process;
    t.cpu.switch_out(arch::read_time());
    fold_cpu_time(t.cpu);
    t.cpu.switch_in(arch::read_time()); // nothing more is charged: run is final below
    p.dead_user_ticks += t.cpu.user;
    p.dead_run_ticks += t.cpu.run;
    detach_thread_proc_locked(t);
    t.state = ThreadState::Dead;
    arch::this_hart().retiring = &t;
    switch_away_proc_locked();
    PANIC("a dead thread ran again");
}

// The last thread is leaving: the process becomes a zombie for its parent.
[[noreturn]] void exit_last_thread(Thread& t, Process& p, i32 wait_status)
{
    if (&p == init_process()) {
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
    mm::AddressSpace* as;
    {
        SpinLockGuard guard(process_lock()); // /proc readers reference it under the lock
        as = p.address_space;
        p.address_space = nullptr;
    }
    // Leave the dying table before freeing it: the kernel half is in every table.
    mm::AddressSpace::deactivate();
    mm::AddressSpace::release(as);
    fp_forget(t);
    posix_timers_release(p);

    SpinLockGuard guard(process_lock());
    orphans_to_init_proc_locked(p); // init reaps them
    p.exit_status = wait_status;
    p.zombie = true;
    count_zombie_proc_locked(); // the thread stops counting below
    bool killed = (wait_status & 0x7f) != 0;
    notify_parent_proc_locked(p, !killed ? CLD_EXITED : (wait_status & 0x80) ? CLD_DUMPED : CLD_KILLED,
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
        SpinLockGuard guard(process_lock());
        last = p.thread_count == 1;
        parent_thread_gone_proc_locked(p, t.tid);
        if (!last) {
            if (p.core_dump)
                coredump_note_thread_proc_locked(t);
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
        SpinLockGuard guard(process_lock());
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
    SpinLockGuard guard(process_lock());
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
        change_tid_proc_locked(me, p.pid);
    }
    return true;
}

Result<WaitResult> wait_for_child(WaitTarget target, u64 options)
{
    Thread& me = current_thread();
    Process& p = *me.process;
    const bool reap = !(options & WNOWAIT);
    SpinLockGuard guard(process_lock());
    for (;;) {
        bool have_match = false;
        for (lib::ListNode* n = p.children.next; n != &p.children; n = n->next) {
            Process* c = child_of(n);
            if (target.kind == WaitTarget::Kind::pid ? c->pid != target.id
                : target.kind == WaitTarget::Kind::pgid ? c->pgid != target.id
                                                         : false)
                continue;
            // Linux: without __WALL, a child whose exit signal is not
            // SIGCHLD is waited for only with __WCLONE, and the other way round.
            if (!(options & WALL) && ((c->exit_signal != SIGCHLD) != bool(options & WCLONE)))
                continue;
            have_match = true;
            if (c->zombie && (options & WEXITED)) {
                ProcessTimes times = process_times_proc_locked(*c);
                WaitResult r{c->pid, c->exit_status, times.user_ns + c->children_user_ns,
                             times.system_ns + c->children_system_ns, c->creds.uid};
                if (reap) {
                    p.children_user_ns += r.user_ns;
                    p.children_system_ns += r.system_ns;
                    reap_proc_locked(*c);
                }
                return r;
            }
            // Stops and continues are reported once each (WNOWAIT: not
            // yet), without reaping.
            if ((options & WSTOPPED) && c->stopped && c->stop_unreported && !c->zombie) {
                if (reap)
                    c->stop_unreported = false;
                ProcessTimes times = process_times_proc_locked(*c);
                return WaitResult{c->pid, (c->stop_signal << 8) | 0x7f, times.user_ns, times.system_ns, c->creds.uid};
            }
            if ((options & WCONTINUED) && c->continue_unreported && !c->zombie) {
                if (reap)
                    c->continue_unreported = false;
                ProcessTimes times = process_times_proc_locked(*c);
                return WaitResult{c->pid, 0xffff, times.user_ns, times.system_ns, c->creds.uid};
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
    p->rlimit_cur[13] = p->rlimit_max[13] = 0; // RLIMIT_NICE: only CAP_SYS_NICE lowers nice
    p->exit_signal = SIGCHLD;
    return InitTask{p, *t};
}

void discard_unstarted_process(Process* p, Thread* t)
{
    free_thread(t);
    mm::destroy(p);
}

} // namespace kernel
