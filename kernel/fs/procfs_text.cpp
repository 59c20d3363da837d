// /proc's files: the text of each in Linux's format (proc(5),
// fs/proc/array.c), generated when it is opened, and the one kind that
// takes writes, comm (fs/proc/base.c). The tree they sit in is procfs.cpp's.
#include "kernel/fs/procfs.hpp"
#include "kernel/fs/fs_info.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/coredump.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/smp.hpp"
#include "kernel/syscall/shm.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"
#include "lib/format.hpp"


namespace kernel::fs {

namespace {

constexpr u64 USER_HZ = 100; // clock ticks in /proc and times(2)

u64 ticks(u64 ns) { return ns / (1000000000ull / USER_HZ); }

// The harts that exist (discovered at boot, whether started or not): what
// Linux calls the possible CPUs. nr_cpu_ids is their count.
u64 possible_harts_mask()
{
    u32 n = lib::min(smp_discovered(), MAX_HARTS);
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

// A growing text buffer for generating a file. Under a spinlock it must
// not grow (no allocation there): in fixed mode it counts what did not fit
// instead, and the caller grows it after the lock and formats again.
class TextSink final : public lib::FormatSink {
public:
    ~TextSink() { mm::kfree(m_data); }
    void write(const char* s, usize n) override
    {
        if (m_failed)
            return;
        if (m_length + n > m_capacity) {
            if (m_fixed) {
                m_missing += n;
                return;
            }
            if (!grow(lib::max<usize>(1024, (m_length + n) * 2)))
                return;
        }
        __builtin_memcpy(m_data + m_length, s, n);
        m_length += n;
    }
    // Start over in fixed mode (with the lock held), or leave it; false
    // when the text did not fit in fixed mode.
    void begin_fixed()
    {
        m_length = m_missing = 0;
        m_fixed = true;
    }
    bool end_fixed()
    {
        m_fixed = false;
        return m_missing == 0;
    }
    // Room for everything that did not fit the last time (no lock held).
    bool grow_for_missing() { return grow(lib::max<usize>(1024, (m_capacity + m_missing) * 2)); }
    Result<char*> take(usize& length)
    {
        if (m_failed)
            return Errno::enomem;
        if (!m_data)
            m_data = static_cast<char*>(mm::kmalloc(1));
        if (!m_data)
            return Errno::enomem;
        length = m_length;
        char* d = m_data;
        m_data = nullptr;
        return d;
    }

private:
    bool grow(usize capacity)
    {
        auto* grown = static_cast<char*>(mm::kmalloc(capacity));
        if (!grown) {
            m_failed = true;
            return false;
        }
        if (m_data) // memcpy from nullptr is undefined even for 0 bytes (C17 7.24.1p2)
            __builtin_memcpy(grown, m_data, m_length);
        mm::kfree(m_data);
        m_data = grown;
        m_capacity = capacity;
        return true;
    }

    char* m_data = nullptr;
    usize m_length = 0, m_capacity = 0, m_missing = 0;
    bool m_failed = false, m_fixed = false;
};

// A CPU list as Linux prints one (bitmap_print_list_to_buf: "0-3,5"),
// then a newline.
void format_cpu_list(TextSink& out, u64 mask)
{
    const char* separator = "";
    for (u32 i = 0; i < 64; ++i) {
        if (!(mask >> i & 1))
            continue;
        u32 last = i;
        while (last + 1 < 64 && (mask >> (last + 1) & 1))
            ++last;
        if (last == i)
            lib::format(out, "{}{}", separator, i);
        else
            lib::format(out, "{}{}-{}", separator, i, last);
        separator = ",";
        i = last;
    }
    out.write("\n", 1);
}

// A CPU mask as Linux prints one ("%*pb" over nr_cpu_ids bits): hex,
// zero-padded to the digits nr_cpu_ids needs (3 for 2 CPUs, 0f for 5).
// Myriad has at most 32 harts: one 32-bit group, no commas.
void format_cpu_mask(TextSink& out, u64 mask)
{
    u32 bits = lib::max(1u, u32(__builtin_popcountll(possible_harts_mask())));
    char digits[16];
    u32 n = (bits + 3) / 4;
    for (u32 k = 0; k < n; ++k)
        digits[k] = "0123456789abcdef"[(mask >> (4 * (n - 1 - k))) & 15];
    out.write(digits, n);
}

char state_letter(const Thread* t)
{
    if (!t)
        return 'Z';
    switch (t->state) {
    case ThreadState::Running:
    case ThreadState::Ready:
    case ThreadState::New:
    case ThreadState::Waking: return 'R';
    case ThreadState::Blocked: return 'S';
    case ThreadState::Stopped: return 'T';
    case ThreadState::Dead: return 'X';
    }
    return '?';
}

const char* state_words(char letter)
{
    switch (letter) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'T': return "T (stopped)";
    case 'Z': return "Z (zombie)";
    }
    return "? (unknown)";
}

// A process's memory figures. The region array is read under its space's
// mutex, which cannot be taken under the process lock: the space is
// referenced under the lock, measured after it (a moment old, as Linux's).
struct MmFigures {
    u64 virtual_size = 0;
    mm::Rss rss{};
    u64 locked_size = 0;
};

// The space of the process (or thread, with `thread`) behind a /proc
// file, referenced, or nullptr for a process without one (a zombie).
Result<mm::AddressSpace*> space_for(const Inode& inode, bool thread, char (*name)[16] = nullptr);

class SpaceRef {
public:
    explicit SpaceRef(mm::AddressSpace* as) : m_as(as) {}
    ~SpaceRef()
    {
        if (m_as)
            mm::AddressSpace::release(m_as);
    }
    SpaceRef(const SpaceRef&) = delete;
    mm::AddressSpace* get() const { return m_as; }

private:
    mm::AddressSpace* m_as;
};

MmFigures figures_of(mm::AddressSpace* as)
{
    if (!as)
        return {};
    return MmFigures{as->virtual_size(), as->rss(), as->locked_size()};
}

// /proc/PID/stat, or /proc/PID/task/TID/stat with a thread: then the
// state, times, nice and masks are the thread's, the rest the process's.
void format_pid_stat(TextSink& out, Process& p, Thread* only, const MmFigures& figures)
{
    process_lock().assert_held();
    Pid ppid = p.parent ? p.parent->pid : 0;
    // A process's state is its main thread's (the leader's while it
    // lives); a zombie has none left.
    Thread* main = p.zombie ? nullptr : main_thread_proc_locked(p);
    Thread* t = only ? only : main;
    ProcessTimes times = only ? ProcessTimes{only->cpu.user_ns(), only->cpu.system_ns(only == &current_thread())}
                              : process_times_proc_locked(p);
    int nice = t ? t->sched.nice : 0;
    // Linux's task_prio: -1 - rt_priority for a real-time thread.
    int rt_priority = t ? t->sched.rt_priority : 0, policy = t ? t->sched.policy : 0;
    int priority = rt_priority ? -1 - rt_priority : 20 + nice;
    // Fields 1..52 of proc(5) /proc/pid/stat, in order.
    lib::format(out, "{} ({}) {} {} {} {} 0 -1 4194560 0 0 0 0 ", only ? only->tid : p.pid, only ? only->name : p.name,
                state_letter(t), ppid, p.pgid, p.sid);
    lib::format(out, "{} {} {} {} {} {} {} 0 {} {} {} 18446744073709551615 ", ticks(times.user_ns),
                ticks(times.system_ns), ticks(p.children_user_ns), ticks(p.children_system_ns), priority, nice,
                p.thread_count ? p.thread_count : 1, ticks(only ? only->start_ns : p.start_ns), figures.virtual_size,
                figures.rss.total());
    // Field 39, processor: the hart the thread runs or last ran on (for
    // the process, its main thread's, as Linux shows the leader's); 40
    // and 41 its rt_priority and policy.
    lib::format(out, "0 0 0 0 0 {} {} {} 0 0 0 0 17 {} {} {} 0 0 0 0 0 0 0 0 0 0 {}\n",
                (t ? t->signals.pending : 0) | p.signals.pending, t ? t->signals_blocked : 0, p.signals_ignored,
                t ? t->last_hart : 0, rt_priority, policy, p.zombie ? p.exit_status : 0);
}

void format_pid_status(TextSink& out, Process& p, Thread* only, const MmFigures& figures)
{
    process_lock().assert_held();
    Pid ppid = p.parent ? p.parent->pid : 0;
    u64 kib = mm::PAGE_SIZE / 1024;
    Thread* main = p.zombie ? nullptr : main_thread_proc_locked(p);
    Thread* t = only ? only : main;
    lib::format(out, "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\n",
                only ? only->name : p.name, p.umask, state_words(state_letter(t)), p.pid, only ? only->tid : p.pid,
                ppid);
    const Credentials& c = p.creds;
    lib::format(out, "TracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t", c.uid, c.euid,
                c.suid, c.fsuid, c.gid, c.egid, c.sgid, c.fsgid);
    // Linux separates the groups with spaces and ends the list with one.
    for (u32 i = 0; i < c.group_count; ++i)
        lib::format(out, "{}{}", i ? " " : "", c.groups[i]);
    lib::format(out, " \n");
    const mm::Rss& rss = figures.rss;
    lib::format(out, "VmSize:\t{:8} kB\nVmLck:\t{:8} kB\nVmPin:\t{:8} kB\n", figures.virtual_size / 1024,
                figures.locked_size / 1024, 0);
    lib::format(out, "VmRSS:\t{:8} kB\nRssAnon:\t{:8} kB\nRssFile:\t{:8} kB\nRssShmem:\t{:8} kB\n", rss.total() * kib,
                rss.anon * kib, rss.file * kib, rss.shmem * kib);
    // A zombie counts its leader until reaped, as Linux's (and stat's field 20).
    lib::format(out, "Threads:\t{}\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\n",
                p.thread_count ? p.thread_count : 1, t ? t->signals.pending : 0, p.signals.pending,
                t ? t->signals_blocked : 0);
    lib::format(out, "SigIgn:\t{:016x}\nSigCgt:\t{:016x}\n", p.signals_ignored, p.signals_caught);
    lib::format(out, "CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}\n",
                c.cap_inheritable, c.cap_permitted, c.cap_effective, CAP_FULL_SET, 0);
    // The affinity mask over the harts that exist (Linux: nr_cpu_ids bits).
    u64 allowed = (t ? t->affinity : ~0ull) & possible_harts_mask();
    lib::format(out, "Cpus_allowed:\t");
    format_cpu_mask(out, allowed);
    lib::format(out, "\nCpus_allowed_list:\t");
    format_cpu_list(out, allowed);
}

// /proc/PID/maps (proc(5)): "start-end perms offset dev inode  name";
// the space's lock held.
void format_pid_maps(TextSink& out, const mm::AddressSpace* as, const char* program)
{
    for (usize i = 0; as && i < as->region_count(); ++i) {
        const mm::Region& r = as->region(i);
        char perms[5] = {r.prot & mm::PROT_READ ? 'r' : '-', r.prot & mm::PROT_WRITE ? 'w' : '-',
                         r.prot & mm::PROT_EXEC ? 'x' : '-', r.shared() ? 's' : 'p', 0};
        const char* name = r.kind == mm::RegionKind::Heap        ? "[heap]"
                           : r.kind == mm::RegionKind::Stack     ? "[stack]"
                           : r.kind == mm::RegionKind::Image     ? program
                           : (r.flags & mm::REGION_SHMEM) ? "/dev/zero (deleted)"
                                                                 : "";
        u64 ino = r.file ? r.file->ino : 0;
        lib::format(out, "{:08x}-{:08x} {} {:08x} 00:00 {}{}{}\n", r.start, r.end, perms, r.file ? r.offset : 0, ino,
                    *name ? "          " : "", name);
    }
    lib::format(out, "{:08x}-{:08x} r-xp 00000000 00:00 0          [vdso]\n", mm::SIGRETURN_TRAMPOLINE_VA, arch::USER_TOP);
}

void format_meminfo(TextSink& out)
{
    auto pages = mm::page_stats();
    u64 kib = mm::PAGE_SIZE / 1024;
    u64 free = pages.free * kib, available = (pages.free + kernel_stack_cached_pages()) * kib;
    lib::format(out, "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\n", pages.total * kib,
                free, available);
    // Cached: every page of file contents (the RAM filesystem holds files
    // only in the page cache, like ramfs) and of shared anonymous memory.
    lib::format(out, "Buffers:        {:8} kB\nCached:         {:8} kB\nSwapTotal:      {:8} kB\nSwapFree:       {:8} kB\n",
                0, cached_pages() * kib, 0, 0);
    // Slab: the kernel heap's pages (size-class slabs and large blocks).
    lib::format(out, "Slab:           {:8} kB\nKernelStack:    {:8} kB\n", mm::kmalloc_stats().pages_held() * kib,
                thread_count() * (KERNEL_STACK_SIZE / 1024)); // one kernel stack per live thread
}

// /proc/stat (fs/proc/stat.c): the "cpu" line sums every hart's times
// (in nanoseconds, then turned into ticks, as Linux sums before
// nsec_to_clock_t), then one "cpuN" line per online hart; user, nice,
// system, idle, iowait, irq, softirq, steal, guest, guest_nice.
void format_global_stat(TextSink& out)
{
    auto s = scheduler_stats();
    u64 boot_seconds = (wallclock_ns() - monotonic_ns()) / 1000000000ull;
    HartTimes per_hart[MAX_HARTS];
    HartTimes sum{};
    for (u32 i = 0; i < MAX_HARTS; ++i) {
        per_hart[i] = hart_times(i); // zeros for a hart that is not online
        sum.user_ns += per_hart[i].user_ns;
        sum.system_ns += per_hart[i].system_ns;
        sum.idle_ns += per_hart[i].idle_ns;
    }
    lib::format(out, "cpu  {} 0 {} {} 0 0 0 0 0 0\n", ticks(sum.user_ns), ticks(sum.system_ns), ticks(sum.idle_ns));
    for (u32 i = 0; i < MAX_HARTS; ++i)
        if (hart_info(i))
            lib::format(out, "cpu{} {} 0 {} {} 0 0 0 0 0 0\n", i, ticks(per_hart[i].user_ns),
                        ticks(per_hart[i].system_ns), ticks(per_hart[i].idle_ns));
    lib::format(out, "intr {}\nctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked 0\n", s.interrupts,
                s.switches, boot_seconds, s.forks, s.running);
}

// /proc/cpuinfo as Linux's riscv show_cpuinfo (arch/riscv/kernel/cpu.c):
// a block per online hart (processor, hart, isa, mmu, uarch), a blank
// line after each; "uarch" only for a cpu node whose compatible says more
// than "riscv".
// Contention per lock rank since boot (kernel/locking.hpp), in the
// spirit of Linux's CONFIG_LOCK_STAT file but Myriad's own columns: the
// acquires that found the lock taken and how long they waited. Every rank
// is listed, so a reader can subtract two snapshots line by line.
void format_lock_stat(TextSink& out)
{
    lib::format(out, "{:<16} {:>12} {:>18} {:>16}\n", "class name", "contentions", "waittime-total-us",
                "waittime-avg-ns");
    for (unsigned r = 0; r < 64; ++r) {
        const char* name = lock_rank_name(LockRank(r));
        if (name[0] == '?')
            continue;
        LockContention c = lock_contention(LockRank(r));
        u64 ns = counter_to_ns(c.wait_ticks);
        lib::format(out, "{:<16} {:>12} {:>18} {:>16}\n", name, c.contentions, ns / 1000,
                    c.contentions ? ns / c.contentions : 0);
    }
}

void format_cpuinfo(TextSink& out)
{
    for (u32 i = 0; i < MAX_HARTS; ++i) {
        const HartInfo* h = hart_info(i);
        if (!h)
            continue;
        lib::format(out, "processor\t: {}\nhart\t\t: {}\n", i, h->hart_id);
        if (!h->isa.is_empty())
            lib::format(out, "isa\t\t: {}\n", h->isa);
        // Linux 6.1 prints the mode its page tables use, not the most the
        // hart offers (mmu-type, "sv48" on QEMU virt): Myriad's are Sv39
        // on every hart (arch/arch.hpp). A hart without an MMU is never
        // started.
        if (!h->mmu.is_empty())
            lib::format(out, "mmu\t\t: sv39\n");
        if (!h->uarch.is_empty() && !(h->uarch == lib::StringView("riscv")))
            lib::format(out, "uarch\t\t: {}\n", h->uarch);
        out.write("\n", 1);
    }
}

Result<Process*> process_for(const Inode& inode)
{
    Process* p = find_process_proc_locked(inode.proc_pid);
    if (!p)
        return Errno::esrch; // it exited since the lookup
    return p;
}

// The thread of a /proc/PID/task/TID file: still alive, and still PID's.
Result<Thread*> thread_for(const Inode& inode)
{
    Thread* t = find_thread_proc_locked(inode.proc_tid);
    if (!t || t->process->pid != inode.proc_pid)
        return Errno::esrch; // it exited since the lookup
    return t;
}

Result<mm::AddressSpace*> space_for(const Inode& inode, bool thread, char (*name)[16])
{
    SpinLockGuard guard(process_lock());
    Process* p;
    if (thread)
        p = TRY(thread_for(inode))->process;
    else
        p = TRY(process_for(inode));
    if (name)
        __builtin_memcpy(*name, p->name, sizeof(*name));
    return p->address_space ? p->address_space->share() : nullptr;
}

} // namespace

Result<char*> proc_generate(const Inode& inode, usize& length)
{
    TextSink out;
    switch (inode.proc) {
    case ProcKind::Meminfo: format_meminfo(out); break;
    case ProcKind::Uptime: {
        u64 up = monotonic_ns(), idle = scheduler_stats().idle_ns;
        lib::format(out, "{}.{:02} {}.{:02}\n", up / 1000000000, up / 10000000 % 100, idle / 1000000000,
                    idle / 10000000 % 100);
        break;
    }
    case ProcKind::Loadavg: {
        auto s = scheduler_stats();
        lib::format(out, "{}.{:02} {}.{:02} {}.{:02} {}/{} {}\n", s.load[0] >> 11, ((s.load[0] & 2047) * 100) >> 11,
                    s.load[1] >> 11, ((s.load[1] & 2047) * 100) >> 11, s.load[2] >> 11,
                    ((s.load[2] & 2047) * 100) >> 11, s.running, s.tasks, s.last_pid);
        break;
    }
    case ProcKind::GlobalStat: format_global_stat(out); break;
    case ProcKind::Cpuinfo: format_cpuinfo(out); break;
    case ProcKind::LockStat: format_lock_stat(out); break;
    case ProcKind::SysCpuOnline: format_cpu_list(out, online_harts_mask()); break;
    case ProcKind::SysCpuPossible: format_cpu_list(out, possible_harts_mask()); break;
    case ProcKind::Mounts: format_mounts(out); break;
    case ProcKind::PidMax: lib::format(out, "{}\n", pid_max()); break;
    case ProcKind::Tainted: lib::format(out, "0\n"); break;      // nothing taints this kernel
    case ProcKind::CorePattern: {
        MutexGuard guard(vfs_lock()); // the pattern's lock (proc_generate runs without it)
        lib::format(out, "{}\n", core_pattern_vfs_locked());
        break;
    }
    case ProcKind::CoreUsesPid: {
        MutexGuard guard(vfs_lock());
        lib::format(out, "{}\n", core_uses_pid_vfs_locked() ? 1 : 0);
        break;
    }
    case ProcKind::NrOpen: lib::format(out, "{}\n", NR_OPEN); break;
    case ProcKind::SchedRtPeriod: lib::format(out, "{}\n", sched_rt_period_us()); break;
    case ProcKind::SchedRtRuntime: lib::format(out, "{}\n", sched_rt_runtime_us()); break;
    case ProcKind::MaxMapCount: lib::format(out, "{}\n", mm::max_map_count()); break;
    case ProcKind::ShmMax: lib::format(out, "{}\n", ipc::shm_limits().shmmax); break;
    case ProcKind::ShmAll: lib::format(out, "{}\n", ipc::shm_limits().shmall); break;
    case ProcKind::ShmMni: lib::format(out, "{}\n", ipc::shm_limits().shmmni); break;
    case ProcKind::SysvipcShm: ipc::format_sysvipc_shm(out); break;
    case ProcKind::Maps: {
        char name[16];
        SpaceRef space{TRY(space_for(inode, false, &name))};
        for (bool fits = false; !fits;) {
            if (!out.grow_for_missing())
                return Errno::enomem;
            auto format = [&] {
                out.begin_fixed();
                format_pid_maps(out, space.get(), name);
                fits = out.end_fixed();
            };
            if (!space.get()) {
                format();
                continue;
            }
            MutexGuard guard(space.get()->lock());
            format();
        }
        break;
    }
    case ProcKind::Stat:
    case ProcKind::Status:
    case ProcKind::Cmdline:
    case ProcKind::Comm:
    case ProcKind::TaskStat:
    case ProcKind::TaskStatus:
    case ProcKind::TaskComm: {
        const ProcKind kind = inode.proc;
        const bool task = kind == ProcKind::TaskStat || kind == ProcKind::TaskStatus || kind == ProcKind::TaskComm;
        MmFigures figures;
        if (kind != ProcKind::Cmdline && kind != ProcKind::Comm && kind != ProcKind::TaskComm) {
            SpaceRef space{TRY(space_for(inode, task))};
            figures = figures_of(space.get());
        }
        // The process lock keeps the process (or thread) from being reaped
        // while it is read; the text goes into room allocated before
        // taking it.
        for (bool fits = false; !fits;) {
            if (!out.grow_for_missing())
                return Errno::enomem;
            SpinLockGuard guard(process_lock());
            Thread* t = task ? TRY(thread_for(inode)) : nullptr;
            Process* p = task ? t->process : TRY(process_for(inode));
            out.begin_fixed();
            if (kind == ProcKind::Stat || kind == ProcKind::TaskStat)
                format_pid_stat(out, *p, t, figures);
            else if (kind == ProcKind::Status || kind == ProcKind::TaskStatus)
                format_pid_status(out, *p, t, figures);
            else if (kind == ProcKind::Cmdline)
                out.write(p->cmdline, p->cmdline_length);
            else
                lib::format(out, "{}\n", t ? t->name : p->name);
            fits = out.end_fixed();
        }
        break;
    }
    default:
        return Errno::einval;
    }
    return out.take(length);
}

namespace {

// A sysctl number (proc_dointvec_minmax, proc_doulongvec_minmax): decimal,
// blanks around it, at most `max`; with `negative`, a leading '-' is
// allowed and reported there (the magnitude is returned).
Result<u64> parse_sysctl_number(u64 buffer, usize length, u64 max, bool* negative = nullptr)
{
    char text[24] = {};
    if (length >= sizeof(text))
        return Errno::einval;
    TRY(mm::copy_from_user(text, buffer, length));
    usize i = 0;
    while (i < length && (text[i] == ' ' || text[i] == '\t'))
        ++i;
    if (negative) {
        *negative = i < length && text[i] == '-';
        i += *negative;
    }
    u64 value = 0;
    usize digits = 0;
    for (; i < length && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
        if (value > (max - u64(text[i] - '0')) / 10)
            return Errno::einval;
        value = value * 10 + u64(text[i] - '0');
    }
    while (i < length && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == 0))
        ++i;
    if (!digits || i != length)
        return Errno::einval;
    return value;
}

// /proc/sys/kernel/pid_max: within Linux's bounds for 64-bit kernels.
Result<usize> write_pid_max(u64 buffer, usize length)
{
    constexpr u64 PID_MAX_MIN = 301, PID_MAX_LIMIT = 4194304; // RESERVED_PIDS + 1, 4 Mi
    u64 value = TRY(parse_sysctl_number(buffer, length, PID_MAX_LIMIT));
    if (value < PID_MAX_MIN)
        return Errno::einval;
    set_pid_max(Pid(value));
    return length;
}

Result<usize> write_sysctl(ProcKind kind, u64 buffer, usize length)
{
    constexpr u64 INT_MAX = 0x7fffffff;
    u64 value = TRY(parse_sysctl_number(buffer, length, kind == ProcKind::ShmMax || kind == ProcKind::ShmAll ? ~0ull : INT_MAX));
    switch (kind) {
    case ProcKind::MaxMapCount: mm::set_max_map_count(u32(value)); break;
    case ProcKind::ShmMax: ipc::set_shm_limit(0, value); break;
    case ProcKind::ShmAll: ipc::set_shm_limit(1, value); break;
    default:
        if (!ipc::set_shm_limit(2, value))
            return Errno::einval;
        break;
    }
    return length;
}

// /proc/sys/kernel/sched_rt_{period,runtime}_us (sched_rt_handler): a
// number, or -1 (no throttle; runtime only); EINVAL for what Linux refuses.
Result<usize> write_sched_rt(ProcKind kind, u64 buffer, usize length)
{
    constexpr u64 INT_MAX = 0x7fffffff;
    bool negative = false;
    i64 value = i64(TRY(parse_sysctl_number(buffer, length, INT_MAX, &negative)));
    if (negative)
        value = -value;
    bool ok = kind == ProcKind::SchedRtPeriod ? set_sched_rt_bandwidth(value, sched_rt_runtime_us())
                                              : set_sched_rt_bandwidth(sched_rt_period_us(), value);
    if (!ok)
        return Errno::einval;
    return length;
}

// /proc/sys/kernel/core_pattern (proc_dostring): the text up to a
// newline, its first 127 bytes kept; the whole write counts.
Result<usize> write_core_pattern(u64 buffer, usize length)
{
    char text[CORE_PATTERN_MAX] = {};
    usize n = lib::min(length, sizeof(text) - 1);
    TRY(mm::copy_from_user(text, buffer, n));
    MutexGuard guard(vfs_lock());
    TRY(set_core_pattern_vfs_locked(text, n));
    return length;
}

// /proc/sys/kernel/core_uses_pid (proc_dointvec): a number; nonzero is on.
Result<usize> write_core_uses_pid(u64 buffer, usize length)
{
    constexpr u64 INT_MAX = 0x7fffffff;
    bool negative = false;
    u64 value = TRY(parse_sysctl_number(buffer, length, INT_MAX, &negative));
    MutexGuard guard(vfs_lock());
    set_core_uses_pid_vfs_locked(value != 0);
    return length;
}

} // namespace

Result<usize> proc_write(const Inode& inode, u64 buffer, usize length, bool positional)
{
    switch (inode.proc) {
    case ProcKind::Comm:
    case ProcKind::TaskComm: break;
    case ProcKind::PidMax: return write_pid_max(buffer, length);
    case ProcKind::CorePattern: return write_core_pattern(buffer, length);
    case ProcKind::CoreUsesPid: return write_core_uses_pid(buffer, length);
    case ProcKind::SchedRtPeriod:
    case ProcKind::SchedRtRuntime: return write_sched_rt(inode.proc, buffer, length);
    case ProcKind::MaxMapCount:
    case ProcKind::ShmMax:
    case ProcKind::ShmAll:
    case ProcKind::ShmMni: return write_sysctl(inode.proc, buffer, length);
    case ProcKind::SysvipcShm: return Errno::eio;
    case ProcKind::Tainted:
    case ProcKind::NrOpen: return Errno::eperm; // fixed here: a root that may not change them
    case ProcKind::Meminfo:
    case ProcKind::Uptime:
    case ProcKind::Loadavg:
    case ProcKind::GlobalStat:
    case ProcKind::Cpuinfo:
    case ProcKind::LockStat: return Errno::eio; // Linux's proc_reg_write without a proc_write
    case ProcKind::SysCpuOnline:
    case ProcKind::SysCpuPossible: return Errno::eacces; // a read-only sysfs attribute
    default: return Errno::einval;                // a per-process file without a write op
    }
    if (positional)
        return Errno::espipe; // as Linux's comm: pwrite(2) is refused, pread(2) works
    // Linux's comm_write (fs/proc/base.c): the first 15 bytes are the name
    // as they are (a newline too), up to a NUL; the whole write counts.
    char name[sizeof(Thread::name)] = {};
    TRY(mm::copy_from_user(name, buffer, lib::min(length, sizeof(name) - 1)));
    SpinLockGuard guard(process_lock());
    Process& me = current_process();
    if (inode.proc == ProcKind::TaskComm) {
        Thread* t = TRY(thread_for(inode));
        if (t->process != &me)
            return Errno::einval; // only a thread of one's own process
        set_thread_comm_proc_locked(*t, name);
    } else {
        Process* p = TRY(process_for(inode));
        if (p != &me)
            return Errno::einval;
        set_process_comm_proc_locked(*p, name);
    }
    return length;
}

} // namespace kernel::fs
