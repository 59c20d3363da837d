// Finding and starting the device drivers named by the device tree: the
// interrupt controller, the console UART and the power-off device.
#pragma once

#include "lib/fdt.hpp"

namespace drivers {

// Each step reports what it found (or why not) through printk; a device
// that cannot be driven is skipped, never fatal.
void probe_interrupt_controller(const lib::fdt::Blob&, u64 boot_hart_id);
void probe_console(const lib::fdt::Blob&);
void probe_power(const lib::fdt::Blob&);
void probe_rtc(const lib::fdt::Blob&);

} // namespace drivers
