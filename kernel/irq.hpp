// External interrupts: device drivers register a handler for their
// interrupt number; the interrupt controller driver (PLIC) claims pending
// interrupts and calls the handlers. Handlers acknowledge, queue, return.
#pragma once

#include "lib/result.hpp"

namespace kernel {

using IrqHandler = void (*)(void* context);

class InterruptController {
public:
    virtual Result<void> enable(u32 irq) = 0;
    // Claim and dispatch everything pending for this hart.
    virtual void handle_pending() = 0;
    virtual const char* name() const = 0;

protected:
    ~InterruptController() = default;
};

void irq_set_controller(InterruptController*);
InterruptController* irq_controller();
Result<void> irq_register(u32 irq, IrqHandler, void* context);
// Called by the controller for each claimed irq.
void irq_dispatch(u32 irq);
// external_interrupt(), the trap handler's entry: kernel/arch_hooks.hpp.

} // namespace kernel
