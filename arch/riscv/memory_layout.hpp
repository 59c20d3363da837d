// The kernel's virtual memory map (Sv39, 39-bit addresses; the upper half
// starts at 0xffffffc000000000). Shared by early boot, the page-table code,
// the trap entry (trap_entry.S, through the macros) and docs/boot.md, which
// draws it.
#pragma once

// What assembly needs, as macros; the C++ constants below are defined from
// them, so the two cannot disagree.
#define MYRIAD_KSTACK_BASE 0xffffffe040000000
// Kernel-stack slots: 2^15 bytes each, the lower 2^14 an unmapped guard,
// the upper 2^14 the stack.
#define MYRIAD_KSTACK_STACK_SHIFT 14

#ifndef __ASSEMBLER__
#include "lib/types.hpp"

namespace arch::riscv {

inline constexpr u64 PAGE_SIZE = 4096;
inline constexpr u64 PAGE_SHIFT = 12;
inline constexpr u64 MEGAPAGE_SIZE = 2ull << 20;  // an L1 leaf
inline constexpr u64 GIGAPAGE_SIZE = 1ull << 30;  // an L2 (root) leaf

// All physical memory, at DIRECT_MAP_BASE + physical address, in gigapages.
// 128 root entries: physical addresses below 128 GiB.
inline constexpr u64 DIRECT_MAP_BASE = 0xffffffc000000000ull;
inline constexpr u64 DIRECT_MAP_SIZE = 128ull << 30;
// Device registers, mapped page by page on demand (one shared L1 table).
inline constexpr u64 IOREMAP_BASE = 0xffffffe000000000ull;
inline constexpr u64 IOREMAP_SIZE = 1ull << 30;
// Kernel stacks with unmapped guard pages between them (one shared L1 table
// for the whole GiB window).
inline constexpr u64 KSTACK_BASE = u64(MYRIAD_KSTACK_BASE);
inline constexpr u64 KSTACK_SIZE = 1ull << 30;
inline constexpr u64 KERNEL_STACK_SIZE = 1ull << MYRIAD_KSTACK_STACK_SHIFT;
inline constexpr u64 KSTACK_GUARD_SIZE = KERNEL_STACK_SIZE;
inline constexpr u64 KSTACK_SLOT_SIZE = KSTACK_GUARD_SIZE + KERNEL_STACK_SIZE;
// trap_entry.S tells the stack half of a slot from its guard by bit
// MYRIAD_KSTACK_STACK_SHIFT of the offset from KSTACK_BASE, and the window
// from the rest of memory by shifting that offset right by 30: slots of a
// power of two, aligned, the guard below the stack, in a 1 GiB window.
static_assert(KSTACK_SLOT_SIZE == 2ull << MYRIAD_KSTACK_STACK_SHIFT);
static_assert(KSTACK_BASE % KSTACK_SLOT_SIZE == 0);
static_assert(KSTACK_SIZE == 1ull << 30 && KSTACK_SIZE % KSTACK_SLOT_SIZE == 0);
// The kernel image, at its link address (link.ld).
inline constexpr u64 KERNEL_VIRT_BASE = 0xffffffff80000000ull;
// Where the kernel image may be: 32 MiB (16 early L0 tables).
inline constexpr u64 KERNEL_MAX_SIZE = 32ull << 20;
// User space is the lower half: [0, USER_TOP).
inline constexpr u64 USER_TOP = 0x0000004000000000ull;

inline constexpr unsigned root_index(u64 va) { return (va >> 30) & 511; }

} // namespace arch::riscv
#endif
