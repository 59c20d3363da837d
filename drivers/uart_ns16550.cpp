// 16550-compatible UARTs ("ns16550a", "ns16550", "snps,dw-apb-uart"):
// registers are 2^reg-shift bytes apart and reg-io-width bytes wide, as the
// device tree says (1 and 1 on QEMU virt, 2 and 4 on the JH7110). The
// firmware has already set the baud rate; we keep it.
#include "drivers/mmio.hpp"
#include "drivers/uart.hpp"
#include "kernel/console.hpp"

namespace drivers {

namespace {

// Register indices (16550 data sheet); the byte offset is index << shift.
constexpr u32 RBR_THR = 0, IER = 1, FCR = 2, IIR = 2, LCR = 3, MCR = 4, LSR = 5;
// DesignWare APB UART (snps,dw-apb-uart) extension: UART Status Register.
constexpr u32 DW_USR = 31;
constexpr u8 IIR_ID_MASK = 0x0f, IIR_BUSY_DETECT = 0x07;
constexpr u8 IER_RX_AVAILABLE = 0x01;
constexpr u8 FCR_ENABLE_AND_CLEAR = 0x07;
constexpr u8 MCR_OUT2 = 0x08; // gates the interrupt line on 8250-style parts
constexpr u8 LSR_DATA_READY = 0x01, LSR_THR_EMPTY = 0x20;

class Ns16550 final : public Uart {
public:
    void init(volatile u8* base, u32 shift, u32 width)
    {
        m_base = base;
        m_shift = shift;
        m_width = width;
        // DLAB off, so RBR/THR/IER are visible. Only write LCR if needed: on
        // a DesignWare UART, writing LCR while it is busy sending raises a
        // "busy detect" interrupt (Synopsys DW_apb_uart databook; Linux's
        // 8250_dw.c), and firmware has usually just printed something.
        u8 lcr = read(LCR);
        if (lcr & 0x80)
            write(LCR, lcr & 0x7f);
        write(FCR, FCR_ENABLE_AND_CLEAR);
        write(MCR, read(MCR) | MCR_OUT2);
    }
    void enable_rx_interrupt() override { write(IER, IER_RX_AVAILABLE); }
    void put_char(char c) override
    {
        while (!(read(LSR) & LSR_THR_EMPTY))
            ;
        write(RBR_THR, u8(c));
    }
    void drain_rx() override
    {
        // A DesignWare busy-detect interrupt is cleared only by reading USR;
        // left alone it would keep the interrupt line high forever.
        if ((read(IIR) & IIR_ID_MASK) == IIR_BUSY_DETECT)
            (void)read(DW_USR);
        while (read(LSR) & LSR_DATA_READY)
            kernel::console_push_input(char(read(RBR_THR)));
    }
    const char* name() const override { return "ns16550a"; }

private:
    u8 read(u32 reg)
    {
        return m_width == 4 ? u8(mmio_read32(m_base, u64(reg) << m_shift)) : mmio_read8(m_base, u64(reg) << m_shift);
    }
    void write(u32 reg, u8 v)
    {
        if (m_width == 4)
            mmio_write32(m_base, u64(reg) << m_shift, v);
        else
            mmio_write8(m_base, u64(reg) << m_shift, v);
    }

    volatile u8* m_base = nullptr;
    u32 m_shift = 0, m_width = 1;
};

constinit Ns16550 s_uart;

} // namespace

Uart* ns16550_init(volatile u8* base, u32 reg_shift, u32 reg_io_width)
{
    s_uart.init(base, reg_shift, reg_io_width);
    return &s_uart;
}

} // namespace drivers
