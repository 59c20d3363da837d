// Shared by the two halves of the devicetree reader: fdt.cpp (the blob
// and its tree) and fdt_machine.cpp (what the tree says about the machine).
#pragma once

#include "lib/fdt.hpp"

namespace lib::fdt::detail {

// Section 5.3: a reservation entry is two u64 (address, size).
constexpr u32 k_memreserve_entry_size = 16;

// A u32-sized property (#address-cells, phandle, ...).
inline Result<u32> single_u32(const Property& prop, const char* what)
{
    if (prop.size() != 4)
        return make_error(Errno::einval, what);
    return prop.u32_at(0);
}

} // namespace lib::fdt::detail
