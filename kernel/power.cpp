// Power off: the device-tree device first, SBI SRST second.
#include "kernel/power.hpp"
#include "arch/arch.hpp"
#include "kernel/printk.hpp"

namespace kernel {

static constinit PowerDevice* s_device = nullptr;

void power_set_device(PowerDevice* d) { s_device = d; }
void power_off(int status)
{
    arch::interrupts_disable();
    // Announced first: on machines with no way to power off (QEMU's
    // sifive_u has neither a test finisher nor SBI shutdown support), this
    // line and the "halted" one below are how a test harness learns the
    // status.
    panic_print("power: off (status {})\n", status);
    if (s_device)
        s_device->power_off(status);
    arch::firmware_shutdown(status);
}

} // namespace kernel
