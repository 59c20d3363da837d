// Several harts, the RISC-V way: start them through the SBI HSM extension
// and interrupt them through the SBI IPI extension (a supervisor software
// interrupt, sip.SSIP, on the target; SBI spec v2.0 chapters 5 and 9).
// Remote TLB and instruction-cache fences are IPIs too (kernel/smp.cpp).
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/sbi.hpp"

extern "C" char secondary_entry[];

namespace arch {

using namespace riscv;

namespace {

// What a starting hart reads with the MMU off (head.S, secondary_entry):
// one block per hart, in the image, reached by its physical address.
struct HartStart {
    u64 satp;
    u64 virt_offset; // KERNEL_VIRT_BASE - the image's load address
    u64 stack_top;
    Hart* hart;
};
static_assert(sizeof(HartStart) == 32);
constinit HartStart s_start[64] = {};

constexpr u64 HSM_HART_START = 0, HSM_HART_GET_STATUS = 2;
constexpr u64 IPI_SEND = 0;

u64 kernel_phys(const void* p, u64 load_pa) { return u64(p) - KERNEL_VIRT_BASE + load_pa; }

} // namespace

bool firmware_starts_harts() { return sbi::info().has_hsm && sbi::info().has_ipi; }

i64 start_hart(u64 hart_id, Hart* hart, u64 stack_top, u64 load_pa)
{
    if (hart_id >= 64)
        return -3; // SBI_ERR_INVALID_PARAM: masks name harts 0..63
    HartStart& block = s_start[hart_id];
    // satp's mode and root without an ASID: the kernel's table as this hart holds it now.
    block.satp = csr_read(satp) & ~(0xffffull << 44);
    block.virt_offset = KERNEL_VIRT_BASE - load_pa;
    block.stack_top = stack_top;
    block.hart = hart;
    asm volatile("fence rw, rw" ::: "memory"); // the block is in memory before the hart reads it
    return sbi::call(sbi::EXT_HSM, HSM_HART_START, hart_id, kernel_phys(secondary_entry, load_pa),
                     kernel_phys(&block, load_pa)).error;
}

i64 hart_state(u64 hart_id)
{
    auto r = sbi::call(sbi::EXT_HSM, HSM_HART_GET_STATUS, hart_id);
    return r.error ? r.error : r.value;
}

void send_ipi(u64 hart_id_mask)
{
    if (hart_id_mask)
        sbi::call(sbi::EXT_IPI, IPI_SEND, hart_id_mask, 0);
}

void enable_software_interrupts() { csr_set(sie, SIE_SSIE); }
void acknowledge_software_interrupt() { csr_clear(sip, SIE_SSIE); }


} // namespace arch
