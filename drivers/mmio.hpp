// Register access for memory-mapped devices. volatile accesses of the given
// width; RISC-V orders them per the I/O ordering rules (RVWMO, priv spec
// 3.6.5: I/O regions are strongly ordered on QEMU and on the boards we
// target, so no extra fences are needed between register accesses).
#pragma once

#include "lib/types.hpp"

namespace drivers {

inline u32 mmio_read32(volatile u8* base, u64 offset) { return *reinterpret_cast<volatile u32*>(base + offset); }
inline void mmio_write32(volatile u8* base, u64 offset, u32 v) { *reinterpret_cast<volatile u32*>(base + offset) = v; }
inline u8 mmio_read8(volatile u8* base, u64 offset) { return base[offset]; }
inline void mmio_write8(volatile u8* base, u64 offset, u8 v) { base[offset] = v; }

} // namespace drivers
