// Path resolution in the VFS tree (path_resolution(7)): absolute paths
// from the root, relative ones from a starting directory (the cwd or a
// dirfd), ".", "..", symbolic links (at most 40 in one lookup: ELOOP),
// ENAMETOOLONG for a component over 255 bytes, ENOTDIR when a component
// that must be a directory is not.
#pragma once

#include "kernel/fs/inode.hpp"

namespace kernel::fs {

// The inode a path names (vfs lock held). follow_last: resolve a final
// symlink too.
Result<Inode*> resolve_vfs_locked(Inode& start, lib::StringView path, bool follow_last);

// For creating or removing: the directory that would hold the last
// component, and that component. "a/b/" yields ("a", "b") with
// trailing_slash set; "/" and names "." or ".." as last are errors the
// caller decides (EEXIST, EBUSY, EINVAL...).
struct ParentAndName {
    Inode* parent;
    lib::StringView name; // points into the caller's path
    bool trailing_slash;
};
Result<ParentAndName> resolve_parent_vfs_locked(Inode& start, lib::StringView path);

// The absolute path of a directory (getcwd), into out; its length.
Result<usize> path_of_vfs_locked(Inode& dir, char* out, usize capacity);

} // namespace kernel::fs
