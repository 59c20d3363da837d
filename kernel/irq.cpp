// The table of external-interrupt handlers, and which hart takes each.
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
// Guards s_slots' writers and the controller's enable bits (route()).
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
    SpinLockGuard guard(s_lock);
    if (s_slots[irq].handler)
        return lib::make_error(Errno::ebusy, "interrupt already has a handler");
    // The handler is in place before the irq can arrive on any hart.
    s_slots[irq].context = context;
    __atomic_store_n(&s_slots[irq].handler, handler, __ATOMIC_RELEASE);
    auto routed = s_controller->route(irq, 0);
    if (routed.is_error())
        __atomic_store_n(&s_slots[irq].handler, IrqHandler(nullptr), __ATOMIC_RELEASE);
    return routed;
}

Result<void> irq_route(u32 irq, u32 hart)
{
    if (irq == 0 || irq >= MAX_IRQ)
        return lib::make_error(Errno::einval, "interrupt number out of range");
    SpinLockGuard guard(s_lock);
    if (!s_controller || !s_slots[irq].handler)
        return lib::make_error(Errno::enoent, "interrupt has no handler");
    return s_controller->route(irq, hart);
}

void irq_init_this_hart()
{
    if (!s_controller)
        return;
    SpinLockGuard guard(s_lock);
    s_controller->init_this_hart();
}

void irq_unregister(u32 irq)
{
    if (irq == 0 || irq >= MAX_IRQ || !s_controller)
        return;
    SpinLockGuard guard(s_lock);
    (void)s_controller->route(irq, IRQ_NO_HART);
    __atomic_store_n(&s_slots[irq].handler, IrqHandler(nullptr), __ATOMIC_RELEASE);
}

void irq_dispatch(u32 irq)
{
    IrqSlot* slot = irq < MAX_IRQ ? &s_slots[irq] : nullptr;
    IrqHandler handler = slot ? __atomic_load_n(&slot->handler, __ATOMIC_ACQUIRE) : nullptr;
    if (!handler) {
        __atomic_fetch_add(&s_spurious, 1, __ATOMIC_RELAXED);
        return;
    }
    handler(slot->context);
}

void external_interrupt()
{
    if (s_controller)
        s_controller->handle_pending();
}

} // namespace kernel
