// What a file says about the filesystem it is on: which one (the RAM
// root, /proc, /sys, /dev, pipes), its statfs(2) figures and its line in
// /proc/mounts, and the path an open file is known by (/proc/PID/fd).
// There is one tree: /proc, /sys and /dev are directories of the RAM
// filesystem whose inodes say what they are, shown as Linux mounts them.
#pragma once

#include "kernel/fs/inode.hpp"
#include "lib/format.hpp"

namespace kernel::fs {

// struct statfs (include/uapi/asm-generic/statfs.h, 64-bit: every word a long).
struct LinuxStatfs {
    i64 f_type;
    i64 f_bsize;
    u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    i32 f_fsid[2];
    i64 f_namelen;
    i64 f_frsize;
    i64 f_flags;
    i64 f_spare[4];
};
static_assert(sizeof(LinuxStatfs) == 120);

enum class FsKind : u8 { root, proc, sys, dev, pipe };

// The filesystem of an inode (vfs lock held).
FsKind fs_kind_vfs_locked(const Inode&);
// statfs figures of a filesystem (vfs lock held: the RAM fs counts its inodes).
LinuxStatfs statfs_of_vfs_locked(FsKind);
// /proc/mounts (and /proc/PID/mounts): one line per filesystem, Linux's format.
void format_mounts(lib::FormatSink&);
// A path naming `inode` (a file, directory, symlink or device), found by a
// walk of the tree: ENOENT if nothing names it any more.
Result<usize> any_path_of_vfs_locked(Inode&, char* out, usize capacity);

} // namespace kernel::fs
