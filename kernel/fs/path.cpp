// Path walking. Iterative, with an explicit stack of the texts still to
// walk: the caller's path at the bottom, the body of each symlink being
// followed above it. Symlink bodies are read in place (the vfs lock keeps
// them alive for the whole walk), so a walk allocates nothing and its
// stack use does not depend on how deeply links nest.
#include "kernel/fs/path.hpp"
#include "kernel/fs/permission.hpp"
#include "kernel/fs/procfs.hpp"
#include "lib/path.hpp"

namespace kernel::fs {

namespace {

constexpr int MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS

struct Walk {
    struct Pending {
        lib::PathCursor cursor;
        bool follow_last; // a final symlink in this text is followed
        bool must_be_dir; // a link body followed by more of the path, or by a slash
    };
    // Left uninitialized (a union with an empty constructor): most walks
    // use one slot, and zeroing 41 would cost more than the walk.
    union Slot {
        Slot() {}
        Pending p;
    };
    Slot slots[MAX_SYMLINKS + 1];
    Pending& at(int i) { return slots[i].p; }
    int depth = 0;
    int links = 0;
    // /proc/self's target (the caller's pid): the same text however often
    // one walk passes through it.
    char self_target[24];
};

// A symlink body as a view (vfs lock held; valid while it is held).
Result<lib::StringView> link_body_vfs_locked(Inode& link, Walk& w)
{
    vfs_lock().assert_held();
    // /proc/mounts's constant text, not in self_target: the walk goes on
    // through "self", whose text goes there.
    if (link.proc == ProcKind::MountsLink)
        return lib::StringView("self/mounts");
    if (link.proc == ProcKind::Self)
        return lib::StringView(w.self_target, proc_self_target(w.self_target, sizeof(w.self_target)));
    return symlink_target_vfs_locked(link);
}

Result<Inode*> walk_vfs_locked(Inode& start, lib::StringView path, bool follow_last)
{
    vfs_lock().assert_held();
    if (path.is_empty())
        return Errno::enoent;
    if (path.length() >= PATH_MAX)
        return Errno::enametoolong;
    Walk w;
    w.at(0) = {lib::PathCursor(path), follow_last, false};
    w.depth = 1;
    Inode* at = lib::PathCursor::is_absolute(path) ? root() : &start;
    while (w.depth > 0) {
        Walk::Pending& top = w.at(w.depth - 1);
        if (top.cursor.at_end()) {
            if (top.must_be_dir && !at->is_dir())
                return Errno::enotdir;
            --w.depth; // this text is done: back to what followed the link
            continue;
        }
        lib::PathComponent c = top.cursor.next();
        if (!at->is_dir())
            return Errno::enotdir;
        if (c.name.length() > NAME_MAX)
            return Errno::enametoolong;
        TRY(check_permission(*at, MAY_EXEC)); // search permission on every directory passed through
        if (at->proc != ProcKind::None)
            TRY(proc_refresh_name_vfs_locked(*at, c.name)); // bring /proc in line with the processes and threads first
        Inode* next = TRY(lookup_child_vfs_locked(*at, c.name));
        if (next->is_symlink() && (!c.last || top.follow_last || c.trailing_slash)) {
            if (++w.links > MAX_SYMLINKS)
                return Errno::eloop;
            if (next->proc == ProcKind::FdLink) {
                // A magic link: straight to the open file's inode.
                at = TRY(proc_fd_jump_vfs_locked(*next));
                if ((!c.last || c.trailing_slash) && !at->is_dir())
                    return Errno::enotdir;
                continue;
            }
            lib::StringView body = TRY(link_body_vfs_locked(*next, w));
            bool must_be_dir = !c.last || c.trailing_slash;
            if (!must_be_dir)
                --w.depth; // nothing of this text is left: reuse its slot
            // A relative body resolves from the directory holding the link.
            w.at(w.depth++) = {lib::PathCursor(body), true, must_be_dir};
            if (lib::PathCursor::is_absolute(body))
                at = root();
            continue;
        }
        if (c.trailing_slash && !next->is_dir())
            return Errno::enotdir;
        at = next;
    }
    return at;
}

} // namespace

Result<Inode*> resolve_vfs_locked(Inode& start, lib::StringView path, bool follow_last)
{
    vfs_lock().assert_held();
    return walk_vfs_locked(start, path, follow_last);
}

Result<ParentAndName> resolve_parent_vfs_locked(Inode& start, lib::StringView path)
{
    vfs_lock().assert_held();
    if (path.is_empty())
        return Errno::enoent;
    if (path.length() >= PATH_MAX)
        return Errno::enametoolong;
    lib::ParentSplit split = lib::split_parent(path);
    if (split.name.length() > NAME_MAX)
        return Errno::enametoolong;
    Inode* parent = split.parent.is_empty() ? &start : TRY(walk_vfs_locked(start, split.parent, true));
    if (!parent->is_dir())
        return Errno::enotdir;
    TRY(check_permission(*parent, MAY_EXEC)); // the last name is looked up in it
    return ParentAndName{parent, split.name, split.trailing_slash};
}

static const DirEntry* entry_naming(Inode& at)
{
    const DirEntry* e = at.parent->entries;
    while (e && e->inode != &at)
        e = e->next;
    return e;
}

Result<usize> path_of_vfs_locked(Inode& dir, char* out, usize capacity)
{
    vfs_lock().assert_held();
    // First the length, then the names written from the end backwards
    // (no per-level storage: kernel stacks are small).
    usize length = 0;
    for (Inode* at = &dir; at != root(); at = at->parent) {
        const DirEntry* e = at->nlink ? entry_naming(*at) : nullptr;
        if (!e)
            return Errno::enoent; // a removed directory has no path
        length += 1 + e->length;
    }
    if (length == 0)
        length = 1; // "/"
    if (length + 1 > capacity)
        return Errno::erange;
    out[length] = 0;
    out[0] = '/';
    usize end = length;
    for (Inode* at = &dir; at != root(); at = at->parent) {
        const DirEntry* e = entry_naming(*at);
        end -= e->length;
        __builtin_memcpy(out + end, e->name, e->length);
        out[--end] = '/';
    }
    return length;
}

} // namespace kernel::fs
