// Filling the RAM filesystem at boot: every boot file (built-in initramfs,
// then the external initrd, whose files already won in initramfs.cpp)
// becomes an inode; files sharing an inode in an archive become hard links
// to one inode; then the device nodes under /dev.
#include "kernel/fs/populate.hpp"
#include "kernel/fs/path.hpp"
#include "kernel/fs/procfs.hpp"
#include "kernel/fs/sysfs.hpp"
#include "kernel/initramfs.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/printk.hpp"
#include "kernel/wallclock.hpp"

namespace kernel::fs {

namespace {

struct Linked {
    const BootFile* file;
    Inode* inode;
};

Result<Inode*> make_directories_vfs_locked(lib::StringView path)
{
    vfs_lock().assert_held();
    Inode* at = root();
    usize i = 0;
    while (i < path.length()) {
        while (i < path.length() && path[i] == '/')
            ++i;
        usize end = i;
        while (end < path.length() && path[end] != '/')
            ++end;
        if (end == i)
            break;
        lib::StringView name = path.substring(i, end - i);
        auto next = lookup_child_vfs_locked(*at, name);
        if (next.is_error()) {
            Inode* dir = TRY(new_inode_vfs_locked(S_IFDIR | 0755));
            TRY(link_vfs_locked(*at, name, *dir));
            next = dir;
        }
        at = next.value();
        if (!at->is_dir())
            return Errno::enotdir;
        i = end;
    }
    return at;
}

Result<void> add_file_vfs_locked(const BootFile& f, Linked* linked, usize& linked_count)
{
    vfs_lock().assert_held();
    lib::StringView path = f.path;
    usize slash = path.length();
    while (slash > 0 && path[slash - 1] != '/')
        --slash;
    Inode* dir = TRY(make_directories_vfs_locked(path.substring(0, slash)));
    lib::StringView name = path.substring(slash);
    if (name.is_empty())
        return {};
    if ((f.mode & S_IFMT) == S_IFDIR) {
        auto existing = lookup_child_vfs_locked(*dir, name);
        if (existing.is_ok()) {
            existing.value()->mode = f.mode; // an archive may set a directory's mode later
            existing.value()->uid = f.uid;
            existing.value()->gid = f.gid;
            return {};
        }
        Inode* d = TRY(new_inode_vfs_locked(f.mode));
        d->uid = f.uid;
        d->gid = f.gid;
        return link_vfs_locked(*dir, name, *d);
    }
    // A hard link to a file already created?
    if (f.nlink > 1) {
        for (usize i = 0; i < linked_count; ++i) {
            const BootFile* g = linked[i].file;
            if (g->archive == f.archive && g->ino == f.ino && g->dev_major == f.dev_major &&
                g->dev_minor == f.dev_minor)
                return link_vfs_locked(*dir, name, *linked[i].inode);
        }
    }
    if ((f.mode & S_IFMT) != S_IFREG && (f.mode & S_IFMT) != S_IFLNK)
        return {}; // device nodes in archives: /dev is made below
    Inode* inode = TRY(new_inode_vfs_locked(f.mode));
    inode->backing = f.data;
    inode->uid = f.uid;
    inode->gid = f.gid;
    inode->backing_size = inode->size = f.size;
    TRY(link_vfs_locked(*dir, name, *inode));
    if (f.nlink > 1)
        linked[linked_count++] = {&f, inode};
    return {};
}

Result<void> make_device_vfs_locked(Inode& dev, const char* name, Device device, u32 major, u32 minor, u32 mode)
{
    vfs_lock().assert_held();
    if (lookup_child_vfs_locked(dev, name).is_ok())
        TRY(unlink_child_vfs_locked(dev, name)); // ours replace an archive's
    Inode* node = TRY(new_inode_vfs_locked(S_IFCHR | mode));
    node->device = device;
    node->rdev = (major << 8) | minor;
    return link_vfs_locked(dev, name, *node);
}

} // namespace

void populate_from_boot_files()
{
    usize count = initramfs_file_count();
    auto* linked = static_cast<Linked*>(mm::kmalloc(lib::max<usize>(1, count) * sizeof(Linked)));
    usize linked_count = 0, failed = 0;
    MutexGuard guard(vfs_lock());
    for (usize i = 0; i < count; ++i)
        if (!linked || add_file_vfs_locked(*initramfs_file(i), linked, linked_count).is_error())
            ++failed;
    mm::kfree(linked);
    auto dev = make_directories_vfs_locked("/dev");
    bool devices_ok = dev.is_ok() &&
                      make_device_vfs_locked(*dev.value(), "null", Device::Null, 1, 3, 0666).is_ok() &&
                      make_device_vfs_locked(*dev.value(), "zero", Device::Zero, 1, 5, 0666).is_ok() &&
                      make_device_vfs_locked(*dev.value(), "full", Device::Full, 1, 7, 0666).is_ok() &&
                      make_device_vfs_locked(*dev.value(), "console", Device::Console, 5, 1, 0620).is_ok() &&
                      make_device_vfs_locked(*dev.value(), "tty", Device::Tty, 5, 0, 0666).is_ok() &&
                      (!wallclock_has_rtc() ||
                       make_device_vfs_locked(*dev.value(), "rtc0", Device::Rtc, 254, 0, 0600).is_ok());
    if (failed || !devices_ok)
        printk("vfs: {} boot file(s) could not be added{}\n", failed, devices_ok ? "" : "; /dev incomplete");
    if (auto proc = make_directories_vfs_locked("/proc"); proc.is_ok())
        proc_create_root_vfs_locked(*proc.value());
    sys_create_vfs_locked(); // /sys/devices/system/cpu/{online,possible}, for glibc
    // /tmp must exist and be writable by everyone.
    if (auto tmp = make_directories_vfs_locked("/tmp"); tmp.is_ok())
        tmp.value()->mode = S_IFDIR | 01777;
}

} // namespace kernel::fs
