// The only way the kernel touches user memory: checked copies that turn any
// bad pointer (unmapped, kernel address, wrong permission, range crossing
// into the kernel half) into EFAULT. sstatus.SUM is set only inside the
// assembly routines (arch/riscv/uaccess.S); a fault there on a page the
// process may have (lazily mapped) is served, anything else takes the
// exception-table fixup.
#pragma once

#include "lib/result.hpp"
#include "lib/user_ptr.hpp"

namespace kernel::mm {

bool user_range_ok(u64 address, usize length);
Result<void> copy_from_user(void* dst, u64 user_src, usize length);
// The same for memory that is resident now, allowed under a spinlock: a
// page not mapped at this moment fails the copy (EFAULT) instead of being
// brought in (Linux's pagefault_disable). The caller then copies again
// without the lock, which may fault the page in, and retries (futexes).
Result<void> copy_from_user_nofault(void* dst, u64 user_src, usize length);
Result<void> copy_to_user(u64 user_dst, const void* src, usize length);
// Copy a NUL-terminated string of at most capacity-1 bytes; returns its
// length. ENAMETOOLONG (or the caller's choice) when no NUL fits.
Result<usize> copy_string_from_user(char* dst, u64 user_src, usize capacity);
// Atomically replace the aligned user word at address with update(old),
// for the futex operations other threads race with on other harts.
// Returns the old value; EFAULT for a bad address, EINVAL if misaligned.
template <typename F> Result<u32> update_user_word(u64 address, F&& update);
Result<bool> cmpxchg_user_word(u64 address, u32 expected, u32 desired, u32& found);

// A kernel buffer that the user-copy routines accept as if it were user
// memory, for the calling thread, while this object lives: a file's read
// or write (which know only user addresses) can then move data between
// two files through the kernel (sendfile). Only this exact range is
// accepted; every other kernel address is still EFAULT. Not nested.
class KernelBufferAsUser {
public:
    KernelBufferAsUser(void* buffer, usize length);
    ~KernelBufferAsUser();
    KernelBufferAsUser(const KernelBufferAsUser&) = delete;
    u64 address() const { return m_address; }

private:
    u64 m_address;
};

template <typename T> Result<T> read_user(u64 address)
{
    T value;
    TRY(copy_from_user(&value, address, sizeof(T)));
    return value;
}

template <typename T> Result<void> write_user(u64 address, const T& value)
{
    return copy_to_user(address, &value, sizeof(T));
}

template <typename F> Result<u32> update_user_word(u64 address, F&& update)
{
    u32 old = TRY(read_user<u32>(address));
    for (;;) {
        u32 found;
        if (TRY(cmpxchg_user_word(address, old, update(old), found)))
            return old;
        old = found;
    }
}

// The typed forms, for system calls: the element type comes from the
// UserPtr (counts are in elements), and a UserPtr<const T> can be read
// but not written. These are the only place a UserPtr becomes an access.
template <typename T> struct TypeIdentity { using Type = T; };

template <typename T> Result<void> copy_from_user(lib::RemoveCvRefT<T>* dst, UserPtr<T> src, usize count)
{
    return copy_from_user(static_cast<void*>(dst), src.address(), count * sizeof(T));
}

template <typename T>
    requires(!lib::is_same<T, const T>)
Result<void> copy_to_user(UserPtr<T> dst, const typename TypeIdentity<T>::Type* src, usize count)
{
    return copy_to_user(dst.address(), static_cast<const void*>(src), count * sizeof(T));
}

template <typename T> Result<lib::RemoveCvRefT<T>> read_user(UserPtr<T> src)
{
    return read_user<lib::RemoveCvRefT<T>>(src.address());
}

template <typename T>
    requires(!lib::is_same<T, const T>)
Result<void> write_user(UserPtr<T> dst, const typename TypeIdentity<T>::Type& value)
{
    return copy_to_user(dst.address(), &value, sizeof(T));
}

inline Result<usize> copy_string_from_user(char* dst, UserPtr<const char> src, usize capacity)
{
    return copy_string_from_user(dst, src.address(), capacity);
}

} // namespace kernel::mm
