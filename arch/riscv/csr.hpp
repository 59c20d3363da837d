// Access to supervisor CSRs (RISC-V privileged spec v1.12, chapter 4) and
// the bits Myriad uses. Only arch/riscv/ uses them (arch.include_rule
// fails a csr_* macro anywhere else; arch/arch.hpp pulls this header in
// only for its inline bodies).
#pragma once

#include "lib/types.hpp"

#define MYRIAD_STR2(x) #x
#define MYRIAD_STR(x) MYRIAD_STR2(x)

#define csr_read(csr)                                                                              \
    ({                                                                                             \
        u64 _v;                                                                                    \
        asm volatile("csrr %0, " MYRIAD_STR(csr) : "=r"(_v)::"memory");                           \
        _v;                                                                                        \
    })
#define csr_write(csr, val) asm volatile("csrw " MYRIAD_STR(csr) ", %0" ::"rK"(u64(val)) : "memory")
#define csr_set(csr, bits) asm volatile("csrs " MYRIAD_STR(csr) ", %0" ::"rK"(u64(bits)) : "memory")
#define csr_clear(csr, bits) asm volatile("csrc " MYRIAD_STR(csr) ", %0" ::"rK"(u64(bits)) : "memory")

namespace arch::riscv {

// sstatus (priv spec 4.1.1)
inline constexpr u64 SSTATUS_SIE = 1ull << 1;
inline constexpr u64 SSTATUS_SPIE = 1ull << 5;
inline constexpr u64 SSTATUS_SPP = 1ull << 8;
inline constexpr u64 SSTATUS_FS = 3ull << 13;
inline constexpr u64 SSTATUS_SUM = 1ull << 18;
inline constexpr u64 SSTATUS_MXR = 1ull << 19;

// sie/sip (priv spec 4.1.3)
inline constexpr u64 SIE_SSIE = 1ull << 1;
inline constexpr u64 SIE_STIE = 1ull << 5;
inline constexpr u64 SIE_SEIE = 1ull << 9;

// scause (priv spec table 4.2)
inline constexpr u64 SCAUSE_INTERRUPT = 1ull << 63;
inline constexpr u64 IRQ_S_SOFT = 1;
inline constexpr u64 IRQ_S_TIMER = 5;
inline constexpr u64 IRQ_S_EXT = 9;

enum class Exception : u64 {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
};

// satp (priv spec 4.1.11): MODE in bits 63:60, Sv39 = 8.
inline constexpr u64 SATP_MODE_SV39 = 8ull << 60;
inline constexpr u64 make_satp(u64 root_pa, u64 asid = 0)
{
    return SATP_MODE_SV39 | (asid << 44) | (root_pa >> 12);
}

inline u64 read_time() { return csr_read(time); }
inline u64 read_instret() { return csr_read(instret); }

inline void sfence_vma_all() { asm volatile("sfence.vma zero, zero" ::: "memory"); }
inline void sfence_vma_page(u64 va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

} // namespace arch::riscv
