// The thread control block: what a hart runs. A thread belongs to one
// process (kernel/process/process.hpp), which holds what its threads
// share. docs/threads.md draws the split.
//
// Locking follows process.hpp: the same process lock, the same blocks.
//  [P]    guarded by the process lock.
//  [own]  written only by the thread itself, with the process lock held;
//         the thread reads its own without the lock, anyone else under it.
//  [self] touched only by the thread itself -- or by its creator before it
//         first runs. Others may read a snapshot under the process lock.
#pragma once

#include "arch/arch.hpp"
#include "kernel/process/cpu_time.hpp"
#include "kernel/process/sched_entity.hpp"
#include "kernel/process/wait_queue.hpp"
#include "lib/list.hpp"

namespace kernel {

struct Process;
class SpinLock;
using Pid = i32;

// A word, so that a wake-up can claim a blocked thread with one
// compare-and-swap (Blocked -> Waking).
enum class ThreadState : u32 {
    New,      // being built by clone; not yet runnable
    Ready,    // on the run queue
    Running,  // on a hart
    Blocked,  // on a wait queue or the sleep list
    Waking,   // claimed by one waker, which is queuing it (Linux's TASK_WAKING)
    Stopped,  // its process is stopped (SIGSTOP...), until SIGCONT
    Dead,     // exited; freed by the next thread on its hart
};

// Callee-saved registers of a kernel thread (switch.S).
struct Context {
    u64 ra, sp;
    u64 s[12];
};

// Pending signals with who sent each (siginfo si_pid/si_uid/si_code/si_status),
// one slot per signal: a thread's own (tkill, tgkill, the group's SIGKILL)
// and its process's shared set have one each.
struct SignalQueue {
    u64 pending = 0;     // bit n-1 for signal n
    i32 sender[64] = {};
    u32 uid[64] = {};    // si_uid: the sender's real uid (a child's, for SIGCHLD)
    // si_code and SIGCHLD's si_status (an exit code or a signal number)
    // fit in 16 bits: every thread's block is zeroed when it is made, so
    // its size is in the cost of a thread's creation.
    i16 code[64] = {};
    i16 status[64] = {};
    u8 queued[64] = {};  // real-time signals: instances beyond the pending bit
};

struct Thread {
    // ---- The trap path's, touched on every crossing ------------------------
    // The frame is at offset 0 (the trap entry's frame pointer is the
    // thread); trap entry from U-mode saves straight into it (sscratch
    // points at it while the thread runs in user mode).
    arch::TrapFrame frame{};    // [self]
    CpuTime cpu;                // [self] user and system time, in counter ticks
    // Work the way back to user mode must do first (Linux's TIF_ flags);
    // together with the thread's pending signals, one test says "nothing
    // to do". Atomic bit operations: the tick sets WORK_RESCHED, senders
    // WORK_SIGNALS and WORK_GROUP_STOP, the thread the others.
    enum : u32 {
        WORK_RESCHED = 1,         // the scheduler wants the hart for someone else
        WORK_RESTART_SYSCALL = 2, // a call failed with EINTR: restart it if the
                                  // handler has SA_RESTART, or if none runs
        WORK_MASK_SAVED = 4,      // rt_sigsuspend/ppoll replaced the mask for a
                                  // wait: put saved_mask back once a signal arrives
        WORK_LOAD_FP = 8,         // this hart's FP registers hold another's values
        WORK_SIGNALS = 16,        // the process's shared set may hold one for us
        WORK_GROUP_STOP = 32,     // the process is stopping: stop here too
    };
    u64 work = 0;               // a full word, tested with signals.pending
    bool has_work(u64 bits) const { return __atomic_load_n(&work, __ATOMIC_RELAXED) & bits; }
    void set_work(u64 bits) { __atomic_fetch_or(&work, bits, __ATOMIC_RELAXED); }
    void clear_work(u64 bits) { __atomic_fetch_and(&work, ~bits, __ATOMIC_RELAXED); }
    // Thread-directed signals; the way back reads `pending` without the
    // lock (a signal sent after that reaches the thread on its next trap).
    SignalQueue signals;        // [P]

    // ---- [P] Guarded by the process lock ---------------------------------
    Process* process = nullptr;       // fixed after creation
    Pid tid = 0;                      // [P] exec from a non-leader takes the pid
    // [P] for New, Blocked, Stopped and Dead; [RQ] (the run-queue lock
    // of rq_hart) for Ready and Running: a waker holds both.
    ThreadState state = ThreadState::New;
    lib::ListNode thread_node;        // [P] in process->threads
    Thread* tid_hash_next = nullptr;  // [P] tid table chain
    lib::ListNode queue_node;         // [P, or wait_lock] a wait queue
    // [self] While blocked on a queue guarded by a lock of its own (a
    // pipe's): that lock. A signal then wakes the thread without taking it
    // off the queue; the thread takes itself off.
    SpinLock* wait_lock = nullptr;
    lib::ListNode sleep_node;         // [P] the sleep list (a timed wait)
    Context context{};                // [RQ] saved by switch_context
    u64 sleep_deadline_ns = 0;        // [P] for the sleep list
    SchedEntity sched;                // [RQ] nice, vruntime, queue place
    u64 affinity = ~0ull;             // [own] harts it may run on (bit n: hart index n)
    u32 last_hart = 0;                // [RQ] the hart index it runs or last ran on (ps PSR)
    // [RQ] the hart whose run queue holds it, or last did: changed only
    // with that queue's lock (and the new one's) held.
    u32 rq_hart = 0;
    u32 rq_weight = 1024;             // [RQ] its weight in that queue's load (nice 0's to start with; follows nice and policy)
    // Its registers are live on a hart: from the switch to it until the
    // switch away from it has saved them (Linux's on_cpu). A thread may be
    // queued anywhere while so; the hart that picks it waits for it to
    // clear before switching to it.
    bool on_cpu = false;              // [RQ] set by the hart switching to it, cleared by the next thread there

    // ---- Signals -----------------------------------------------------------
    u64 signals_blocked = 0;    // [own] senders read it (is it blocked?)
    // [process lock] While in rt_sigtimedwait: the signals it waits for
    // (Linux's real_blocked): never discarded as ignored, and one arriving
    // ends the wait.
    u64 sigwait_set = 0;
    u64 saved_mask = 0;         // [self]
    u64 syscall_a0 = 0;         // [self] the call's first argument, for a restart
    // [self] How the interrupted call restarts (signal(7); Linux's
    // ERESTARTSYS, ERESTARTNOHAND and ERESTART_RESTARTBLOCK): after a
    // handler with SA_RESTART or when none runs; only when none runs; or
    // only when none runs, through restart_syscall and restart_block.
    enum class Restart : u8 { Always, NoHandler, Block };
    Restart restart_kind = Restart::Always;
    // [self] What restart_syscall continues: a relative sleep on `clock`
    // (-1: the monotonic deadline `target`), the time left written to
    // `remaining` if it is interrupted again. `armed` by the sleep that
    // fails with EINTR, taken by the dispatcher.
    struct RestartBlock {
        i32 clock = -1;
        bool armed = false;
        u64 target = 0;
        u64 remaining = 0;
    } restart_block;
    // [self] A kernel buffer the user copies accept (mm::KernelBufferAsUser).
    u64 uaccess_window_start = 0, uaccess_window_end = 0;

    // ---- [self] Owned by the thread itself ---------------------------------
    arch::FpState fp{};         // [self] current unless this hart's registers are newer (kernel/trap/trap.hpp)
    u64 kernel_stack_top = 0;   // [self] just below this block, which sits at the top of the stack
    u32 kernel_stack_slot = 0;  // [self]
    u64 clear_child_tid = 0;    // [self] set_tid_address, CLONE_CHILD_CLEARTID
    u64 robust_list = 0;        // [self] set_robust_list: walked at exit
    u64 mutex_ranks = 0;        // [self] ranks of the mutexes it holds (the test kernel's order check)
    bool no_new_privs = false;  // [self] PR_SET_NO_NEW_PRIVS: sticky, inherited by clone
    // PR_SET_TIMERSLACK (accepted, not used by the timers): the value and
    // what setting 0 restores, the creator's value at clone (Linux's).
    u64 timer_slack_ns = 50000;         // [self]
    u64 default_timer_slack_ns = 50000; // [self]
    // comm: set by exec and clone, and by any thread of the process
    // through /proc/PID/task/TID/comm. Byte 15 is always NUL.
    char name[16] = {};         // [P]
    u64 start_ns = 0;           // [self] monotonic clock at clone
    // CLONE_VFORK: the parent thread waits here until the child execs or exits.
    WaitQueue vfork_done;       // [P]
    bool vfork_waiting = false; // [P]
};

static_assert(__builtin_offsetof(Thread, frame) == 0, "the trap entry finds the frame at the thread");

// The thread on this hart (the idle thread when none); inline, for the
// many paths that ask.
inline Thread& current_thread() { return *static_cast<Thread*>(arch::this_hart().current); }

} // namespace kernel
