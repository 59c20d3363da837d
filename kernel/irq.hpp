// External interrupts: device drivers register a handler for their
// interrupt number; the interrupt controller driver (PLIC) claims pending
// interrupts and calls the handlers. Handlers acknowledge, queue, return.
// Every hart has its own context in the controller and claims there what
// it took; each interrupt is routed to one hart (the boot hart unless
// irq_route moves it).
#pragma once

#include "lib/result.hpp"

namespace kernel {

using IrqHandler = void (*)(void* context);
// route()'s hart for "no hart": the interrupt is disabled everywhere.
inline constexpr u32 IRQ_NO_HART = ~0u;

class InterruptController {
public:
    // Enable irq in the context of hart index `hart` only (disabling it in
    // every other hart's): at most one hart takes each interrupt. Called
    // with the irq lock held (enable bits are read-modify-write).
    virtual Result<void> route(u32 irq, u32 hart) = 0;
    // Set up this hart's context (each hart, as it comes up).
    virtual void init_this_hart() = 0;
    // Claim and dispatch everything pending for this hart.
    virtual void handle_pending() = 0;
    // The controller's context number for hart index `hart`, or -1 when
    // that hart has none (its interrupts cannot reach it).
    virtual i64 hart_context(u32 hart) const = 0;
    virtual const char* name() const = 0;

protected:
    ~InterruptController() = default;
};

void irq_set_controller(InterruptController*);
InterruptController* irq_controller();
// Register and enable irq, routed to the boot hart (index 0).
Result<void> irq_register(u32 irq, IrqHandler, void* context);
// A hart that just came up: make its context take what is routed to it.
void irq_init_this_hart();
// Send a registered irq to hart index `hart` from now on.
Result<void> irq_route(u32 irq, u32 hart);
// Remove irq's handler and disable it (tests that borrow a device's irq).
void irq_unregister(u32 irq);
// Called by the controller for each claimed irq.
void irq_dispatch(u32 irq);
// external_interrupt(), the trap handler's entry: kernel/arch_hooks.hpp.

} // namespace kernel
