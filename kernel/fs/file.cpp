// File reference counting and descriptor tables.
#include "kernel/fs/file.hpp"
#include "kernel/mm/kmalloc.hpp"

namespace kernel {

void File::unref()
{
    if (__atomic_sub_fetch(&m_refs, 1, __ATOMIC_ACQ_REL) == 0)
        destroy();
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
    if (count <= m_capacity)
        return {};
    int capacity = m_capacity ? m_capacity : 8;
    while (capacity < count)
        capacity *= 2;
    if (capacity > MAX_FDS)
        capacity = MAX_FDS;
    // One block: the file pointers, then a close-on-exec byte per slot.
    auto** files = static_cast<File**>(mm::kmalloc(usize(capacity) * (sizeof(File*) + 1)));
    if (!files)
        return Errno::enomem;
    auto* cloexec = reinterpret_cast<u8*>(files + capacity);
    for (int i = 0; i < capacity; ++i) {
        files[i] = i < m_capacity ? m_files[i] : nullptr;
        cloexec[i] = i < m_capacity ? m_cloexec[i] : 0;
    }
    mm::kfree(m_files);
    m_files = files;
    m_cloexec = cloexec;
    m_capacity = capacity;
    return {};
}

Result<FileTable*> FileTable::clone() const
{
    FileTable* t = TRY(create());
    if (t->grow_to(m_capacity).is_error()) {
        mm::destroy(t);
        return Errno::enomem;
    }
    for (int fd = 0; fd < m_capacity; ++fd) {
        if (m_files[fd]) {
            m_files[fd]->ref();
            t->m_files[fd] = m_files[fd];
            t->m_cloexec[fd] = m_cloexec[fd];
        }
    }
    return t;
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
    for (int fd = 0; fd < t->m_capacity; ++fd)
        (void)t->close(fd);
    mm::destroy(t);
}

Result<File*> FileTable::get(int fd) const
{
    if (fd < 0 || fd >= m_capacity || !m_files[fd])
        return Errno::ebadf;
    return m_files[fd];
}

Result<File*> FileTable::get_ref(int fd) const
{
    File* f = TRY(get(fd));
    f->ref();
    return f;
}

Result<int> FileTable::install(File* f, int min_fd, bool cloexec, int limit)
{
    limit = lib::min(limit, MAX_FDS);
    for (int fd = min_fd < 0 ? 0 : min_fd; fd < limit; ++fd) {
        if (fd >= m_capacity)
            TRY(grow_to(fd + 1));
        if (!m_files[fd]) {
            m_files[fd] = f;
            m_cloexec[fd] = cloexec;
            return fd;
        }
    }
    return Errno::emfile;
}

Result<void> FileTable::install_at(File* f, int fd, bool cloexec)
{
    if (fd < 0 || fd >= MAX_FDS)
        return Errno::ebadf;
    TRY(grow_to(fd + 1));
    File* old = m_files[fd];
    m_files[fd] = f;
    m_cloexec[fd] = cloexec;
    if (old)
        old->unref();
    return {};
}

Result<bool> FileTable::cloexec(int fd) const
{
    TRY(get(fd));
    return m_cloexec[fd] != 0;
}

Result<void> FileTable::set_cloexec(int fd, bool on)
{
    TRY(get(fd));
    m_cloexec[fd] = on;
    return {};
}

void FileTable::close_on_exec()
{
    for (int fd = 0; fd < m_capacity; ++fd)
        if (m_files[fd] && m_cloexec[fd])
            (void)close(fd);
}

Result<void> FileTable::close(int fd)
{
    if (fd < 0 || fd >= m_capacity || !m_files[fd])
        return Errno::ebadf;
    File* f = m_files[fd];
    m_files[fd] = nullptr;
    f->unref();
    return {};
}

} // namespace kernel
