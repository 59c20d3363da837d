// The report every hardening check ends in (compiled into the hardened
// kernel only, cmake/kernel.cmake): "KERNEL PANIC: what", a backtrace from
// the code that tripped the check, and power-off with the panic status.
#pragma once

#include "arch/arch.hpp"
#include "kernel/panic.hpp"
#include "kernel/printk.hpp"

namespace kernel::hardening {

// pc/fp: where the backtrace starts (the frame that tripped the check).
template <typename... Args>
[[noreturn]] void report_and_panic(u64 pc, u64 fp, lib::StringView fmt, const Args&... args)
{
    panic_begin();
    panic_print("\nKERNEL PANIC: ");
    panic_print(fmt, args...);
    panic_print("\nbacktrace:\n");
    arch::print_backtrace(pc, fp);
    panic_end();
}

// From inside a check: the backtrace starts at the check's caller.
#define HARDENING_PANIC(...)                                                                      \
    ::kernel::hardening::report_and_panic(u64(__builtin_return_address(0)),                       \
                                          u64(__builtin_frame_address(0)), __VA_ARGS__)

} // namespace kernel::hardening
