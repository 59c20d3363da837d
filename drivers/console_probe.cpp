// Choosing the console: the node /chosen/stdout-path names (or the first
// UART we can drive), matched by compatible string.
#include "drivers/probe.hpp"
#include "drivers/uart.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"

namespace drivers {

namespace {

enum class UartKind { Ns16550, Sifive, None };

constexpr const char* NS16550_COMPATIBLES[] = {"ns16550a", "ns16550", "snps,dw-apb-uart"};
constexpr const char* ALL_COMPATIBLES[] = {"ns16550a", "ns16550", "snps,dw-apb-uart", "sifive,uart0"};

UartKind kind_of(const lib::fdt::Blob& fdt, lib::fdt::Node node)
{
    for (const char* c : NS16550_COMPATIBLES)
        if (fdt.is_compatible(node, c))
            return UartKind::Ns16550;
    if (fdt.is_compatible(node, "sifive,uart0"))
        return UartKind::Sifive;
    return UartKind::None;
}

u32 u32_property(const lib::fdt::Blob& fdt, lib::fdt::Node node, const char* name, u32 fallback)
{
    auto p = fdt.property(node, name);
    if (!p)
        return fallback;
    auto v = p->u32_at(0);
    return v.is_ok() ? v.value() : fallback;
}

void uart_interrupt(void* context) { static_cast<Uart*>(context)->drain_rx(); }

lib::Optional<lib::fdt::Node> choose(const lib::fdt::Blob& fdt)
{
    auto stdout_node = fdt.stdout_node();
    if (stdout_node.is_ok() && kind_of(fdt, stdout_node.value()) != UartKind::None)
        return stdout_node.value();
    for (const char* c : ALL_COMPATIBLES) {
        for (auto n = fdt.find_compatible(c); n; n = fdt.find_compatible(c, n))
            if (fdt.is_enabled(*n))
                return n;
    }
    return {};
}

} // namespace

void probe_console(const lib::fdt::Blob& fdt)
{
    auto node = choose(fdt);
    if (!node) {
        kernel::printk("console: no UART driver matches; staying on the SBI console\n");
        return;
    }
    auto reg = fdt.reg(*node, 0);
    if (reg.is_error()) {
        kernel::printk("console: bad reg on {}: {}\n", fdt.name(*node), reg.error().what);
        return;
    }
    u32 shift = u32_property(fdt, *node, "reg-shift", 0);
    u32 width = u32_property(fdt, *node, "reg-io-width", 1);
    if (shift > 3 || (width != 1 && width != 4)) {
        kernel::printk("console: unsupported reg-shift {} / reg-io-width {}\n", shift, width);
        return;
    }
    auto base = kernel::mm::ioremap(reg->base, reg->size ? reg->size : 0x100);
    if (base.is_error()) {
        kernel::printk("console: cannot map {:#x}: {}\n", reg->base, base.error().what);
        return;
    }
    Uart* uart = kind_of(fdt, *node) == UartKind::Sifive ? sifive_uart_init(base.value())
                                                          : ns16550_init(base.value(), shift, width);
    kernel::console_set_device(uart);
    kernel::printk("console: {} at {:#x} ({})\n", uart->name(), reg->base, fdt.name(*node));

    auto irq = fdt.interrupt(*node, 0);
    if (irq.is_error()) {
        kernel::printk("console: no interrupt ({}); input is not available\n", irq.error().what);
        return;
    }
    auto registered = kernel::irq_register(irq->number(), uart_interrupt, uart);
    if (registered.is_error()) {
        kernel::printk("console: irq {}: {}; input is not available\n", irq->number(), registered.error().what);
        return;
    }
    uart->enable_rx_interrupt();
    kernel::printk("console: input on irq {}\n", irq->number());
}

} // namespace drivers
