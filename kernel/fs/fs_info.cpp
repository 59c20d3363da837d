// Filesystems as statfs(2) and /proc/mounts describe them, and the paths of
// open files. The magic numbers are include/uapi/linux/magic.h's; the flags
// statfs(2)'s ST_* (mount options as the mounts file spells them).
#include "kernel/fs/fs_info.hpp"
#include "kernel/fs/path.hpp"
#include "kernel/mm/page_alloc.hpp"

namespace kernel::fs {

namespace {

constexpr i64 TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0, SYSFS_MAGIC = 0x62656572,
              PIPEFS_MAGIC = 0x50495045;
constexpr i64 ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_VALID = 0x20, ST_RELATIME = 0x400;
constexpr i64 BLOCK = 4096;

struct Mount {
    const char* source;
    const char* point;
    const char* type;
    const char* options;
};
// In the order Linux mounts them; the options match the flags statfs gives.
constexpr Mount MOUNTS[] = {
    {"rootfs", "/", "rootfs", "rw"},
    {"proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"},
    {"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec,relatime"},
    {"devtmpfs", "/dev", "devtmpfs", "rw,nosuid,relatime,mode=755"},
};

bool is_dev_dir_vfs_locked(const Inode& inode)
{
    auto dev = lookup_child_vfs_locked(*root(), "dev");
    return dev.is_ok() && dev.value() == &inode;
}

// The directory holding an entry for `target`, and that entry: a walk of
// the tree without recursion (its depth is the user's to choose).
const DirEntry* find_entry_vfs_locked(const Inode& target, Inode*& holder)
{
    Inode* dir = root();
    const DirEntry* e = dir->entries;
    for (;;) {
        while (e) {
            if (e->inode == &target) {
                holder = dir;
                return e;
            }
            Inode* child = e->inode;
            if (child->is_dir() && child->parent == dir && child != dir) {
                dir = child; // down
                e = dir->entries;
                continue;
            }
            e = e->next;
        }
        if (dir == root())
            return nullptr;
        // Up: on with the entry after the one naming this directory.
        Inode* up = dir->parent;
        const DirEntry* at = up->entries;
        while (at && at->inode != dir)
            at = at->next;
        if (!at)
            return nullptr;
        e = at->next;
        dir = up;
    }
}

} // namespace

FsKind fs_kind_vfs_locked(const Inode& inode)
{
    vfs_lock().assert_held();
    switch (inode.proc) {
    case ProcKind::None: break;
    case ProcKind::SysDir:
    case ProcKind::SysCpuOnline:
    case ProcKind::SysCpuPossible: return FsKind::sys;
    default: return FsKind::proc;
    }
    if (inode.device != Device::None || is_dev_dir_vfs_locked(inode))
        return FsKind::dev;
    return FsKind::root;
}

LinuxStatfs statfs_of_vfs_locked(FsKind kind)
{
    vfs_lock().assert_held();
    LinuxStatfs s{};
    s.f_bsize = s.f_frsize = BLOCK;
    s.f_namelen = NAME_MAX;
    switch (kind) {
    case FsKind::root:
    case FsKind::dev: {
        // tmpfs's defaults (mm/shmem.c): half the RAM in blocks and as
        // many inodes; used blocks are the file pages in memory.
        auto pages = mm::page_stats();
        s.f_type = TMPFS_MAGIC;
        s.f_blocks = pages.total / 2;
        u64 used = lib::min(cached_pages_vfs_locked(), s.f_blocks);
        s.f_bfree = s.f_bavail = lib::min(s.f_blocks - used, pages.free);
        s.f_files = pages.total / 2;
        s.f_ffree = s.f_files - lib::min(live_inodes_vfs_locked(), s.f_files);
        s.f_flags = ST_VALID | (kind == FsKind::dev ? ST_NOSUID | ST_RELATIME : 0);
        break;
    }
    case FsKind::proc:
        s.f_type = PROC_SUPER_MAGIC;
        s.f_flags = ST_VALID | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
        break;
    case FsKind::sys:
        s.f_type = SYSFS_MAGIC;
        s.f_flags = ST_VALID | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
        break;
    case FsKind::pipe:
        s.f_type = PIPEFS_MAGIC;
        s.f_flags = ST_VALID;
        break;
    }
    return s;
}

void format_mounts(lib::FormatSink& out)
{
    for (const Mount& m : MOUNTS)
        lib::format(out, "{} {} {} {} 0 0\n", m.source, m.point, m.type, m.options);
}

Result<usize> any_path_of_vfs_locked(Inode& inode, char* out, usize capacity)
{
    vfs_lock().assert_held();
    if (inode.is_dir())
        return path_of_vfs_locked(inode, out, capacity);
    Inode* holder = nullptr;
    const DirEntry* e = find_entry_vfs_locked(inode, holder);
    if (!e)
        return Errno::enoent;
    usize n = TRY(path_of_vfs_locked(*holder, out, capacity));
    if (n == 1)
        n = 0; // "/" + name, not "//name"
    if (n + 1 + e->length + 1 > capacity)
        return Errno::erange;
    out[n++] = '/';
    __builtin_memcpy(out + n, e->name, e->length);
    n += e->length;
    out[n] = 0;
    return n;
}

} // namespace kernel::fs
