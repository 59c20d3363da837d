// Completing the kernel address space after early boot.
#include "kernel/mm/vm.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/spinlock.hpp"

namespace kernel::mm {

using namespace arch;

namespace {

class KernelTableSource final : public TablePageSource {
public:
    lib::Optional<u64> allocate_table_page() override { return alloc_table_page(); }
    void free_table_page(u64 pa) override { free_pages(PhysAddr{pa}, 0); }
};

constinit KernelTableSource s_tables;
constinit SpinLock s_lock(LockRank::KernelVm);
constinit u64 s_ioremap_next = IOREMAP_BASE;

} // namespace

// Recorded from satp while the boot table is the active one.
constinit u64 s_kernel_root_pa = 0;

u64 kernel_root_pa() { return s_kernel_root_pa; }

Result<void> vm_map_ram(const lib::RangeList& ram)
{
    s_kernel_root_pa = kernel_root_pa_at_boot();
    Pte* boot_root_table = boot_root_entries();
    for (usize i = 0; i < ram.count(); ++i) {
        u64 first = lib::align_down(ram[i].base, GIGAPAGE_SIZE);
        u64 end = lib::align_up(ram[i].end(), GIGAPAGE_SIZE);
        if (end > DIRECT_MAP_SIZE)
            return lib::make_error(Errno::erange, "RAM above the 128 GiB direct map");
        for (u64 giga = first; giga < end; giga += GIGAPAGE_SIZE)
            boot_root_table[root_index(DIRECT_MAP_BASE + giga)] = make_pte(giga, KERNEL_RW);
    }
    flush_tlb_all();
    return {};
}

Result<void> vm_init()
{
    // Pre-create the L1 tables of the shared windows.
    constexpr u64 shared_windows[] = {IOREMAP_BASE, KSTACK_BASE};
    for (u64 base : shared_windows) {
        Pte& entry = boot_root_entries()[root_index(base)];
        if (entry & PTE_V)
            continue;
        auto page = alloc_page_zeroed();
        if (!page)
            return lib::make_error(Errno::enomem, "no page for a kernel table");
        entry = make_pte(page->value(), PTE_V);
    }
    flush_tlb_all();
    return {};
}

Result<volatile u8*> ioremap(u64 pa, u64 size)
{
    u64 offset = pa % PAGE_SIZE;
    u64 length = lib::align_up(size + offset, PAGE_SIZE);
    SpinLockGuard guard(s_lock);
    if (s_ioremap_next + length > IOREMAP_BASE + IOREMAP_SIZE)
        return lib::make_error(Errno::enomem, "ioremap window full");
    PageTable table(kernel_root_pa());
    TRY(table.map(s_ioremap_next, pa - offset, length, KERNEL_RW, s_tables));
    auto* va = reinterpret_cast<volatile u8*>(s_ioremap_next + offset);
    s_ioremap_next += length;
    return va;
}

} // namespace kernel::mm
