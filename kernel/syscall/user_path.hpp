// A path name copied in from user memory. The text lives in a page of its
// own, never on the kernel stack: a call with two paths would otherwise
// hold 8 KiB of a 16 KiB stack before resolving anything.
#pragma once

#include "kernel/fs/inode.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"

namespace kernel {

class UserPath {
public:
    static_assert(fs::PATH_MAX == mm::PAGE_SIZE);

    UserPath() = default;
    UserPath(const UserPath&) = delete;
    UserPath& operator=(const UserPath&) = delete;
    ~UserPath()
    {
        if (m_text)
            mm::free_pages(mm::virt_to_phys(m_text), 0);
    }

    // ENOMEM, EFAULT, or ENAMETOOLONG when no NUL comes within PATH_MAX.
    Result<void> copy_from(UserPtr<const char> name)
    {
        TRY(allocate());
        m_length = TRY(mm::copy_string_from_user(m_text, name, fs::PATH_MAX));
        return {};
    }

    // A buffer of PATH_MAX bytes without a name in it (getcwd's answer).
    Result<void> allocate()
    {
        if (!m_text) {
            auto pa = mm::alloc_pages(0);
            if (!pa)
                return Errno::enomem;
            m_text = static_cast<char*>(mm::phys_to_virt(*pa));
        }
        m_length = 0;
        return {};
    }

    lib::StringView view() const { return {m_text, m_length}; }
    usize length() const { return m_length; }
    bool is_absolute() const { return m_length > 0 && m_text[0] == '/'; }
    // The PATH_MAX bytes themselves, for a call done with the name that
    // needs room for its answer (readlinkat's target).
    char* buffer() { return m_text; }

private:
    char* m_text = nullptr;
    usize m_length = 0;
};

} // namespace kernel
