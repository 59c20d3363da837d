// Power off: the device-tree device first, SBI SRST second.
#include "kernel/power.hpp"
#include "arch/arch.hpp"

namespace kernel {

static constinit PowerDevice* s_device = nullptr;

void power_set_device(PowerDevice* d) { s_device = d; }
const char* power_device_name() { return s_device ? s_device->name() : "sbi-srst"; }

void power_off(int status)
{
    arch::interrupts_disable();
    if (s_device)
        s_device->power_off(status);
    arch::firmware_shutdown(status);
}

} // namespace kernel
