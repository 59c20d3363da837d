// What boot learned about the machine, from firmware and the device tree,
// kept for the rest of the kernel (and the ktests that check it).
#pragma once

#include "kernel/arch_hooks.hpp"
#include "lib/cmdline.hpp"
#include "lib/fdt.hpp"
#include "lib/optional.hpp"
#include "lib/range_list.hpp"

namespace kernel {

struct BootInfo {
    u64 hart_id = 0;
    u64 dtb_pa = 0;
    u64 load_pa = 0;       // where firmware put the image
    u64 image_size = 0;    // including .bss
    lib::Optional<lib::fdt::Blob> fdt;
    lib::CommandLine cmdline;
    lib::RangeList ram;       // /memory
    lib::RangeList reserved;  // /reserved-memory, /memreserve/, firmware
    lib::Optional<lib::Range> initrd;
    u64 timebase_hz = 0;
    bool sstc = false;        // the boot hart's ISA string has Sstc
    u32 usable_harts = 0;     // enabled harts with an MMU
    u64 entry_time = 0;       // counter value at kernel entry
    u64 entry_instret = 0;
};

const BootInfo& boot_info();

// boot_option(key), the command line option's value, is declared with the
// callbacks arch/ may use (kernel/arch_hooks.hpp).

} // namespace kernel
