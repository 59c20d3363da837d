// Path walking, with symbolic links followed by recursion on a counter.
#include "kernel/fs/path.hpp"
#include "kernel/fs/procfs.hpp"
#include "kernel/mm/kmalloc.hpp"

namespace kernel::fs {

namespace {

constexpr int MAX_SYMLINKS = 40; // Linux's MAXSYMLINKS

struct Walk {
    int links = 0;
};

Result<Inode*> walk_locked(Inode& start, lib::StringView path, bool follow_last, Walk& w);

// Follow the symlink `link` found in `dir`.
Result<Inode*> follow_locked(Inode& dir, Inode& link, bool follow_last, Walk& w)
{
    if (++w.links > MAX_SYMLINKS)
        return Errno::eloop;
    // On the heap: links nest up to 40 deep and kernel stacks are 16 KiB.
    auto* target = static_cast<char*>(mm::kmalloc(PATH_MAX));
    if (!target)
        return Errno::enomem;
    usize n = link.proc == ProcKind::Self ? proc_self_target(target, PATH_MAX)
                                          : read_locked(link, 0, reinterpret_cast<u8*>(target), PATH_MAX);
    auto result = n == 0 ? Result<Inode*>(Errno::enoent)
                         : walk_locked(target[0] == '/' ? *root() : dir, lib::StringView(target, n), follow_last, w);
    mm::kfree(target);
    return result;
}

Result<Inode*> walk_locked(Inode& start, lib::StringView path, bool follow_last, Walk& w)
{
    if (path.is_empty())
        return Errno::enoent;
    if (path.length() >= PATH_MAX)
        return Errno::enametoolong;
    Inode* at = path[0] == '/' ? root() : &start;
    usize i = 0;
    while (i < path.length()) {
        while (i < path.length() && path[i] == '/')
            ++i;
        if (i == path.length())
            break;
        usize end = i;
        while (end < path.length() && path[end] != '/')
            ++end;
        lib::StringView name = path.substring(i, end - i);
        bool last = end == path.length() || [&] {
            for (usize k = end; k < path.length(); ++k)
                if (path[k] != '/')
                    return false;
            return true;
        }();
        bool trailing_slash = last && end < path.length();
        if (!at->is_dir())
            return Errno::enotdir;
        if (name.length() > NAME_MAX)
            return Errno::enametoolong;
        if (at->proc == ProcKind::Root)
            proc_refresh_name_locked(*at, name); // bring /proc in line with the processes first
        Inode* next = TRY(lookup_child_locked(*at, name));
        if (next->is_symlink() && (!last || follow_last || trailing_slash))
            next = TRY(follow_locked(*at, *next, true, w));
        if (trailing_slash && !next->is_dir())
            return Errno::enotdir;
        at = next;
        i = end;
    }
    return at;
}

} // namespace

Result<Inode*> resolve_locked(Inode& start, lib::StringView path, bool follow_last)
{
    Walk w;
    return walk_locked(start, path, follow_last, w);
}

Result<ParentAndName> resolve_parent_locked(Inode& start, lib::StringView path)
{
    if (path.is_empty())
        return Errno::enoent;
    if (path.length() >= PATH_MAX)
        return Errno::enametoolong;
    usize end = path.length();
    bool trailing_slash = false;
    while (end > 1 && path[end - 1] == '/') {
        --end;
        trailing_slash = true;
    }
    usize slash = end;
    while (slash > 0 && path[slash - 1] != '/')
        --slash;
    lib::StringView name = path.substring(slash, end - slash);
    if (name.length() > NAME_MAX)
        return Errno::enametoolong;
    Inode* parent;
    if (slash == 0) {
        parent = &start;
    } else {
        Walk w;
        parent = TRY(walk_locked(start, path.substring(0, slash), true, w));
    }
    if (!parent->is_dir())
        return Errno::enotdir;
    return ParentAndName{parent, name, trailing_slash};
}

static const DirEntry* entry_naming(Inode& at)
{
    const DirEntry* e = at.parent->entries;
    while (e && e->inode != &at)
        e = e->next;
    return e;
}

Result<usize> path_of_locked(Inode& dir, char* out, usize capacity)
{
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
