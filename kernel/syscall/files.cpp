// Descriptor system calls: I/O, seeking, duplication, fcntl, pipes,
// directory listing, stat of an open file.
#include "kernel/fs/file.hpp"
#include "kernel/fs/pipe.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr u64 IOV_MAX = 1024;
// fcntl commands (include/uapi/asm-generic/fcntl.h).
constexpr u64 F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
constexpr u64 FD_CLOEXEC = 1;

FileTable& table() { return *current_process().files; }
Result<File*> file(u64 fd) { return table().get(int(i32(fd))); }
int nofile_limit() { return int(lib::min<u64>(current_process().rlimit_cur[7], FileTable::MAX_FDS)); }

struct Iovec {
    u64 base, length;
};

Result<u64> vector_io(u64 fd, u64 iov_address, u64 count, bool writing, bool positioned, u64 position)
{
    File* f = TRY(file(fd));
    if (count > IOV_MAX)
        return Errno::einval;
    u64 total = 0;
    for (u64 i = 0; i < count; ++i) {
        auto iov = TRY(mm::read_user<Iovec>(iov_address + i * sizeof(Iovec)));
        if (iov.length == 0)
            continue;
        Result<usize> n = Errno::eio;
        if (positioned)
            n = writing ? f->pwrite(iov.base, iov.length, position + total)
                        : f->pread(iov.base, iov.length, position + total);
        else
            n = writing ? f->write(iov.base, iov.length) : f->read(iov.base, iov.length);
        if (n.is_error())
            return total ? Result<u64>(total) : Result<u64>(n.error());
        total += n.value();
        if (n.value() < iov.length)
            break; // a short transfer ends the vector
    }
    return total;
}

} // namespace

Result<u64> sys_read(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    if (!f->readable())
        return Errno::ebadf;
    return f->read(a.a1, a.a2);
}

Result<u64> sys_write(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    if (!f->writable())
        return Errno::ebadf;
    return f->write(a.a1, a.a2);
}

Result<u64> sys_readv(const SyscallArgs& a) { return vector_io(a.a0, a.a1, a.a2, false, false, 0); }
Result<u64> sys_writev(const SyscallArgs& a) { return vector_io(a.a0, a.a1, a.a2, true, false, 0); }

Result<u64> sys_pread64(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    if (i64(a.a3) < 0)
        return Errno::einval;
    return f->pread(a.a1, a.a2, a.a3);
}

Result<u64> sys_pwrite64(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    if (i64(a.a3) < 0)
        return Errno::einval;
    return f->pwrite(a.a1, a.a2, a.a3);
}

Result<u64> sys_lseek(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    return f->seek(i64(a.a1), int(a.a2));
}

Result<u64> sys_close(const SyscallArgs& a)
{
    TRY(table().close(int(i32(a.a0))));
    return u64(0);
}

Result<u64> sys_dup(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    f->ref();
    auto fd = table().install(f, 0, false, nofile_limit());
    if (fd.is_error())
        f->unref();
    return u64(TRY(fd));
}

Result<u64> sys_dup3(const SyscallArgs& a)
{
    int old_fd = int(i32(a.a0)), new_fd = int(i32(a.a1));
    if (a.a2 & ~u64(O_CLOEXEC))
        return Errno::einval;
    File* f = TRY(file(a.a0));
    if (old_fd == new_fd)
        return Errno::einval; // dup3 (glibc's dup2 checks this case itself)
    if (new_fd < 0 || new_fd >= nofile_limit())
        return Errno::ebadf;
    f->ref();
    auto r = table().install_at(f, new_fd, a.a2 & O_CLOEXEC);
    if (r.is_error()) {
        f->unref();
        return r.error();
    }
    return u64(new_fd);
}

Result<u64> sys_fcntl(const SyscallArgs& a)
{
    int fd = int(i32(a.a0));
    File* f = TRY(file(a.a0));
    switch (a.a1) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (i64(a.a2) < 0 || i64(a.a2) >= nofile_limit())
            return Errno::einval;
        f->ref();
        auto n = table().install(f, int(a.a2), a.a1 == F_DUPFD_CLOEXEC, nofile_limit());
        if (n.is_error())
            f->unref();
        return u64(TRY(n));
    }
    case F_GETFD:
        return u64(TRY(table().cloexec(fd)) ? FD_CLOEXEC : 0);
    case F_SETFD:
        TRY(table().set_cloexec(fd, a.a2 & FD_CLOEXEC));
        return u64(0);
    case F_GETFL:
        return u64(f->flags());
    case F_SETFL: {
        // Only O_APPEND and O_NONBLOCK change (fs/fcntl.c SETFL_MASK, less
        // the flags we do not implement); the access mode stays.
        constexpr u32 changeable = O_APPEND | O_NONBLOCK;
        f->set_flags((f->flags() & ~changeable) | (u32(a.a2) & changeable));
        return u64(0);
    }
    default:
        return Errno::einval;
    }
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

Result<u64> sys_ftruncate(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    if (i64(a.a1) < 0)
        return Errno::einval;
    if (!f->writable())
        return Errno::einval; // Linux: EINVAL for a descriptor not open for writing
    TRY(f->truncate(a.a1));
    return u64(0);
}

Result<u64> sys_getdents64(const SyscallArgs& a)
{
    File* f = TRY(file(a.a0));
    return f->getdents(a.a1, a.a2);
}

Result<u64> sys_pipe2(const SyscallArgs& a)
{
    if (a.a1 & ~u64(O_CLOEXEC | O_NONBLOCK))
        return Errno::einval;
    File* ends[2];
    TRY(fs::create_pipe(ends, u32(a.a1)));
    bool cloexec = a.a1 & O_CLOEXEC;
    auto r = table().install(ends[0], 0, cloexec, nofile_limit());
    if (r.is_error()) {
        ends[0]->unref();
        ends[1]->unref();
        return r.error();
    }
    auto w = table().install(ends[1], 0, cloexec, nofile_limit());
    if (w.is_error()) {
        (void)table().close(r.value());
        ends[1]->unref();
        return w.error();
    }
    i32 fds[2] = {r.value(), w.value()};
    if (auto copied = mm::copy_to_user(a.a0, fds, sizeof(fds)); copied.is_error()) {
        (void)table().close(fds[0]);
        (void)table().close(fds[1]);
        return copied.error();
    }
    return u64(0);
}

// sync(2): every file lives in RAM; nothing to write back.
Result<u64> sys_sync(const SyscallArgs&) { return u64(0); }

} // namespace kernel
