// The SiFive UART ("sifive,uart0", FU540/FU740 manual chapter 13): txdata
// at 0x00 (bit 31 = FIFO full), rxdata at 0x04 (bit 31 = FIFO empty),
// txctrl/rxctrl enables at 0x08/0x0c, interrupt enable at 0x10 (bit 1 =
// receive watermark; watermark 0 means "any byte waiting").
#include "drivers/mmio.hpp"
#include "drivers/uart.hpp"
#include "kernel/console.hpp"

namespace drivers {

namespace {

constexpr u64 TXDATA = 0x00, RXDATA = 0x04, TXCTRL = 0x08, RXCTRL = 0x0c, IE = 0x10;
constexpr u32 FIFO_FULL = 1u << 31, FIFO_EMPTY = 1u << 31;
constexpr u32 CTRL_ENABLE = 1, IE_RXWM = 1u << 1;

class SifiveUart final : public Uart {
public:
    void init(volatile u8* base)
    {
        m_base = base;
        mmio_write32(m_base, TXCTRL, mmio_read32(m_base, TXCTRL) | CTRL_ENABLE);
        mmio_write32(m_base, RXCTRL, CTRL_ENABLE); // watermark 0
    }
    void enable_rx_interrupt() override { mmio_write32(m_base, IE, IE_RXWM); }
    void put_char(char c) override
    {
        while (mmio_read32(m_base, TXDATA) & FIFO_FULL)
            ;
        mmio_write32(m_base, TXDATA, u8(c));
    }
    void drain_rx() override
    {
        for (;;) {
            u32 v = mmio_read32(m_base, RXDATA);
            if (v & FIFO_EMPTY)
                break;
            kernel::console_push_input(char(v & 0xff));
        }
    }
    const char* name() const override { return "sifive,uart0"; }

private:
    volatile u8* m_base = nullptr;
};

constinit SifiveUart s_uart;

} // namespace

Uart* sifive_uart_init(volatile u8* base)
{
    s_uart.init(base);
    return &s_uart;
}

} // namespace drivers
