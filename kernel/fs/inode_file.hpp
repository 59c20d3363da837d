// Open files backed by VFS inodes: regular files (offset, O_APPEND),
// directories (getdents64), and the character devices (/dev/null,
// /dev/zero, /dev/console, /dev/tty).
#pragma once

#include "kernel/fs/inode.hpp"

namespace kernel::fs {

// A new open file for inode (one reference, given to the caller).
Result<File*> open_inode(Inode& inode, u32 flags);
void fill_stat(const Inode&, LinuxStat&);

} // namespace kernel::fs
