// File permission checks: Linux's generic_permission, acl-free.
#include "kernel/fs/permission.hpp"
#include "kernel/fs/procfs.hpp"
#include "kernel/process/process.hpp"

namespace kernel::fs {

const Credentials& current_credentials() { return current_process().creds; }

Result<void> check_permission(const Inode& inode, int mask, const Credentials& creds)
{
    mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
    u32 mode = inode.mode;
    Owner owner = proc_owner(inode);
    u32 granted = creds.fsuid == owner.uid ? (mode >> 6) & 7
                  : creds.in_group(owner.gid) ? (mode >> 3) & 7
                                              : mode & 7;
    if ((u32(mask) & ~granted) == 0)
        return {};
    // The capabilities that override the mode bits (capabilities(7)).
    if (inode.is_dir()) {
        if (!(mask & MAY_WRITE) && creds.capable(Cap::dac_read_search))
            return {};
        if (creds.capable(Cap::dac_override))
            return {};
        return Errno::eacces;
    }
    if ((!(mask & MAY_EXEC) || (mode & 0111)) && creds.capable(Cap::dac_override))
        return {};
    if (mask == MAY_READ && creds.capable(Cap::dac_read_search))
        return {};
    return Errno::eacces;
}

Result<void> check_permission(const Inode& inode, int mask)
{
    return check_permission(inode, mask, current_credentials());
}

Result<void> may_delete(const Inode& dir, const Inode& victim)
{
    TRY(may_change_entries(dir));
    const Credentials& creds = current_credentials();
    if ((dir.mode & S_ISVTX) && creds.fsuid != victim.uid && creds.fsuid != dir.uid && !creds.capable(Cap::fowner))
        return Errno::eperm;
    return {};
}

bool owner_or_capable(const Inode& inode)
{
    const Credentials& creds = current_credentials();
    return creds.fsuid == inode.uid || creds.capable(Cap::fowner);
}

void set_new_inode_owner(Inode& inode, const Inode& dir)
{
    const Credentials& creds = current_credentials();
    inode.uid = creds.fsuid;
    if (dir.mode & S_ISGID) {
        inode.gid = dir.gid;
        if (inode.is_dir())
            inode.mode |= S_ISGID;
        else if ((inode.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && !creds.in_group(inode.gid) &&
                 !creds.capable(Cap::fsetid))
            inode.mode &= ~S_ISGID; // a group the creator is not in (inode_init_owner)
    } else {
        inode.gid = creds.fsgid;
    }
}

} // namespace kernel::fs
