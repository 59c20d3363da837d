// File system calls over the descriptor table. Today's files are the
// console; paths resolve in the boot files (initramfs) for stat and
// readlink. The files issue brings the VFS behind the same calls.
#include "kernel/fs/file.hpp"
#include "kernel/initramfs.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr i64 AT_FDCWD = -100;
constexpr u64 AT_SYMLINK_NOFOLLOW = 0x100, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
constexpr u64 IOV_MAX = 1024;

Result<File*> file(u64 fd) { return current_process().files->get(int(i32(fd))); }

struct Iovec {
    u64 base, length;
};

Result<u64> vector_io(u64 fd, u64 iov_address, u64 count, bool writing)
{
    File* f = TRY(file(fd));
    if (count > IOV_MAX)
        return Errno::einval;
    u64 total = 0;
    for (u64 i = 0; i < count; ++i) {
        auto iov = TRY(mm::read_user<Iovec>(iov_address + i * sizeof(Iovec)));
        if (iov.length == 0)
            continue;
        auto n = writing ? f->write(iov.base, iov.length) : f->read(iov.base, iov.length);
        if (n.is_error())
            return total ? Result<u64>(total) : Result<u64>(n.error());
        total += n.value();
        if (n.value() < iov.length)
            break; // a short transfer ends the vector
    }
    return total;
}

Result<void> copy_path(u64 address, char (&path)[4096], usize& length)
{
    length = TRY(mm::copy_string_from_user(path, address, sizeof(path)));
    return {};
}

// Paths are absolute or relative to "/" (no working directories yet).
Result<const BootFile*> lookup(lib::StringView path)
{
    if (path.is_empty())
        return Errno::enoent;
    if (path[0] == '/')
        return initramfs_lookup(path);
    char absolute[4097];
    absolute[0] = '/';
    __builtin_memcpy(absolute + 1, path.data(), path.length());
    return initramfs_lookup(lib::StringView(absolute, path.length() + 1));
}

void fill_stat(const BootFile& f, LinuxStat& st)
{
    st = {};
    st.st_dev = 1;
    st.st_ino = f.ino;
    st.st_mode = f.mode;
    st.st_nlink = 1;
    st.st_size = i64(f.size);
    st.st_blksize = 4096;
    st.st_blocks = i64((f.size + 511) / 512);
}

} // namespace

Result<u64> sys_read(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    return f->read(a.a1, a.a2);
}

Result<u64> sys_write(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    return f->write(a.a1, a.a2);
}

Result<u64> sys_readv(const SyscallArgs& a) { return vector_io(a.a0, a.a1, a.a2, false); }
Result<u64> sys_writev(const SyscallArgs& a) { return vector_io(a.a0, a.a1, a.a2, true); }

Result<u64> sys_close(const SyscallArgs& a)
{
    TRY(current_process().files->close(int(i32(a.a0))));
    return u64(0);
}

Result<u64> sys_ioctl(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    return f->ioctl(u32(a.a1), a.a2);
}

Result<u64> sys_fstat(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    LinuxStat st;
    TRY(f->stat(st));
    TRY(mm::write_user(a.a1, st));
    return u64(0);
}

Result<u64> sys_newfstatat(const SyscallArgs& a)
{
    i64 dirfd = i64(i32(a.a0));
    u64 flags = a.a3;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
        return Errno::einval;
    char path[4096];
    usize length = 0;
    TRY(copy_path(a.a1, path, length));
    LinuxStat st;
    if (length == 0) {
        if (!(flags & AT_EMPTY_PATH))
            return Errno::enoent;
        if (dirfd == AT_FDCWD) {
            fill_stat(*TRY(lookup("/")), st);
        } else {
            File* f = TRY(file(u64(dirfd)));
            TRY(f->stat(st));
        }
    } else {
        if (path[0] != '/' && dirfd != AT_FDCWD) {
            TRY(file(u64(dirfd)));
            return Errno::enotdir; // descriptors are not directories yet
        }
        fill_stat(*TRY(lookup(lib::StringView(path, length))), st);
    }
    TRY(mm::write_user(a.a2, st));
    return u64(0);
}

Result<u64> sys_readlinkat(const SyscallArgs& a)
{
    i64 dirfd = i64(i32(a.a0));
    char path[4096];
    usize length = 0;
    TRY(copy_path(a.a1, path, length));
    if (i64(a.a3) <= 0)
        return Errno::einval;
    if (path[0] != '/' && dirfd != AT_FDCWD)
        TRY(file(u64(dirfd)));
    const BootFile* f = TRY(lookup(lib::StringView(path, length)));
    if ((f->mode & 0170000) != 0120000)
        return Errno::einval; // not a symbolic link
    usize n = lib::min<usize>(f->size, a.a3);
    TRY(mm::copy_to_user(a.a2, f->data, n));
    return u64(n);
}

} // namespace kernel

namespace kernel {
// sync(2): every file lives in RAM (the boot files); nothing to write back.
Result<u64> sys_sync(const SyscallArgs&) { return u64(0); }
} // namespace kernel
