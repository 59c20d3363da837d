// File permission checks (path_resolution(7), Linux's generic_permission
// and may_delete): the mode bits of an inode against a process's
// filesystem uid, filesystem gid and supplementary groups, with the
// capabilities that override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
// CAP_FOWNER), and the sticky-directory rule.
#pragma once

#include "kernel/fs/inode.hpp"
#include "kernel/process/credentials.hpp"

namespace kernel::fs {

inline constexpr u32 S_ISUID = 04000, S_ISGID = 02000, S_ISVTX = 01000, S_IXGRP = 00010;
// What an access asks for (include/linux/fs.h MAY_*; access(2)'s X_OK,
// W_OK, R_OK have the same values).
inline constexpr int MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;

// EACCES unless `creds` may access `inode` as `mask` asks. Execute needs
// an x bit somewhere even with CAP_DAC_OVERRIDE (for anything but a
// directory).
Result<void> check_permission(const Inode& inode, int mask, const Credentials& creds);
// The calling process's credentials.
Result<void> check_permission(const Inode& inode, int mask);
const Credentials& current_credentials();

// A new name in `dir`, or one removed from it: write and search
// permission on the directory (EACCES).
inline Result<void> may_change_entries(const Inode& dir) { return check_permission(dir, MAY_WRITE | MAY_EXEC); }
// Removing or replacing `victim` in `dir` (unlink, rmdir, rename): as
// above, and in a sticky directory only the file's owner, the
// directory's owner or CAP_FOWNER may (EPERM).
Result<void> may_delete(const Inode& dir, const Inode& victim);

// Is the caller the inode's owner, or does it hold CAP_FOWNER
// (inode_owner_or_capable)? chmod, utimes with explicit times.
bool owner_or_capable(const Inode& inode);

// A new inode's owner: the caller's filesystem uid, and its filesystem
// gid -- or, in a set-group-ID directory, the directory's group (a new
// directory there is set-group-ID too).
void set_new_inode_owner(Inode& inode, const Inode& dir);

} // namespace kernel::fs
