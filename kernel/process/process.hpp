// The process control block and the process table. A process is a thread
// group (Linux's): the address space, the file table, the cwd, the signal
// actions and the shared pending signals, the place in the process tree,
// job control and limits, shared by its threads (kernel/process/thread.hpp),
// which are what the harts run. pid = the group's id = its first thread's
// tid; pids and tids come from one number space.
//
// Locking (the order and the other locks: kernel/locking.hpp): one lock,
// `process_lock()`, guards the pid and tid tables, the process tree, the
// run queue, every wait queue, and the fields of Process and Thread in the
// blocks marked below. The scheduler holds it across the context switch
// (xv6's rule): whoever switches in releases it.
//  [P]    guarded by the process lock: read and written with it held.
//  [own]  written only by a thread of the process, always with the process
//         lock held; the process's threads read without the lock, anyone
//         else (a signal sender, the timer's SIGALRM, setpgid) under it.
//  [self] touched only by the process's threads -- or by its creator before
//         it first runs, or its reaper after it died. Another process may
//         read a snapshot under the process lock, which keeps the process
//         from being reaped meanwhile (procfs); it may be stale.
#pragma once

#include "arch/arch.hpp"
#include "kernel/process/credentials.hpp"
#include "kernel/process/thread.hpp"
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
struct CoreDump;
struct PosixTimer;

struct Process {
    // ---- [P] Guarded by the process lock ---------------------------------
    Pid pid = 0;                              // [P] fixed after creation
    bool zombie = false;                      // [P] every thread has exited
    Process* parent = nullptr;                // [P]
    lib::ListNode children;                   // [P] of Process::sibling_node
    lib::ListNode sibling_node;               // [P]
    Process* pid_hash_next = nullptr;         // [P] pid table chain
    WaitQueue child_event;                    // [P] a child exited / changed state
    lib::ListNode threads;                    // [P] live threads, of Thread::thread_node
    u32 thread_count = 0;                     // [P] live threads
    WaitQueue thread_exited;                  // [P] exec waits here for the others to go
    i32 exit_status = 0;        // [P] wait status encoding (WIFEXITED...)
    // exit_group or a fatal signal: every thread is on its way out, and
    // exit_status is the process's.
    bool group_exit = false;    // [P]
    Thread* group_exec = nullptr; // [P] this thread execs: the others are on their way out
    // A thread is writing a core: the others note their registers in it as
    // they leave (kernel/process/coredump.hpp).
    CoreDump* core_dump = nullptr; // [P]
    // ITIMER_REAL / alarm(2): next expiry and reload interval (ns).
    u64 alarm_deadline_ns = 0;  // [P] 0 = disarmed
    u64 alarm_interval_ns = 0;  // [P]
    lib::ListNode alarm_node;   // [P] in the scheduler's alarm list
    // ITIMER_VIRTUAL (user time) and ITIMER_PROF (user + system time):
    // the process CPU time at which each fires next, and its reload (ns).
    u64 virtual_expiry_ns = 0;  // [P] 0 = disarmed
    u64 virtual_interval_ns = 0; // [P]
    u64 prof_expiry_ns = 0;     // [P] 0 = disarmed
    u64 prof_interval_ns = 0;   // [P]
    // POSIX timers (kernel/process/posix_timer.hpp): not inherited by
    // fork, released by exec and exit.
    PosixTimer* posix_timers = nullptr; // [P] singly linked, newest first
    u32 posix_timer_count = 0;  // [P]
    u32 posix_cpu_timers_armed = 0; // [P] CPU-clock timers armed: the tick looks only if any
    i32 next_posix_timer_id = 0; // [P] ids from 0, as Linux's next_posix_timer_id
    u64 posix_timer_seq = 0;    // [P] orders queued timer signals
    // Reaped children's times, accumulated by wait4.
    u64 children_user_ns = 0;   // [P]
    u64 children_system_ns = 0; // [P]
    // Exited threads' CPU time, in counter ticks (live threads keep their own).
    u64 dead_user_ticks = 0;    // [P]
    u64 dead_run_ticks = 0;     // [P]
    // CLONE_VFORK: the parent's thread that waits until this process execs or exits.
    Thread* vfork_parent = nullptr; // [P]
    int exit_signal = 0;        // [P] sent to the parent at exit (clone's low byte)
    // The parent's thread that created it: PR_SET_PDEATHSIG fires when
    // that thread ends (Linux's real_parent is a thread). 0 once it has.
    Pid creator_tid = 0;        // [P]
    int pdeath_signal = 0;      // [P] prctl(PR_SET_PDEATHSIG); cleared by fork
    // prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants come here, not
    // to init. Not inherited.
    bool child_subreaper = false; // [P]

    // ---- [P] Job control: groups, sessions, stops ------------------------
    Pid pgid = 0;               // [P]
    Pid sid = 0;                // [P]
    bool stopped = false;       // [P] a group stop is in effect
    int stop_signal = 0;        // [P] the signal that stopped it
    bool stop_unreported = false;      // [P] for wait4(WUNTRACED)
    bool continue_unreported = false;  // [P] for wait4(WCONTINUED)
    bool execed = false;        // [own] setpgid on an exec'd child: EACCES

    // ---- [own] The security context (credentials.hpp) ---------------------
    // Changed only by the process's own threads (set*id, capset, exec),
    // under the lock; read by them without it, by others (kill,
    // setpriority, /proc) under it.
    Credentials creds;          // [own]

    // ---- Signals (bit n-1 for signal n) ----------------------------------
    // Process-directed pending signals (kill, the tty, SIGCHLD, SIGALRM):
    // any thread that does not block one may take it.
    SignalQueue signals;        // [P]
    // The dispositions: senders read them (is it ignored, caught?), so the
    // threads change them under the lock.
    u64 signals_ignored = 0;    // [own] mirror of actions[] == SIG_IGN, for the sender
    u64 signals_caught = 0;     // [own] mirror of actions[] == a handler
    struct SignalAction {
        u64 handler = 0;        // SIG_DFL (0), SIG_IGN (1) or a user address
        u64 flags = 0;          // SA_*
        u64 mask = 0;           // blocked while the handler runs
    };
    SignalAction actions[64];   // [own] one per signal

    // ---- [self] Shared by the threads --------------------------------------
    mm::AddressSpace* address_space = nullptr; // [self] referenced (vfork children share it)
    FileTable* files = nullptr;                // [self] referenced (CLONE_FILES)
    fs::Inode* cwd = nullptr;                  // [self] referenced (inode_ref)
    u32 umask = 022;                           // [self]
    u32 personality = 0;                       // [self] personality(2); PER_LINUX
    u8 dumpable = 1;                           // [self] PR_SET_DUMPABLE; exec sets it back to 1
    // The auxiliary vector exec gave the program (Linux's saved_auxv), for
    // a core's NT_AUXV: type/value words, AT_NULL included.
    static constexpr usize AUXV_WORDS = 48;
    u64 saved_auxv[AUXV_WORDS] = {};           // [self]
    u32 saved_auxv_words = 0;                  // [self]

    // Resource limits (RLIMIT_*), inherited across fork and exec.
    static constexpr unsigned RLIMIT_COUNT = 16;
    static constexpr unsigned RLIMIT_NPROC = 6;   // include/uapi/asm-generic/resource.h
    u64 rlimit_cur[RLIMIT_COUNT] = {};  // [self]
    u64 rlimit_max[RLIMIT_COUNT] = {};  // [self]

    // The executable's base name, the leader's comm. Written by its own
    // threads only: exec (alone by then), or a write to /proc/PID/comm or
    // the leader's task/PID/comm, under the process lock. A reader may find
    // it torn by exec's write, never without a NUL: byte 15 stays 0.
    char name[16] = {};         // [self]
    char cmdline[128] = {};     // [self] argv joined with NULs, truncated
    usize cmdline_length = 0;   // [self]
    u64 start_ns = 0;           // [self] monotonic clock at fork
};

// The threads of p, in creation order (process lock held).
template <typename F> void for_each_thread_proc_locked(Process& p, F&& f);
Thread* thread_of_node(lib::ListNode*);
// The thread that stands for the process where one is asked for (state,
// nice): the leader while it lives, else the oldest thread left.
Thread* main_thread_proc_locked(Process& p);

// p's CPU time: its exited threads' plus its live ones'.
struct ProcessTimes {
    u64 user_ns, system_ns;
};
ProcessTimes process_times_proc_locked(Process& p);

namespace detail {
extern SpinLock g_process_lock;
}
// Inline: every wake-up, sleep and switch names it, several times.
inline SpinLock& process_lock() { return detail::g_process_lock; }

// The process of the thread on this hart (the idle process when none).
inline Process& current_process() { return *current_thread().process; }
// The idle threads, inline: the switch path asks up to four times.
namespace detail {
inline constexpr u32 MAX_IDLE_THREADS = 32; // smp.hpp's MAX_HARTS (static_assert in scheduler.cpp)
extern Thread g_idle_threads[MAX_IDLE_THREADS];
} // namespace detail
inline bool is_idle(const Thread& t)
{
    return &t >= &detail::g_idle_threads[0] && &t < &detail::g_idle_threads[detail::MAX_IDLE_THREADS];
}
bool is_idle(const Process&);
// The idle thread (the boot hart's loop when nothing is ready) and its process.
inline Thread& idle_thread(u32 hart_index) { return detail::g_idle_threads[hart_index]; } // each hart's own
Process& idle_process();

// Pid and tid tables.
Process* find_process_proc_locked(Pid pid);
Thread* find_thread_proc_locked(Pid tid);
// Every process in the table (not idle), in no particular order.
template <typename F> void for_each_process_proc_locked(F&& f);
Process* process_table_bucket_proc_locked(usize index);
usize process_table_buckets();
usize process_count();
usize process_count_proc_locked();
// Live threads plus zombie processes: Linux's nr_threads (RLIMIT_NPROC,
// /proc/loadavg).
usize task_count_proc_locked();
// Live threads, each with its kernel stack (/proc/meminfo's KernelStack).
usize thread_count();
// /proc/sys/kernel/pid_max: new ids are below it (wrapping to 2).
Pid pid_max();
void set_pid_max(Pid);
// /proc/sys/fs/nr_open: the most RLIMIT_NOFILE may be raised to.
inline constexpr u64 NR_OPEN = 1048576;
// init's RLIMIT_NPROC (soft = hard), from the RAM size as Linux computes it.
u64 default_nproc_limit();

// Creates pid 1 running `path` (the kernel's init= option). Returns only on
// failure; on success the scheduler takes over.
Result<void> start_init(lib::StringView path);

// clone(2) in all its forms (fork, vfork, pthread_create, posix_spawn):
// a new thread, in a new process or the caller's. The flags are Linux's
// (include/uapi/linux/sched.h); sys_clone and sys_clone3 check their
// combinations before calling.
inline constexpr u64 CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
                     CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
                     CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000,
                     CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000,
                     CLONE_DETACHED = 0x400000, CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000,
                     CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000,
                     CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000,
                     CLONE_IO = 0x80000000ull, CLONE_CLEAR_SIGHAND = 0x100000000ull,
                     CLONE_INTO_CGROUP = 0x200000000ull;
struct CloneArgs {
    u64 flags = 0;             // CLONE_*, without the exit signal
    int exit_signal = 17;      // sent to the parent when the new process ends (SIGCHLD)
    u64 stack = 0;             // new sp, if nonzero
    u64 tls = 0;               // CLONE_SETTLS
    u64 parent_tid = 0;        // CLONE_PARENT_SETTID: the new tid goes here, in the caller
    u64 child_tid = 0;         // CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
};
// Returns the new thread's tid. Errno::eintr means a signal arrived
// meanwhile: the caller restarts the call once it has been handled
// (Linux's ERESTARTNOINTR), never reports it.
Result<Pid> clone_current(const CloneArgs&);
// fork(): clone with SIGCHLD and nothing shared.
inline Result<Pid> fork_current() { return clone_current(CloneArgs{}); }
// End the calling thread (exit(2)); the process ends with `wait_status`
// if it was the last. Never returns.
[[noreturn]] void exit_thread(i32 wait_status);
// End every thread of the process (exit_group(2), a fatal signal): the
// process's wait status is `wait_status`, unless another thread started
// the group exit first. Never returns.
[[noreturn]] void exit_current(i32 wait_status);
// execve's point of no return: every other thread of the process is gone
// and the caller holds the pid (it takes the leader's). False if the
// process is dying anyway (another thread called exit_group): the caller
// then gives up its new image and exits.
bool exec_become_sole_thread();
// A vfork child execs or exits: its parent may run on.
void release_vfork_parent(Process&);

struct WaitResult {
    Pid pid;
    i32 status;
    u64 user_ns, system_ns;
    u32 uid = 0; // the child's real uid (waitid's si_uid)
};
// wait4 and waitid options (include/uapi/linux/wait.h). WSTOPPED is
// WUNTRACED under waitid's name.
inline constexpr u64 WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000,
                     WNOTHREAD = 0x20000000, WALL = 0x40000000, WCLONE = 0x80000000;
// Which children a wait is for: waitid's P_ALL, P_PID, P_PGID (wait4's
// pid argument maps onto them).
struct WaitTarget {
    enum class Kind : u8 { any, pid, pgid } kind = Kind::any;
    Pid id = 0; // the pid or the process group
};
// wait4 and waitid's core. Options: WNOHANG, WEXITED (zombies),
// WSTOPPED, WCONTINUED, WNOWAIT (report but leave the child waitable),
// __WALL, __WCLONE. With WNOHANG and nothing to report, pid is 0.
Result<WaitResult> wait_for_child(WaitTarget target, u64 options);

// Wait-status encodings (Linux include/uapi/linux/wait.h semantics).
constexpr i32 wait_status_exited(int code) { return (code & 0xff) << 8; }
constexpr i32 wait_status_signaled(int signal) { return signal & 0x7f; }

void process_init();
// Set the calling process's comm and cmdline (exec does this).
void set_process_name(Process&, lib::StringView path, const char* argv_block, usize argv_length);
// A write to /proc/PID/task/TID/comm or /proc/PID/comm, by a thread of the
// process: the first 15 bytes of `name` up to a NUL. The leader's comm and
// the process's are one (Linux's).
void set_thread_comm_proc_locked(Thread&, const char* name);
void set_process_comm_proc_locked(Process&, const char* name);

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

namespace kernel {
template <typename F> void for_each_thread_proc_locked(Process& p, F&& f)
{
    process_lock().assert_held();
    for (lib::ListNode* n = p.threads.next; n != &p.threads;) {
        lib::ListNode* next = n->next;
        f(*thread_of_node(n));
        n = next;
    }
}
} // namespace kernel
