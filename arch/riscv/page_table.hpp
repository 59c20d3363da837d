// Sv39 page tables (RISC-V privileged spec 4.4): three levels of 512
// entries, 4 KiB pages, 2 MiB megapages and 1 GiB gigapages. Tables are
// reached through the direct map; new table pages come from a
// TablePageSource so the code can be exercised by ktests on scratch tables.
#pragma once

#include "arch/riscv/memory_layout.hpp"
#include "arch/riscv/pte.hpp"
#include "lib/optional.hpp"
#include "lib/result.hpp"

namespace arch::riscv {

// The root table early boot builds and runs on (boot/early_mmu.cpp).
extern Pte boot_root_table[PTES_PER_TABLE];

inline void* phys_to_virt(u64 pa) { return reinterpret_cast<void*>(DIRECT_MAP_BASE + pa); }
inline u64 virt_to_phys_direct(const void* va) { return u64(va) - DIRECT_MAP_BASE; }

class TablePageSource {
public:
    // A zeroed page for a table, by physical address; empty when out of memory.
    virtual lib::Optional<u64> allocate_table_page() = 0;
    virtual void free_table_page(u64 pa) = 0;

protected:
    ~TablePageSource() = default;
};

struct Translation {
    u64 pa;        // physical address of va (not just the page)
    Pte pte;       // the leaf entry
    unsigned level; // 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB
};

class PageTable {
public:
    explicit PageTable(u64 root_pa) : m_root_pa(root_pa) {}
    u64 root_pa() const { return m_root_pa; }

    // Map [va, va+size) to [pa, pa+size) with 4 KiB leaves. All three must
    // be page-aligned. Fails with EEXIST if any page is already mapped (the
    // table is unchanged then), ENOMEM if a table page cannot be had.
    Result<void> map(u64 va, u64 pa, u64 size, Pte flags, TablePageSource&);
    // Remove 4 KiB mappings in [va, va+size); unmapped pages are skipped.
    // Returns how many pages were unmapped. Flushes the TLB for each.
    u64 unmap(u64 va, u64 size);
    // Change the flags of an existing 4 KiB mapping (e.g. downgrade to RO).
    Result<void> protect(u64 va, Pte flags);
    lib::Optional<Translation> translate(u64 va) const;
    // Free every table page below the root for the index range
    // [first, last] of the root (the user half on process exit), and clear
    // those root entries. Leaves are not freed: their owner does that.
    void free_tables(unsigned first_root_index, unsigned last_root_index, TablePageSource&);

    // The level-0 entry for va (valid or not), creating the tables above it
    // when missing; nullptr when a table page cannot be had or a huge page
    // covers va. For bulk work (fork, mremap) that writes entries itself
    // and fences once at the end.
    Pte* leaf_entry(u64 va, TablePageSource&);
    // The level-1 entry covering va (the one that points at va's leaf
    // table), creating the level-1 table when `source` is given; nullptr
    // when it is absent (or cannot be had) or a gigapage covers va. For
    // sharing whole leaf tables between address spaces.
    Pte* table_entry(u64 va, TablePageSource* source = nullptr);

    // visit(va, entry) for every valid 4 KiB leaf in [start, end), skipping
    // absent subtrees a table at a time: bulk walks (fork, exit, munmap)
    // cost the present pages, not the range. visit may change or clear the
    // entry; fencing is the caller's business.
    template <typename Visit> void for_each_leaf(u64 start, u64 end, Visit&& visit) const
    {
        constexpr u64 L1 = 1ull << 30, L0 = 1ull << 21;
        auto* root = static_cast<Pte*>(phys_to_virt(m_root_pa));
        for (u64 va = start; va < end;) {
            Pte top = root[(va >> 30) & 511];
            if (!pte_is_table(top)) {
                va = (va & ~(L1 - 1)) + L1;
                continue;
            }
            Pte mid = static_cast<Pte*>(phys_to_virt(pte_address(top)))[(va >> 21) & 511];
            u64 stop = (va & ~(L0 - 1)) + L0;
            if (!pte_is_table(mid)) {
                va = stop;
                continue;
            }
            if (stop > end)
                stop = end;
            // A tight walk over the entries: most of a table is empty.
            Pte* entry = static_cast<Pte*>(phys_to_virt(pte_address(mid))) + ((va >> 12) & 511);
            Pte* last = entry + (stop - va) / PAGE_SIZE;
            while (entry < last) {
                // Eight empty entries (a 64-byte line) are skipped at once.
                if ((uptr(entry) & 63) == 0 && last - entry >= 8 &&
                    !(entry[0] | entry[1] | entry[2] | entry[3] | entry[4] | entry[5] | entry[6] | entry[7])) {
                    entry += 8;
                    continue;
                }
                if (*entry & PTE_V)
                    visit(stop - u64(last - entry) * PAGE_SIZE, *entry);
                ++entry;
            }
            va = stop;
        }
    }

private:
    // The level-0 entry for va, creating tables on the way when asked.
    Pte* walk(u64 va, bool create, TablePageSource*, bool* out_of_memory);
    u64 m_root_pa;
};

} // namespace arch::riscv
