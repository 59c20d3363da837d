// Power off through the device tree: a "syscon-poweroff" node names a
// register (regmap phandle + offset) and a value. When the register belongs
// to QEMU's "sifive,test0" finisher we can also report a failure status:
// FAIL (0x3333) with the status in bits 31:16 makes QEMU exit with it.
#include "drivers/mmio.hpp"
#include "drivers/probe.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/power.hpp"
#include "kernel/printk.hpp"

namespace drivers {

namespace {

constexpr u32 FINISHER_FAIL = 0x3333;

class SysconPoweroff final : public kernel::PowerDevice {
public:
    void init(volatile u8* reg, u32 value, bool sifive_test)
    {
        m_reg = reg;
        m_value = value;
        m_sifive_test = sifive_test;
    }
    void power_off(int status) override
    {
        if (status == 0)
            mmio_write32(m_reg, 0, m_value);
        else if (m_sifive_test)
            mmio_write32(m_reg, 0, (u32(status & 0xffff) << 16) | FINISHER_FAIL);
        // A plain syscon cannot carry a failure status: let SBI try (it
        // reports "system failure").
    }
    const char* name() const override { return m_sifive_test ? "sifive,test0" : "syscon-poweroff"; }

private:
    volatile u8* m_reg = nullptr;
    u32 m_value = 0;
    bool m_sifive_test = false;
};

constinit SysconPoweroff s_poweroff;

} // namespace

void probe_power(const lib::fdt::Blob& fdt)
{
    auto node = fdt.find_compatible("syscon-poweroff");
    if (!node) {
        kernel::printk("power: no syscon-poweroff; using SBI system reset\n");
        return;
    }
    auto regmap = fdt.property(*node, "regmap");
    auto offset = fdt.property(*node, "offset");
    auto value = fdt.property(*node, "value");
    if (!regmap || !offset || !value || regmap->u32_at(0).is_error() || offset->u32_at(0).is_error() ||
        value->u32_at(0).is_error()) {
        kernel::printk("power: incomplete syscon-poweroff node; using SBI system reset\n");
        return;
    }
    auto syscon = fdt.find_by_phandle(regmap->u32_at(0).value());
    auto reg = syscon ? fdt.reg(*syscon, 0) : Result<lib::fdt::Region>(Errno::enoent);
    if (reg.is_error()) {
        kernel::printk("power: regmap target unusable; using SBI system reset\n");
        return;
    }
    if (reg->size < 4 || offset->u32_at(0).value() > reg->size - 4) {
        kernel::printk("power: offset {:#x} outside the syscon's reg; using SBI system reset\n",
                       offset->u32_at(0).value());
        return;
    }
    auto base = kernel::mm::ioremap(reg->base + offset->u32_at(0).value(), 4);
    if (base.is_error()) {
        kernel::printk("power: cannot map the register: {}\n", base.error().what);
        return;
    }
    s_poweroff.init(base.value(), value->u32_at(0).value(), fdt.is_compatible(*syscon, "sifive,test0"));
    kernel::power_set_device(&s_poweroff);
    kernel::printk("power: {} at {:#x}\n", s_poweroff.name(), reg->base);
}

} // namespace drivers
