// Powering the machine off with an exit status (QEMU exits with it), via
// the device the device tree names, or SBI system reset as the fallback.
#pragma once

#include "lib/types.hpp"

namespace kernel {

class PowerDevice {
public:
    // Must not return when it works; returning means "try the next way".
    virtual void power_off(int status) = 0;
    virtual const char* name() const = 0;

protected:
    ~PowerDevice() = default;
};

void power_set_device(PowerDevice*);
[[noreturn]] void power_off(int status);

} // namespace kernel
