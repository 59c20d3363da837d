// Sv39 page-table entry format (RISC-V privileged spec v1.12, 4.4.1):
// 10 flag bits, then the PPN from bit 10. Pure constants, usable from early
// boot, the page-table code and the host tests.
#pragma once

#include "lib/types.hpp"

namespace arch::riscv {

using Pte = u64;

inline constexpr Pte PTE_V = 1 << 0;
inline constexpr Pte PTE_R = 1 << 1;
inline constexpr Pte PTE_W = 1 << 2;
inline constexpr Pte PTE_X = 1 << 3;
inline constexpr Pte PTE_U = 1 << 4;
inline constexpr Pte PTE_G = 1 << 5;
inline constexpr Pte PTE_A = 1 << 6;
inline constexpr Pte PTE_D = 1 << 7;
inline constexpr Pte PTE_LEAF_MASK = PTE_R | PTE_W | PTE_X;
inline constexpr unsigned PTE_PPN_SHIFT = 10;
inline constexpr unsigned PTES_PER_TABLE = 512;

// Kernel leaves get A and D set up front: cores without hardware A/D
// updating fault on the first access otherwise (priv spec 4.3.1).
inline constexpr Pte KERNEL_RX = PTE_V | PTE_R | PTE_X | PTE_G | PTE_A;
inline constexpr Pte KERNEL_RO = PTE_V | PTE_R | PTE_G | PTE_A;
inline constexpr Pte KERNEL_RW = PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D;

inline constexpr Pte make_pte(u64 pa, Pte flags) { return ((pa >> 12) << PTE_PPN_SHIFT) | flags; }
inline constexpr u64 pte_address(Pte pte) { return (pte >> PTE_PPN_SHIFT) << 12; }
inline constexpr bool pte_is_leaf(Pte pte) { return (pte & PTE_V) && (pte & PTE_LEAF_MASK); }
inline constexpr bool pte_is_table(Pte pte) { return (pte & PTE_V) && !(pte & PTE_LEAF_MASK); }

} // namespace arch::riscv
