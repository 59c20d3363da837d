// The process control block and the process table.
//
// Locking (the order and the other locks: kernel/locking.hpp): one lock,
// `process_lock()`, guards the pid table, the process tree, the run queue,
// every wait queue, and the fields of Process in the blocks marked below.
// The scheduler holds it across the context switch (xv6's rule): whoever
// switches in releases it. Each field belongs to exactly one block:
//  [P]    guarded by the process lock: read and written with it held.
//  [own]  written only by the process itself, always with the process lock
//         held; the process reads its own without the lock, anyone else
//         (a signal sender, the timer's SIGALRM, setpgid) reads under it.
//  [self] touched only by the process itself -- or by its creator before
//         it first runs, or its reaper after it died. Another process may
//         read a snapshot under the process lock, which keeps the process
//         from being reaped meanwhile (procfs); it may be stale.
#pragma once

#include "arch/arch.hpp"
#include "kernel/process/cpu_time.hpp"
#include "kernel/process/sched_entity.hpp"
#include "kernel/process/wait_queue.hpp"
#include "kernel/spinlock.hpp"
#include "lib/list.hpp"
#include "lib/result.hpp"
#include "lib/string_view.hpp"

namespace kernel {

namespace mm {
class AddressSpace;
}
namespace fs {
struct Inode;
}
class FileTable;

using Pid = i32;

enum class ProcessState : u8 {
    New,      // being built by fork/spawn; not yet runnable
    Ready,    // on the run queue
    Running,  // on a hart
    Blocked,  // on a wait queue (wait4, console read, nanosleep)
    Stopped,  // by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU, until SIGCONT
    Zombie,   // exited; keeps its exit status until the parent reaps it
};

// Callee-saved registers of a kernel thread (switch.S).
struct Context {
    u64 ra, sp;
    u64 s[12];
};

struct Process {
    // ---- The trap path's, touched on every crossing ------------------------
    // First, so that the frame is at offset 0 (the trap entry's frame
    // pointer is the process) and the rest within reach of one load.
    // The user registers: trap entry from U-mode saves straight into here
    // (sscratch points at it while the process runs in user mode).
    arch::TrapFrame frame{};    // [self]
    CpuTime cpu;                // [self] user and system time, in counter ticks
    // Signals waiting (bit n-1 for signal n); the way back to user mode
    // reads it without the lock (a signal sent after that reaches the
    // process on its next trap).
    u64 signals_pending = 0;    // [P]
    // Work the way back to user mode must do first (Linux's TIF_ flags);
    // together with signals_pending, one test says "nothing to do".
    // Changed with atomic bit operations: the timer tick on this hart sets
    // WORK_RESCHED, the process sets and clears the others.
    enum : u32 {
        WORK_RESCHED = 1,         // the scheduler wants the hart for someone else
        WORK_RESTART_SYSCALL = 2, // a call failed with EINTR: restart it if the
                                  // handler has SA_RESTART, or if none runs
        WORK_MASK_SAVED = 4,      // rt_sigsuspend/ppoll replaced the mask for a
                                  // wait: put saved_mask back once a signal arrives
        WORK_LOAD_FP = 8,         // this hart's FP registers hold another's values
    };
    u64 work = 0;               // [self] (WORK_RESCHED: the tick too); a full word, tested with the pending set
    bool has_work(u64 bits) const { return __atomic_load_n(&work, __ATOMIC_RELAXED) & bits; }
    void set_work(u64 bits) { __atomic_fetch_or(&work, bits, __ATOMIC_RELAXED); }
    void clear_work(u64 bits) { __atomic_fetch_and(&work, ~bits, __ATOMIC_RELAXED); }

    // ---- [P] Guarded by the process lock ---------------------------------
    Pid pid = 0;                              // [P] fixed after creation
    ProcessState state = ProcessState::New;   // [P]
    Process* parent = nullptr;                // [P]
    lib::ListNode children;                   // [P] of Process::sibling_node
    lib::ListNode sibling_node;               // [P]
    lib::ListNode queue_node;                 // [P] run queue or a wait queue
    Process* pid_hash_next = nullptr;         // [P] pid table chain
    WaitQueue child_event;                    // [P] a child exited / changed state
    Context context{};                        // [P] saved by switch_context
    i32 exit_status = 0;        // [P] wait status encoding (WIFEXITED...)
    u64 sleep_deadline_ns = 0;  // [P] for nanosleep
    // ITIMER_REAL / alarm(2): next expiry and reload interval (ns).
    u64 alarm_deadline_ns = 0;  // [P] 0 = disarmed
    u64 alarm_interval_ns = 0;  // [P]
    lib::ListNode alarm_node;   // [P] in the scheduler's alarm list
    SchedEntity sched;          // [P] the scheduling policy's state: nice, vruntime, queue place
    // Reaped children's times, accumulated by wait4.
    u64 children_user_ns = 0;   // [P]
    u64 children_system_ns = 0; // [P]

    // ---- [P] Job control: groups, sessions, stops ------------------------
    Pid pgid = 0;               // [P]
    Pid sid = 0;                // [P]
    int stop_signal = 0;        // [P] the signal that stopped it
    bool stop_unreported = false;      // [P] for wait4(WUNTRACED)
    bool continue_unreported = false;  // [P] for wait4(WCONTINUED)
    bool execed = false;        // [own] setpgid on an exec'd child: EACCES

    // ---- Signals (bit n-1 for signal n) ----------------------------------
    // Who sent each pending signal (siginfo si_pid/si_code; the pending
    // set is with the trap path's fields above), one slot per signal:
    // senders and the delivering process both hold the lock.
    i32 signal_sender[64] = {}; // [P]
    i32 signal_code[64] = {};   // [P]
    i32 signal_status[64] = {}; // [P] si_status (SIGCHLD)
    u8 signal_queued[64] = {};  // [P] real-time signals: instances beyond the pending bit
    // The mask and the dispositions: senders read them (is it blocked,
    // ignored, caught?), so the process changes them under the lock.
    u64 signals_blocked = 0;    // [own]
    u64 signals_ignored = 0;    // [own] mirror of actions[] == SIG_IGN, for the sender
    u64 signals_caught = 0;     // [own] mirror of actions[] == a handler
    struct SignalAction {
        u64 handler = 0;        // SIG_DFL (0), SIG_IGN (1) or a user address
        u64 flags = 0;          // SA_*
        u64 mask = 0;           // blocked while the handler runs
    };
    SignalAction actions[64];   // [own] one per signal
    // Delivery bookkeeping (syscall_restartable and mask_saved are with
    // the trap path's fields above).
    u64 saved_mask = 0;         // [self]
    u64 syscall_a0 = 0;         // [self] the call's first argument, for a restart

    // ---- [self] Owned by the process itself ------------------------------
    arch::FpState fp{};                // [self] current unless this hart's registers are newer (kernel/trap/trap.hpp)
    u64 kernel_stack_top = 0;                 // [self]
    u32 kernel_stack_slot = 0;                // [self]

    mm::AddressSpace* address_space = nullptr; // [self]
    FileTable* files = nullptr;                // [self]
    fs::Inode* cwd = nullptr;                  // [self] referenced (inode_ref)
    u32 umask = 022;                           // [self]
    u64 clear_child_tid = 0;    // [self] set_tid_address
    u64 robust_list = 0;        // [self] set_robust_list (kept, not walked: no threads)

    // Resource limits (RLIMIT_*), inherited across fork and exec.
    static constexpr unsigned RLIMIT_COUNT = 16;
    static constexpr unsigned RLIMIT_NPROC = 6;   // include/uapi/asm-generic/resource.h
    u64 rlimit_cur[RLIMIT_COUNT] = {};  // [self]
    u64 rlimit_max[RLIMIT_COUNT] = {};  // [self]

    char name[16] = {};         // [self] executable's base name (comm)
    char cmdline[128] = {};     // [self] argv joined with NULs, truncated
    usize cmdline_length = 0;   // [self]

    // ---- [self] Accounting ------------------------------------------------
    // (the trap path and the scheduler charge it on the process's own
    // behalf; readers of other processes take a snapshot under [P]).
    u64 start_ns = 0;           // [self] monotonic clock at fork
};

// Always the same lock: `const` lets the compiler drop a call whose result
// is unused (an assert_held() compiled out of the production kernel).
[[gnu::const]] SpinLock& process_lock();

// The process on this hart (the idle pseudo-process when none).
Process& current_process();
bool is_idle(const Process&);
// The idle pseudo-process (the boot hart's loop when nothing is ready).
Process& idle_process();

// Pid table.
Process* find_process_proc_locked(Pid pid);
// Every process in the table (not idle), in no particular order.
template <typename F> void for_each_process_proc_locked(F&& f);
Process* process_table_bucket_proc_locked(usize index);
usize process_table_buckets();
usize process_count();
usize process_count_proc_locked();
// init's RLIMIT_NPROC (soft = hard), from the RAM size as Linux computes it.
u64 default_nproc_limit();

// Creates pid 1 running `path` (the kernel's init= option). Returns only on
// failure; on success the scheduler takes over.
Result<void> start_init(lib::StringView path);

// fork: a copy of the current process; returns the child's pid. The
// options are clone(2)'s adjustments, applied before the child can run.
struct ForkOptions {
    u64 stack = 0;             // new sp, if nonzero
    bool set_tls = false;
    u64 tls = 0;
    u64 clear_child_tid = 0;   // CLONE_CHILD_CLEARTID
    u64 child_settid = 0;      // CLONE_CHILD_SETTID: the child's tid goes here, in the child
};
// Errno::eintr means a signal arrived meanwhile: the caller restarts the
// call once it has been handled (Linux's ERESTARTNOINTR), never reports it.
Result<Pid> fork_current(const ForkOptions& = {});
// Terminate the current process with a wait status; never returns.
[[noreturn]] void exit_current(i32 wait_status);

struct WaitResult {
    Pid pid;
    i32 status;
    u64 user_ns, system_ns;
};
// wait4 options (include/uapi/linux/wait.h).
inline constexpr u64 WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WNOTHREAD = 0x20000000, WALL = 0x40000000,
                     WCLONE = 0x80000000;
// wait4 core: pid > 0 one child, -1 any, 0 the caller's process group,
// < -1 the group -pid. Options: WNOHANG, WUNTRACED, WCONTINUED.
Result<WaitResult> wait_for_child(Pid pid, u64 options);

// Wait-status encodings (Linux include/uapi/linux/wait.h semantics).
constexpr i32 wait_status_exited(int code) { return (code & 0xff) << 8; }
constexpr i32 wait_status_signaled(int signal) { return signal & 0x7f; }

void process_init();
// Set the calling process's comm and cmdline (exec does this).
void set_process_name(Process&, lib::StringView path, const char* argv_block, usize argv_length);

} // namespace kernel

namespace kernel {
template <typename F> void for_each_process_proc_locked(F&& f)
{
    process_lock().assert_held();
    for (usize i = 0; i < process_table_buckets(); ++i)
        for (Process* p = process_table_bucket_proc_locked(i); p;) {
            Process* next = p->pid_hash_next;
            f(*p);
            p = next;
        }
}
} // namespace kernel
