// The Goldfish RTC (QEMU virt's "google,goldfish-rtc"): TIME_LOW at 0x00
// and TIME_HIGH at 0x04 hold nanoseconds since the epoch; reading TIME_LOW
// latches TIME_HIGH (Android emulator goldfish spec).
#include "drivers/mmio.hpp"
#include "drivers/probe.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"
#include "kernel/wallclock.hpp"

namespace drivers {

void probe_rtc(const lib::fdt::Blob& fdt)
{
    auto node = fdt.find_compatible("google,goldfish-rtc");
    if (!node || !fdt.is_enabled(*node))
        return; // no RTC: the wall clock starts at the epoch
    auto reg = fdt.reg(*node, 0);
    if (reg.is_error())
        return;
    auto base = kernel::mm::ioremap(reg->base, 0x20);
    if (base.is_error())
        return;
    u64 low = mmio_read32(base.value(), 0x00);
    u64 high = mmio_read32(base.value(), 0x04);
    u64 ns = (high << 32) | low;
    kernel::wallclock_set(ns);
    kernel::wallclock_note_rtc();
    kernel::printk("rtc: goldfish at {:#x}: {} s since the epoch\n", reg->base, ns / 1000000000);
}

} // namespace drivers
