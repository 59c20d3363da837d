// The decisions the kernel takes from a device tree at boot, as pure
// functions of the blob (and of where firmware put the kernel and the tree):
// which UART is the console, what the harts can do, which RAM is free. Kept
// out of the drivers so the host tests can check them against QEMU's trees
// and hand-written models of real boards (tests/fixtures/*.dts), whose facts
// QEMU hides: monitor harts without an MMU, PLIC contexts that do not follow
// QEMU's 2*hart+1, DesignWare UARTs with 32-bit registers, firmware regions
// in /reserved-memory.
#pragma once

#include "lib/fdt.hpp"
#include "lib/range_list.hpp"

namespace lib::board {

// Sv39's base page (privileged spec 4.3/4.4): usable RAM is whole pages.
inline constexpr u64 k_page_size = 4096;

enum class UartKind { Ns16550, SifiveUart };
const char* uart_kind_name(UartKind);

// The UART the console should use, and how to reach it.
struct ConsoleChoice {
    fdt::Node node;
    UartKind kind = UartKind::Ns16550;
    u64 base = 0;          // reg[0] translated to a CPU physical address
    u64 size = 0;          // reg[0]'s size (0 when the tree says 0)
    u32 reg_shift = 0;     // 16550 register i is at base + (i << reg_shift)
    u32 reg_io_width = 1;  // bytes per 16550 register access: 1 or 4
    u32 clock_hz = 0;      // clock-frequency; 0 when absent (firmware set the baud rate)
    // "snps,dw-apb-uart": writing LCR while the UART is busy raises a
    // busy-detect interrupt (IIR = 0x7) that only a read of USR (register
    // 31) clears (Synopsys DW_apb_uart databook; Linux 8250_dw.c).
    bool designware = false;
    bool from_stdout_path = false; // else the first enabled UART we know
    bool has_irq = false;
    u32 irq = 0;                   // the first interrupt's number
    fdt::Node irq_controller;      // the controller that number belongs to
    const char* irq_error = nullptr; // why has_irq is false
};

// /chosen/stdout-path's node (an alias or a path; ":options" ignored) when it
// is enabled and a UART we can drive, else the first enabled such node in
// document order. ENODEV when there is none; EINVAL when the chosen node's
// reg, reg-shift (0..3) or reg-io-width (1 or 4) is unusable.
Result<ConsoleChoice> choose_console(const fdt::Blob&);

// The PLIC the kernel's driver accepts ("riscv,plic0", "sifive,plic-1.0.0").
Optional<fdt::Node> find_plic(const fdt::Blob&);

struct BootHarts {
    u32 total = 0;        // cpu nodes under /cpus
    u32 usable = 0;       // enabled, with an mmu-type: can run the kernel
    bool boot_found = false;
    bool boot_usable = false;
    bool boot_sstc = false; // Sstc in riscv,isa or riscv,isa-extensions
};

// What /cpus says about the harts, given the boot hart's id (firmware passes
// it in a0; the tree's boot_cpuid_phys is not reliable on RISC-V). A cpu
// node that cannot be read counts in total only.
BootHarts summarize_harts(const fdt::Blob&, u64 boot_hart_id);

// The initrd /chosen names (linux,initrd-start/-end), checked before the
// kernel reads it through the direct map: ENOENT when there is none (or it
// is empty); EINVAL, saying why, when the properties are malformed or the
// range is not inside one RAM range or overlaps the kernel image or the
// device tree. Linux disables such an initrd and boots on without it
// (arch/riscv/mm/init.c setup_initrd: "initrd extends beyond end of
// memory", "overlaps in-use memory region").
Result<fdt::Region> usable_initrd(const fdt::Blob&, u64 kernel_base, u64 kernel_size, u64 dtb_base, u64 dtb_size);

// RAM (/memory) minus /reserved-memory (every region with a reg, no-map or
// not), the /memreserve/ entries, the kernel image, the device tree and the
// initrd when usable_initrd() accepts it (one it refuses is never read, so
// nothing of it needs keeping), each range shrunk inward to whole pages.
// Errors: no RAM, RAM or reserved ranges unreadable (we cannot know what to
// keep away), more ranges than a RangeList holds.
Result<RangeList> usable_memory(const fdt::Blob&, u64 kernel_base, u64 kernel_size, u64 dtb_base, u64 dtb_size);

} // namespace lib::board
