// The table of external-interrupt handlers.
#include "kernel/irq.hpp"
#include "kernel/arch_hooks.hpp"
#include "kernel/printk.hpp"
#include "kernel/spinlock.hpp"

namespace kernel {

static constexpr u32 MAX_IRQ = 1024; // the PLIC's architectural maximum

struct IrqSlot {
    IrqHandler handler = nullptr;
    void* context = nullptr;
};
static constinit IrqSlot s_slots[MAX_IRQ];
static constinit SpinLock s_lock(LockRank::Irq);
static constinit InterruptController* s_controller = nullptr;
static constinit u64 s_spurious = 0;

void irq_set_controller(InterruptController* c) { s_controller = c; }
InterruptController* irq_controller() { return s_controller; }

Result<void> irq_register(u32 irq, IrqHandler handler, void* context)
{
    if (irq == 0 || irq >= MAX_IRQ)
        return lib::make_error(Errno::einval, "interrupt number out of range");
    if (!s_controller)
        return lib::make_error(Errno::enodev, "no interrupt controller");
    {
        SpinLockGuard guard(s_lock);
        if (s_slots[irq].handler)
            return lib::make_error(Errno::ebusy, "interrupt already has a handler");
        s_slots[irq] = {handler, context};
    }
    return s_controller->enable(irq);
}

void irq_dispatch(u32 irq)
{
    IrqSlot* slot = irq < MAX_IRQ ? &s_slots[irq] : nullptr;
    if (!slot || !slot->handler) {
        ++s_spurious;
        return;
    }
    slot->handler(slot->context);
}

void external_interrupt()
{
    if (s_controller)
        s_controller->handle_pending();
}

} // namespace kernel
