// File reference counting and descriptor tables.
#include "kernel/fs/file.hpp"
#include "kernel/fs/epoll.hpp"
#include "kernel/mm/kmalloc.hpp"

namespace kernel {

void File::unref()
{
    if (__atomic_sub_fetch(&m_refs, 1, __ATOMIC_ACQ_REL) == 0) {
        if (__atomic_load_n(&epoll_watcher_count, __ATOMIC_ACQUIRE) != 0) [[unlikely]]
            epoll_file_gone(*this);
        destroy();
    }
}

Result<FileTable*> FileTable::create()
{
    auto* t = mm::make<FileTable>();
    if (!t)
        return Errno::enomem;
    return t;
}

FileTable::~FileTable()
{
    mm::kfree(m_files); // m_cloexec lives in the same block
}

Result<void> FileTable::grow_to(int count)
{
    int capacity;
    {
        SpinLockGuard guard(m_lock);
        if (count <= m_capacity)
            return {};
        capacity = m_capacity ? m_capacity : 8;
    }
    while (capacity < count)
        capacity *= 2;
    if (capacity > MAX_FDS)
        capacity = MAX_FDS;
    // One block: the file pointers, then a close-on-exec byte per slot.
    auto** files = static_cast<File**>(mm::kmalloc(usize(capacity) * (sizeof(File*) + 1)));
    if (!files)
        return Errno::enomem;
    auto* cloexec = reinterpret_cast<u8*>(files + capacity);
    void* spare = files;
    {
        SpinLockGuard guard(m_lock);
        if (capacity > m_capacity) { // else another thread grew it meanwhile
            for (int i = 0; i < capacity; ++i) {
                files[i] = i < m_capacity ? m_files[i] : nullptr;
                cloexec[i] = i < m_capacity ? m_cloexec[i] : 0;
            }
            spare = m_files;
            m_files = files;
            m_cloexec = cloexec;
            m_capacity = capacity;
        }
    }
    mm::kfree(spare);
    return {};
}

Result<FileTable*> FileTable::clone() const
{
    FileTable* t = TRY(create());
    for (;;) {
        int want;
        {
            SpinLockGuard guard(m_lock);
            want = m_capacity;
        }
        if (t->grow_to(want).is_error()) {
            mm::destroy(t);
            return Errno::enomem;
        }
        SpinLockGuard guard(m_lock);
        if (m_capacity > t->m_capacity)
            continue; // grew meanwhile (another thread): again
        for (int fd = 0; fd < m_capacity; ++fd) {
            if (m_files[fd]) {
                m_files[fd]->ref();
                t->m_files[fd] = m_files[fd];
                t->m_cloexec[fd] = m_cloexec[fd];
            }
        }
        return t;
    }
}

void FileTable::release(FileTable* t)
{
    if (t && __atomic_sub_fetch(&t->m_users, 1, __ATOMIC_ACQ_REL) == 0)
        destroy(t);
}

void FileTable::destroy(FileTable* t)
{
    if (!t)
        return;
    // No user is left to race with: no lock, one pass.
    for (int fd = 0; fd < t->m_capacity; ++fd) {
        if (File* f = t->m_files[fd]) {
            t->m_files[fd] = nullptr;
            f->unref();
        }
    }
    mm::destroy(t);
}

bool FileTable::open_ft_locked(int fd) const
{
    m_lock.assert_held();
    return fd >= 0 && fd < m_capacity && m_files[fd];
}

template <typename Which> File* FileTable::take_ft_locked(int fd, Which&& which)
{
    m_lock.assert_held();
    if (!open_ft_locked(fd) || !which(fd))
        return nullptr;
    File* f = m_files[fd];
    m_files[fd] = nullptr;
    return f;
}

int FileTable::open_fds(int* out, int capacity) const
{
    SpinLockGuard guard(m_lock);
    int n = 0;
    for (int fd = 0; fd < m_capacity && n < capacity; ++fd)
        if (m_files[fd])
            out[n++] = fd;
    return n;
}

bool FileTable::is_open(int fd) const
{
    SpinLockGuard guard(m_lock);
    return open_ft_locked(fd);
}

fs::Inode* FileTable::inode_at(int fd) const
{
    SpinLockGuard guard(m_lock);
    return open_ft_locked(fd) ? m_files[fd]->inode() : nullptr;
}

Result<File*> FileTable::get_ref(int fd) const
{
    SpinLockGuard guard(m_lock);
    if (!open_ft_locked(fd))
        return Errno::ebadf;
    m_files[fd]->ref();
    return m_files[fd];
}

Result<int> FileTable::install(File* f, int min_fd, bool cloexec, int limit)
{
    limit = lib::min(limit, MAX_FDS);
    int from = min_fd < 0 ? 0 : min_fd;
    for (;;) {
        int need;
        {
            SpinLockGuard guard(m_lock);
            for (int fd = from; fd < lib::min(limit, m_capacity); ++fd) {
                if (!m_files[fd]) {
                    m_files[fd] = f;
                    m_cloexec[fd] = cloexec;
                    return fd;
                }
            }
            if (m_capacity >= limit)
                return Errno::emfile;
            need = lib::max(from, m_capacity) + 1;
        }
        TRY(grow_to(need));
    }
}

Result<void> FileTable::install_at(File* f, int fd, bool cloexec)
{
    if (fd < 0 || fd >= MAX_FDS)
        return Errno::ebadf;
    TRY(grow_to(fd + 1));
    File* old;
    {
        SpinLockGuard guard(m_lock);
        old = m_files[fd];
        m_files[fd] = f;
        m_cloexec[fd] = cloexec;
    }
    if (old)
        old->unref();
    return {};
}

Result<bool> FileTable::cloexec(int fd) const
{
    SpinLockGuard guard(m_lock);
    if (!open_ft_locked(fd))
        return Errno::ebadf;
    return m_cloexec[fd] != 0;
}

Result<void> FileTable::set_cloexec(int fd, bool on)
{
    SpinLockGuard guard(m_lock);
    if (!open_ft_locked(fd))
        return Errno::ebadf;
    m_cloexec[fd] = on;
    return {};
}

void FileTable::close_on_exec()
{
    // A batch of slots per lock hold (a table may have a thousand), the
    // files released after it.
    constexpr usize BATCH = 16;
    for (int fd = 0;;) {
        File* taken[BATCH];
        usize n = 0;
        bool done;
        {
            SpinLockGuard guard(m_lock);
            for (; fd < m_capacity && n < BATCH; ++fd)
                if (File* f = take_ft_locked(fd, [&](int i) { return m_cloexec[i] != 0; }))
                    taken[n++] = f;
            done = fd >= m_capacity;
        }
        for (usize i = 0; i < n; ++i)
            taken[i]->unref();
        if (done)
            return;
    }
}

Result<void> FileTable::close(int fd)
{
    File* f;
    {
        SpinLockGuard guard(m_lock);
        f = take_ft_locked(fd, [](int) { return true; });
    }
    if (!f)
        return Errno::ebadf;
    f->unref();
    return {};
}

} // namespace kernel
