// The first page table, built while still running at the physical load
// address with the MMU off. Maps the kernel image at its link address with
// per-section permissions (text R-X, rodata R--, data/bss RW-), and the
// gigapages holding the image and the device tree into the direct map so
// kernel_main can read the device tree. memory/vm.cpp then adds the rest of
// RAM to the same root table.
//
// Everything here must stay position-independent: only PC-relative
// addressing (medany), no switch jump tables, no pointers stored in data.
#include "arch/riscv/csr.hpp"
#include "arch/riscv/memory_layout.hpp"
#include "arch/riscv/pte.hpp"

extern "C" char __kernel_start[], __kernel_end[], __text_end[], __rodata_end[];

namespace arch::riscv {

alignas(PAGE_SIZE) Pte boot_root_table[PTES_PER_TABLE];
alignas(PAGE_SIZE) static Pte boot_kernel_l1[PTES_PER_TABLE];
alignas(PAGE_SIZE) static Pte boot_kernel_l0[KERNEL_MAX_SIZE / MEGAPAGE_SIZE][PTES_PER_TABLE];

static_assert(root_index(KERNEL_VIRT_BASE) == 510 && ((KERNEL_VIRT_BASE >> 21) & 511) == 0,
              "the kernel image must start an L1 table");

[[gnu::section(".text.boot")]] static void map_direct_gigapage(u64 pa)
{
    u64 giga = pa & ~(GIGAPAGE_SIZE - 1);
    if (giga >= DIRECT_MAP_SIZE)
        return; // beyond the direct map; vm.cpp reports it
    boot_root_table[root_index(DIRECT_MAP_BASE + giga)] = make_pte(giga, KERNEL_RW);
}

// Returns the satp value that turns the table on, or 0 if the image is too
// large for the early tables (head.S then parks the hart).
extern "C" [[gnu::section(".text.boot")]] u64 early_mmu_setup(u64 load_pa, u64 dtb_pa)
{
    u64 image_size = u64(__kernel_end) - u64(__kernel_start);
    u64 text_size = u64(__text_end) - u64(__kernel_start);
    u64 rodata_end = u64(__rodata_end) - u64(__kernel_start);
    if (image_size > KERNEL_MAX_SIZE)
        return 0;

    for (u64 off = 0; off < image_size; off += PAGE_SIZE) {
        Pte flags = off < text_size ? KERNEL_RX : off < rodata_end ? KERNEL_RO : KERNEL_RW;
        boot_kernel_l0[off / MEGAPAGE_SIZE][(off / PAGE_SIZE) % PTES_PER_TABLE] = make_pte(load_pa + off, flags);
    }
    for (u64 i = 0; i * MEGAPAGE_SIZE < image_size; ++i)
        boot_kernel_l1[i] = make_pte(u64(boot_kernel_l0[i]), PTE_V);
    boot_root_table[root_index(KERNEL_VIRT_BASE)] = make_pte(u64(boot_kernel_l1), PTE_V);

    map_direct_gigapage(load_pa);
    map_direct_gigapage(dtb_pa);
    return make_satp(u64(boot_root_table));
}

} // namespace arch::riscv
