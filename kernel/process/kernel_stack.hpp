// Kernel stacks: 16 KiB each, in the kernel-stack window, every one with
// 16 KiB of unmapped guard below it. Freed stacks stay mapped in a small
// cache so fork does no page-table work in the common case.
#pragma once

#include "lib/result.hpp"

namespace kernel {

inline constexpr u64 KERNEL_STACK_SIZE = 16 * 1024;

struct KernelStack {
    u64 top;   // initial sp
    u32 slot;  // index in the window
};

// Reads the kstack_check boot option (kernel_stack.cpp).
void kernel_stack_init();
Result<KernelStack> alloc_kernel_stack();
void free_kernel_stack(KernelStack);

} // namespace kernel

namespace kernel {
// Pages held by the cache of freed, still-mapped stacks: free memory in
// every sense but the page allocator's count (sysinfo counts them free).
u64 kernel_stack_cached_pages();
} // namespace kernel
