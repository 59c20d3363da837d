// A process's address space: its own Sv39 root table (the kernel half
// shared with every other table), and a sorted list of regions (text, data,
// heap, mmap, stack) that the fault handler, fork and the memory system
// calls consult. Pages of anonymous regions arrive zeroed on first touch.
// Fork shares pages copy-on-write (reference counts in the page metadata).
#pragma once

#include "arch/riscv/asid_tag.hpp"
#include "lib/result.hpp"
#include "lib/types.hpp"

namespace kernel::mm {

// Linux's PROT_* bits (asm-generic/mman-common.h).
inline constexpr u32 PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

enum class RegionKind : u8 { Image, Heap, Stack, Mmap };

struct Region {
    u64 start, end; // page-aligned, end exclusive
    u32 prot;
    RegionKind kind;
};

enum class Access : u8 { Read, Write, Execute };

class AddressSpace {
public:
    static Result<AddressSpace*> create();
    // Frees every user page, every table and the region list. The address
    // space must not be active on any hart.
    static void destroy(AddressSpace*);
    // A full private copy (fork).
    Result<AddressSpace*> clone() const;

    u64 root_pa() const { return m_root_pa; }
    // Make this the user half of this hart's translation (satp), tagged
    // with an ASID so that the switch needs no TLB flush (arch/riscv/asid.hpp).
    void activate();
    // The user address space active on this hart, or nullptr when only
    // the kernel half is (the kernel's own root table).
    static AddressSpace* active();
    static void deactivate(); // back to the kernel's table

    Result<void> add_region(u64 start, u64 end, u32 prot, RegionKind kind);
    const Region* find_region(u64 address) const;
    usize region_count() const { return m_region_count; }
    const Region& region(usize i) const { return m_regions[i]; }

    // A user access at address faulted: map a zeroed page if a region
    // allows the access, else EFAULT.
    Result<void> handle_fault(u64 address, Access access);

    // Kernel writes into this (possibly inactive) space, allocating pages
    // as needed inside regions: exec builds the new image and stack so.
    Result<void> write(u64 address, const void* data, usize length);

    // brk: [heap_start, heap_end) is the Heap region's extent.
    u64 heap_start() const { return m_heap_start; }
    u64 heap_end() const { return m_heap_end; }
    void set_heap_start(u64 start) { m_heap_start = m_heap_end = start; }
    // Linux semantics: returns the new break, or the old one when refused.
    u64 set_brk(u64 requested);

    Result<u64> mmap_anonymous(u64 hint, u64 length, u32 prot, bool fixed);
    Result<void> unmap(u64 start, u64 length);
    Result<void> protect(u64 start, u64 length, u32 prot);

    // Resident user pages (for accounting and tests).
    u64 resident_pages() const { return m_resident; }

    AddressSpace() = default; // use create()

private:
    Result<void> ensure_region_capacity(usize extra);
    Result<u64> map_zeroed_page(u64 page, u32 prot);
    Result<void> break_cow(u64 page, u64 pte);
    void unmap_range_pages(u64 start, u64 end);
    void remove_range_from_regions(u64 start, u64 end);
    bool range_is_free(u64 start, u64 end) const;

    u64 m_root_pa = 0;
    Region* m_regions = nullptr;
    usize m_region_count = 0;
    usize m_region_capacity = 0;
    u64 m_heap_start = 0, m_heap_end = 0;
    u64 m_mmap_next = 0;
    u64 m_resident = 0;
    arch::riscv::AsidTag m_asid{}; // generation, ASID and satp value (arch/riscv/asid.hpp)
};

// Boot: the page every address space shares (the signal trampoline).
Result<void> address_space_init();

// Page-table flags for a user page with these PROT bits.
u64 user_pte_flags(u32 prot);

// The user address-space layout (Sv39 lower half).
inline constexpr u64 USER_STACK_TOP = 0x3ffffff000ull; // one guard page below USER_TOP
inline constexpr u64 USER_STACK_LIMIT = 8ull << 20;   // RLIMIT_STACK default
inline constexpr u64 USER_MMAP_TOP = 0x3f00000000ull; // mmap grows down from here

} // namespace kernel::mm
