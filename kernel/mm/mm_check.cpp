// The memory invariant checker (mm_check.hpp). Counting uses a 16-bit
// counter per page frame, allocated the first time a check runs: the top
// bit says "mapped as a page-cache page somewhere", the rest count
// level-1 entries (for a leaf table) or distinct leaf tables (for a page).
#include "kernel/mm/mm_check.hpp"
#include "kernel/smp.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/address_space_internal.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/panic.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/process.hpp"
#include "kernel/test_build.hpp"
#include "lib/cmdline.hpp"

namespace kernel::mm {

using namespace arch;
using namespace detail;

namespace {

constinit bool s_enabled = false;
constinit u16* s_counts = nullptr;
constinit PageFrames s_frames{};
constinit unsigned s_counts_order = 0;
constexpr u16 COUNT_FILE = 0x8000, COUNT_MASK = 0x7fff;
constexpr unsigned USER_ROOT_ENTRIES = 255; // root 255 is the shared trampoline GiB
constexpr unsigned REPORT_LIMIT = 8;

bool counters_ready()
{
    if (s_counts)
        return true;
    s_frames = page_frames();
    u64 bytes = s_frames.count * sizeof(u16);
    while ((PAGE_SIZE << s_counts_order) < bytes)
        ++s_counts_order;
    auto pa = alloc_pages(s_counts_order);
    if (!pa)
        return false;
    s_counts = static_cast<u16*>(phys_to_virt(*pa));
    __builtin_memset(s_counts, 0, PAGE_SIZE << s_counts_order);
    return true;
}

bool in_ram(PhysAddr pa) { return pa.value() / PAGE_SIZE - s_frames.base_pfn < s_frames.count; }
u16& count_of(PhysAddr pa) { return s_counts[pa.value() / PAGE_SIZE - s_frames.base_pfn]; }

// visit(block_va, level-1 entry) for each leaf table of the user half.
template <typename Visit> void for_each_leaf_table(u64 root_pa, Visit&& visit)
{
    const auto* root = static_cast<const Pte*>(phys_to_virt(PhysAddr{root_pa}));
    for (unsigned i = 0; i < USER_ROOT_ENTRIES; ++i) {
        if (!pte_is_table(root[i]))
            continue;
        const auto* l1 = static_cast<const Pte*>(phys_to_virt(pte_page(root[i])));
        for (unsigned j = 0; j < PTES_PER_TABLE; ++j)
            if (l1[j] & PTE_V)
                visit((u64(i) << 30) | (u64(j) << 21), l1[j]);
    }
}

} // namespace

// A friend of AddressSpace: reads regions, tables and counters.
class MmChecker {
public:
    MmChecker(AddressSpace* const* spaces, usize count, bool report)
        : m_spaces(spaces), m_count(count), m_report(report)
    {
    }

    MmCheckResult run()
    {
        m_result.spaces = m_count;
        if (!counters_ready()) {
            printk("mm_check: no memory for the counters; nothing checked\n");
            return m_result;
        }
        count_pass();
        for (usize s = 0; s < m_count; ++s)
            check_space(*m_spaces[s]);
        reset_pass();
        return m_result;
    }

private:
    void violation(const AddressSpace& as, u64 va, const char* what, u64 a = 0, u64 b = 0)
    {
        if (m_report && m_result.violations < REPORT_LIMIT)
            printk("mm_check: space {:#x} va {:#x}: {} ({:#x}, {:#x})\n", as.m_root_pa, va, what, a, b);
        ++m_result.violations;
    }

    // Level-1 references per leaf table, then, once per distinct table,
    // table references per page.
    void count_pass()
    {
        for (usize s = 0; s < m_count; ++s) {
            const AddressSpace& as = *m_spaces[s];
            for_each_leaf_table(as.m_root_pa, [&](u64 block, Pte l1) {
                PhysAddr table = pte_page(l1);
                if (pte_is_leaf(l1) || !in_ram(table)) {
                    violation(as, block, "level-1 entry is not a table in RAM", l1);
                    return;
                }
                if ((count_of(table) & COUNT_MASK) == COUNT_MASK)
                    return; // saturated: reported below as a mismatch
                if ((++count_of(table) & COUNT_MASK) != 1)
                    return;
                ++m_result.tables;
                const auto* entry = static_cast<const Pte*>(phys_to_virt(table));
                for (unsigned k = 0; k < PTES_PER_TABLE; ++k) {
                    if (!(entry[k] & PTE_V))
                        continue;
                    PhysAddr pa = pte_page(entry[k]);
                    if (!in_ram(pa))
                        continue; // reported per space
                    u16& c = count_of(pa);
                    if ((c & COUNT_MASK) == 0)
                        ++m_result.pages;
                    if ((c & COUNT_MASK) != COUNT_MASK)
                        ++c;
                    if (entry[k] & PTE_FILE)
                        c |= COUNT_FILE;
                }
            });
        }
    }

    void check_space(const AddressSpace& as)
    {
        Rss seen;
        for_each_leaf_table(as.m_root_pa, [&](u64 block, Pte l1) {
            PhysAddr table = pte_page(l1);
            if (pte_is_leaf(l1) || !in_ram(table))
                return;
            u32 table_refs = page_refs(table);
            if (!page_is_allocated(table))
                violation(as, block, "leaf table is not an allocated page", table.value());
            else if (table_refs != (count_of(table) & COUNT_MASK))
                violation(as, block, "leaf table refcount != level-1 references", table_refs,
                          count_of(table) & COUNT_MASK);
            bool all_cow = page_mark(table) == TABLE_ALL_COW;
            const auto* entry = static_cast<const Pte*>(phys_to_virt(table));
            for (unsigned k = 0; k < PTES_PER_TABLE; ++k) {
                if (entry[k] & PTE_V)
                    check_entry(as, block + u64(k) * PAGE_SIZE, entry[k], table_refs, all_cow, seen);
            }
        });
        if (seen.anon != as.m_rss.anon || seen.file != as.m_rss.file || seen.shmem != as.m_rss.shmem) {
            violation(as, 0, "resident counts (anon, file+shmem) differ from the PTEs",
                      as.m_rss.anon << 32 | (as.m_rss.file + as.m_rss.shmem), seen.anon << 32 | (seen.file + seen.shmem));
        }
    }

    void check_entry(const AddressSpace& as, u64 va, Pte pte, u32 table_refs, bool all_cow, Rss& seen)
    {
        PhysAddr pa = pte_page(pte);
        // A PROT_NONE page keeps its entry valid with no access bits: at
        // the last level that faults on every access (priv spec 4.3.2).
        if (!(pte & PTE_U)) {
            violation(as, va, "not a user page", pte);
            return;
        }
        if (!in_ram(pa) || !page_is_allocated(pa)) {
            violation(as, va, "maps a page that is not allocated", pte, pa.value());
            return;
        }
        const Region* r = as.region_at(va);
        if (!r) {
            violation(as, va, "mapped outside every region", pte);
            return;
        }
        if (!(pte & PTE_LEAF_MASK) && r->prot != 0)
            violation(as, va, "no access bits, the region allows access", pte, r->prot);
        bool file = pte & PTE_FILE;
        if (!file)
            ++seen.anon;
        else if (r->flags & REGION_SHMEM)
            ++seen.shmem;
        else
            ++seen.file;
        u16 c = count_of(pa);
        u32 refs = page_refs(pa), tables = c & COUNT_MASK;
        if ((c & COUNT_FILE) ? refs < tables : refs != tables)
            violation(as, va, (c & COUNT_FILE) ? "page-cache page refcount < tables mapping it"
                                               : "anonymous page refcount != tables mapping it",
                      refs, tables);
        if ((pte & PTE_W) && !(r->prot & PROT_WRITE))
            violation(as, va, "writable, the region is not", pte, r->prot);
        if ((pte & PTE_X) && !(r->prot & PROT_EXEC))
            violation(as, va, "executable, the region is not", pte, r->prot);
        if ((pte & PTE_R) && !(pte & PTE_W) && !(r->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
            violation(as, va, "readable, the region is PROT_NONE", pte, r->prot);
        if (r->shared()) {
            if (pte & PTE_COW)
                violation(as, va, "copy-on-write in a shared region", pte);
            return;
        }
        if (pte & PTE_W) {
            if (file)
                violation(as, va, "a page-cache page writable in a private region", pte);
            if (table_refs != 1)
                violation(as, va, "private page writable in a leaf table shared with another space", pte, table_refs);
            if (refs != 1)
                violation(as, va, "private page writable while mapped elsewhere", pte, refs);
            if (all_cow)
                violation(as, va, "private page writable in a table marked all copy-on-write", pte);
        }
    }

    void reset_pass()
    {
        for (usize s = 0; s < m_count; ++s) {
            for_each_leaf_table(m_spaces[s]->m_root_pa, [&](u64, Pte l1) {
                PhysAddr table = pte_page(l1);
                if (pte_is_leaf(l1) || !in_ram(table) || count_of(table) == 0)
                    return;
                count_of(table) = 0;
                const auto* entry = static_cast<const Pte*>(phys_to_virt(table));
                for (unsigned k = 0; k < PTES_PER_TABLE; ++k)
                    if ((entry[k] & PTE_V) && in_ram(pte_page(entry[k])))
                        count_of(pte_page(entry[k])) = 0;
            });
        }
    }

    AddressSpace* const* m_spaces;
    usize m_count;
    bool m_report;
    MmCheckResult m_result;
};

MmCheckResult mm_check(AddressSpace* const* spaces, usize count, bool report)
{
    return MmChecker(spaces, count, report).run();
}

MmCheckResult mm_check_all(bool report)
{
    // The spaces are gathered first (the process lock is not held while
    // checking: the checker allocates its counters once).
    usize count = 0;
    {
        SpinLockGuard guard(process_lock());
        for_each_process_proc_locked([&](Process& p) { count += p.address_space != nullptr; });
    }
    auto** spaces = static_cast<AddressSpace**>(kmalloc(lib::max<usize>(count, 1) * sizeof(AddressSpace*)));
    if (!spaces) {
        printk("mm_check: no memory for the list of spaces; nothing checked\n");
        return {};
    }
    usize n = 0;
    {
        SpinLockGuard guard(process_lock());
        for_each_process_proc_locked([&](Process& p) {
            AddressSpace* as = p.address_space;
            if (!as || n >= count)
                return;
            // A space two processes use (a vfork child, clone(CLONE_VM))
            // is checked once: its pages are referenced once, not per user.
            if (as->users() > 1)
                for (usize i = 0; i < n; ++i)
                    if (spaces[i] == as)
                        return;
            spaces[n++] = as;
        });
    }
    MmCheckResult result = mm_check(spaces, n, report);
    kfree(spaces);
    return result;
}

void mm_check_init(const lib::CommandLine& cmdline)
{
    auto value = cmdline.get_u64("mm_check");
    s_enabled = value.is_ok() ? value.value() != 0 : cmdline.has("mm_check");
    if (s_enabled && !TEST_BUILD) {
        printk("mm_check: ignored: this kernel is built without the hooks (the test build has them)\n");
        s_enabled = false;
    }
    if (s_enabled && kernel::smp_discovered() > 1) {
        // It counts every space's references at once: on several harts the
        // others change theirs meanwhile, and it would report that as loss.
        printk("mm_check: ignored: it needs one hart (maxcpus=1)\n");
        s_enabled = false;
    }
    if (s_enabled)
        printk("mm_check: checking every address space after every system call and page fault\n");
}

bool mm_check_enabled() { return s_enabled; }

void mm_check_point(const char* after, u64 what)
{
    MmCheckResult result = mm_check_all(true);
    if (result.violations) {
        printk("mm_check: {} violation(s) after {} {}\n", result.violations, after, what);
        PANIC("memory invariant violated");
    }
}

} // namespace kernel::mm
