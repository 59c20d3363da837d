// What an address space keeps of its ASID (asid.hpp): apart, so that the
// portable AddressSpace header need not see CSR code.
#pragma once

#include "lib/types.hpp"

namespace arch::riscv {

struct AsidTag {
    u64 tag = 0;  // generation << 16 | ASID; 0 = never had one
    u64 satp = 0; // the satp value that goes with it
};

} // namespace arch::riscv
