// The RISC-V Platform-Level Interrupt Controller (PLIC spec v1.0.0):
// priorities at base + 4*irq, per-context enable bits at 0x2000 + 0x80*ctx,
// threshold at 0x200000 + 0x1000*ctx and claim/complete 4 bytes after it.
// Every hart's S-mode context comes from interrupts-extended, never from
// QEMU's 2*hart+1 convention (a monitor core with only an M context shifts
// the numbering on the FU540/FU740/JH7110). Each hart claims in its own
// context; each source is enabled in one hart's context only.
#include "drivers/mmio.hpp"
#include "drivers/probe.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"
#include "kernel/smp.hpp"

namespace drivers {

namespace {

constexpr u32 NO_CONTEXT = ~0u;

class Plic final : public kernel::InterruptController {
public:
    // contexts[i]: hart index i's S-mode context, or NO_CONTEXT.
    void init(volatile u8* base, const u32* contexts, u32 harts, u32 ndev)
    {
        m_base = base;
        m_ndev = ndev;
        m_harts = harts;
        for (u32 h = 0; h < kernel::MAX_HARTS; ++h)
            m_context[h] = h < harts ? contexts[h] : NO_CONTEXT;
        // Every hart's context starts with nothing enabled (firmware may
        // have left bits set) and threshold 0, so that what is routed to
        // it later arrives; a hart without an S context gets nothing.
        for (u32 h = 0; h < harts; ++h)
            write_context(h);
    }

    // OpenSBI's PLIC warm init runs on each hart that HSM starts: it
    // clears that hart's S-context enables and sets its threshold to 7
    // (nothing arrives). So each hart writes its own context again as it
    // comes up (Linux does it in plic_starting_cpu).
    void init_this_hart() override
    {
        u32 index = arch::this_hart().index;
        if (index < m_harts)
            write_context(index);
    }

    Result<void> route(u32 irq, u32 hart) override
    {
        if (irq == 0 || irq > m_ndev)
            return lib::make_error(Errno::einval, "interrupt beyond riscv,ndev");
        if (hart != kernel::IRQ_NO_HART && (hart >= m_harts || m_context[hart] == NO_CONTEXT))
            return lib::make_error(Errno::enodev, "hart has no S-mode PLIC context");
        // Enable in the target first, then disable elsewhere: a pending
        // interrupt is never left with no hart to take it. Two harts may
        // both be enabled for an instant; the PLIC gives a claim to one.
        if (hart != kernel::IRQ_NO_HART) {
            mmio_write32(m_base, 4ull * irq, 1); // priority 1 (0 = never)
            set_enable(hart, irq, true);
        }
        for (u32 h = 0; h < m_harts; ++h)
            if (h != hart && m_context[h] != NO_CONTEXT)
                set_enable(h, irq, false);
        if (hart == kernel::IRQ_NO_HART)
            mmio_write32(m_base, 4ull * irq, 0);
        return {};
    }

    void handle_pending() override
    {
        u32 index = arch::this_hart().index;
        u32 context = index < kernel::MAX_HARTS ? m_context[index] : NO_CONTEXT;
        if (context == NO_CONTEXT)
            return;
        u64 claim = threshold_offset(context) + 4;
        while (u32 irq = mmio_read32(m_base, claim)) {
            kernel::irq_dispatch(irq);
            mmio_write32(m_base, claim, irq); // complete, in the context that claimed
        }
    }

    i64 hart_context(u32 hart) const override
    {
        return hart < m_harts && m_context[hart] != NO_CONTEXT ? i64(m_context[hart]) : -1;
    }

    const char* name() const override { return "plic"; }

private:
    static u64 enable_offset(u32 context) { return 0x2000 + 0x80ull * context; }
    static u64 threshold_offset(u32 context) { return 0x200000 + 0x1000ull * context; }

    // Enable bits are kept here too, as the hardware's may be wiped by
    // the firmware when a hart starts (init_this_hart).
    void set_enable(u32 hart, u32 irq, bool on)
    {
        u32& bits = m_enabled[hart][irq / 32];
        bits = on ? bits | (1u << (irq % 32)) : bits & ~(1u << (irq % 32));
        mmio_write32(m_base, enable_offset(m_context[hart]) + 4 * (irq / 32), bits);
    }

    void write_context(u32 hart)
    {
        if (m_context[hart] == NO_CONTEXT)
            return;
        for (u32 word = 0; word <= m_ndev / 32; ++word)
            mmio_write32(m_base, enable_offset(m_context[hart]) + 4 * word, m_enabled[hart][word]);
        mmio_write32(m_base, threshold_offset(m_context[hart]), 0); // accept every priority above 0
    }

    volatile u8* m_base = nullptr;
    u32 m_context[kernel::MAX_HARTS] = {};
    u32 m_enabled[kernel::MAX_HARTS][32] = {}; // 1024 sources a hart
    u32 m_harts = 0;
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
    // The other harts' contexts: one that has none (or a number past the
    // architectural 15 871) gets no external interrupts; boot goes on.
    u32 harts = lib::max(kernel::smp_discovered(), 1u);
    u32 contexts[kernel::MAX_HARTS];
    u32 highest = context.value_or(0);
    contexts[0] = context.value_or(NO_CONTEXT);
    for (u32 i = 1; i < harts; ++i) {
        auto c = fdt.plic_s_context(*node, kernel::smp_discovered_hart_id(i));
        contexts[i] = c.is_ok() && c.value() < 15872 ? c.value() : NO_CONTEXT;
        if (contexts[i] == NO_CONTEXT)
            kernel::printk("plic: hart {} has no S-mode context; it takes no external interrupts\n",
                           kernel::smp_discovered_hart_id(i));
        else
            highest = lib::max(highest, contexts[i]);
    }
    // The registers init() and the handlers touch must lie inside reg:
    // a tree that says otherwise must not make the kernel fault on MMIO.
    u64 window = 0x200000 + 0x1000ull * (u64(highest) + 1);
    const char* problem = reg.is_error()            ? reg.error().what
                          : context.is_error()      ? context.error().what
                          : context.value() >= 15872 ? "context number beyond the PLIC's 15 872"
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
    s_plic.init(base.value(), contexts, harts, ndev);
    kernel::irq_set_controller(&s_plic);
    kernel::printk("plic: {:#x}, {} sources, hart {} S-mode context {}", reg->base, ndev, hart_id, context.value());
    for (u32 i = 1; i < harts; ++i)
        if (contexts[i] != NO_CONTEXT)
            kernel::print_raw(", hart {} {}", kernel::smp_discovered_hart_id(i), contexts[i]);
    kernel::print_raw("\n");
}

} // namespace drivers
