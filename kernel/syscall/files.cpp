// Descriptor system calls: I/O, seeking, duplication, fcntl, pipes,
// directory listing, stat of an open file.
#include "kernel/fs/file.hpp"
#include "kernel/fs/fs_info.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/fs/pipe.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "lib/scope_guard.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

constexpr u64 IOV_MAX = 1024;
// The most one read or write moves (Linux's MAX_RW_COUNT, INT_MAX rounded down to a page).
constexpr usize MAX_RW_COUNT = 0x7ffff000;
// fcntl commands (include/uapi/asm-generic/fcntl.h).
constexpr u32 F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030,
              F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
constexpr u64 FD_CLOEXEC = 1;

FileTable& table() { return *current_process().files; }
// For a FileRef. Every read and write looks its file up: a
// single-threaded process alone with its table (the common case) borrows
// the file, with neither the table's lock nor a reference.
[[gnu::always_inline]] inline Result<FileLookup> file(Fd fd)
{
    Process& p = current_process();
    if (__atomic_load_n(&p.thread_count, __ATOMIC_RELAXED) == 1 && p.files->users() == 1) {
        File* f = p.files->peek_unshared(int(fd));
        if (!f)
            return Errno::ebadf;
        return FileLookup{f, false};
    }
    return FileLookup{TRY(p.files->get_ref(int(fd))), true};
}
int nofile_limit() { return int(lib::min<u64>(current_process().rlimit_cur[7], FileTable::MAX_FDS)); }

Result<u64> vector_io(Fd fd, UserPtr<const Iovec> iovs, u64 count, bool writing, bool positioned, u64 position)
{
    FileRef f{TRY(file(fd))};
    if (count > IOV_MAX)
        return Errno::einval;
    u64 total = 0;
    for (u64 i = 0; i < count; ++i) {
        auto iov = TRY(mm::read_user(iovs + i));
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

Result<u64> sys_read(Fd fd, UserPtr<u8> buf, usize count)
{
    FileRef f{TRY(file(fd))};
    if (!f->readable())
        return Errno::ebadf;
    return f->read(buf.address(), count);
}

Result<u64> sys_write(Fd fd, UserPtr<const u8> buf, usize count)
{
    FileRef f{TRY(file(fd))};
    if (!f->writable())
        return Errno::ebadf;
    return f->write(buf.address(), count);
}

Result<u64> sys_readv(Fd fd, UserPtr<const Iovec> iov, u64 count) { return vector_io(fd, iov, count, false, false, 0); }
Result<u64> sys_writev(Fd fd, UserPtr<const Iovec> iov, u64 count) { return vector_io(fd, iov, count, true, false, 0); }

Result<u64> sys_pread64(Fd fd, UserPtr<u8> buf, usize count, i64 offset)
{
    FileRef f{TRY(file(fd))};
    if (offset < 0)
        return Errno::einval;
    return f->pread(buf.address(), count, u64(offset));
}

Result<u64> sys_pwrite64(Fd fd, UserPtr<const u8> buf, usize count, i64 offset)
{
    FileRef f{TRY(file(fd))};
    if (offset < 0)
        return Errno::einval;
    return f->pwrite(buf.address(), count, u64(offset));
}

// sendfile: up to `count` bytes from in_fd (at *offset, which then moves
// on, or at its file position) to out_fd, through a kernel page that the
// two files' read and write take for user memory (KernelBufferAsUser).
// Linux's rules: in_fd must be readable and a file behind an inode
// (Linux: one with splice_read; a pipe, a FIFO or the tty is EINVAL), an offset
// needs a seekable in_fd (ESPIPE), out_fd must be writable and not
// O_APPEND (EINVAL). What a short write leaves is not taken from in_fd.
Result<u64> sys_sendfile(Fd out_fd, Fd in_fd, UserPtr<i64> offset, usize count)
{
    // In Linux's order: the input, its offset, the output, then what
    // splicing refuses.
    FileRef in{TRY(file(in_fd))};
    if (!in->readable())
        return Errno::ebadf;
    i64 position = 0;
    if (offset) {
        position = TRY(mm::read_user(offset));
        if (!in->inode() || in->is_pipe())
            return Errno::espipe;
        if (position < 0)
            return Errno::einval;
    }
    FileRef out{TRY(file(out_fd))};
    if (!out->writable())
        return Errno::ebadf;
    if (!in->inode() || in->is_pipe() || (out->flags() & O_APPEND))
        return Errno::einval; // a FIFO has an inode, but is a pipe
    count = lib::min<usize>(count, MAX_RW_COUNT);
    if (count == 0)
        return u64(0);
    void* page = mm::kmalloc(mm::PAGE_SIZE);
    if (!page)
        return Errno::enomem;
    lib::ScopeGuard free_page([&] { mm::kfree(page); });
    mm::KernelBufferAsUser buffer(page, mm::PAGE_SIZE);
    u64 total = 0;
    Result<u64> error = u64(0);
    while (total < count) {
        if (total) {
            // A long copy (from /dev/zero...) gives the hart up when its
            // time is over and stops for a signal with what it has sent.
            if (signal_deliverable_unlocked(current_thread()))
                break;
            preempt_if_needed();
        }
        usize want = lib::min<usize>(count - total, mm::PAGE_SIZE);
        Result<usize> got = offset ? in->pread(buffer.address(), want, u64(position) + total)
                                   : in->read(buffer.address(), want);
        if (got.is_error()) {
            error = got.error();
            break;
        }
        if (got.value() == 0)
            break; // end of the input
        Result<usize> put = out->write(buffer.address(), got.value());
        usize written = put.is_error() ? 0 : put.value();
        if (!offset && written < got.value())
            (void)in->seek(-i64(got.value() - written), 1); // SEEK_CUR: give back what was not sent
        total += written;
        if (put.is_error()) {
            error = put.error();
            break;
        }
        if (written < got.value())
            break;
    }
    if (offset)
        TRY(mm::write_user(offset, position + i64(total)));
    if (total == 0 && error.is_error())
        return error;
    return total;
}

Result<u64> sys_lseek(Fd fd, i64 offset, u32 whence)
{
    FileRef f{TRY(file(fd))};
    return f->seek(offset, int(whence));
}

Result<u64> sys_close(Fd fd)
{
    TRY(table().close(int(fd)));
    return u64(0);
}

Result<u64> sys_dup(Fd fd)
{
    FileRef f{TRY(file(fd))};
    f->ref();
    auto copy = table().install(f, 0, false, nofile_limit());
    if (copy.is_error())
        f->unref();
    return u64(TRY(copy));
}

Result<u64> sys_dup3(Fd old_fd, Fd new_fd, i32 flags)
{
    if (flags & ~i32(O_CLOEXEC))
        return Errno::einval;
    FileRef f{TRY(file(old_fd))};
    if (old_fd == new_fd)
        return Errno::einval; // dup3 (glibc's dup2 checks this case itself)
    int target = int(new_fd);
    if (target < 0 || target >= nofile_limit())
        return Errno::ebadf;
    f->ref();
    auto r = table().install_at(f, target, flags & O_CLOEXEC);
    if (r.is_error()) {
        f->unref();
        return r.error();
    }
    return u64(target);
}

Result<u64> sys_fcntl(Fd fd, u32 cmd, u64 arg)
{
    FileRef f{TRY(file(fd))};
    // An O_PATH descriptor takes only the descriptor commands (Linux's
    // check_fcntl_cmd).
    if ((f->flags() & O_PATH) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD && cmd != F_SETFD &&
        cmd != F_GETFL)
        return Errno::ebadf;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (i64(arg) < 0 || i64(arg) >= nofile_limit())
            return Errno::einval;
        f->ref();
        auto n = table().install(f, int(arg), cmd == F_DUPFD_CLOEXEC, nofile_limit());
        if (n.is_error())
            f->unref();
        return u64(TRY(n));
    }
    case F_GETFD:
        return u64(TRY(table().cloexec(int(fd))) ? FD_CLOEXEC : 0);
    case F_SETFD:
        TRY(table().set_cloexec(int(fd), arg & FD_CLOEXEC));
        return u64(0);
    case F_GETFL:
        return u64(f->flags());
    case F_SETFL: {
        // Only O_APPEND and O_NONBLOCK change (fs/fcntl.c SETFL_MASK, less
        // the flags we do not implement); the access mode stays. O_DIRECT
        // is a pipe's packet mode (Linux's setfl lets FIFOs have it).
        u32 changeable = O_APPEND | O_NONBLOCK | (f->is_pipe() ? O_DIRECT : 0);
        f->set_flags((f->flags() & ~changeable) | (u32(arg) & changeable));
        return u64(0);
    }
    case F_SETPIPE_SZ:
        return f->pipe_capacity(true, u64(u32(arg))); // an int argument, as Linux reads it
    case F_GETPIPE_SZ:
        return f->pipe_capacity(false, 0);
    default:
        return Errno::einval;
    }
}

Result<u64> sys_ioctl(Fd fd, u32 cmd, u64 arg)
{
    FileRef f{TRY(file(fd))};
    return f->ioctl(cmd, arg);
}

Result<u64> sys_fstat(Fd fd, UserPtr<LinuxStat> stat)
{
    FileRef f{TRY(file(fd))};
    LinuxStat st;
    TRY(f->stat(st));
    TRY(mm::write_user(stat, st));
    return u64(0);
}

Result<u64> sys_ftruncate(Fd fd, i64 length)
{
    FileRef f{TRY(file(fd))};
    if (length < 0)
        return Errno::einval;
    if (!f->writable())
        return Errno::einval; // Linux: EINVAL for a descriptor not open for writing
    TRY(f->truncate(u64(length)));
    return u64(0);
}

Result<u64> sys_getdents64(Fd fd, UserPtr<u8> dirents, u32 count)
{
    FileRef f{TRY(file(fd))};
    return f->getdents(dirents.address(), count);
}

Result<u64> sys_pipe2(UserPtr<i32> fds_out, i32 flags)
{
    if (flags & ~i32(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return Errno::einval;
    File* ends[2];
    TRY(fs::create_pipe(ends, u32(flags)));
    bool cloexec = flags & O_CLOEXEC;
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
    if (auto copied = mm::copy_to_user(fds_out, fds, 2); copied.is_error()) {
        (void)table().close(fds[0]);
        (void)table().close(fds[1]);
        return copied.error();
    }
    return u64(0);
}

// sync(2): every file lives in RAM; nothing to write back.
Result<u64> sys_sync() { return u64(0); }

// fsync/fdatasync: nothing to write back, but Linux's EINVAL stays for
// files whose filesystem has no fsync (pipes, devices, /proc); tmpfs's
// files and directories have a no-op one.
static Result<u64> sync_file(Fd fd)
{
    FileRef f{TRY(file(fd))};
    if (f->flags() & O_PATH)
        return Errno::ebadf;
    fs::Inode* inode = f->inode();
    if (!inode || inode->proc != fs::ProcKind::None || inode->device != fs::Device::None || f->is_pipe())
        return Errno::einval;
    return u64(0);
}

Result<u64> sys_fsync(Fd fd) { return sync_file(fd); }
Result<u64> sys_fdatasync(Fd fd) { return sync_file(fd); }

Result<u64> sys_syncfs(Fd fd)
{
    FileRef f{TRY(file(fd))};
    return (f->flags() & O_PATH) ? Result<u64>(Errno::ebadf) : Result<u64>(u64(0));
}

Result<u64> sys_fstatfs(Fd fd, UserPtr<fs::LinuxStatfs> buf)
{
    FileRef f{TRY(file(fd))};
    fs::LinuxStatfs s;
    if (fs::Inode* inode = f->inode()) {
        MutexGuard guard(fs::vfs_lock());
        s = fs::statfs_of_vfs_locked(fs::fs_kind_vfs_locked(*inode));
    } else {
        // No inode: a pipe, or the console (a /dev device).
        LinuxStat st;
        TRY(f->stat(st));
        MutexGuard guard(fs::vfs_lock());
        s = fs::statfs_of_vfs_locked((st.st_mode & fs::S_IFMT) == fs::S_IFIFO ? fs::FsKind::pipe : fs::FsKind::dev);
    }
    TRY(mm::write_user(buf, s));
    return u64(0);
}

// fallocate(2) in the order of Linux's vfs_fallocate checks (as of 6.13:
// one mode at a time, KEEP_SIZE beside it), then tmpfs's modes
// (mm/shmem.c): 0 grows the file, KEEP_SIZE alone does nothing here (no
// blocks to reserve), PUNCH_HOLE | KEEP_SIZE zeroes the range.
Result<u64> sys_fallocate(Fd fd, i32 mode, i64 offset, i64 length)
{
    constexpr i32 KEEP_SIZE = 1, PUNCH_HOLE = 2, COLLAPSE_RANGE = 8, ZERO_RANGE = 0x10, INSERT_RANGE = 0x20,
                  UNSHARE_RANGE = 0x40, WRITE_ZEROES = 0x80;
    constexpr i32 MODES = PUNCH_HOLE | COLLAPSE_RANGE | ZERO_RANGE | INSERT_RANGE | UNSHARE_RANGE | WRITE_ZEROES;
    FileRef f{TRY(file(fd))};
    if (f->flags() & O_PATH)
        return Errno::ebadf;
    if (offset < 0 || length <= 0)
        return Errno::einval;
    if (mode & ~(MODES | KEEP_SIZE))
        return Errno::enotsup;
    switch (mode & MODES) {
    case 0:
    case UNSHARE_RANGE:
    case ZERO_RANGE: break;
    case PUNCH_HOLE:
        if (!(mode & KEEP_SIZE))
            return Errno::enotsup;
        break;
    case COLLAPSE_RANGE:
    case INSERT_RANGE:
    case WRITE_ZEROES:
        if (mode & KEEP_SIZE)
            return Errno::enotsup;
        break;
    default: return Errno::enotsup; // more than one mode
    }
    if (!f->writable())
        return Errno::ebadf;
    fs::Inode* inode = f->inode();
    if (!inode || f->is_pipe()) {
        LinuxStat st;
        TRY(f->stat(st));
        return (st.st_mode & fs::S_IFMT) == fs::S_IFIFO ? Errno::espipe : Errno::enodev;
    }
    if (inode->is_dir())
        return Errno::eisdir;
    if (!inode->is_regular())
        return Errno::enodev;
    u64 end = u64(offset) + u64(length);
    if (end > u64(INT64_MAX))
        return Errno::efbig;
    if (inode->proc != fs::ProcKind::None || (mode & ~(KEEP_SIZE | PUNCH_HOLE)))
        return Errno::enotsup; // /proc and /sys files have no fallocate; tmpfs no other mode
    MutexGuard guard(fs::vfs_lock());
    if (mode == 0) {
        if (end <= inode->size)
            return u64(0);
        u64 room = fs::statfs_of_vfs_locked(fs::FsKind::root).f_bavail;
        if ((end - inode->size + 4095) / 4096 > room)
            return Errno::enospc; // more than tmpfs has left
        TRY(fs::truncate_vfs_locked(*inode, end));
        return u64(0);
    }
    if (mode & PUNCH_HOLE) {
        static constexpr u8 zeros[256] = {};
        for (u64 at = u64(offset); at < lib::min(end, inode->size);) {
            usize n = usize(lib::min<u64>(sizeof(zeros), lib::min(end, inode->size) - at));
            at += TRY(fs::write_vfs_locked(*inode, at, zeros, n));
        }
    }
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_files(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
