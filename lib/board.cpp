// Board decisions from the device tree: the console UART, the harts, the
// free RAM. See lib/board.hpp.
#include "lib/board.hpp"

namespace lib::board {

using fdt::Blob;
using fdt::Node;

namespace {

// Compatible strings the UART drivers handle. "snps,dw-apb-uart" is the
// Synopsys DesignWare 16550 derivative (JH7110, SG2042): 16550 registers,
// usually 4 bytes apart and 32 bits wide (reg-shift 2, reg-io-width 4).
constexpr const char* k_ns16550_compatibles[] = {"ns16550a", "ns16550", "snps,dw-apb-uart"};
constexpr const char* k_sifive_compatibles[] = {"sifive,uart0"};
// Devicetree Specification 4.2.1 ("serial"): reg-shift and reg-io-width.
constexpr u32 k_max_reg_shift = 3;

Optional<UartKind> kind_of(const Blob& fdt, Node node)
{
    for (const char* c : k_ns16550_compatibles)
        if (fdt.is_compatible(node, c))
            return UartKind::Ns16550;
    for (const char* c : k_sifive_compatibles)
        if (fdt.is_compatible(node, c))
            return UartKind::SifiveUart;
    return {};
}

// A one-cell property, fallback when absent; EINVAL when malformed.
Result<u32> u32_property(const Blob& fdt, Node node, const char* name, u32 fallback, const char* malformed)
{
    auto prop = fdt.property(node, name);
    if (!prop)
        return fallback;
    if (prop->size() != 4)
        return make_error(Errno::einval, malformed);
    return prop->u32_at(0);
}

Result<ConsoleChoice> describe_uart(const Blob& fdt, Node node, UartKind kind, bool from_stdout_path)
{
    ConsoleChoice c;
    c.node = node;
    c.kind = kind;
    c.from_stdout_path = from_stdout_path;
    fdt::Region reg = TRY(fdt.reg(node, 0));
    c.base = reg.base;
    c.size = reg.size;
    c.clock_hz = TRY(u32_property(fdt, node, "clock-frequency", 0, "console UART: malformed clock-frequency"));
    if (kind == UartKind::Ns16550) {
        c.reg_shift = TRY(u32_property(fdt, node, "reg-shift", 0, "console UART: malformed reg-shift"));
        c.reg_io_width = TRY(u32_property(fdt, node, "reg-io-width", 1, "console UART: malformed reg-io-width"));
        c.designware = fdt.is_compatible(node, "snps,dw-apb-uart");
        if (c.reg_shift > k_max_reg_shift)
            return make_error(Errno::einval, "console UART: unsupported reg-shift (the 16550 driver takes 0..3)");
        // Linux's 8250 also knows 2-byte registers (UPIO_MEM16); our driver
        // does byte and word accesses only.
        if (c.reg_io_width != 1 && c.reg_io_width != 4)
            return make_error(Errno::einval, "console UART: unsupported reg-io-width (the 16550 driver takes 1 or 4)");
    } else {
        // The SiFive UART's registers are 32-bit words at fixed offsets
        // (FU740 manual, chapter 13); reg-shift/-io-width do not apply.
        c.reg_shift = 0;
        c.reg_io_width = 4;
    }
    auto irq = fdt.interrupt(node, 0);
    if (irq.is_ok()) {
        c.has_irq = true;
        c.irq = irq->number();
        c.irq_controller = irq->controller;
    } else {
        c.irq_error = irq.error().what ? irq.error().what : "unreadable interrupts";
    }
    return c;
}

} // namespace

const char* uart_kind_name(UartKind kind)
{
    switch (kind) {
    case UartKind::Ns16550:
        return "ns16550";
    case UartKind::SifiveUart:
        return "sifive,uart0";
    }
    return "?";
}

Result<ConsoleChoice> choose_console(const Blob& fdt)
{
    // Devicetree Specification 3.6: stdout-path names the console, by path
    // or alias, optionally followed by ":options" (stdout_node drops them).
    if (auto stdout_node = fdt.stdout_node(); stdout_node.is_ok() && fdt.is_enabled(stdout_node.value())) {
        if (auto kind = kind_of(fdt, stdout_node.value()))
            return describe_uart(fdt, stdout_node.value(), *kind, true);
    }
    // No usable stdout-path: the first enabled UART we know, in document order.
    for (Optional<Node> n = fdt.root(); n; n = fdt.next_node(*n)) {
        if (!fdt.is_enabled(*n))
            continue;
        if (auto kind = kind_of(fdt, *n))
            return describe_uart(fdt, *n, *kind, false);
    }
    return make_error(Errno::enodev, "no enabled UART we can drive");
}

Optional<Node> find_plic(const Blob& fdt)
{
    // The same order as drivers/plic.cpp. JH7110 says "starfive,jh7110-plic",
    // "sifive,plic-1.0.0"; FU740 "sifive,fu540-c000-plic", "sifive,plic-1.0.0".
    if (auto n = fdt.find_compatible("riscv,plic0"))
        return n;
    return fdt.find_compatible("sifive,plic-1.0.0");
}

BootHarts summarize_harts(const Blob& fdt, u64 boot_hart_id)
{
    BootHarts out;
    auto cpus = fdt.find_path("/cpus");
    if (!cpus)
        return out;
    for (Node child : fdt.children(*cpus)) {
        auto type = fdt.property(child, "device_type");
        if (!type || !(type->as_string().value_or("") == "cpu"))
            continue; // cpu-map and friends
        ++out.total;
        auto hart = fdt.hart(child);
        if (hart.is_error())
            continue;
        // RISC-V cpus binding: a hart without mmu-type has no S-mode paging
        // (the S7/E51 monitor cores of the FU540/FU740/JH7110).
        bool usable = hart->enabled && !hart->mmu_type.is_empty();
        if (usable)
            ++out.usable;
        if (hart->id != boot_hart_id)
            continue;
        out.boot_found = true;
        out.boot_usable = usable;
        // riscv,isa is deprecated in favour of riscv,isa-extensions (Linux
        // 6.6 binding); trees may carry either or both.
        out.boot_sstc = fdt::isa_has_extension(hart->isa, "sstc");
        if (auto exts = fdt.property(child, "riscv,isa-extensions"))
            out.boot_sstc = out.boot_sstc || exts->contains_string("sstc");
    }
    return out;
}

namespace {

// End of [base, base + size), saturated at the top of the address space.
u64 end_of(u64 base, u64 size) { return base + size < base ? ~u64(0) : base + size; }

// [base, base + size) and [other, other + other_size) share a byte.
bool overlaps(u64 base, u64 size, u64 other, u64 other_size)
{
    return size > 0 && other_size > 0 && base < end_of(other, other_size) && other < end_of(base, size);
}

} // namespace

Result<fdt::Region> usable_initrd(const Blob& fdt, u64 kernel_base, u64 kernel_size, u64 dtb_base, u64 dtb_size)
{
    fdt::Region initrd = TRY(fdt.initrd());
    if (initrd.size == 0)
        return make_error(Errno::enoent, "empty initrd");
    fdt::Region ram[32];
    usize count = TRY(fdt.memory_regions(ram, 32));
    bool in_ram = false;
    for (usize i = 0; i < count; ++i)
        if (initrd.base >= ram[i].base && initrd.base - ram[i].base <= ram[i].size &&
            initrd.size <= ram[i].size - (initrd.base - ram[i].base))
            in_ram = true;
    if (!in_ram)
        return make_error(Errno::einval, "initrd is not inside RAM");
    if (overlaps(initrd.base, initrd.size, kernel_base, kernel_size))
        return make_error(Errno::einval, "initrd overlaps the kernel image");
    if (overlaps(initrd.base, initrd.size, dtb_base, dtb_size))
        return make_error(Errno::einval, "initrd overlaps the device tree");
    return initrd;
}

Result<RangeList> usable_memory(const Blob& fdt, u64 kernel_base, u64 kernel_size, u64 dtb_base, u64 dtb_size)
{
    RangeList free;
    {
        fdt::Region ram[32];
        usize count = TRY(fdt.memory_regions(ram, 32));
        if (count == 0)
            return make_error(Errno::enoent, "no RAM in /memory");
        for (usize i = 0; i < count; ++i)
            TRY(free.add(ram[i].base, ram[i].size));
    }
    {
        fdt::ReservedRegion reserved[32];
        usize count = TRY(fdt.reserved_memory(reserved, 32));
        for (usize i = 0; i < count; ++i)
            TRY(free.subtract(reserved[i].base, reserved[i].size));
    }
    for (usize i = 0; i < fdt.memreserve_count(); ++i)
        if (auto r = fdt.memreserve(i))
            TRY(free.subtract(r->base, r->size));
    TRY(free.subtract(kernel_base, kernel_size));
    TRY(free.subtract(dtb_base, dtb_size));
    if (auto initrd = usable_initrd(fdt, kernel_base, kernel_size, dtb_base, dtb_size); initrd.is_ok())
        TRY(free.subtract(initrd->base, initrd->size));
    free.align_inward(k_page_size);
    return free;
}

} // namespace lib::board
