// Address-space identifiers (satp.ASID, privileged spec 4.1.11): each user
// address space is tagged so that switching satp needs no TLB flush.
//
// The allocator is Linux's (arch/riscv/mm/context.c) minus the SMP parts:
// an address space holds a tag = generation << 16 | ASID. A tag from the
// current generation is still valid: reuse it. Otherwise take the next
// free ASID; when they run out, start a new generation, which invalidates
// every tag handed out before, and flush the whole TLB once. ASIDs are
// never freed one by one, so a dead address space's TLB entries can only
// be met again after that flush. ASID 0 is the kernel's own table.
//
// When the hart implements no ASID bits (width 0), every switch flushes.
// Every PTE change elsewhere flushes with rs2 = x0 (all ASIDs), so it is
// correct whichever address space is active.
#pragma once

#include "arch/riscv/asid_tag.hpp"
#include "arch/riscv/csr.hpp"
#include "lib/types.hpp"

namespace arch::riscv {

class AsidAllocator {
public:
    static constexpr unsigned TAG_SHIFT = 16; // satp.ASID is at most 16 bits (Sv39)
    static constexpr u64 ASID_MASK = (1ull << TAG_SHIFT) - 1;

    constexpr explicit AsidAllocator(unsigned bits = 0) { reset(bits); }
    constexpr void reset(unsigned bits)
    {
        m_bits = bits > TAG_SHIFT ? TAG_SHIFT : bits;
        m_generation = 1;
        m_next = 1;
        m_rollovers = 0;
    }

    struct Assignment {
        u64 tag;        // store back into the address space
        u64 asid;       // for satp
        bool flush_all; // the TLB must be flushed (rollover, or no ASIDs)
    };

    // The ASID for an address space whose tag is `tag` (0 = never had one).
    constexpr Assignment assign(u64 tag)
    {
        if (m_bits == 0)
            return {0, 0, true};
        if (tag != 0 && (tag >> TAG_SHIFT) == m_generation)
            return {tag, tag & ASID_MASK, false};
        bool rollover = false;
        if (m_next > max_asid()) {
            ++m_generation;
            ++m_rollovers;
            m_next = 1;
            rollover = true;
        }
        u64 asid = m_next++;
        return {(m_generation << TAG_SHIFT) | asid, asid, rollover};
    }

    // Use `bits` ASID bits from now on: starts a new generation (so no tag
    // handed out before stays valid); the caller flushes the TLB.
    constexpr void change_bits(unsigned bits)
    {
        m_bits = bits > TAG_SHIFT ? TAG_SHIFT : bits;
        ++m_generation;
        m_next = 1;
    }

    constexpr unsigned bits() const { return m_bits; }
    constexpr u64 max_asid() const { return (1ull << m_bits) - 1; }
    constexpr u64 generation() const { return m_generation; }
    // Read by every hart's switch without the allocator's lock.
    u64 generation_now() const { return __atomic_load_n(&m_generation, __ATOMIC_ACQUIRE); }
    constexpr u64 rollovers() const { return m_rollovers; }

private:
    unsigned m_bits = 0;
    u64 m_generation = 1;
    u64 m_next = 1;
    u64 m_rollovers = 0;
};

// How many ASID bits this hart implements (probed once: all ones written
// to satp.ASID, read back), and how many the allocator uses (fewer with
// asid_bits=N or asid_set_bits).
unsigned asid_hart_bits();
unsigned asid_bits();
// The machine's one allocator, shared by every hart (asid.cpp takes its
// lock on the slow path). Its generation is global; each hart records in
// Hart::asid_generation the generation its TLB was last flushed for, and
// flushes before using a tag of a newer one. A space still running on
// another hart under an ASID of the old generation keeps it until that
// hart switches: TLBs are per hart, and that hart flushes before it runs
// any space tagged with the new generation. (Linux's context.c also
// reserves the ASIDs active at rollover; with the per-hart check and
// shootdowns that flush every ASID, Myriad does not need to.)
extern AsidAllocator g_asid_allocator;
void switch_user_table_slow(u64 root_pa, AsidTag* tag);

// Switch satp to the table at root_pa, tagged through *tag (updated);
// flushes this hart's TLB only when needed: no ASIDs, or a generation
// this hart has not flushed for. The common case -- the space holds an
// ASID of this generation and the hart has flushed for it -- is inline
// (arch_inline.hpp): two compares and the satp write.
inline void switch_user_table(u64 root_pa, AsidTag* tag);
// satp = the kernel's own table, ASID 0.
void switch_kernel_table(u64 root_pa);
// Use at most `bits` ASID bits (tests, and the boot option asid_bits=N,
// make rollovers frequent); bits above what the hart has are ignored.
// Flushes the TLB; every address space gets a new ASID at its next switch.
void asid_set_bits(unsigned bits);
// For tests and /proc-style reporting.
u64 asid_rollovers();
u64 tlb_full_flushes();

} // namespace arch::riscv
