// Range checks in front of the assembly copy routines.
#include "kernel/mm/uaccess.hpp"
#include "arch/arch.hpp"
#include "kernel/locking.hpp"
#include "kernel/process/process.hpp"


namespace kernel::mm {

bool user_range_ok(u64 address, usize length)
{
    // The whole range must lie below the top of user space: a range that
    // wraps or reaches into the kernel half is refused before any access.
    return address < arch::USER_TOP && length <= arch::USER_TOP - address;
}

namespace {

// The calling thread's KernelBufferAsUser range, if [address, +length)
// lies within it. Asked only once an address failed user_range_ok.
bool in_kernel_window(u64 address, usize length)
{
    // Kernel code outside any thread (boot, the ktests) has no window.
    const auto* t = static_cast<const Thread*>(arch::this_hart().current);
    return t && t->uaccess_window_end && address >= t->uaccess_window_start && address <= t->uaccess_window_end &&
           length <= t->uaccess_window_end - address;
}

// A copy whose "user" address failed user_range_ok: within the window it
// is a plain copy, else EFAULT. Out of line, so the common path saves no
// registers for it.
[[gnu::noinline, gnu::cold]] Result<void> copy_window(void* dst, const void* src, u64 address, usize length)
{
    if (!in_kernel_window(address, length))
        return Errno::efault;
    __builtin_memcpy(dst, src, length);
    return {};
}

} // namespace

KernelBufferAsUser::KernelBufferAsUser(void* buffer, usize length) : m_address(u64(buffer))
{
    Thread& t = current_thread();
    VERIFY(t.uaccess_window_end == 0 && length > 0);
    t.uaccess_window_start = m_address;
    t.uaccess_window_end = m_address + length;
}

KernelBufferAsUser::~KernelBufferAsUser()
{
    Thread& t = current_thread();
    t.uaccess_window_start = t.uaccess_window_end = 0;
}

Result<void> copy_from_user(void* dst, u64 user_src, usize length)
{
    // A user page may fault in (and allocate): never under a spinlock.
    verify_no_spinlock_held("user memory access");
    if (!user_range_ok(user_src, length)) [[unlikely]]
        return copy_window(dst, reinterpret_cast<const void*>(user_src), user_src, length);
    if (length && arch::uaccess_copy(dst, reinterpret_cast<const void*>(user_src), length) != 0)
        return Errno::efault;
    return {};
}

Result<void> copy_to_user(u64 user_dst, const void* src, usize length)
{
    verify_no_spinlock_held("user memory access");
    if (!user_range_ok(user_dst, length)) [[unlikely]]
        return copy_window(reinterpret_cast<void*>(user_dst), src, user_dst, length);
    if (length && arch::uaccess_copy(reinterpret_cast<void*>(user_dst), src, length) != 0)
        return Errno::efault;
    return {};
}

Result<void> copy_from_user_nofault(void* dst, u64 user_src, usize length)
{
    // No check for spinlocks: a page that is not there fails the copy
    // (EFAULT) instead of faulting in, so nothing sleeps or allocates.
    if (!user_range_ok(user_src, length))
        return Errno::efault;
    ++arch::this_hart().user_faults_off;
    bool failed = length && arch::uaccess_copy(dst, reinterpret_cast<const void*>(user_src), length) != 0;
    --arch::this_hart().user_faults_off;
    if (failed)
        return Errno::efault;
    return {};
}

Result<bool> cmpxchg_user_word(u64 address, u32 expected, u32 desired, u32& found)
{
    verify_no_spinlock_held("user memory access");
    if (address % 4)
        return Errno::einval;
    if (!user_range_ok(address, 4))
        return Errno::efault;
    if (arch::uaccess_cmpxchg32(reinterpret_cast<u32*>(address), expected, desired, &found) != 0)
        return Errno::efault;
    return found == expected;
}

Result<usize> copy_string_from_user(char* dst, u64 user_src, usize capacity)
{
    verify_no_spinlock_held("user memory access");
    if (capacity == 0 || user_src >= arch::USER_TOP)
        return Errno::efault;
    // Never read past the top of user space, even for a short string.
    u64 limit = lib::min<u64>(capacity, arch::USER_TOP - user_src);
    i64 n = arch::uaccess_strncpy(dst, user_src, limit);
    if (n < 0)
        return Errno::efault;
    if (u64(n) == limit)
        return limit == capacity ? Errno::enametoolong : Errno::efault;
    return usize(n);
}

} // namespace kernel::mm
