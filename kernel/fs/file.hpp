// Open files and descriptor tables. A File is an open file description
// (shared by dup and fork, reference counted); a FileTable maps a
// process's descriptor numbers to Files. Today the only files are the
// console (the tty); the files issue adds the VFS, pipes and devices
// behind the same interface.
#pragma once

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

class File {
public:
    virtual Result<usize> read(u64 user_buffer, usize length) = 0;
    virtual Result<usize> write(u64 user_buffer, usize length) = 0;
    virtual Result<u64> ioctl(u32, u64) { return Errno::enotty; }
    virtual Result<void> stat(LinuxStat&) = 0;

    void ref() { __atomic_fetch_add(&m_refs, 1, __ATOMIC_RELAXED); }
    // Drops a reference; the last one destroys the file.
    void unref();

protected:
    ~File() = default; // files are never deleted through a base pointer; see unref()
    virtual void destroy() {}

private:
    u32 m_refs = 1;
};

class FileTable {
public:
    static constexpr int MAX_FDS = 1024; // RLIMIT_NOFILE default

    static Result<FileTable*> create();
    Result<FileTable*> clone() const;
    static void destroy(FileTable*); // closes every descriptor

    Result<File*> get(int fd) const; // EBADF; not referenced for the caller
    // Lowest free descriptor >= min_fd; takes over the caller's reference.
    Result<int> install(File*, int min_fd = 0);
    Result<void> close(int fd);

    ~FileTable();

private:
    Result<void> grow_to(int count);
    // Grows on demand (most processes use a handful of descriptors).
    File** m_files = nullptr;
    int m_capacity = 0;
};

} // namespace kernel
