// The RISC-V Platform-Level Interrupt Controller (PLIC spec v1.0.0):
// priorities at base + 4*irq, per-context enable bits at 0x2000 + 0x80*ctx,
// threshold at 0x200000 + 0x1000*ctx and claim/complete 4 bytes after it.
// The boot hart's S-mode context comes from interrupts-extended, never from
// QEMU's 2*hart+1 convention.
#include "drivers/mmio.hpp"
#include "drivers/probe.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"

namespace drivers {

namespace {

class Plic final : public kernel::InterruptController {
public:
    void init(volatile u8* base, u32 context, u32 ndev)
    {
        m_base = base;
        m_context = context;
        m_ndev = ndev;
        for (u32 word = 0; word <= ndev / 32; ++word)
            mmio_write32(m_base, enable_offset() + 4 * word, 0);
        mmio_write32(m_base, 0x200000 + 0x1000ull * m_context, 0); // threshold: accept all
    }

    Result<void> enable(u32 irq) override
    {
        if (irq == 0 || irq > m_ndev)
            return lib::make_error(Errno::einval, "interrupt beyond riscv,ndev");
        mmio_write32(m_base, 4ull * irq, 1); // priority 1 (0 = never)
        u64 word = enable_offset() + 4 * (irq / 32);
        mmio_write32(m_base, word, mmio_read32(m_base, word) | (1u << (irq % 32)));
        return {};
    }

    void handle_pending() override
    {
        u64 claim = 0x200000 + 0x1000ull * m_context + 4;
        while (u32 irq = mmio_read32(m_base, claim)) {
            kernel::irq_dispatch(irq);
            mmio_write32(m_base, claim, irq); // complete
        }
    }

    const char* name() const override { return "plic"; }

private:
    u64 enable_offset() const { return 0x2000 + 0x80ull * m_context; }

    volatile u8* m_base = nullptr;
    u32 m_context = 0;
    u32 m_ndev = 0;
};

constinit Plic s_plic;

} // namespace

void probe_interrupt_controller(const lib::fdt::Blob& fdt, u64 hart_id)
{
    auto node = fdt.find_compatible("riscv,plic0");
    if (!node)
        node = fdt.find_compatible("sifive,plic-1.0.0");
    if (!node) {
        kernel::printk("plic: none in the device tree; no external interrupts\n");
        return;
    }
    auto reg = fdt.reg(*node, 0);
    auto context = fdt.plic_s_context(*node, hart_id);
    auto ndev_prop = fdt.property(*node, "riscv,ndev");
    u32 ndev = 0;
    if (ndev_prop) {
        auto v = ndev_prop->u32_at(0);
        ndev = v.is_ok() ? v.value() : 0;
    }
    // The registers init() and the handlers touch must lie inside reg:
    // a tree that says otherwise must not make the kernel fault on MMIO.
    u64 window = 0x200000 + 0x1000ull * (u64(context.value_or(0)) + 1);
    const char* problem = reg.is_error()            ? reg.error().what
                          : context.is_error()      ? context.error().what
                          : ndev == 0 || ndev > 1023 ? "bad riscv,ndev"
                          : reg->size < window      ? "reg too small for the context's registers"
                                                    : nullptr;
    if (problem) {
        kernel::printk("plic: unusable device-tree node ({}); no external interrupts\n", problem);
        return;
    }
    auto base = kernel::mm::ioremap(reg->base, window);
    if (base.is_error()) {
        kernel::printk("plic: cannot map registers: {}\n", base.error().what);
        return;
    }
    s_plic.init(base.value(), context.value(), ndev);
    kernel::irq_set_controller(&s_plic);
    kernel::printk("plic: {:#x}, {} sources, hart {} S-mode context {}\n", reg->base, ndev, hart_id, context.value());
}

} // namespace drivers
