// What the UART drivers share: a console device that can also drain its
// receive FIFO into the console input buffer from its interrupt.
#pragma once

#include "kernel/console.hpp"

namespace drivers {

class Uart : public kernel::ConsoleDevice {
public:
    virtual void enable_rx_interrupt() = 0;
    virtual void drain_rx() = 0;

protected:
    ~Uart() = default;
};

Uart* ns16550_init(volatile u8* base, u32 reg_shift, u32 reg_io_width);
Uart* sifive_uart_init(volatile u8* base);

} // namespace drivers
