// Kernel stacks: 16 KiB each, in the kernel-stack window, every one with
// 16 KiB of unmapped guard below it. Freed stacks stay mapped in a small
// cache so fork does no page-table work in the common case.
#pragma once

#include "arch/arch.hpp"
#include "lib/result.hpp"

namespace kernel {

// The geometry is the arch layout's: the trap entry checks it too.
using arch::KERNEL_STACK_SIZE;

struct KernelStack {
    u64 top;   // the end of the stack (its thread block sits just below: process.cpp)
    u32 slot;  // index in the window
};

// Reads the kstack_check boot option (kernel_stack.cpp).
void kernel_stack_init();
Result<KernelStack> alloc_kernel_stack();
void free_kernel_stack(KernelStack);

struct Thread;
// Test builds, with kstack_check: the depth the calling process's stack
// reached during system call `number` (and any fault or interrupt since
// the previous call), kept as the call's worst case; the stack is then
// painted again below the live frames.
void kstack_check_after_syscall(Thread&, u64 number);
// The worst cases per system call, deepest first (at power-off).
void kstack_check_report();

} // namespace kernel

namespace kernel {
// Pages held by the cache of freed, still-mapped stacks: free memory in
// every sense but the page allocator's count (sysinfo counts them free).
u64 kernel_stack_cached_pages();
} // namespace kernel
