// Starting the console UART that lib/board's choose_console picks (the
// node /chosen/stdout-path names, or the first UART we can drive): map its
// registers, hand it to the console, route its interrupt for input.
#include "drivers/probe.hpp"
#include "drivers/uart.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"
#include "lib/board.hpp"

namespace drivers {

namespace {

void uart_interrupt(void* context) { static_cast<Uart*>(context)->drain_rx(); }

} // namespace

void probe_console(const lib::fdt::Blob& fdt)
{
    auto choice = lib::board::choose_console(fdt);
    if (choice.is_error()) {
        if (choice.code() == Errno::enodev)
            kernel::printk("console: no UART driver matches; staying on the SBI console\n");
        else
            kernel::printk("console: {}; staying on the SBI console\n", choice.error().what);
        return;
    }
    const lib::board::ConsoleChoice& c = choice.value();
    // Only the registers the drivers touch (16550: 32 << reg_shift at most;
    // SiFive: 0x1c), whatever size reg claims: a bogus one must not map
    // the whole window or wrap around.
    auto base = kernel::mm::ioremap(c.base, 0x100);
    if (base.is_error()) {
        kernel::printk("console: cannot map {:#x}: {}\n", c.base, base.error().what);
        return;
    }
    Uart* uart = c.kind == lib::board::UartKind::SifiveUart ? sifive_uart_init(base.value())
                                                           : ns16550_init(base.value(), c.reg_shift, c.reg_io_width);
    kernel::console_set_device(uart);
    kernel::printk("console: {} at {:#x} ({})\n", uart->name(), c.base, fdt.name(c.node));

    if (!c.has_irq) {
        kernel::printk("console: no interrupt ({}); input is not available\n", c.irq_error);
        return;
    }
    auto registered = kernel::irq_register(c.irq, uart_interrupt, uart);
    if (registered.is_error()) {
        kernel::printk("console: irq {}: {}; input is not available\n", c.irq, registered.error().what);
        return;
    }
    uart->enable_rx_interrupt();
    kernel::printk("console: input on irq {}\n", c.irq);
}

} // namespace drivers
