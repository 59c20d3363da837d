// Core dumps: which signals dump, when a dump is allowed, ending the
// other threads first (each leaving its registers for the notes), the
// WCOREDUMP bit, and /proc/sys/kernel/core_pattern's text. The file
// itself is coredump_file.cpp's.
#include "kernel/process/coredump.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/process/coredump_internal.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/trap/trap.hpp"

namespace kernel {

namespace {

constexpr int SIGXCPU = 24, SIGXFSZ = 25, SIGSYS = 31;
constexpr unsigned RLIMIT_CORE = 4; // include/uapi/asm-generic/resource.h

// Guarded by the vfs lock. Linux's defaults.
constinit char s_pattern[CORE_PATTERN_MAX] = "core";
constinit bool s_uses_pid = false;

void record_thread(CoreThread& out, Thread& t)
{
    fp_sync(t);
    out.tid = t.tid;
    out.sigpend = t.signals.pending | t.process->signals.pending;
    out.sighold = t.signals_blocked;
    arch::core_gregs(t.frame, out.gregs);
    arch::core_fpregs(t.fp, out.fpregs);
    out.fp_used = arch::fp_enabled(t.frame);
}

} // namespace

bool is_core_signal(int sig)
{
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS: return true;
    default: return false;
    }
}

void coredump_note_thread_proc_locked(Thread& t)
{
    process_lock().assert_held();
    CoreDump* dump = t.process->core_dump;
    if (!dump || dump->count >= dump->capacity)
        return;
    record_thread(dump->threads[dump->count++], t);
}

void exit_current_fatal(const FatalSignal& f)
{
    Thread& me = current_thread();
    Process& p = *me.process;
    i32 status = wait_status_signaled(f.signal);
    // Linux's min_coredump: a limit below one page writes nothing.
    if (!is_core_signal(f.signal) || !p.dumpable || p.rlimit_cur[RLIMIT_CORE] < arch::PAGE_SIZE)
        exit_current(status);
    u32 capacity;
    {
        SpinLockGuard guard(process_lock());
        capacity = p.thread_count; // no thread is added once the group exit below begins
    }
    CoreDump dump{static_cast<CoreThread*>(mm::kmalloc(capacity * sizeof(CoreThread))), capacity, 0};
    if (!dump.threads)
        exit_current(status); // no memory for the registers: no core
    bool dumping = false;
    {
        SpinLockGuard guard(process_lock());
        if (!p.group_exit && !p.group_exec) { // else another thread is ending the process already
            // Linux's zap_threads: the others leave (killed), each noting
            // its registers on the way (exit_thread), before the core is
            // written.
            dumping = true;
            record_thread(dump.threads[dump.count++], me);
            p.group_exit = true;
            p.exit_status = status;
            p.core_dump = &dump;
            for_each_thread_proc_locked(p, [&](Thread& t) {
                if (&t != &me)
                    send_thread_signal_proc_locked(t, SIGKILL, SI_KERNEL, 0);
            });
            while (p.thread_count > 1)
                block_uninterruptible_proc_locked(p.thread_exited);
            p.core_dump = nullptr;
        }
    }
    if (!dumping) {
        mm::kfree(dump.threads);
        exit_current(status);
    }
    bool written = write_core(p, dump, f);
    mm::kfree(dump.threads);
    if (written) {
        SpinLockGuard guard(process_lock());
        p.exit_status |= 0x80; // WCOREDUMP
    }
    exit_thread(status);
}

const char* core_pattern_vfs_locked()
{
    fs::vfs_lock().assert_held();
    return s_pattern;
}

Result<void> set_core_pattern_vfs_locked(const char* text, usize length)
{
    fs::vfs_lock().assert_held();
    // proc_dostring: the text up to the first newline or NUL; too long is
    // cut at the buffer's size (Linux stores the first 127 bytes).
    usize n = 0;
    while (n < length && text[n] && text[n] != '\n')
        ++n;
    n = lib::min(n, CORE_PATTERN_MAX - 1);
    __builtin_memcpy(s_pattern, text, n);
    s_pattern[n] = 0;
    return {};
}

bool core_uses_pid_vfs_locked()
{
    fs::vfs_lock().assert_held();
    return s_uses_pid;
}

void set_core_uses_pid_vfs_locked(bool on)
{
    fs::vfs_lock().assert_held();
    s_uses_pid = on;
}

} // namespace kernel
