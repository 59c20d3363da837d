// Regular-file and directory open files, and device files.
#include "kernel/fs/inode_file.hpp"
#include "kernel/fs/pipe.hpp"
#include "kernel/fs/procfs.hpp"
#include "kernel/fs/tty.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/wallclock.hpp"
#include "lib/civil_time.hpp"

namespace kernel::fs {

namespace {

constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
constexpr usize BOUNCE = 4096;

// What every inode-backed open file shares: it holds a reference on its
// inode from open to the last close, stats as the inode, and is freed
// through Derived (which may add its own cleanup in close()).
template <typename Derived> class InodeBacked : public File {
public:
    explicit InodeBacked(Inode& inode) : m_inode(inode) { inode_ref(inode); }

    Result<void> stat(LinuxStat& st) override
    {
        MutexGuard guard(vfs_lock());
        fill_stat(m_inode, st);
        return {};
    }
    Inode* inode() override { return &m_inode; }

protected:
    void close() {} // Derived's own cleanup, if it hides this one
    Inode& m_inode;

private:
    void destroy() override
    {
        auto* self = static_cast<Derived*>(this);
        self->close();
        inode_unref(m_inode);
        mm::destroy(self);
    }
};

class InodeFile final : public InodeBacked<InodeFile> {
public:
    explicit InodeFile(Inode& inode) : InodeBacked(inode) {}

    Result<usize> read(u64 buffer, usize length) override
    {
        usize n = TRY(pread(buffer, length, m_offset));
        m_offset += n;
        return n;
    }

    Result<usize> write(u64 buffer, usize length) override
    {
        if (flags() & O_APPEND) {
            MutexGuard guard(vfs_lock());
            m_offset = m_inode.size;
        }
        usize n = TRY(pwrite(buffer, length, m_offset));
        m_offset += n;
        return n;
    }

    Result<usize> pread(u64 buffer, usize length, u64 offset) override
    {
        if (!readable())
            return Errno::ebadf;
        if (m_inode.is_dir())
            return Errno::eisdir;
        auto* bounce = static_cast<u8*>(mm::kmalloc(BOUNCE));
        if (!bounce)
            return Errno::enomem;
        usize done = 0;
        while (done < length) {
            usize n;
            {
                MutexGuard guard(vfs_lock());
                n = read_vfs_locked(m_inode, offset + done, bounce, lib::min(length - done, BOUNCE));
            }
            if (n == 0)
                break;
            if (auto r = mm::copy_to_user(buffer + done, bounce, n); r.is_error()) {
                mm::kfree(bounce);
                return done ? Result<usize>(done) : Result<usize>(r.error());
            }
            done += n;
        }
        mm::kfree(bounce);
        return done;
    }

    Result<usize> pwrite(u64 buffer, usize length, u64 offset) override
    {
        if (!writable())
            return Errno::ebadf;
        if (i64(offset) < 0)
            return Errno::einval;
        if (flags() & O_APPEND) {
            // Linux appends even for pwrite on an O_APPEND file (pwrite(2), BUGS).
            MutexGuard guard(vfs_lock());
            offset = m_inode.size;
        }
        auto* bounce = static_cast<u8*>(mm::kmalloc(BOUNCE));
        if (!bounce)
            return Errno::enomem;
        usize done = 0;
        while (done < length) {
            usize n = lib::min(length - done, BOUNCE);
            if (auto r = mm::copy_from_user(bounce, buffer + done, n); r.is_error()) {
                mm::kfree(bounce);
                return done ? Result<usize>(done) : Result<usize>(r.error());
            }
            Result<usize> written = Errno::eio;
            {
                MutexGuard guard(vfs_lock());
                written = write_vfs_locked(m_inode, offset + done, bounce, n);
            }
            if (written.is_error()) {
                mm::kfree(bounce);
                return done ? Result<usize>(done) : written;
            }
            done += written.value();
        }
        mm::kfree(bounce);
        return done;
    }

    Result<u64> seek(i64 offset, int whence) override
    {
        i64 base;
        switch (whence) {
        case SEEK_SET: base = 0; break;
        case SEEK_CUR: base = i64(m_offset); break;
        case SEEK_END: {
            MutexGuard guard(vfs_lock());
            base = i64(m_inode.size);
            break;
        }
        default: return Errno::einval;
        }
        i64 target;
        if (__builtin_add_overflow(base, offset, &target) || target < 0) // past 2^63 - 1: EINVAL, as Linux
            return Errno::einval;
        m_offset = u64(target);
        return m_offset;
    }

    Result<usize> getdents(u64 buffer, usize length) override
    {
        if (!m_inode.is_dir())
            return Errno::enotdir;
        if (m_inode.proc != ProcKind::None && m_offset == 0) {
            MutexGuard guard(vfs_lock());
            proc_refresh_vfs_locked(m_inode); // /proc and /proc/PID/task follow the tables
        }
        // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name.
        u8 record[8 + 8 + 2 + 1 + NAME_MAX + 1 + 7];
        usize done = 0;
        for (;;) {
            usize size;
            {
                MutexGuard guard(vfs_lock());
                const char* name;
                usize name_length;
                const Inode* who;
                if (m_offset == 0) {
                    name = ".", name_length = 1, who = &m_inode;
                } else if (m_offset == 1) {
                    name = "..", name_length = 2, who = m_inode.parent;
                } else {
                    const DirEntry* e = m_inode.entries;
                    for (u64 i = 2; e && i < m_offset; ++i)
                        e = e->next;
                    if (!e)
                        break;
                    name = e->name, name_length = e->length, who = e->inode;
                }
                size = lib::align_up(19 + name_length + 1, 8);
                if (done + size > length) {
                    if (done == 0)
                        return Errno::einval; // buffer too small for one entry
                    break;
                }
                u64 next = m_offset + 1;
                u16 reclen = u16(size);
                u8 type = u8(who->type() >> 12); // DT_* = S_IF* >> 12
                __builtin_memset(record, 0, size);
                __builtin_memcpy(record, &who->ino, 8);
                __builtin_memcpy(record + 8, &next, 8);
                __builtin_memcpy(record + 16, &reclen, 2);
                record[18] = type;
                __builtin_memcpy(record + 19, name, name_length);
            }
            TRY(mm::copy_to_user(buffer + done, record, size));
            done += size;
            ++m_offset;
        }
        return done;
    }

    Result<void> truncate(u64 size) override
    {
        if (!writable())
            return Errno::einval;
        if (!m_inode.is_regular())
            return Errno::einval;
        MutexGuard guard(vfs_lock());
        return truncate_vfs_locked(m_inode, size);
    }

private:
    u64 m_offset = 0;
};

// /dev/tty: the console, but a device of its own (5, 0) to stat.
class TtyAlias final : public InodeBacked<TtyAlias> {
    friend class InodeBacked<TtyAlias>;

public:
    explicit TtyAlias(Inode& inode) : InodeBacked(inode), m_console(tty_console_file()) {}
    Result<usize> read(u64 b, usize l) override { return m_console->read(b, l); }
    Result<usize> write(u64 b, usize l) override { return m_console->write(b, l); }
    Result<u64> ioctl(u32 r, u64 a) override { return m_console->ioctl(r, a); }
    u32 poll_proc_locked() override { return m_console->poll_proc_locked(); }
    PollQueue* poll_queue() override { return m_console->poll_queue(); }

private:
    void close() { m_console->unref(); }
    File* m_console;
};

// A /proc file: its text is generated at open, so a reader sees one
// consistent snapshot however it reads it.
class ProcFile final : public InodeBacked<ProcFile> {
    friend class InodeBacked<ProcFile>;

public:
    ProcFile(Inode& inode, char* text, usize length) : InodeBacked(inode), m_text(text), m_length(length) {}
    Result<usize> read(u64 buffer, usize length) override
    {
        usize n = TRY(pread(buffer, length, m_offset));
        m_offset += n;
        return n;
    }
    Result<usize> pread(u64 buffer, usize length, u64 offset) override
    {
        if (offset >= m_length)
            return usize(0);
        usize n = usize(lib::min<u64>(length, m_length - offset));
        TRY(mm::copy_to_user(buffer, m_text + offset, n));
        return n;
    }
    // Open for writing is allowed (Linux lets root); only comm takes what
    // is written (proc_write). The text read from this open file stays the
    // one generated at open.
    Result<usize> write(u64 buffer, usize length) override { return proc_write(m_inode, buffer, length, false); }
    Result<usize> pwrite(u64 buffer, usize length, u64) override
    {
        if (!writable())
            return Errno::ebadf;
        return proc_write(m_inode, buffer, length, true);
    }
    Result<void> truncate(u64) override { return {}; } // as truncate(2) of a /proc file
    Result<u64> seek(i64 offset, int whence) override
    {
        i64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? i64(m_offset) : whence == SEEK_END ? i64(m_length) : -1;
        i64 target;
        if (base < 0 || __builtin_add_overflow(base, offset, &target) || target < 0) // as InodeFile::seek
            return Errno::einval;
        m_offset = u64(target);
        return m_offset;
    }

private:
    void close() { mm::kfree(m_text); }
    char* m_text;
    usize m_length;
    u64 m_offset = 0;
};

class NullFile final : public InodeBacked<NullFile> {
public:
    NullFile(Inode& inode, Device kind) : InodeBacked(inode), m_kind(kind) {}
    Result<usize> read(u64 buffer, usize length) override
    {
        if (m_kind == Device::Null)
            return usize(0);
        u8 zeros[256] = {};
        usize done = 0;
        while (done < length) {
            usize n = lib::min(length - done, sizeof(zeros));
            if (auto r = mm::copy_to_user(buffer + done, zeros, n); r.is_error())
                return done ? Result<usize>(done) : Result<usize>(r.error());
            done += n;
        }
        return done;
    }
    // /dev/full is a disk with no room left: every write fails with ENOSPC
    // (Linux's drivers/char/mem.c, write_full), reads give zeros.
    Result<usize> write(u64, usize length) override
    {
        if (m_kind == Device::Full)
            return Errno::enospc;
        return length;
    }
    Result<usize> pread(u64 b, usize l, u64) override { return read(b, l); }
    Result<usize> pwrite(u64 b, usize l, u64) override { return write(b, l); }
    Result<u64> seek(i64, int) override { return u64(0); }

private:
    Device m_kind; // Null, Zero or Full
};

// An O_PATH descriptor (open(2)): it names a file without opening it.
// It serves fstat, fstatfs, fchdir, the *at calls as a directory, dup,
// fcntl's descriptor flags and close; reading, writing, ioctl, mmap,
// fchmod and the rest give EBADF, as in Linux. A device or a directory
// is not opened through it (no tty side effects, no listing).
class PathOnlyFile final : public InodeBacked<PathOnlyFile> {
public:
    explicit PathOnlyFile(Inode& inode) : InodeBacked(inode) {}
    Result<usize> read(u64, usize) override { return Errno::ebadf; }
    Result<usize> write(u64, usize) override { return Errno::ebadf; }
    Result<u64> ioctl(u32, u64) override { return Errno::ebadf; }
    Result<usize> pread(u64, usize, u64) override { return Errno::ebadf; }
    Result<usize> pwrite(u64, usize, u64) override { return Errno::ebadf; }
    Result<u64> seek(i64, int) override { return Errno::ebadf; }
    Result<usize> getdents(u64, usize) override { return Errno::ebadf; }
    Result<void> truncate(u64) override { return Errno::ebadf; }
};

// /dev/rtc0 (Linux's rtc-dev) for hwclock and date: RTC_RD_TIME gives
// the time of day as UTC fields. It is the system clock, which the
// Goldfish RTC set at boot (kernel/wallclock.hpp). Update interrupts are
// not modelled, so read(2) (which waits for one in Linux) is EINVAL.
class RtcFile final : public InodeBacked<RtcFile> {
public:
    explicit RtcFile(Inode& inode) : InodeBacked(inode) {}
    Result<usize> read(u64, usize) override { return Errno::einval; }
    Result<usize> write(u64, usize) override { return Errno::einval; }
    Result<u64> ioctl(u32 request, u64 arg) override
    {
        constexpr u32 RTC_RD_TIME = 0x80247009; // _IOR('p', 0x09, struct rtc_time)
        if (request != RTC_RD_TIME)
            return Errno::enotty;
        auto c = lib::civil_from_unix_seconds(i64(wallclock_ns() / 1000000000));
        // struct rtc_time: the fields of struct tm up to tm_isdst.
        i32 tm[9] = {c.second, c.minute, c.hour, c.day, c.month - 1, i32(c.year - 1900), c.weekday, c.yearday, 0};
        TRY(mm::copy_to_user(arg, tm, sizeof(tm)));
        return u64(0);
    }
};

} // namespace

void fill_stat(const Inode& inode, LinuxStat& st)
{
    st = {};
    st.st_dev = 1;
    st.st_ino = inode.ino;
    st.st_mode = inode.mode;
    st.st_nlink = inode.nlink;
    Owner owner = proc_owner(inode);
    st.st_uid = owner.uid;
    st.st_gid = owner.gid;
    st.st_rdev = inode.rdev;
    st.st_size = i64(inode.is_dir() ? 4096 : inode.size);
    st.st_blksize = 4096;
    st.st_blocks = i64((inode.size + 511) / 512);
    st.st_atime = i64(inode.atime_ns / 1000000000), st.st_atime_nsec = i64(inode.atime_ns % 1000000000);
    st.st_mtime = i64(inode.mtime_ns / 1000000000), st.st_mtime_nsec = i64(inode.mtime_ns % 1000000000);
    st.st_ctime = i64(inode.ctime_ns / 1000000000), st.st_ctime_nsec = i64(inode.ctime_ns % 1000000000);
}

Result<File*> open_inode(Inode& inode, u32 flags)
{
    File* f = nullptr;
    if (flags & O_PATH) {
        f = mm::make<PathOnlyFile>(inode);
        if (!f)
            return Errno::enomem;
        f->set_flags(O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW)));
        return f;
    }
    switch (inode.device) {
    case Device::Console:
        f = tty_console_file();
        return f; // the one console file: its flags are shared (as a tty's are)
    case Device::Tty:
        f = mm::make<TtyAlias>(inode);
        break;
    case Device::Null:
    case Device::Zero:
    case Device::Full:
        f = mm::make<NullFile>(inode, inode.device);
        break;
    case Device::Rtc:
        f = mm::make<RtcFile>(inode);
        break;
    case Device::None:
        if (inode.type() == S_IFIFO)
            return open_fifo(inode, flags);
        // Device nodes and sockets made by mknod are inert: no driver or
        // socket stands behind them (Linux's chrdev_open: ENXIO).
        if (inode.type() == S_IFCHR || inode.type() == S_IFBLK || inode.type() == S_IFSOCK)
            return Errno::enxio;
        if (inode.proc != ProcKind::None && inode.is_regular()) {
            usize length = 0;
            char* text = TRY(proc_generate(inode, length));
            f = mm::make<ProcFile>(inode, text, length);
            if (!f)
                mm::kfree(text);
            break;
        }
        f = mm::make<InodeFile>(inode);
        break;
    }
    if (!f)
        return Errno::enomem;
    f->set_flags(flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
    return f;
}

} // namespace kernel::fs
