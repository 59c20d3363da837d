// System V shared memory (shmget, shmat, shmdt, shmctl; svipc(7)). A
// segment is an unnamed RAM file (fs::new_anonymous_inode), the same
// object MAP_SHARED | MAP_ANONYMOUS memory is, kept in a table by id and
// key; shmat maps it as a shared region marked REGION_SYSV. The segment
// holds one reference on its file and every region mapping it one more,
// so the attach count (shm_nattch) is the file's references less one:
// fork and region splits count as attaches, as in Linux. The table is
// guarded by the vfs lock, which the file references already take.
#pragma once

#include "lib/format.hpp"
#include "lib/types.hpp"

namespace kernel::fs {
struct Inode;
}

namespace kernel::ipc {

// A region mapping segment `file` went (munmap, shmdt, exit, exec): drops
// its reference, notes the detach time and pid, and destroys a segment
// marked for removal with its last attach.
void shm_region_detached(fs::Inode& file);

// /proc/sysvipc/shm, in Linux's format.
void format_sysvipc_shm(lib::FormatSink& out);

// /proc/sys/kernel/shmmax, shmall (pages), shmmni.
struct ShmLimits {
    u64 shmmax, shmall, shmmni;
};
ShmLimits shm_limits();
// Which: 0 shmmax, 1 shmall, 2 shmmni. EINVAL for shmmni above the table.
bool set_shm_limit(unsigned which, u64 value);

} // namespace kernel::ipc
