// Traps from user mode, on the C++ side of trap_entry.S: decode scause
// into the portable TrapCause and hand over to the kernel
// (kernel/trap/); the FP-state and signal-trampoline parts of the arch
// interface.
#include "arch/riscv/csr.hpp"
#include "kernel/arch_hooks.hpp"

namespace arch {

namespace riscv {
const char* exception_name(u64 cause); // trap.cpp
}

using namespace riscv;

namespace {

// sstatus.FS (priv spec 4.1.1, "extension context status").
constexpr u64 FS_OFF = 0, FS_CLEAN = 2ull << 13, FS_DIRTY = 3ull << 13;

UserTrap decode(const TrapFrame& f)
{
    u64 cause = f.scause;
    if (cause & SCAUSE_INTERRUPT) {
        switch (cause & ~SCAUSE_INTERRUPT) {
        case IRQ_S_TIMER: return {TrapCause::TimerInterrupt, 0, "timer interrupt"};
        case IRQ_S_EXT: return {TrapCause::ExternalInterrupt, 0, "external interrupt"};
        case IRQ_S_SOFT:
            csr_clear(sip, SIE_SSIE); // acknowledged; the kernel reads what was sent
            return {TrapCause::SoftwareInterrupt, 0, "software interrupt"};
        default: return {TrapCause::Unknown, f.sepc, "unknown interrupt"};
        }
    }
    const char* name = exception_name(cause);
    switch (Exception(cause)) {
    case Exception::InstructionPageFault: return {TrapCause::InstructionPageFault, f.stval, name};
    case Exception::LoadPageFault: return {TrapCause::LoadPageFault, f.stval, name};
    case Exception::StorePageFault: return {TrapCause::StorePageFault, f.stval, name};
    case Exception::InstructionAccessFault:
    case Exception::LoadAccessFault:
    case Exception::StoreAccessFault: return {TrapCause::AccessFault, f.stval, name};
    case Exception::IllegalInstruction: return {TrapCause::IllegalInstruction, f.sepc, name};
    case Exception::InstructionMisaligned:
    case Exception::LoadMisaligned:
    case Exception::StoreMisaligned: return {TrapCause::Misaligned, f.stval, name};
    case Exception::Breakpoint: return {TrapCause::Breakpoint, f.sepc, name};
    default: return {TrapCause::Unknown, f.sepc, name};
    }
}

} // namespace

// From trap_entry.S for every trap from user mode but a system call, on
// the process's kernel stack with interrupts off.
extern "C" [[noreturn]] void user_trap(TrapFrame* frame) { kernel::on_user_trap(*frame, decode(*frame)); }

bool fp_dirty(const TrapFrame& f) { return (f.sstatus & SSTATUS_FS) == FS_DIRTY; }
bool fp_enabled(const TrapFrame& f) { return (f.sstatus & SSTATUS_FS) != FS_OFF; }

void fp_save(TrapFrame& f, FpState& state)
{
    csr_set(sstatus, FS_CLEAN); // FS must be on for the FP instructions
    riscv::fp_save(&state);
    f.sstatus = (f.sstatus & ~SSTATUS_FS) | FS_CLEAN;
}

void fp_discard(TrapFrame& f)
{
    if (fp_enabled(f))
        f.sstatus = (f.sstatus & ~SSTATUS_FS) | FS_CLEAN;
}

void fp_restore(TrapFrame& f, const FpState& state)
{
    csr_set(sstatus, FS_CLEAN);
    riscv::fp_restore(&state);
    f.sstatus = (f.sstatus & ~SSTATUS_FS) | FS_CLEAN;
}

// "li a7, 139; ecall": rt_sigreturn (asm-generic/unistd.h).
Code sigreturn_trampoline_code()
{
    static constexpr u32 code[2] = {0x08b00893 /* addi a7, zero, 139 */, 0x00000073 /* ecall */};
    return {code, 2};
}

} // namespace arch
