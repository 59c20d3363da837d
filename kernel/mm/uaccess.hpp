// The only way the kernel touches user memory: checked copies that turn any
// bad pointer (unmapped, kernel address, wrong permission, range crossing
// into the kernel half) into EFAULT. sstatus.SUM is set only inside the
// assembly routines (arch/riscv/uaccess.S); a fault there on a page the
// process may have (lazily mapped) is served, anything else takes the
// exception-table fixup.
#pragma once

#include "lib/result.hpp"

namespace kernel::mm {

bool user_range_ok(u64 address, usize length);
Result<void> copy_from_user(void* dst, u64 user_src, usize length);
Result<void> copy_to_user(u64 user_dst, const void* src, usize length);
// Copy a NUL-terminated string of at most capacity-1 bytes; returns its
// length. ENAMETOOLONG (or the caller's choice) when no NUL fits.
Result<usize> copy_string_from_user(char* dst, u64 user_src, usize capacity);

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

} // namespace kernel::mm
