// /proc's tree: kept in line with the process and thread tables as it
// is looked up and listed. What the files say is procfs_text.cpp's.
#include "kernel/fs/procfs.hpp"
#include "kernel/fs/fs_info.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/time.hpp"
#include "kernel/wallclock.hpp"
#include "lib/format.hpp"


namespace kernel::fs {

namespace {

Result<Inode*> make_inode_vfs_locked(Inode& dir, lib::StringView name, u32 mode, ProcKind kind, Pid pid, Pid tid = 0)
{
    vfs_lock().assert_held();
    Inode* f = TRY(new_inode_vfs_locked(mode));
    f->proc = kind;
    f->proc_pid = pid;
    f->proc_tid = tid;
    if (auto r = link_vfs_locked(dir, name, *f); r.is_error()) {
        discard_if_unused_vfs_locked(*f);
        return r.error();
    }
    return f;
}

void remove_proc_dir_vfs_locked(Inode& parent, Inode& dir, lib::StringView name);

// Empties a /proc directory, its subdirectories first (a pid directory
// holds task/, which holds the thread directories: two levels below it at
// most). A directory is unlinked only once empty: an inode is freed
// without looking at its entries.
void clear_proc_dir_vfs_locked(Inode& dir)
{
    vfs_lock().assert_held();
    while (DirEntry* e = dir.entries) {
        lib::StringView name(e->name, e->length);
        if (e->inode->is_dir())
            remove_proc_dir_vfs_locked(dir, *e->inode, name);
        else
            (void)unlink_child_vfs_locked(dir, name);
    }
}

void remove_proc_dir_vfs_locked(Inode& parent, Inode& dir, lib::StringView name)
{
    vfs_lock().assert_held();
    clear_proc_dir_vfs_locked(dir);
    bool held = dir.open_refs > 0;
    (void)unlink_child_vfs_locked(parent, name);
    // A directory held open (a cwd, a descriptor) outlives its entry, and
    // may outlive its parent (task/ goes with its pid directory): its ".."
    // is itself from now on. /proc itself stays, so a pid directory keeps it.
    if (held && parent.proc != ProcKind::Root)
        dir.parent = &dir;
}

// A pid or tid as /proc names it: decimal, no sign, no leading zero (as
// Linux's name_to_int); 0 for any other name.
Pid parse_id(lib::StringView name)
{
    if (name.length() == 0 || name.length() > 10 || name[0] == '0')
        return 0;
    u64 id = 0;
    for (usize i = 0; i < name.length(); ++i) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        id = id * 10 + u64(name[i] - '0');
    }
    return id > 0x7fffffff ? 0 : Pid(id);
}

} // namespace

void proc_create_root_vfs_locked(Inode& proc)
{
    vfs_lock().assert_held();
    proc.proc = ProcKind::Root;
    (void)make_inode_vfs_locked(proc, "self", S_IFLNK | 0777, ProcKind::Self, 0);
    (void)make_inode_vfs_locked(proc, "meminfo", S_IFREG | 0444, ProcKind::Meminfo, 0);
    (void)make_inode_vfs_locked(proc, "uptime", S_IFREG | 0444, ProcKind::Uptime, 0);
    (void)make_inode_vfs_locked(proc, "loadavg", S_IFREG | 0444, ProcKind::Loadavg, 0);
    (void)make_inode_vfs_locked(proc, "stat", S_IFREG | 0444, ProcKind::GlobalStat, 0);
    (void)make_inode_vfs_locked(proc, "cpuinfo", S_IFREG | 0444, ProcKind::Cpuinfo, 0);
    (void)make_inode_vfs_locked(proc, "lock_stat", S_IFREG | 0444, ProcKind::LockStat, 0);
    (void)make_inode_vfs_locked(proc, "mounts", S_IFLNK | 0777, ProcKind::MountsLink, 0);
    auto sys = make_inode_vfs_locked(proc, "sys", S_IFDIR | 0555, ProcKind::SysctlDir, 0);
    if (sys.is_error())
        return;
    if (auto kernel = make_inode_vfs_locked(*sys.value(), "kernel", S_IFDIR | 0555, ProcKind::SysctlDir, 0);
        kernel.is_ok()) {
        (void)make_inode_vfs_locked(*kernel.value(), "pid_max", S_IFREG | 0644, ProcKind::PidMax, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "tainted", S_IFREG | 0644, ProcKind::Tainted, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "core_pattern", S_IFREG | 0644, ProcKind::CorePattern, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "core_uses_pid", S_IFREG | 0644, ProcKind::CoreUsesPid, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "shmmax", S_IFREG | 0644, ProcKind::ShmMax, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "shmall", S_IFREG | 0644, ProcKind::ShmAll, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "shmmni", S_IFREG | 0644, ProcKind::ShmMni, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "sched_rt_period_us", S_IFREG | 0644, ProcKind::SchedRtPeriod, 0);
        (void)make_inode_vfs_locked(*kernel.value(), "sched_rt_runtime_us", S_IFREG | 0644, ProcKind::SchedRtRuntime, 0);
    }
    if (auto vm = make_inode_vfs_locked(*sys.value(), "vm", S_IFDIR | 0555, ProcKind::SysctlDir, 0); vm.is_ok())
        (void)make_inode_vfs_locked(*vm.value(), "max_map_count", S_IFREG | 0644, ProcKind::MaxMapCount, 0);
    if (auto ipc = make_inode_vfs_locked(proc, "sysvipc", S_IFDIR | 0555, ProcKind::SysctlDir, 0); ipc.is_ok())
        (void)make_inode_vfs_locked(*ipc.value(), "shm", S_IFREG | 0444, ProcKind::SysvipcShm, 0);
    if (auto fsdir = make_inode_vfs_locked(*sys.value(), "fs", S_IFDIR | 0555, ProcKind::SysctlDir, 0); fsdir.is_ok())
        (void)make_inode_vfs_locked(*fsdir.value(), "nr_open", S_IFREG | 0644, ProcKind::NrOpen, 0);
}

namespace {

void add_pid_dir_vfs_locked(Inode& root, Pid pid, lib::StringView name)
{
    vfs_lock().assert_held();
    auto made = make_inode_vfs_locked(root, name, S_IFDIR | 0555, ProcKind::PidDir, pid);
    if (made.is_error())
        return;
    Inode& dir = *made.value();
    (void)make_inode_vfs_locked(dir, "stat", S_IFREG | 0444, ProcKind::Stat, pid);
    (void)make_inode_vfs_locked(dir, "status", S_IFREG | 0444, ProcKind::Status, pid);
    (void)make_inode_vfs_locked(dir, "cmdline", S_IFREG | 0444, ProcKind::Cmdline, pid);
    (void)make_inode_vfs_locked(dir, "maps", S_IFREG | 0444, ProcKind::Maps, pid);
    (void)make_inode_vfs_locked(dir, "comm", S_IFREG | 0644, ProcKind::Comm, pid);
    (void)make_inode_vfs_locked(dir, "mounts", S_IFREG | 0444, ProcKind::Mounts, pid);
    // Its descriptors' links come when fd/ is looked into or listed.
    (void)make_inode_vfs_locked(dir, "fd", S_IFDIR | 0500, ProcKind::FdDir, pid);
    // Its thread directories come when task/ is looked into or listed.
    (void)make_inode_vfs_locked(dir, "task", S_IFDIR | 0555, ProcKind::TaskDir, pid);
}

void add_tid_dir_vfs_locked(Inode& task_dir, Pid tid, lib::StringView name)
{
    vfs_lock().assert_held();
    Pid pid = task_dir.proc_pid;
    auto made = make_inode_vfs_locked(task_dir, name, S_IFDIR | 0555, ProcKind::TidDir, pid, tid);
    if (made.is_error())
        return;
    Inode& dir = *made.value();
    (void)make_inode_vfs_locked(dir, "stat", S_IFREG | 0444, ProcKind::TaskStat, pid, tid);
    (void)make_inode_vfs_locked(dir, "status", S_IFREG | 0444, ProcKind::TaskStatus, pid, tid);
    (void)make_inode_vfs_locked(dir, "comm", S_IFREG | 0644, ProcKind::TaskComm, pid, tid);
}

bool process_exists(Pid pid)
{
    SpinLockGuard guard(process_lock());
    return find_process_proc_locked(pid) != nullptr;
}

// Is `tid` a live thread of process `pid`? O(1): the tid table.
bool thread_exists(Pid pid, Pid tid)
{
    SpinLockGuard guard(process_lock());
    Thread* t = find_thread_proc_locked(tid);
    return t && t->process->pid == pid;
}

// Directories of processes gone since go (each checked in O(1)).
void drop_exited_processes_vfs_locked(Inode& root)
{
    vfs_lock().assert_held();
    for (DirEntry* e = root.entries; e;) {
        DirEntry* next = e->next;
        if (e->inode->proc == ProcKind::PidDir && !process_exists(e->inode->proc_pid))
            remove_proc_dir_vfs_locked(root, *e->inode, lib::StringView(e->name, e->length));
        e = next;
    }
}

// The same in a task/ directory: threads that exited, or all of them once
// the process is gone (or the directory removed with it).
void drop_exited_threads_vfs_locked(Inode& task_dir)
{
    vfs_lock().assert_held();
    for (DirEntry* e = task_dir.entries; e;) {
        DirEntry* next = e->next;
        if (task_dir.nlink == 0 || !thread_exists(task_dir.proc_pid, e->inode->proc_tid))
            remove_proc_dir_vfs_locked(task_dir, *e->inode, lib::StringView(e->name, e->length));
        e = next;
    }
}

void refresh_pid_name_vfs_locked(Inode& root, lib::StringView name)
{
    vfs_lock().assert_held();
    // Only a pid can be stale: the other names never change.
    Pid pid = parse_id(name);
    if (pid == 0)
        return;
    bool alive = process_exists(pid);
    auto existing = lookup_child_vfs_locked(root, name);
    if (existing.is_ok() && !alive) {
        remove_proc_dir_vfs_locked(root, *existing.value(), name);
    } else if (existing.is_error() && alive) {
        // Directories of processes gone since go first: what /proc holds
        // stays bounded by the processes alive (the walk is as long as a
        // lookup in the directory already is).
        drop_exited_processes_vfs_locked(root);
        add_pid_dir_vfs_locked(root, pid, name);
    }
}

// The same for a thread directory in /proc/PID/task: O(1) in the number
// of threads in the system, O(threads of PID) when one is added.
void refresh_tid_name_vfs_locked(Inode& task_dir, lib::StringView name)
{
    vfs_lock().assert_held();
    Pid tid = parse_id(name);
    if (tid == 0)
        return;
    bool alive = task_dir.nlink != 0 && thread_exists(task_dir.proc_pid, tid);
    auto existing = lookup_child_vfs_locked(task_dir, name);
    if (existing.is_ok() && !alive) {
        remove_proc_dir_vfs_locked(task_dir, *existing.value(), name);
    } else if (existing.is_error() && alive) {
        drop_exited_threads_vfs_locked(task_dir);
        add_tid_dir_vfs_locked(task_dir, tid, name);
    }
}

// The live ids, in a snapshot taken under the process lock into room
// allocated before it (the process lock nests inside vfs): `count_ids`
// says how many there are, `store_ids` writes at most `capacity`. Returns
// a kmalloc'd array (nullptr if out of memory) and the count.
template <typename Count, typename Store> Pid* snapshot_ids(Count count_ids, Store store_ids, usize& count)
{
    count = 0;
    // Retry while the ids outgrow the room (new ones came meanwhile); a
    // few tries, then the snapshot leaves out the newest.
    for (int attempt = 0;; ++attempt) {
        usize capacity;
        {
            SpinLockGuard guard(process_lock());
            capacity = count_ids() + 8;
        }
        auto* ids = static_cast<Pid*>(mm::kmalloc(capacity * sizeof(Pid)));
        if (!ids)
            return nullptr;
        bool fits;
        {
            SpinLockGuard guard(process_lock());
            fits = count_ids() <= capacity || attempt == 3;
            if (fits)
                count = store_ids(ids, capacity);
        }
        if (fits)
            return ids;
        mm::kfree(ids);
    }
}

void refresh_pids_vfs_locked(Inode& root)
{
    vfs_lock().assert_held();
    usize count = 0;
    Pid* pids = snapshot_ids([] { return process_count_proc_locked(); },
                             [](Pid* out, usize capacity) {
                                 usize n = 0;
                                 for_each_process_proc_locked([&](Process& p) {
                                     if (n < capacity)
                                         out[n++] = p.pid;
                                 });
                                 return n;
                             },
                             count);
    if (!pids)
        return;
    drop_exited_processes_vfs_locked(root);
    for (usize i = 0; i < count; ++i) {
        char name[16];
        usize n = lib::format_to(name, sizeof(name), "{}", pids[i]);
        if (lookup_child_vfs_locked(root, lib::StringView(name, n)).is_error())
            add_pid_dir_vfs_locked(root, pids[i], lib::StringView(name, n));
    }
    mm::kfree(pids);
}

void refresh_tids_vfs_locked(Inode& task_dir)
{
    vfs_lock().assert_held();
    Pid pid = task_dir.proc_pid;
    usize count = 0;
    Pid* tids = snapshot_ids(
        [pid]() -> usize {
            Process* p = find_process_proc_locked(pid);
            return p ? p->thread_count : 0;
        },
        [pid](Pid* out, usize capacity) {
            usize n = 0;
            if (Process* p = find_process_proc_locked(pid))
                for_each_thread_proc_locked(*p, [&](Thread& t) {
                    if (n < capacity)
                        out[n++] = t.tid;
                });
            return n;
        },
        count);
    if (!tids)
        return;
    drop_exited_threads_vfs_locked(task_dir);
    for (usize i = 0; i < count && task_dir.nlink != 0; ++i) {
        char name[16];
        usize n = lib::format_to(name, sizeof(name), "{}", tids[i]);
        if (lookup_child_vfs_locked(task_dir, lib::StringView(name, n)).is_error())
            add_tid_dir_vfs_locked(task_dir, tids[i], lib::StringView(name, n));
    }
    mm::kfree(tids);
}

// A descriptor as fd/ names it: decimal, "0" included.
int parse_fd(lib::StringView name)
{
    if (name == lib::StringView("0", 1))
        return 0;
    Pid id = parse_id(name);
    return id > 0 && id < FileTable::MAX_FDS ? int(id) : -1;
}

// Only a process's own descriptors are shown: another's table may be
// going away under us (its exit releases it without the process lock).
Result<FileTable*> own_files(const Inode& dir)
{
    Process& me = current_process();
    if (dir.proc_pid != me.pid)
        return Errno::eacces; // as Linux for a process one may not trace
    return me.files;
}

void add_fd_link_vfs_locked(Inode& dir, int fd, lib::StringView name)
{
    vfs_lock().assert_held();
    (void)make_inode_vfs_locked(dir, name, S_IFLNK | 0700, ProcKind::FdLink, dir.proc_pid, fd);
}

Result<void> refresh_fd_name_vfs_locked(Inode& dir, lib::StringView name)
{
    vfs_lock().assert_held();
    if (name == lib::StringView(".", 1) || name == lib::StringView("..", 2))
        return {};
    FileTable* files = TRY(own_files(dir));
    int fd = parse_fd(name);
    if (fd < 0)
        return {};
    bool open = files->is_open(fd);
    auto existing = lookup_child_vfs_locked(dir, name);
    if (existing.is_ok() && !open)
        (void)unlink_child_vfs_locked(dir, name);
    else if (existing.is_error() && open)
        add_fd_link_vfs_locked(dir, fd, name);
    return {};
}

// Listing fd/: its links made anew from the table.
void refresh_fds_vfs_locked(Inode& dir)
{
    vfs_lock().assert_held();
    clear_proc_dir_vfs_locked(dir);
    auto files = own_files(dir);
    if (files.is_error())
        return;
    auto* fds = static_cast<int*>(mm::kmalloc(FileTable::MAX_FDS * sizeof(int)));
    if (!fds)
        return;
    int n = files.value()->open_fds(fds, FileTable::MAX_FDS);
    for (int i = 0; i < n; ++i) {
        char name[16];
        usize length = lib::format_to(name, sizeof(name), "{}", fds[i]);
        add_fd_link_vfs_locked(dir, fds[i], lib::StringView(name, length));
    }
    mm::kfree(fds);
}

} // namespace

Result<void> proc_refresh_name_vfs_locked(Inode& dir, lib::StringView name)
{
    vfs_lock().assert_held();
    if (dir.proc == ProcKind::Root) {
        refresh_pid_name_vfs_locked(dir, name);
    } else if (dir.proc == ProcKind::TaskDir) {
        refresh_tid_name_vfs_locked(dir, name);
    } else if (dir.proc == ProcKind::FdDir) {
        TRY(refresh_fd_name_vfs_locked(dir, name));
    } else if (dir.proc == ProcKind::PidDir || dir.proc == ProcKind::TidDir) {
        // Reached from a descriptor or a cwd kept since the process or
        // thread ended: nothing in it exists any more (Linux: ENOENT).
        if (name == lib::StringView(".", 1) || name == lib::StringView("..", 2))
            return {};
        bool alive = dir.proc == ProcKind::PidDir ? process_exists(dir.proc_pid)
                                                  : thread_exists(dir.proc_pid, dir.proc_tid);
        if (!alive)
            return Errno::enoent;
    }
    return {};
}

void proc_refresh_vfs_locked(Inode& dir)
{
    vfs_lock().assert_held();
    if (dir.proc == ProcKind::Root) {
        refresh_pids_vfs_locked(dir);
    } else if (dir.proc == ProcKind::TaskDir) {
        refresh_tids_vfs_locked(dir);
    } else if (dir.proc == ProcKind::FdDir) {
        refresh_fds_vfs_locked(dir);
    } else if (dir.proc == ProcKind::PidDir || dir.proc == ProcKind::TidDir) {
        // The directory of a process or thread that has ended, listed
        // through a descriptor kept since: it goes now, and lists nothing
        // (the descriptor keeps the inode).
        bool pid_dir = dir.proc == ProcKind::PidDir;
        if (pid_dir ? process_exists(dir.proc_pid) : thread_exists(dir.proc_pid, dir.proc_tid))
            return;
        if (dir.nlink == 0) {
            clear_proc_dir_vfs_locked(dir);
            return;
        }
        char name[16];
        usize n = lib::format_to(name, sizeof(name), "{}", pid_dir ? dir.proc_pid : dir.proc_tid);
        remove_proc_dir_vfs_locked(*dir.parent, dir, lib::StringView(name, n));
    }
}

usize proc_self_target(char* out, usize capacity)
{
    return lib::format_to(out, capacity, "{}", current_process().pid);
}

usize proc_link_target(const Inode& link, char* out, usize capacity)
{
    if (link.proc == ProcKind::MountsLink)
        return lib::format_to(out, capacity, "self/mounts");
    return proc_self_target(out, capacity);
}

Result<Inode*> proc_fd_jump_vfs_locked(const Inode& link)
{
    vfs_lock().assert_held();
    FileTable* files = TRY(own_files(link));
    if (!files->is_open(link.proc_tid))
        return Errno::enoent;
    Inode* inode = files->inode_at(link.proc_tid);
    if (!inode)
        return Errno::enxio; // a pipe or the console: nothing here reopens them
    return inode;
}

Result<usize> proc_fd_target(Pid pid, int fd, char* out, usize capacity)
{
    Process& me = current_process();
    if (pid != me.pid)
        return Errno::eacces;
    FileRef f{TRY(me.files->get_ref(fd))};
    if (Inode* inode = f->inode()) {
        MutexGuard guard(vfs_lock());
        auto n = any_path_of_vfs_locked(*inode, out, capacity);
        if (n.is_error() && n.code() == Errno::enoent)
            return lib::format_to(out, capacity, "/ (deleted)"); // unlinked: its name is gone
        return n;
    }
    LinuxStat st;
    TRY(f->stat(st));
    if ((st.st_mode & S_IFMT) == S_IFIFO)
        return lib::format_to(out, capacity, "pipe:[{}]", st.st_ino);
    return lib::format_to(out, capacity, "/dev/console"); // the only file without an inode but pipes
}

Owner proc_owner(const Inode& inode)
{
    Owner owner{inode.uid, inode.gid};
    if (inode.proc == ProcKind::None || inode.proc_pid <= 0)
        return owner;
    SpinLockGuard guard(process_lock());
    Process* p = find_process_proc_locked(inode.proc_pid);
    if (p)
        owner = p->dumpable ? Owner{p->creds.euid, p->creds.egid} : Owner{0, 0};
    return owner;
}

} // namespace kernel::fs
