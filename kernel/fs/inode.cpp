// RAM inodes: allocation, directory entries, page-backed contents.
#include "kernel/fs/inode.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/wallclock.hpp"

namespace kernel::fs {

namespace {

constinit Mutex s_lock(LockRank::Vfs);
constinit Inode* s_root = nullptr;
constinit u64 s_next_ino = 2; // 1 is the root
constinit u64 s_cached_pages = 0;
constinit u64 s_live_inodes = 1; // the root's

// A mapping may still hold the page (page_cache_get's reference): it
// lives on until that is dropped too.
void free_pages_of(Inode& inode, usize from_page)
{
    for (usize i = from_page; i < inode.page_slots; ++i) {
        if (inode.pages[i] != PhysAddr{}) {
            mm::page_put(inode.pages[i]);
            inode.pages[i] = PhysAddr{};
            --s_cached_pages;
        }
    }
}

void destroy(Inode* inode)
{
    free_pages_of(*inode, 0);
    mm::kfree(inode->pages);
    mm::destroy(inode);
    --s_live_inodes;
}

bool unused(const Inode& inode) { return inode.nlink == 0 && inode.open_refs == 0 && &inode != s_root; }

// Allocates with the VFS lock held: it is a mutex, not a spinlock, for
// exactly this (kernel/locking.hpp).
Result<void> ensure_slots(Inode& inode, usize slots)
{
    if (slots <= inode.page_slots)
        return {};
    usize capacity = lib::max<usize>(slots, inode.page_slots * 2);
    auto* pages = static_cast<PhysAddr*>(mm::kmalloc(capacity * sizeof(PhysAddr)));
    if (!pages)
        return Errno::enospc;
    for (usize i = 0; i < capacity; ++i)
        pages[i] = i < inode.page_slots ? inode.pages[i] : PhysAddr{};
    mm::kfree(inode.pages);
    inode.pages = pages;
    inode.page_slots = capacity;
    return {};
}

// The cached page `index` (copied from the archive or zero-filled on
// first use).
Result<PhysAddr> cache_page(Inode& inode, usize index)
{
    TRY(ensure_slots(inode, index + 1));
    if (inode.pages[index] == PhysAddr{}) {
        auto pa = mm::alloc_page_zeroed();
        if (!pa)
            return Errno::enospc;
        u64 start = index * mm::PAGE_SIZE;
        if (start < inode.backing_size)
            __builtin_memcpy(mm::phys_to_virt(*pa), inode.backing + start,
                             lib::min<u64>(mm::PAGE_SIZE, inode.backing_size - start));
        inode.pages[index] = *pa;
        ++s_cached_pages;
    }
    return inode.pages[index];
}

// The page holding byte `offset`, about to be written.
Result<u8*> writable_page(Inode& inode, u64 offset)
{
    PhysAddr pa = TRY(cache_page(inode, usize(offset / mm::PAGE_SIZE)));
    inode.contents_changed = true;
    return static_cast<u8*>(mm::phys_to_virt(pa));
}

} // namespace

Mutex& vfs_lock() { return s_lock; }
u64 live_inodes_vfs_locked()
{
    s_lock.assert_held();
    return s_live_inodes;
}
u64 cached_pages_vfs_locked()
{
    s_lock.assert_held();
    return s_cached_pages;
}
Inode* root() { return s_root; }
u64 vfs_now_ns() { return wallclock_ns(); }

Result<Inode*> new_inode_vfs_locked(u32 mode)
{
    s_lock.assert_held();
    auto* inode = mm::make<Inode>();
    if (!inode)
        return Errno::enospc;
    inode->ino = s_next_ino++;
    ++s_live_inodes;
    inode->mode = mode;
    inode->atime_ns = inode->mtime_ns = inode->ctime_ns = vfs_now_ns();
    return inode;
}

void vfs_init()
{
    MutexGuard guard(s_lock);
    auto root = new_inode_vfs_locked(S_IFDIR | 0755);
    VERIFY(root.is_ok());
    s_root = root.value();
    s_root->ino = 1;
    s_root->nlink = 2;
    s_root->parent = s_root;
}

Result<Inode*> lookup_child_vfs_locked(const Inode& dir, lib::StringView name)
{
    s_lock.assert_held();
    if (!dir.is_dir())
        return Errno::enotdir;
    if (name.length() > NAME_MAX)
        return Errno::enametoolong;
    if (name == lib::StringView(".", 1))
        return const_cast<Inode*>(&dir);
    if (name == lib::StringView("..", 2))
        return dir.parent;
    for (DirEntry* e = dir.entries; e; e = e->next)
        if (lib::StringView(e->name, e->length) == name)
            return e->inode;
    return Errno::enoent;
}

Result<void> link_vfs_locked(Inode& dir, lib::StringView name, Inode& child)
{
    s_lock.assert_held();
    if (!dir.is_dir())
        return Errno::enotdir;
    if (name.is_empty() || name == lib::StringView(".", 1) || name == lib::StringView("..", 2))
        return Errno::eexist;
    if (name.length() > NAME_MAX)
        return Errno::enametoolong;
    if (dir.nlink == 0)
        return Errno::enoent; // the directory was removed
    if (lookup_child_vfs_locked(dir, name).is_ok())
        return Errno::eexist;
    auto* e = static_cast<DirEntry*>(mm::kmalloc(sizeof(DirEntry) - (NAME_MAX + 1) + name.length() + 1));
    if (!e)
        return Errno::enospc;
    e->inode = &child;
    e->length = u16(name.length());
    __builtin_memcpy(e->name, name.data(), name.length());
    e->name[name.length()] = 0;
    // Append, so listings come out in creation order.
    e->next = nullptr;
    DirEntry** tail = &dir.entries;
    while (*tail)
        tail = &(*tail)->next;
    *tail = e;
    ++child.nlink;
    if (child.is_dir()) {
        child.parent = &dir;
        ++child.nlink; // its "."
        ++dir.nlink;   // its ".."
    }
    dir.mtime_ns = dir.ctime_ns = vfs_now_ns();
    return {};
}

Result<void> unlink_child_vfs_locked(Inode& dir, lib::StringView name)
{
    s_lock.assert_held();
    for (DirEntry** link = &dir.entries; *link; link = &(*link)->next) {
        DirEntry* e = *link;
        if (lib::StringView(e->name, e->length) != name)
            continue;
        *link = e->next;
        Inode* child = e->inode;
        mm::kfree(e);
        --child->nlink;
        if (child->is_dir()) {
            --child->nlink; // its "."
            --dir.nlink;
        }
        child->ctime_ns = dir.mtime_ns = dir.ctime_ns = vfs_now_ns();
        if (unused(*child))
            destroy(child);
        return {};
    }
    return Errno::enoent;
}

void discard_if_unused_vfs_locked(Inode& inode)
{
    s_lock.assert_held();
    if (unused(inode))
        destroy(&inode);
}

void inode_ref(Inode& inode)
{
    MutexGuard guard(s_lock);
    ++inode.open_refs;
}

void inode_unref(Inode& inode)
{
    MutexGuard guard(s_lock);
    VERIFY(inode.open_refs > 0);
    if (--inode.open_refs == 0 && unused(inode))
        destroy(&inode);
}

usize read_vfs_locked(Inode& inode, u64 offset, u8* out, usize length)
{
    s_lock.assert_held();
    if (offset >= inode.size)
        return 0;
    length = usize(lib::min<u64>(length, inode.size - offset));
    usize done = 0;
    while (done < length) {
        u64 at = offset + done;
        usize index = at / mm::PAGE_SIZE, in_page = at % mm::PAGE_SIZE;
        usize n = lib::min<usize>(length - done, mm::PAGE_SIZE - in_page);
        if (index < inode.page_slots && inode.pages[index] != PhysAddr{})
            __builtin_memcpy(out + done, static_cast<u8*>(mm::phys_to_virt(inode.pages[index])) + in_page, n);
        else if (at < inode.backing_size) {
            usize from_backing = usize(lib::min<u64>(n, inode.backing_size - at));
            __builtin_memcpy(out + done, inode.backing + at, from_backing);
            __builtin_memset(out + done + from_backing, 0, n - from_backing);
        }
        else
            __builtin_memset(out + done, 0, n); // a hole
        done += n;
    }
    inode.atime_ns = vfs_now_ns();
    return done;
}

Result<lib::StringView> symlink_target_vfs_locked(Inode& link)
{
    s_lock.assert_held();
    // Targets are shorter than PATH_MAX (symlinkat copies at most that), so
    // one page or the archive's bytes hold all of it.
    if (link.size == 0)
        return Errno::enoent;
    if (link.size >= PATH_MAX)
        return Errno::enametoolong; // an archive's symlink can say anything
    const char* text = nullptr;
    if (link.page_slots > 0 && link.pages[0] != PhysAddr{})
        text = static_cast<const char*>(mm::phys_to_virt(link.pages[0]));
    else if (link.backing && link.backing_size >= link.size)
        text = reinterpret_cast<const char*>(link.backing);
    if (!text)
        return Errno::eio;
    link.atime_ns = vfs_now_ns();
    return lib::StringView(text, usize(link.size));
}

Result<usize> write_vfs_locked(Inode& inode, u64 offset, const u8* data, usize length)
{
    s_lock.assert_held();
    if (offset + length < offset)
        return Errno::efbig;
    usize done = 0;
    while (done < length) {
        u64 at = offset + done;
        usize n = lib::min<usize>(length - done, mm::PAGE_SIZE - at % mm::PAGE_SIZE);
        auto page = writable_page(inode, at);
        if (page.is_error())
            return done ? Result<usize>(done) : Result<usize>(page.error());
        __builtin_memcpy(page.value() + at % mm::PAGE_SIZE, data + done, n);
        done += n;
        if (at + n > inode.size)
            inode.size = at + n;
    }
    inode.mtime_ns = inode.ctime_ns = vfs_now_ns();
    return done;
}

Result<void> truncate_vfs_locked(Inode& inode, u64 size)
{
    s_lock.assert_held();
    if (inode.proc != ProcKind::None)
        return {}; // Linux lets root truncate a /proc file; nothing changes
    if (size < inode.size) {
        usize keep = usize(lib::align_up(size, mm::PAGE_SIZE) / mm::PAGE_SIZE);
        free_pages_of(inode, keep);
        // Zero the tail of the last kept page, so growing again reads zeros.
        if (size % mm::PAGE_SIZE) {
            auto page = writable_page(inode, size);
            if (page.is_ok())
                __builtin_memset(page.value() + size % mm::PAGE_SIZE, 0, mm::PAGE_SIZE - size % mm::PAGE_SIZE);
        }
        if (size < inode.backing_size)
            inode.backing_size = size; // bytes past it are gone for good
    }
    inode.size = size;
    inode.mtime_ns = inode.ctime_ns = vfs_now_ns();
    return {};
}

Result<PhysAddr> page_cache_get(Inode& inode, u64 index)
{
    MutexGuard guard(s_lock);
    if (!inode.is_regular() || index >= lib::align_up(inode.size, mm::PAGE_SIZE) / mm::PAGE_SIZE)
        return Errno::enxio;
    PhysAddr pa = TRY(cache_page(inode, usize(index)));
    mm::page_get(pa);
    return pa;
}

u64 cached_pages()
{
    MutexGuard guard(s_lock);
    return s_cached_pages;
}

Result<Inode*> new_anonymous_inode(u64 size)
{
    MutexGuard guard(s_lock);
    Inode* inode = TRY(new_inode_vfs_locked(S_IFREG | 0600));
    inode->size = size;
    inode->contents_changed = true;
    ++inode->open_refs;
    return inode;
}

Result<const u8*> contiguous_contents(Inode& inode, bool& must_free)
{
    MutexGuard guard(s_lock);
    if (!inode.contents_changed && inode.backing_size == inode.size) {
        must_free = false;
        return inode.backing;
    }
    auto* copy = static_cast<u8*>(mm::kmalloc(usize(inode.size) ? usize(inode.size) : 1));
    if (!copy)
        return Errno::enomem;
    read_vfs_locked(inode, 0, copy, usize(inode.size));
    must_free = true;
    return static_cast<const u8*>(copy);
}

} // namespace kernel::fs
