// Path system calls: open, stat, directories, links, renames, the working
// directory. Linux semantics (path_resolution(7)); *at() variants resolve
// relative paths from a directory descriptor or the cwd (AT_FDCWD).
#include "kernel/fs/fs_info.hpp"
#include "kernel/fs/inode_file.hpp"
#include "kernel/fs/path.hpp"
#include "kernel/fs/permission.hpp"
#include "kernel/fs/procfs.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/syscall/user_path.hpp"

namespace kernel {

namespace {

using namespace fs;

constexpr i32 AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
              AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000, AT_EACCESS = 0x200;
constexpr u32 RENAME_NOREPLACE = 1;

// The directory a relative path starts from (a referenced inode is not
// needed: the caller holds the vfs lock for the whole operation, and an
// open file or the cwd keeps it alive meanwhile).
Result<Inode*> start_dir(Fd dirfd, const UserPath& path)
{
    if (path.is_absolute())
        return root();
    Process& p = current_process();
    if (dirfd == Fd::at_cwd)
        return p.cwd ? p.cwd : root();
    FileRef f{TRY(p.files->get_ref(int(dirfd)))};
    Inode* inode = f->inode();
    if (!inode || !inode->is_dir())
        return Errno::enotdir;
    return inode;
}

int nofile_limit() { return int(lib::min<u64>(current_process().rlimit_cur[7], FileTable::MAX_FDS)); }

bool is_dot_or_dotdot(lib::StringView name)
{
    return name == lib::StringView(".", 1) || name == lib::StringView("..", 2);
}

// /proc is a filesystem of its own on Linux, with no create, remove or
// rename operations: a new name in it is ENOENT (the lookup fails before
// anything is made), removing an entry EPERM, and a rename or a hard link
// across its edge EXDEV. The directory itself is a mount point: EBUSY.
bool in_proc(const Inode& inode) { return inode.proc != ProcKind::None; }
bool is_proc_root(const Inode& inode) { return inode.proc == ProcKind::Root; }

// Is `dir` the same as, or inside, `ancestor`?
bool is_within_vfs_locked(Inode* dir, Inode* ancestor)
{
    vfs_lock().assert_held();
    for (Inode* at = dir;; at = at->parent) {
        if (at == ancestor)
            return true;
        if (at == root())
            return false;
    }
}

// The new name of mkdirat, mknodat, symlinkat and linkat, checked in
// Linux's order (filename_create): "." or ".." or an existing name is
// EEXIST, a name in /proc ENOENT. A trailing slash asks for a directory:
// ENOENT unless the caller makes one.
Result<ParentAndName> new_name_vfs_locked(Inode& start, lib::StringView path, bool making_dir)
{
    vfs_lock().assert_held();
    auto where = TRY(resolve_parent_vfs_locked(start, path));
    if (where.name.is_empty() || is_dot_or_dotdot(where.name) || lookup_child_vfs_locked(*where.parent, where.name).is_ok())
        return Errno::eexist;
    if ((where.trailing_slash && !making_dir) || in_proc(*where.parent))
        return Errno::enoent;
    return where;
}

// A node just made gets its owner and its name; if naming it fails, it
// goes again.
Result<void> link_new_vfs_locked(const ParentAndName& where, Inode& node)
{
    vfs_lock().assert_held();
    set_new_inode_owner(node, *where.parent);
    if (auto r = link_vfs_locked(*where.parent, where.name, node); r.is_error()) {
        discard_if_unused_vfs_locked(node);
        return r.error();
    }
    return {};
}


} // namespace

Result<u64> sys_openat(Fd dirfd, UserPtr<const char> path_name, u32 flags, u32 mode)
{
    // O_PATH: every flag but these is ignored (open(2)).
    if (flags & O_PATH)
        flags &= O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
    UserPath path;
    TRY(path.copy_from(path_name));
    Process& p = current_process();
    Inode* inode;
    {
        MutexGuard guard(vfs_lock());
        Inode* start = TRY(start_dir(dirfd, path));
        bool created = false;
        if (flags & O_CREAT) {
            auto where = TRY(resolve_parent_vfs_locked(*start, path.view()));
            if (where.name.is_empty() || is_dot_or_dotdot(where.name) || where.trailing_slash)
                return (flags & O_EXCL) ? Errno::eexist : Errno::eisdir; // as Linux orders them
            auto existing = lookup_child_vfs_locked(*where.parent, where.name);
            if (existing.is_ok()) {
                if (flags & O_EXCL)
                    return Errno::eexist;
                inode = existing.value();
                if (inode->is_symlink()) {
                    if (flags & O_NOFOLLOW)
                        return Errno::eloop;
                    inode = TRY(resolve_vfs_locked(*start, path.view(), true));
                }
            } else {
                if (in_proc(*where.parent))
                    return Errno::enoent;
                TRY(may_change_entries(*where.parent));
                inode = TRY(new_inode_vfs_locked(S_IFREG | (mode & ~p.umask & 07777)));
                TRY(link_new_vfs_locked(where, *inode));
                created = true; // its creator may open it whatever the mode says
            }
        } else {
            inode = TRY(resolve_vfs_locked(*start, path.view(), !(flags & O_NOFOLLOW)));
            if (inode->is_symlink() && !(flags & O_PATH))
                return Errno::eloop; // O_NOFOLLOW on a symlink (O_PATH names the link itself)
        }
        if ((flags & O_DIRECTORY) && !inode->is_dir())
            return Errno::enotdir;
        if (inode->is_dir() && (flags & O_ACCMODE) != O_RDONLY && !(flags & O_PATH))
            return Errno::eisdir;
        if (!created && !(flags & O_PATH)) {
            // O_RDONLY reads, O_WRONLY writes, O_RDWR (and the odd 3) both;
            // truncating is writing.
            u32 access = flags & O_ACCMODE;
            int mask = (access != O_WRONLY ? MAY_READ : 0) | (access != O_RDONLY ? MAY_WRITE : 0) |
                       ((flags & O_TRUNC) ? MAY_WRITE : 0);
            TRY(check_permission(*inode, mask));
        }
        if ((flags & O_TRUNC) && inode->is_regular() && (flags & O_ACCMODE) != O_RDONLY)
            TRY(truncate_vfs_locked(*inode, 0));
        ++inode->open_refs; // held across the unlock until the file takes its own
    }
    auto f = open_inode(*inode, flags);
    inode_unref(*inode);
    if (f.is_error())
        return f.error();
    auto fd = p.files->install(f.value(), 0, flags & O_CLOEXEC, nofile_limit());
    if (fd.is_error()) {
        f.value()->unref();
        return fd.error();
    }
    return u64(fd.value());
}

Result<u64> sys_newfstatat(Fd dirfd, UserPtr<const char> path_name, UserPtr<LinuxStat> stat, i32 flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
        return Errno::einval;
    UserPath path;
    TRY(path.copy_from(path_name));
    LinuxStat st;
    if (path.length() == 0) {
        if (!(flags & AT_EMPTY_PATH))
            return Errno::enoent;
        if (dirfd == Fd::at_cwd) {
            MutexGuard guard(vfs_lock());
            Process& p = current_process();
            fill_stat(p.cwd ? *p.cwd : *root(), st);
        } else {
            FileRef f{TRY(current_process().files->get_ref(int(dirfd)))};
            TRY(f->stat(st));
        }
    } else {
        MutexGuard guard(vfs_lock());
        Inode* start = TRY(start_dir(dirfd, path));
        Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), !(flags & AT_SYMLINK_NOFOLLOW)));
        fill_stat(*inode, st);
    }
    TRY(mm::write_user(stat, st));
    return u64(0);
}

Result<u64> sys_readlinkat(Fd dirfd, UserPtr<const char> path_name, UserPtr<char> buf, i32 size)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    if (size <= 0)
        return Errno::einval;
    usize n;
    // The target goes into the path's own buffer: the name is not needed
    // once it is resolved.
    char* target = path.buffer();
    Pid fd_pid = 0;
    int fd = -1;
    {
        MutexGuard guard(vfs_lock());
        Inode* start = TRY(start_dir(dirfd, path));
        Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), false));
        if (!inode->is_symlink())
            return Errno::einval;
        if (inode->proc == ProcKind::FdLink) {
            fd_pid = inode->proc_pid;
            fd = inode->proc_tid;
            n = 0;
        } else {
            n = inode->proc != ProcKind::None
                    ? lib::min<usize>(proc_link_target(*inode, target, PATH_MAX), usize(size))
                    : read_vfs_locked(*inode, 0, reinterpret_cast<u8*>(target),
                                      lib::min<usize>(PATH_MAX, usize(size)));
        }
    }
    // /proc/PID/fd/N: the file's name, found with the lock taken anew.
    if (fd >= 0)
        n = lib::min<usize>(TRY(proc_fd_target(fd_pid, fd, target, PATH_MAX)), usize(size));
    TRY(mm::copy_to_user(buf, target, n));
    return u64(n);
}

static Result<u64> access_check(Fd dirfd, UserPtr<const char> path_name, i32 mode, i32 flags)
{
    if (mode & ~7)
        return Errno::einval;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return Errno::einval;
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), !(flags & AT_SYMLINK_NOFOLLOW)));
    // access(2) asks for the real ids (AT_EACCESS: the effective ones, as
    // open would); a real uid other than 0 brings no capabilities, 0 all
    // of the permitted ones (Linux's access_override_creds).
    Credentials creds = current_credentials();
    if (!(flags & AT_EACCESS)) {
        creds.fsuid = creds.uid;
        creds.fsgid = creds.gid;
        creds.cap_effective = creds.uid == 0 ? creds.cap_permitted : 0;
    }
    if (mode)
        TRY(check_permission(*inode, mode, creds));
    return u64(0);
}

Result<u64> sys_faccessat(Fd dirfd, UserPtr<const char> path, i32 mode) { return access_check(dirfd, path, mode, 0); }

Result<u64> sys_faccessat2(Fd dirfd, UserPtr<const char> path, i32 mode, i32 flags)
{
    return access_check(dirfd, path, mode, flags);
}

Result<u64> sys_mkdirat(Fd dirfd, UserPtr<const char> path_name, u32 mode)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    auto where = TRY(new_name_vfs_locked(*start, path.view(), true));
    TRY(may_change_entries(*where.parent));
    Inode* dir = TRY(new_inode_vfs_locked(S_IFDIR | (mode & ~current_process().umask & 07777)));
    TRY(link_new_vfs_locked(where, *dir));
    return u64(0);
}

// mknod(2) in the order of Linux's do_mknodat: the type (a directory is
// EPERM, an unknown type EINVAL), the new name, the directory's
// permissions, then CAP_MKNOD for a device. Mode 0 is a regular file.
Result<u64> sys_mknodat(Fd dirfd, UserPtr<const char> path_name, u32 mode, u32 dev)
{
    u32 type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFDIR)
        return Errno::eperm;
    if (type != S_IFREG && type != S_IFIFO && type != S_IFCHR && type != S_IFBLK && type != S_IFSOCK)
        return Errno::einval;
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    auto where = TRY(new_name_vfs_locked(*start, path.view(), false));
    TRY(may_change_entries(*where.parent));
    bool device = type == S_IFCHR || type == S_IFBLK;
    if (device && !current_credentials().capable(Cap::mknod))
        return Errno::eperm;
    Inode* node = TRY(new_inode_vfs_locked(type | (mode & ~current_process().umask & 07777)));
    if (device)
        node->rdev = dev;
    TRY(link_new_vfs_locked(where, *node));
    return u64(0);
}

Result<u64> sys_unlinkat(Fd dirfd, UserPtr<const char> path_name, i32 flags)
{
    if (flags & ~AT_REMOVEDIR)
        return Errno::einval;
    bool rmdir = flags & AT_REMOVEDIR;
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    auto where = TRY(resolve_parent_vfs_locked(*start, path.view()));
    if (where.name.is_empty())
        return rmdir ? Errno::ebusy : Errno::eisdir; // "/"
    if (where.name == lib::StringView(".", 1))
        return rmdir ? Errno::einval : Errno::eisdir;
    if (where.name == lib::StringView("..", 2))
        return rmdir ? Errno::enotempty : Errno::eisdir;
    Inode* target = TRY(lookup_child_vfs_locked(*where.parent, where.name));
    if (!in_proc(*where.parent))
        TRY(may_delete(*where.parent, *target));
    if (rmdir) {
        if (!target->is_dir())
            return Errno::enotdir;
        if (is_proc_root(*target))
            return Errno::ebusy;
        if (in_proc(*where.parent))
            return Errno::eperm;
        if (target->entries)
            return Errno::enotempty;
        if (target == root())
            return Errno::ebusy;
    } else {
        if (target->is_dir())
            return Errno::eisdir;
        if (where.trailing_slash)
            return Errno::enotdir;
        if (in_proc(*where.parent))
            return Errno::eperm;
    }
    TRY(unlink_child_vfs_locked(*where.parent, where.name));
    return u64(0);
}

Result<u64> sys_renameat2(Fd old_dirfd, UserPtr<const char> old_name, Fd new_dirfd, UserPtr<const char> new_name,
                          u32 flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return Errno::einval; // RENAME_EXCHANGE / WHITEOUT: not supported
    UserPath old_path, new_path;
    TRY(old_path.copy_from(old_name));
    TRY(new_path.copy_from(new_name));
    MutexGuard guard(vfs_lock());
    Inode* old_start = TRY(start_dir(old_dirfd, old_path));
    Inode* new_start = TRY(start_dir(new_dirfd, new_path));
    auto from = TRY(resolve_parent_vfs_locked(*old_start, old_path.view()));
    auto to = TRY(resolve_parent_vfs_locked(*new_start, new_path.view()));
    if (in_proc(*from.parent) != in_proc(*to.parent))
        return Errno::exdev;
    if (from.name.is_empty() || is_dot_or_dotdot(from.name) || to.name.is_empty() || is_dot_or_dotdot(to.name))
        return Errno::ebusy;
    if (in_proc(*from.parent))
        return lookup_child_vfs_locked(*to.parent, to.name).is_ok() ? Errno::eperm : Errno::enoent;
    Inode* source = TRY(lookup_child_vfs_locked(*from.parent, from.name));
    if (is_proc_root(*source))
        return Errno::ebusy;
    if ((from.trailing_slash || to.trailing_slash) && !source->is_dir())
        return Errno::enotdir;
    auto existing = lookup_child_vfs_locked(*to.parent, to.name);
    if (existing.is_ok()) {
        Inode* target = existing.value();
        if (target == source)
            return u64(0); // the same file: nothing to do
        if (is_proc_root(*target))
            return Errno::ebusy;
        if (flags & RENAME_NOREPLACE)
            return Errno::eexist;
        if (source->is_dir() && !target->is_dir())
            return Errno::enotdir;
        if (!source->is_dir() && target->is_dir())
            return Errno::eisdir;
        if (target->is_dir() && target->entries)
            return Errno::enotempty;
    }
    if (source->is_dir() && is_within_vfs_locked(to.parent, source))
        return Errno::einval; // into its own subtree
    TRY(may_delete(*from.parent, *source));
    if (existing.is_ok())
        TRY(may_delete(*to.parent, *existing.value()));
    else
        TRY(may_change_entries(*to.parent));
    if (source->is_dir() && to.parent != from.parent)
        TRY(check_permission(*source, MAY_WRITE)); // its ".." changes
    // Commit: hold the source while it is briefly unnamed.
    ++source->open_refs;
    if (existing.is_ok())
        (void)unlink_child_vfs_locked(*to.parent, to.name);
    (void)unlink_child_vfs_locked(*from.parent, from.name);
    auto linked = link_vfs_locked(*to.parent, to.name, *source);
    if (linked.is_error())
        (void)link_vfs_locked(*from.parent, from.name, *source); // put it back
    --source->open_refs;
    TRY(linked);
    return u64(0);
}

Result<u64> sys_symlinkat(UserPtr<const char> target_name, Fd dirfd, UserPtr<const char> path_name)
{
    UserPath target, path;
    TRY(target.copy_from(target_name));
    TRY(path.copy_from(path_name));
    if (target.length() == 0)
        return Errno::enoent;
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    auto where = TRY(new_name_vfs_locked(*start, path.view(), false));
    TRY(may_change_entries(*where.parent));
    Inode* link = TRY(new_inode_vfs_locked(S_IFLNK | 0777));
    if (auto written = write_vfs_locked(*link, 0, reinterpret_cast<const u8*>(target.view().data()), target.length());
        written.is_error()) {
        discard_if_unused_vfs_locked(*link);
        return written.error();
    }
    TRY(link_new_vfs_locked(where, *link));
    return u64(0);
}

Result<u64> sys_linkat(Fd old_dirfd, UserPtr<const char> old_name, Fd new_dirfd, UserPtr<const char> new_name,
                       i32 flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return Errno::einval;
    UserPath old_path, new_path;
    TRY(old_path.copy_from(old_name));
    TRY(new_path.copy_from(new_name));
    MutexGuard guard(vfs_lock());
    Inode* old_start = TRY(start_dir(old_dirfd, old_path));
    Inode* source = TRY(resolve_vfs_locked(*old_start, old_path.view(), flags & AT_SYMLINK_FOLLOW));
    if (source->is_dir())
        return Errno::eperm;
    Inode* new_start = TRY(start_dir(new_dirfd, new_path));
    auto where = TRY(new_name_vfs_locked(*new_start, new_path.view(), false));
    if (in_proc(*source))
        return Errno::exdev;
    TRY(may_change_entries(*where.parent));
    TRY(link_vfs_locked(*where.parent, where.name, *source));
    return u64(0);
}

static Result<u64> change_directory(Inode* dir)
{
    if (!dir->is_dir())
        return Errno::enotdir;
    TRY(check_permission(*dir, MAY_EXEC));
    Process& p = current_process();
    ++dir->open_refs;
    Inode* old = p.cwd;
    p.cwd = dir;
    if (old) {
        --old->open_refs;
        discard_if_unused_vfs_locked(*old); // a removed directory we were in
    }
    return u64(0);
}

Result<u64> sys_chdir(UserPtr<const char> path_name)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(Fd::at_cwd, path));
    return change_directory(TRY(resolve_vfs_locked(*start, path.view(), true)));
}

Result<u64> sys_fchdir(Fd fd)
{
    FileRef f{TRY(current_process().files->get_ref(int(fd)))};
    MutexGuard guard(vfs_lock());
    Inode* inode = f->inode();
    if (!inode)
        return Errno::enotdir;
    return change_directory(inode);
}

Result<u64> sys_getcwd(UserPtr<char> buf, u64 size)
{
    UserPath answer;
    TRY(answer.allocate());
    char* text = answer.buffer();
    usize n;
    {
        MutexGuard guard(vfs_lock());
        Process& p = current_process();
        n = TRY(path_of_vfs_locked(p.cwd ? *p.cwd : *root(), text, lib::min<usize>(PATH_MAX, size)));
    }
    TRY(mm::copy_to_user(buf, text, n + 1));
    return u64(n + 1); // the length including the NUL, as the raw syscall returns
}

Result<u64> sys_truncate(UserPtr<const char> path_name, i64 length)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    if (length < 0)
        return Errno::einval;
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(Fd::at_cwd, path));
    Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), true));
    if (inode->is_dir())
        return Errno::eisdir;
    if (!inode->is_regular())
        return Errno::einval;
    TRY(check_permission(*inode, MAY_WRITE));
    TRY(truncate_vfs_locked(*inode, u64(length)));
    return u64(0);
}

Result<u64> sys_statfs(UserPtr<const char> path_name, UserPtr<fs::LinuxStatfs> buf)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    fs::LinuxStatfs s;
    {
        MutexGuard guard(vfs_lock());
        Inode* start = TRY(start_dir(Fd::at_cwd, path));
        Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), true));
        s = fs::statfs_of_vfs_locked(fs::fs_kind_vfs_locked(*inode));
    }
    TRY(mm::write_user(buf, s));
    return u64(0);
}

Result<u64> sys_umask(Process& p, u32 mask)
{
    u32 old = p.umask;
    p.umask = mask & 0777;
    return u64(old);
}

// chmod: the owner's (or CAP_FOWNER's) alone; the set-group-ID bit is
// dropped for a group the caller is not in, unless CAP_FSETID.
static Result<void> change_mode_vfs_locked(Inode& inode, u32 mode)
{
    vfs_lock().assert_held();
    if (!owner_or_capable(inode))
        return Errno::eperm;
    const Credentials& creds = current_credentials();
    if ((mode & S_ISGID) && !creds.in_group(inode.gid) && !creds.capable(Cap::fsetid))
        mode &= ~S_ISGID;
    inode.mode = (inode.mode & S_IFMT) | (mode & 07777);
    inode.ctime_ns = vfs_now_ns();
    return {};
}

// chown (chown(2)): a new owner needs CAP_CHOWN (the owner may "change"
// it to itself); a new group needs CAP_CHOWN, or the owner giving it to
// a group it is in. -1 leaves either alone. A file that is not a
// directory loses its set-user-ID bit, and its set-group-ID bit if group
// execute is set and the caller is neither in the group nor holds
// CAP_FSETID (Linux's chown_common and setattr_should_drop_sgid).
static Result<void> change_owner_vfs_locked(Inode& inode, u32 uid, u32 gid)
{
    vfs_lock().assert_held();
    const Credentials& creds = current_credentials();
    bool may_chown = creds.capable(Cap::chown);
    bool owner = creds.fsuid == inode.uid;
    if (uid != INVALID_ID && !may_chown && !(owner && uid == inode.uid))
        return Errno::eperm;
    if (gid != INVALID_ID && !may_chown && !(owner && (gid == inode.gid || creds.in_group(gid))))
        return Errno::eperm;
    if (!inode.is_dir()) {
        inode.mode &= ~S_ISUID;
        if ((inode.mode & S_IXGRP) && !creds.in_group(inode.gid) && !creds.capable(Cap::fsetid))
            inode.mode &= ~S_ISGID;
    }
    if (uid != INVALID_ID)
        inode.uid = uid;
    if (gid != INVALID_ID)
        inode.gid = gid;
    inode.ctime_ns = vfs_now_ns();
    return {};
}

Result<u64> sys_fchownat(Fd dirfd, UserPtr<const char> path_name, u32 uid, u32 gid, i32 flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return Errno::einval;
    UserPath path;
    TRY(path.copy_from(path_name));
    if (path.length() == 0) {
        if (!(flags & AT_EMPTY_PATH))
            return Errno::enoent;
        if (dirfd != Fd::at_cwd) {
            FileRef f{TRY(current_process().files->get_ref(int(dirfd)))};
            MutexGuard guard(vfs_lock());
            Inode* inode = f->inode();
            if (!inode)
                return Errno::einval;
            TRY(change_owner_vfs_locked(*inode, uid, gid));
            return u64(0);
        }
    }
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    Inode* inode = path.length() == 0 ? start
                                      : TRY(resolve_vfs_locked(*start, path.view(), !(flags & AT_SYMLINK_NOFOLLOW)));
    TRY(change_owner_vfs_locked(*inode, uid, gid));
    return u64(0);
}

namespace {

// fchown and fchmod: change(inode) on an open file's inode under the vfs
// lock. An O_PATH descriptor is EBADF (Linux: they need an open file), one
// with no inode (a pipe's) EINVAL.
template <typename Change> Result<u64> change_open_file(Fd fd, Change change)
{
    FileRef f{TRY(current_process().files->get_ref(int(fd)))};
    if (f->flags() & O_PATH)
        return Errno::ebadf;
    MutexGuard guard(vfs_lock());
    Inode* inode = f->inode();
    if (!inode)
        return Errno::einval;
    TRY(change(*inode));
    return u64(0);
}

} // namespace

Result<u64> sys_fchown(Fd fd, u32 uid, u32 gid)
{
    return change_open_file(fd, [&](Inode& inode) { return change_owner_vfs_locked(inode, uid, gid); });
}

Result<u64> sys_fchmodat(Fd dirfd, UserPtr<const char> path_name, u32 mode)
{
    UserPath path;
    TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    Inode* start = TRY(start_dir(dirfd, path));
    Inode* inode = TRY(resolve_vfs_locked(*start, path.view(), true));
    TRY(change_mode_vfs_locked(*inode, mode));
    return u64(0);
}

Result<u64> sys_fchmod(Fd fd, u32 mode)
{
    return change_open_file(fd, [&](Inode& inode) { return change_mode_vfs_locked(inode, mode); });
}

Result<u64> sys_utimensat(Fd dirfd, UserPtr<const char> path_name, UserPtr<const Timespec> new_times, i32 flags)
{
    constexpr i64 UTIME_NOW = (1l << 30) - 1, UTIME_OMIT = (1l << 30) - 2;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return Errno::einval;
    // atime then mtime, each seconds and nanoseconds.
    i64 times[4] = {0, UTIME_NOW, 0, UTIME_NOW};
    if (new_times)
        TRY(mm::copy_from_user(times, new_times.as<const i64>(), 4));
    for (int i = 1; i < 4; i += 2)
        if (times[i] != UTIME_NOW && times[i] != UTIME_OMIT && (times[i] < 0 || times[i] >= 1000000000))
            return Errno::einval;
    Inode* inode;
    UserPath path;
    if (path_name)
        TRY(path.copy_from(path_name));
    MutexGuard guard(vfs_lock());
    if (!path_name) { // futimens: the descriptor itself
        FileRef f{TRY(current_process().files->get_ref(int(dirfd)))};
        inode = f->inode();
        if (!inode)
            return Errno::einval;
    } else {
        Inode* start = TRY(start_dir(dirfd, path));
        inode = TRY(resolve_vfs_locked(*start, path.view(), !(flags & AT_SYMLINK_NOFOLLOW)));
    }
    // Explicit times are the owner's (or CAP_FOWNER's) to set: EPERM;
    // "now" for both (or omitted) also any writer's: EACCES.
    bool only_now = (times[1] == UTIME_NOW || times[1] == UTIME_OMIT) && (times[3] == UTIME_NOW || times[3] == UTIME_OMIT);
    if (!owner_or_capable(*inode)) {
        if (!only_now)
            return Errno::eperm;
        TRY(check_permission(*inode, MAY_WRITE));
    }
    u64 now = vfs_now_ns();
    auto value = [now](i64 sec, i64 nsec) { return nsec == UTIME_NOW ? now : u64(sec) * 1000000000ull + u64(nsec); };
    if (times[1] != UTIME_OMIT)
        inode->atime_ns = value(times[0], times[1]);
    if (times[3] != UTIME_OMIT)
        inode->mtime_ns = value(times[2], times[3]);
    inode->ctime_ns = now;
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_paths(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
