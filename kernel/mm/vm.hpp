// The kernel's address space: the root table early boot built, completed
// with the direct map of all RAM, and the ioremap window for devices.
#pragma once

#include "lib/range_list.hpp"
#include "lib/result.hpp"

namespace kernel::mm {

// Map every RAM range into the direct map (gigapages). Before the page
// allocator: needs no table pages.
Result<void> vm_map_ram(const lib::RangeList& ram);
// After the page allocator: allocate the shared L1 tables of the ioremap
// and kernel-stack windows, so every future address space shares them.
Result<void> vm_init();
// Map device registers; the result is uncached-by-PMA MMIO space.
Result<volatile u8*> ioremap(u64 pa, u64 size);

// The kernel root table's physical address (for satp and for copying the
// kernel half into new address spaces).
u64 kernel_root_pa();

} // namespace kernel::mm
