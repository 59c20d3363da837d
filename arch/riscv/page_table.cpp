// Sv39 walks, mappings and unmappings.
#include "arch/riscv/page_table.hpp"
#include "arch/riscv/csr.hpp"

namespace arch::riscv {

static Pte* table_at(u64 pa) { return static_cast<Pte*>(phys_to_virt(pa)); }
static unsigned vpn(u64 va, unsigned level) { return (va >> (12 + 9 * level)) & 511; }
static u64 level_size(unsigned level) { return 1ull << (12 + 9 * level); }

// Sv39 addresses must be sign-extended from bit 38 (priv spec 4.4.1).
static bool is_canonical(u64 va)
{
    u64 top = va >> 38;
    return top == 0 || top == (1ull << 26) - 1;
}

Pte* PageTable::walk(u64 va, bool create, TablePageSource* source, bool* out_of_memory)
{
    Pte* table = table_at(m_root_pa);
    for (unsigned level = 2; level > 0; --level) {
        Pte& entry = table[vpn(va, level)];
        if (pte_is_leaf(entry))
            return nullptr; // a huge page covers va
        if (!(entry & PTE_V)) {
            if (!create)
                return nullptr;
            auto page = source->allocate_table_page();
            if (!page) {
                *out_of_memory = true;
                return nullptr;
            }
            entry = make_pte(*page, PTE_V);
        }
        table = table_at(pte_address(entry));
    }
    return &table[vpn(va, 0)];
}

Pte* PageTable::leaf_entry(u64 va, TablePageSource& source)
{
    bool oom = false;
    return walk(va, true, &source, &oom);
}

Pte* PageTable::table_entry(u64 va, TablePageSource* source)
{
    Pte& top = table_at(m_root_pa)[vpn(va, 2)];
    if (pte_is_leaf(top))
        return nullptr;
    if (!(top & PTE_V)) {
        if (!source)
            return nullptr;
        auto page = source->allocate_table_page();
        if (!page)
            return nullptr;
        top = make_pte(*page, PTE_V);
    }
    return &table_at(pte_address(top))[vpn(va, 1)];
}

Result<void> PageTable::map(u64 va, u64 pa, u64 size, Pte flags, TablePageSource& source)
{
    if (!lib::is_aligned(va | pa | size, PAGE_SIZE) || size == 0 || !is_canonical(va) ||
        !is_canonical(va + size - 1) || va + size < va)
        return lib::make_error(Errno::einval, "unaligned or non-canonical mapping");
    if (!(flags & PTE_LEAF_MASK) || ((flags & PTE_W) && !(flags & PTE_R)))
        return lib::make_error(Errno::einval, "invalid leaf permissions"); // W without R is reserved
    // Check first, then commit: nothing changes if any page is taken.
    for (u64 off = 0; off < size; off += PAGE_SIZE)
        if (translate(va + off))
            return lib::make_error(Errno::eexist, "page already mapped");
    for (u64 off = 0; off < size; off += PAGE_SIZE) {
        bool oom = false;
        Pte* pte = walk(va + off, true, &source, &oom);
        if (!pte) {
            unmap(va, off); // roll back the pages mapped so far
            return lib::make_error(oom ? Errno::enomem : Errno::eexist, "cannot map page");
        }
        *pte = make_pte(pa + off, flags | PTE_V);
    }
    // Some cores cache invalid entries: fence after making them valid.
    asm volatile("sfence.vma" ::: "memory");
    return {};
}

u64 PageTable::unmap(u64 va, u64 size)
{
    u64 count = 0;
    for (u64 off = 0; off < size; off += PAGE_SIZE) {
        Pte* pte = walk(va + off, false, nullptr, nullptr);
        if (pte && (*pte & PTE_V)) {
            *pte = 0;
            sfence_vma_page(va + off);
            ++count;
        }
    }
    return count;
}

Result<void> PageTable::protect(u64 va, Pte flags)
{
    Pte* pte = walk(va, false, nullptr, nullptr);
    if (!pte || !(*pte & PTE_V))
        return lib::make_error(Errno::enoent, "page not mapped");
    *pte = make_pte(pte_address(*pte), flags | PTE_V);
    sfence_vma_page(va); // a downgrade must not survive in the TLB
    return {};
}

lib::Optional<Translation> PageTable::translate(u64 va) const
{
    if (!is_canonical(va))
        return {};
    const Pte* table = table_at(m_root_pa);
    for (unsigned level = 2;; --level) {
        Pte entry = table[vpn(va, level)];
        if (!(entry & PTE_V))
            return {};
        if (pte_is_leaf(entry))
            return Translation{pte_address(entry) + (va & (level_size(level) - 1)), entry, level};
        if (level == 0)
            return {};
        table = table_at(pte_address(entry));
    }
}

// Eight entries (a 64-byte line) at i, all zero: skipped at once in the
// walks below over tables that are mostly empty.
static bool line_empty(const Pte* table, unsigned i)
{
    const Pte* e = table + i;
    return !(e[0] | e[1] | e[2] | e[3] | e[4] | e[5] | e[6] | e[7]);
}

static void free_subtree(u64 table_pa, unsigned level, TablePageSource& source)
{
    Pte* table = table_at(table_pa);
    if (level > 0)
        for (unsigned line = 0; line < PTES_PER_TABLE; line += 8)
            if (!line_empty(table, line))
                for (unsigned i = line; i < line + 8; ++i)
                    if (pte_is_table(table[i]))
                        free_subtree(pte_address(table[i]), level - 1, source);
    source.free_table_page(table_pa);
}

void PageTable::free_tables(unsigned first, unsigned last, TablePageSource& source)
{
    Pte* root = table_at(m_root_pa);
    for (unsigned i = first; i <= last && i < PTES_PER_TABLE; ++i) {
        if (i % 8 == 0 && i + 7 <= last && line_empty(root, i)) {
            i += 7;
            continue;
        }
        if (pte_is_table(root[i]))
            free_subtree(pte_address(root[i]), 1, source);
        root[i] = 0;
    }
    sfence_vma_all();
}

} // namespace arch::riscv
