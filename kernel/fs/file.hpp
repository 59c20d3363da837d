// Open files and descriptor tables. A File is an open file description
// (shared by dup and fork, reference counted); a FileTable maps a
// process's descriptor numbers to Files. Behind the one interface: the
// tty, inodes of the RAM filesystem and /proc, pipes and devices.
#pragma once

#include "kernel/fs/poll.hpp"
#include "kernel/spinlock.hpp"
#include "lib/list.hpp"
#include "lib/result.hpp"

namespace kernel {

// struct stat as Linux's asm-generic/stat.h lays it out for riscv64.
struct LinuxStat {
    u64 st_dev, st_ino;
    u32 st_mode, st_nlink, st_uid, st_gid;
    u64 st_rdev, pad1;
    i64 st_size;
    i32 st_blksize, pad2;
    i64 st_blocks;
    i64 st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    u32 unused[2];
};
static_assert(sizeof(LinuxStat) == 128);

namespace fs {
struct Inode;
}
class Epoll;

// open(2) flags (include/uapi/asm-generic/fcntl.h).
inline constexpr u32 O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_EXCL = 0200,
                     O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000, O_DIRECT = 040000,
                     O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000, O_PATH = 010000000,
                     O_LARGEFILE = 0100000, O_TMPFILE = 020000000 | 0200000;

class File {
public:
    virtual Result<usize> read(u64 user_buffer, usize length) = 0;
    virtual Result<usize> write(u64 user_buffer, usize length) = 0;
    virtual Result<u64> ioctl(u32, u64) { return Errno::enotty; }
    virtual Result<void> stat(LinuxStat&) = 0;
    // Positioned I/O and seeking: ESPIPE for pipes and terminals.
    virtual Result<usize> pread(u64, usize, u64) { return Errno::espipe; }
    virtual Result<usize> pwrite(u64, usize, u64) { return Errno::espipe; }
    virtual Result<u64> seek(i64, int) { return Errno::espipe; }
    virtual Result<usize> getdents(u64, usize) { return Errno::enotdir; }
    virtual Result<void> truncate(u64) { return Errno::einval; }
    // F_GETPIPE_SZ (set false) and F_SETPIPE_SZ: a pipe's capacity, after
    // resizing it to at least `size`; EBADF for anything but a pipe.
    virtual Result<u64> pipe_capacity(bool set, u64 size)
    {
        (void)set, (void)size;
        return Errno::ebadf;
    }
    // A pipe or FIFO end (F_SETFL may switch its packet mode, O_DIRECT).
    virtual bool is_pipe() const { return false; }
    // The inode behind the file, if it is one (paths, fchdir, exec).
    virtual fs::Inode* inode() { return nullptr; }
    // Readiness now (POLLIN, POLLOUT, POLLHUP...), with the process lock
    // held. A file that never blocks is always ready.
    virtual u32 poll_proc_locked() { return POLL_ALWAYS_READY; }
    // The queue woken when poll_proc_locked may change; none for files
    // that are always ready (epoll refuses those with EPERM, as Linux does).
    virtual PollQueue* poll_queue() { return nullptr; }
    // The epoll instance behind the file, if it is one (epoll_ctl).
    virtual Epoll* epoll() { return nullptr; }

    // File status flags (O_APPEND, O_NONBLOCK...) and the access mode.
    u32 flags() const { return m_flags; }
    void set_flags(u32 f) { m_flags = f; }
    bool readable() const { return (m_flags & O_ACCMODE) != O_WRONLY; }
    bool writable() const { return (m_flags & O_ACCMODE) != O_RDONLY; }

    void ref() { __atomic_fetch_add(&m_refs, 1, __ATOMIC_RELAXED); }
    // Drops a reference; the last one takes the file out of every epoll
    // set watching it, then destroys it.
    void unref();

    // The epoll items watching this file (fs/epoll.cpp), and how many.
    // The count drops after an item's last touch of the file, so the last
    // unref, which reads it without the lock, never frees a file another
    // hart is still unlinking from.
    lib::ListNode epoll_watchers;  // [process lock]
    u32 epoll_watcher_count = 0;   // [process lock] written; read atomically

protected:
    ~File() = default; // files are never deleted through a base pointer; see unref()
    virtual void destroy() {}

private:
    u32 m_refs = 1;
    u32 m_flags = O_RDWR;
};

// fstat of a file with no inode behind it (epoll, eventfd: Linux's
// anon_inode): mode 0600 without a file type, one link, an inode number
// made from the file's address.
inline void anonymous_file_stat(LinuxStat& st, const void* file)
{
    st = {};
    st.st_mode = 0600;
    st.st_nlink = 1;
    st.st_blksize = 4096;
    st.st_ino = u64(reinterpret_cast<uptr>(file) >> 4);
}

// A descriptor's file as one lookup found it: referenced, or borrowed
// from a table nobody else can change (FileTable::peek_unshared).
struct FileLookup {
    File* file;
    bool referenced;
};

// A File held for the length of a system call (Linux's fdget/fdput):
// another thread of the process may close the descriptor while the call
// blocks in it, and the file must outlive the call. A borrowed file needs
// no reference, since only this call could close its descriptor.
class FileRef {
public:
    explicit FileRef(File* f) : m_file(f), m_referenced(true) {} // takes over a reference
    explicit FileRef(FileLookup l) : m_file(l.file), m_referenced(l.referenced) {}
    FileRef(const FileRef&) = delete;
    FileRef& operator=(const FileRef&) = delete;
    ~FileRef()
    {
        if (m_referenced && m_file)
            m_file->unref();
    }
    File* get() const { return m_file; }
    File* operator->() const { return m_file; }
    File& operator*() const { return *m_file; }
    operator File*() const { return m_file; }

private:
    File* m_file;
    bool m_referenced;
};

// The threads of a process (and CLONE_FILES processes) share one table
// and change it from several harts at once: its slots are guarded by a
// spinlock, held only to read or swap pointers. Growing allocates before
// taking it; a File goes (unref) after releasing it, since its last
// reference may wake a pipe's other end.
class FileTable {
public:
    static constexpr int MAX_FDS = 1024; // RLIMIT_NOFILE default

    static Result<FileTable*> create();
    Result<FileTable*> clone() const;
    static void destroy(FileTable*); // closes every descriptor
    // Processes that use it (clone with CLONE_FILES and without
    // CLONE_THREAD shares it between processes; threads share their
    // process's). release() destroys it with the last user.
    FileTable* share()
    {
        __atomic_fetch_add(&m_users, 1, __ATOMIC_RELAXED);
        return this;
    }
    static void release(FileTable*);

    Result<File*> get_ref(int fd) const; // EBADF; referenced: hold it in a FileRef
    // The file at fd (or null) without the lock and without a reference,
    // for the only thread of the only process using the table (users() ==
    // 1), as Linux's fdget for an unshared table: nothing else can close
    // fd while the caller's system call runs, since only that thread could
    // (or could add a sharer with clone), and it is in the call.
    File* peek_unshared(int fd) const { return u32(fd) < u32(m_capacity) ? m_files[fd] : nullptr; }
    u32 users() const { return __atomic_load_n(&m_users, __ATOMIC_RELAXED); }
    // Lowest free descriptor >= min_fd (below limit); takes over the
    // caller's reference. EMFILE when none is free.
    Result<int> install(File*, int min_fd = 0, bool cloexec = false, int limit = MAX_FDS);
    // Put f at exactly fd, closing what was there (dup2/dup3).
    Result<void> install_at(File*, int fd, bool cloexec);
    Result<void> close(int fd);
    Result<bool> cloexec(int fd) const;
    // /proc/PID/fd: the open descriptors (at most `capacity`, ascending),
    // and the inode behind one without a reference -- the caller holds the
    // vfs lock, which a close needs to drop the inode (nullptr: no inode,
    // or not open).
    int open_fds(int* out, int capacity) const;
    bool is_open(int fd) const;
    fs::Inode* inode_at(int fd) const;
    Result<void> set_cloexec(int fd, bool);
    // execve: close every descriptor marked close-on-exec.
    void close_on_exec();

    ~FileTable();

private:
    Result<void> grow_to(int count);
    bool open_ft_locked(int fd) const;
    // Close fd if `which` says so (lock held); the File to unref after.
    template <typename Which> File* take_ft_locked(int fd, Which&& which);
    // Grows on demand (most processes use a handful of descriptors).
    File** m_files = nullptr; // [m_lock]
    u8* m_cloexec = nullptr;  // [m_lock] one flag per slot
    int m_capacity = 0;       // [m_lock] only grows
    u32 m_users = 1;
    mutable SpinLock m_lock{LockRank::FileTable};
};

} // namespace kernel
