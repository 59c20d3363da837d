// The smallest honest /sys: what glibc reads to count processors, and
// nothing more. glibc 2.36's get_nprocs (sysconf(_SC_NPROCESSORS_ONLN))
// reads /sys/devices/system/cpu/online first and get_nprocs_conf
// (_SC_NPROCESSORS_CONF) .../possible, each a CPU list such as "0-3\n";
// only without them does it count /proc/stat's cpuN lines, then the
// affinity mask. The two files are read-only; their text comes from
// procfs_text.cpp with /proc's (a sysfs file is an inode with a ProcKind,
// generated when it is opened).
#pragma once

#include "kernel/fs/inode.hpp"

namespace kernel::fs {

// Makes /sys/devices/system/cpu with online and possible (vfs lock held).
// The directories take no new entries (as /proc's).
void sys_create_vfs_locked();

} // namespace kernel::fs
