// /sys/devices/system/cpu/{online,possible}: the tree (sysfs.hpp says why
// there is no more of /sys). The files' text is procfs_text.cpp's.
#include "kernel/fs/sysfs.hpp"

namespace kernel::fs {

namespace {

// The directory `name` in `dir`, made if missing; either way a SysDir.
Result<Inode*> sys_dir_vfs_locked(Inode& dir, lib::StringView name)
{
    vfs_lock().assert_held();
    auto existing = lookup_child_vfs_locked(dir, name);
    Inode* d = nullptr;
    if (existing.is_ok()) {
        d = existing.value();
        if (!d->is_dir())
            return Errno::enotdir;
    } else {
        d = TRY(new_inode_vfs_locked(S_IFDIR | 0755));
        if (auto r = link_vfs_locked(dir, name, *d); r.is_error()) {
            discard_if_unused_vfs_locked(*d);
            return r.error();
        }
    }
    d->proc = ProcKind::SysDir;
    return d;
}

Result<void> sys_file_vfs_locked(Inode& dir, lib::StringView name, ProcKind kind)
{
    vfs_lock().assert_held();
    Inode* f = TRY(new_inode_vfs_locked(S_IFREG | 0444));
    f->proc = kind;
    if (auto r = link_vfs_locked(dir, name, *f); r.is_error()) {
        discard_if_unused_vfs_locked(*f);
        return r.error();
    }
    return {};
}

Result<void> make_cpu_files_vfs_locked()
{
    Inode* sys = TRY(sys_dir_vfs_locked(*root(), "sys"));
    Inode* devices = TRY(sys_dir_vfs_locked(*sys, "devices"));
    Inode* system = TRY(sys_dir_vfs_locked(*devices, "system"));
    Inode* cpu = TRY(sys_dir_vfs_locked(*system, "cpu"));
    TRY(sys_file_vfs_locked(*cpu, "online", ProcKind::SysCpuOnline));
    TRY(sys_file_vfs_locked(*cpu, "possible", ProcKind::SysCpuPossible));
    return {};
}

} // namespace

void sys_create_vfs_locked()
{
    vfs_lock().assert_held();
    // Without them glibc falls back to /proc/stat, which counts the same.
    (void)make_cpu_files_vfs_locked();
}

} // namespace kernel::fs
