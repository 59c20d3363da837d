// /proc with Linux's formats (proc(5)), for ps, top and friends: the
// global files (meminfo, uptime, loadavg, stat), one directory per live
// process (stat, status, cmdline) and self. The tree under /proc is
// brought in line with the process table whenever it is looked up or
// listed; a file's text is generated when it is opened.
#pragma once

#include "kernel/fs/inode.hpp"

namespace kernel::fs {

// Called by path lookup and getdents on /proc (vfs lock held).
void proc_refresh_vfs_locked(Inode& proc_root);
// Before looking `name` up in /proc: if it is a pid, its directory is made
// to exist exactly when the process does (O(1) in the number of processes;
// listing /proc refreshes everything).
void proc_refresh_name_vfs_locked(Inode& proc_root, lib::StringView name);
// The text of a proc file, generated now; kmalloc'd, the caller frees it.
Result<char*> proc_generate(const Inode&, usize& length);
// The target of /proc/self for the calling process.
usize proc_self_target(char* out, usize capacity);
void proc_create_root_vfs_locked(Inode& root);

} // namespace kernel::fs
