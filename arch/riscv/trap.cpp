// The C++ half of trap handling: interrupts go to the timer or the external
// interrupt controller; a kernel exception at an instruction listed in the
// exception table resumes at its fixup; any other kernel exception is a bug
// and panics with a readable report.
#include "arch/riscv/backtrace.hpp"
#include "arch/riscv/csr.hpp"
#include "arch/riscv/ex_table.hpp"
#include "arch/riscv/trap_frame.hpp"
#include "kernel/arch_hooks.hpp"

extern "C" const arch::riscv::ExTableEntry __ex_table_start[], __ex_table_end[];

namespace arch::riscv {

u64 find_fixup(u64 pc)
{
    for (const ExTableEntry* e = __ex_table_start; e < __ex_table_end; ++e)
        if (e->insn == pc)
            return e->fixup;
    return 0;
}

const char* exception_name(u64 cause)
{
    switch (Exception(cause)) {
    case Exception::InstructionMisaligned: return "instruction address misaligned";
    case Exception::InstructionAccessFault: return "instruction access fault";
    case Exception::IllegalInstruction: return "illegal instruction";
    case Exception::Breakpoint: return "breakpoint";
    case Exception::LoadMisaligned: return "load address misaligned";
    case Exception::LoadAccessFault: return "load access fault";
    case Exception::StoreMisaligned: return "store/AMO address misaligned";
    case Exception::StoreAccessFault: return "store/AMO access fault";
    case Exception::EcallFromU: return "environment call from U-mode";
    case Exception::EcallFromS: return "environment call from S-mode";
    case Exception::InstructionPageFault: return "instruction page fault";
    case Exception::LoadPageFault: return "load page fault";
    case Exception::StorePageFault: return "store/AMO page fault";
    }
    return "unknown exception";
}

static constexpr const char* REGISTER_NAMES[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

[[noreturn]] static void panic_exception(TrapFrame& f)
{
    kernel::panic_begin();
    Symbol s = symbolize(f.sepc);
    kernel::panic_print("\nKERNEL PANIC: {} (scause {:#x}) in kernel mode\n", exception_name(f.scause), f.scause);
    kernel::panic_print("  sepc {:#018x} {}+{:#x}\n  stval {:#018x}  sstatus {:#018x}\n", f.sepc,
                        s.name ? s.name : "?", s.offset, f.stval, f.sstatus);
    for (unsigned i = 1; i < 32; ++i)
        kernel::panic_print("  {:>4} {:#018x}{}", REGISTER_NAMES[i], f.regs[i], i % 4 == 3 ? "\n" : "");
    kernel::panic_print("\nbacktrace:\n");
    print_trap_backtrace(f.sepc, f.ra(), f.fp());
    kernel::panic_end();
}

extern "C" [[noreturn]] void kernel_stack_overflow(TrapFrame* frame)
{
    kernel::panic_begin();
    kernel::panic_print("\nKERNEL PANIC: kernel stack overflow (sp {:#018x} is in a guard page)\n", frame->sp());
    Symbol s = symbolize(frame->sepc);
    kernel::panic_print("  {} at sepc {:#018x} {}+{:#x}, stval {:#018x}\n", exception_name(frame->scause), frame->sepc,
                        s.name ? s.name : "?", s.offset, frame->stval);
    kernel::panic_print("backtrace:\n");
    print_trap_backtrace(frame->sepc, frame->ra(), frame->fp());
    kernel::panic_end();
}

extern "C" void kernel_trap(TrapFrame* frame)
{
    TrapFrame& f = *frame;
    if (f.scause & SCAUSE_INTERRUPT) {
        switch (f.scause & ~SCAUSE_INTERRUPT) {
        case IRQ_S_TIMER: kernel::tick_interrupt(); return;
        case IRQ_S_EXT: kernel::external_interrupt(); return;
        case IRQ_S_SOFT:
            csr_clear(sip, SIE_SSIE);
            kernel::software_interrupt();
            return;
        default: break;
        }
        panic_exception(f);
    }
    // A user-copy routine touched a user page not mapped yet: map it and
    // retry, as if the user had touched it.
    bool page_fault = f.scause == u64(Exception::LoadPageFault) || f.scause == u64(Exception::StorePageFault);
    if (page_fault && (f.sstatus & SSTATUS_SUM) && find_fixup(f.sepc) &&
        kernel::on_kernel_fault_on_user_page(f.stval, f.scause == u64(Exception::StorePageFault)))
        return;
    if (u64 fixup = find_fixup(f.sepc)) {
        f.sepc = fixup;
        return;
    }
    panic_exception(f);
}

} // namespace arch::riscv

namespace arch {
bool has_fixup(u64 pc) { return riscv::find_fixup(pc) != 0; }
}
