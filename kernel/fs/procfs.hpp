// /proc with Linux's formats (proc(5)), for ps, top and friends: the
// global files (meminfo, uptime, loadavg, stat, cpuinfo), one directory per live
// process (stat, status, cmdline, maps, comm, and task/ with one directory
// per live thread: stat, status, comm) and self. The tree under /proc is
// brought in line with the process and thread tables whenever a directory
// of it is looked up in or listed; a file's text is generated when it is
// opened.
#pragma once

#include "kernel/fs/inode.hpp"

namespace kernel::fs {

// Before listing a /proc directory (getdents, vfs lock held; the caller's
// open file holds `dir`): /proc gets exactly the live processes'
// directories, /proc/PID/task the live threads' of PID, and the directory
// of a process or thread that has ended is removed (it lists nothing).
void proc_refresh_vfs_locked(Inode& dir);
// Before looking `name` up in a /proc directory: if it is a pid (in /proc)
// or a tid (in /proc/PID/task), its directory is made to exist exactly
// when the process or thread does (O(1) in the number of processes and
// threads; adding one first drops the directory's stale entries). ENOENT
// for a name in the directory of a process or thread that has ended.
Result<void> proc_refresh_name_vfs_locked(Inode& dir, lib::StringView name);
// The text of a proc file (or of a /sys file, sysfs.hpp), generated now;
// kmalloc'd, the caller frees it.
Result<char*> proc_generate(const Inode&, usize& length);
// A write of `length` bytes at user address `buffer`, as Linux answers it:
// for comm, the new name of the thread (of the process for
// /proc/PID/comm), taken from a thread of the same process only (EINVAL
// otherwise, ESRCH once it exited), and not by pwrite (`positional`:
// ESPIPE); EINVAL for the other per-process files, EIO for the global ones,
// EACCES for /sys's (read-only attributes: Linux refuses them at open).
Result<usize> proc_write(const Inode&, u64 buffer, usize length, bool positional);
// The target of /proc/self for the calling process.
usize proc_self_target(char* out, usize capacity);
// The text of /proc's symlinks but /proc/PID/fd's: self, mounts.
usize proc_link_target(const Inode& link, char* out, usize capacity);
// /proc/PID/fd/N followed (a magic link, as Linux's): the open file's
// inode itself. ENXIO for a file without one (a pipe), EACCES for
// another process's descriptors.
Result<Inode*> proc_fd_jump_vfs_locked(const Inode& link);
// readlink of /proc/PID/fd/N, without the vfs lock (it takes it): the
// file's path, "pipe:[INO]", or the console's device.
Result<usize> proc_fd_target(i32 pid, int fd, char* out, usize capacity);
void proc_create_root_vfs_locked(Inode& root);
// The owner Linux shows for a per-process file or directory of /proc: the
// process's effective uid and gid while it is dumpable, root otherwise.
// Other inodes keep their own; takes the process lock.
struct Owner {
    u32 uid, gid;
};
Owner proc_owner(const Inode&);

} // namespace kernel::fs
