// The VFS's inodes and the RAM filesystem they live in. Every file is a
// RAM inode: regular files keep their bytes in pages (a hole is a missing
// page); files from the boot archives start out pointing at the archive's
// bytes and copy a page only when it is written. Directories hold their
// entries in a list. The tree is guarded by one lock (vfs_lock), which no
// one holds while sleeping on anything but the lock itself.
#pragma once

#include "kernel/fs/file.hpp"
#include "kernel/mutex.hpp"
#include "kernel/spinlock.hpp"
#include "lib/addr.hpp"
#include "lib/string_view.hpp"

namespace kernel::fs {

// st_mode file types (include/uapi/linux/stat.h).
inline constexpr u32 S_IFMT = 0170000, S_IFREG = 0100000, S_IFDIR = 0040000, S_IFLNK = 0120000,
                     S_IFCHR = 0020000, S_IFIFO = 0010000,
                     S_IFBLK = 0060000, S_IFSOCK = 0140000;
inline constexpr usize NAME_MAX = 255, PATH_MAX = 4096;

struct Inode;
struct Pipe;

struct DirEntry {
    DirEntry* next;
    Inode* inode;
    u16 length;
    char name[NAME_MAX + 1];
};

enum class Device : u8 { None, Null, Zero, Full, Console, Tty, Rtc };

// /proc: which synthetic file or directory an inode is (a file's text is
// made at open). Per process: PidDir (/proc/PID) holds Stat, Status,
// Cmdline, Maps, Comm and TaskDir (/proc/PID/task), which holds one TidDir
// per live thread with TaskStat, TaskStatus and TaskComm. The few files
// of /sys (sysfs.hpp) are made the same way: SysDir directories, SysCpu*
// files.
enum class ProcKind : u8 {
    None, Root, PidDir, Self, Stat, Status, Cmdline, Maps, Meminfo, Uptime, Loadavg, GlobalStat,
    Comm, TaskDir, TidDir, TaskStat, TaskStatus, TaskComm, Cpuinfo, LockStat, SysDir, SysCpuOnline, SysCpuPossible,
    // /proc/mounts (a symlink to self/mounts, as Linux's) and
    // /proc/PID/mounts; /proc/PID/fd, whose FdLinks are named by the
    // descriptor (proc_tid holds it); /proc/sys's directories and files.
    MountsLink, Mounts, FdDir, FdLink, SysctlDir, PidMax, Tainted, CorePattern, NrOpen,
    CoreUsesPid,
    // /proc/sys/vm/max_map_count, /proc/sys/kernel/shm{max,all,mni},
    // /proc/sysvipc/shm.
    MaxMapCount, ShmMax, ShmAll, ShmMni, SysvipcShm,
    // /proc/sys/kernel/sched_rt_{period,runtime}_us: the real-time throttle.
    SchedRtPeriod, SchedRtRuntime,
};

struct Inode {
    u64 ino = 0;
    u32 mode = 0;       // type and permission bits
    u32 nlink = 0;      // directory entries naming it (+1 for a directory's ".")
    u32 open_refs = 0;  // open files, cwds and running programs holding it
    u32 uid = 0, gid = 0; // the owner (permission.hpp checks against them)
    u64 size = 0;
    u64 atime_ns = 0, mtime_ns = 0, ctime_ns = 0;
    Device device = Device::None;
    u32 rdev = 0;
    ProcKind proc = ProcKind::None;
    i32 proc_pid = 0; // for the per-process files and directories
    i32 proc_tid = 0; // for the per-thread ones (TidDir and its files)

    // Regular files and symlinks: page i holds bytes [i*4096, (i+1)*4096).
    PhysAddr* pages = nullptr; // PhysAddr{} = hole or not copied yet
    usize page_slots = 0;
    const u8* backing = nullptr; // the archive's bytes, read-only
    u64 backing_size = 0;
    // Written (or mapped shared and writable) since boot: the archive's
    // bytes are no longer the whole truth.
    bool contents_changed = false;

    // FIFOs: the pipe every open end shares, from the first open to the
    // last close (fs/pipe.cpp) [vfs lock].
    Pipe* fifo = nullptr;

    // Directories.
    DirEntry* entries = nullptr;
    Inode* parent = nullptr;  // ".." (the root is its own parent)

    u32 type() const { return mode & S_IFMT; }
    bool is_dir() const { return type() == S_IFDIR; }
    bool is_regular() const { return type() == S_IFREG; }
    bool is_symlink() const { return type() == S_IFLNK; }
};

[[gnu::const]] Mutex& vfs_lock(); // const: as process_lock()
Inode* root();

// Creating and linking (vfs lock held).
Result<Inode*> new_inode_vfs_locked(u32 mode);
Result<void> link_vfs_locked(Inode& dir, lib::StringView name, Inode& child);
Result<Inode*> lookup_child_vfs_locked(const Inode& dir, lib::StringView name);
Result<void> unlink_child_vfs_locked(Inode& dir, lib::StringView name);

// Frees the inode if nothing names or holds it (vfs lock held).
void discard_if_unused_vfs_locked(Inode&);

void inode_ref(Inode&);
// Drops an open reference; frees the inode when nothing names or holds it.
void inode_unref(Inode&);

// Contents of regular files (and symlink targets). Reads/writes copy
// between the inode's pages and a kernel buffer; callers bounce through
// such a buffer to reach user memory.
usize read_vfs_locked(Inode&, u64 offset, u8* out, usize length);
Result<usize> write_vfs_locked(Inode&, u64 offset, const u8* data, usize length);
Result<void> truncate_vfs_locked(Inode&, u64 size);
// A symlink's target, read in place (no copy): valid while the vfs lock
// stays held. ENOENT for an empty one.
Result<lib::StringView> symlink_target_vfs_locked(Inode&);
// The page cache: the page holding page `index` of a regular file
// (copied from the archive or zeroed on first use: the same page read()
// and write() use), with a reference for the caller, who maps it and
// page_put()s it later. ENXIO at or past the end of the file. Takes the
// vfs lock.
Result<PhysAddr> page_cache_get(Inode&, u64 index);
// Pages holding file contents (the RAM filesystem's, and shared anonymous
// memory's): /proc/meminfo's Cached.
u64 cached_pages();
// An unnamed regular file of `size` bytes (zeros) for MAP_SHARED |
// MAP_ANONYMOUS memory, with one reference for the caller.
Result<Inode*> new_anonymous_inode(u64 size);

// A contiguous view of the whole file for exec: the archive's bytes when
// the file was never written, else a kmalloc'd copy the caller frees.
Result<const u8*> contiguous_contents(Inode&, bool& must_free);

// Inodes that exist (statfs's f_files - f_ffree), and cached_pages()
// for a caller that holds the lock.
u64 live_inodes_vfs_locked();
u64 cached_pages_vfs_locked();

void vfs_init();
u64 vfs_now_ns();

} // namespace kernel::fs
