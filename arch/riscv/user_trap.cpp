// Traps from user mode, in C++: system calls, interrupts, faults. The
// registers are already in the current process's TrapFrame (trap_entry.S).
// Every path ends in return_to_user, which may first switch to another
// process (preemption), restores FP state if another process used the FP
// registers meanwhile, and leaves through user_return.
#include "arch/riscv/csr.hpp"
#include "arch/riscv/memory_layout.hpp"
#include "arch/riscv/phase_profile.hpp"
#include "arch/riscv/trap_frame.hpp"
#include "kernel/irq.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/test_build.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"

extern "C" [[noreturn]] void user_return(arch::riscv::TrapFrame*);

namespace arch::riscv {
const char* exception_name(u64 cause);
}

namespace kernel {

using namespace arch::riscv;

namespace {

constexpr u64 FS_OFF = 0, FS_INITIAL = 1ull << 13, FS_CLEAN = 2ull << 13, FS_DIRTY = 3ull << 13;
// Whose values the FP registers of this hart hold (one hart today).
constinit Process* s_fp_owner = nullptr;

// The process whose frame this is: the frame lives inside it.
inline Process& process_of(TrapFrame* frame)
{
    return *reinterpret_cast<Process*>(reinterpret_cast<u8*>(frame) - __builtin_offsetof(Process, frame));
}

// Time accounting on every crossing: the counter read inline and
// converted with one multiplication (kernel/time.hpp).
[[gnu::always_inline]] inline u64 now_ns() { return counter_to_monotonic_ns(read_time()); }

void account_user_time(Process& p)
{
    u64 now = now_ns();
    u64 spent = now - p.last_switch_ns;
    p.user_ns += spent;
    account_user_ns(spent);
    p.last_switch_ns = now;
}

} // namespace

void fp_forget(Process& p)
{
    if (s_fp_owner == &p)
        s_fp_owner = nullptr;
}

void activate_kernel_address_space() { mm::AddressSpace::deactivate(); }

[[noreturn]] void return_to_user(Process& p)
{
    prof::mark(prof::Phase::Preempt);
    if (arch::this_hart().need_resched) [[unlikely]]
        preempt_if_needed();
    prof::mark(prof::Phase::Signals);
    // deliver_signals() begins with this same lock-free test; made here
    // too, it saves the call on the common path (nothing pending).
    if (__atomic_load_n(&p.signals_pending, __ATOMIC_RELAXED) != 0 || p.syscall_restartable || p.mask_saved)
        [[unlikely]] deliver_signals(p);
    prof::mark(prof::Phase::Exit);
    csr_clear(sstatus, SSTATUS_SIE);
    TrapFrame& f = p.frame;
    // The FP registers hold another process's values (or garbage): load
    // ours. FS must be on for the FP instructions to execute.
    if (s_fp_owner != &p && (f.sstatus & SSTATUS_FS) != FS_OFF) {
        csr_set(sstatus, FS_CLEAN);
        fp_restore(&p.fp);
        s_fp_owner = &p;
        f.sstatus = (f.sstatus & ~SSTATUS_FS) | FS_CLEAN;
    }
    f.kernel_sp = p.kernel_stack_top;
    f.kernel_tp = reinterpret_cast<u64>(&arch::this_hart());
    f.sstatus = (f.sstatus & ~SSTATUS_SPP) | SSTATUS_SPIE; // to U-mode, interrupts on
    u64 now = now_ns();
    u64 spent = now - p.last_switch_ns;
    p.system_ns += spent;
    account_system_ns(spent);
    p.last_switch_ns = now;
    user_return(&f);
}

// Interrupts and faults: everything but a system call.
[[noreturn, gnu::noinline]] void user_trap_other(Process& p, TrapFrame* frame, u64 cause)
{
    if (cause & SCAUSE_INTERRUPT) {
        prof::mark(prof::Phase::Interrupt);
        switch (cause & ~SCAUSE_INTERRUPT) {
        case IRQ_S_TIMER: tick_interrupt(); break;
        case IRQ_S_EXT: external_interrupt(); break;
        default: break;
        }
        return_to_user(p);
    }
    prof::mark(prof::Phase::Fault);
    csr_set(sstatus, SSTATUS_SIE);
    switch (Exception(cause)) {
    case Exception::InstructionPageFault:
    case Exception::LoadPageFault:
    case Exception::StorePageFault: {
        mm::Access access = Exception(cause) == Exception::StorePageFault ? mm::Access::Write
                            : Exception(cause) == Exception::LoadPageFault ? mm::Access::Read
                                                                           : mm::Access::Execute;
        int code = SEGV_MAPERR;
        if (frame->stval < USER_TOP) {
            auto served = p.address_space->handle_fault(frame->stval, access);
            if constexpr (TEST_BUILD) {
                if (mm::mm_check_enabled())
                    mm::mm_check_point("page fault at", frame->stval);
            }
            if (served.is_ok())
                break;
            if (served.code() == Errno::enomem) {
                // The access was legal but no page is left: the process is
                // killed, never the kernel (Linux's OOM killer, simplified:
                // the faulting process is the victim).
                printk("out of memory: killed pid {} ({}) at {:#x}\n", p.pid, p.name, frame->stval);
                exit_current(wait_status_signaled(SIGKILL));
            }
            if (served.code() == Errno::enxio) { // past the end of a mapped file
                fault_signal(p, SIGBUS, BUS_ADRERR, frame->stval, exception_name(cause), frame->sepc);
                break;
            }
            if (served.code() == Errno::eacces)
                code = SEGV_ACCERR;
        }
        fault_signal(p, SIGSEGV, code, frame->stval, exception_name(cause), frame->sepc);
        break;
    }
    case Exception::InstructionAccessFault:
    case Exception::LoadAccessFault:
    case Exception::StoreAccessFault:
        fault_signal(p, SIGSEGV, SEGV_MAPERR, frame->stval, exception_name(cause), frame->sepc);
        break;
    case Exception::IllegalInstruction:
        fault_signal(p, SIGILL, ILL_ILLOPC, frame->sepc, exception_name(cause), frame->sepc);
        break;
    case Exception::InstructionMisaligned:
    case Exception::LoadMisaligned:
    case Exception::StoreMisaligned:
        fault_signal(p, SIGBUS, BUS_ADRALN, frame->stval, exception_name(cause), frame->sepc);
        break;
    case Exception::Breakpoint:
        fault_signal(p, SIGTRAP, TRAP_BRKPT, frame->sepc, exception_name(cause), frame->sepc);
        break;
    default:
        fault_signal(p, SIGILL, ILL_ILLOPC, frame->sepc, exception_name(cause), frame->sepc);
        break;
    }
    return_to_user(p);
}

[[gnu::noinline]] void save_fp_state(Process& p, TrapFrame* frame)
{
    fp_save(&p.fp);
    s_fp_owner = &p;
    frame->sstatus = (frame->sstatus & ~SSTATUS_FS) | FS_CLEAN;
    csr_clear(sstatus, SSTATUS_FS);
    csr_set(sstatus, FS_CLEAN);
}

extern "C" [[noreturn]] void user_trap(TrapFrame* frame)
{
    Process& p = process_of(frame);
    account_user_time(p);
    // Save the FP registers only if the process changed them (sstatus.FS
    // is Dirty); afterwards they are Clean and p.fp is current.
    if ((frame->sstatus & SSTATUS_FS) == FS_DIRTY) [[unlikely]]
        save_fp_state(p, frame);
    u64 cause = frame->scause;
    if (cause != u64(Exception::EcallFromU)) [[unlikely]]
        user_trap_other(p, frame, cause);
    // A system call: the common case, kept short.
    csr_set(sstatus, SSTATUS_SIE);
    frame->sepc += 4;
    prof::mark(prof::Phase::Dispatch);
    frame->a(0) = u64(syscall_dispatch(p, *frame));
    return_to_user(p);
}

// A new process's first kernel code: switch_context "returned" here with
// the process lock held (see scheduler.cpp).
extern "C" void process_first_entry()
{
    prof::mark(prof::Phase::Scheduler);
    process_lock().unlock();
    Process& p = current_process();
    p.last_switch_ns = monotonic_ns();
    return_to_user(p);
}

// Kernel-mode page faults inside the user-copy routines (SUM set) on a
// lazily mapped user page: serve them so the copy can continue.
bool handle_kernel_fault_on_user_page(u64 address, bool write)
{
    mm::AddressSpace* as = mm::AddressSpace::active();
    if (!as || address >= USER_TOP)
        return false;
    return as->handle_fault(address, write ? mm::Access::Write : mm::Access::Read).is_ok();
}

} // namespace kernel
