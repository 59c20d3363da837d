// System calls and other traps from user mode, and the way back. The
// registers are already in the current process's frame (the arch trap
// entry saved them there); every path ends in return_to_user.
#include "kernel/arch_hooks.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/test_build.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"

namespace kernel {

namespace prof = arch::prof;

namespace {

// The process whose frame this is: the frame lives inside it.
inline Process& process_of(arch::TrapFrame& frame)
{
    return *reinterpret_cast<Process*>(reinterpret_cast<u8*>(&frame) - __builtin_offsetof(Process, frame));
}

// Time accounting on every crossing: the counter read inline and
// converted with one multiplication (kernel/time.hpp).
[[gnu::always_inline]] inline u64 now_ns() { return counter_to_monotonic_ns(arch::read_time()); }

[[gnu::always_inline]] inline void account_user_time(Process& p)
{
    u64 now = now_ns();
    u64 spent = now - p.last_switch_ns;
    p.user_ns += spent;
    account_user_ns(spent);
    p.last_switch_ns = now;
}

// A user fault the address space could not serve, as a signal
// (signal(7), Linux's arch/riscv/kernel/traps.c for the codes).
void signal_fault(Process& p, arch::TrapFrame& frame, const arch::UserTrap& trap)
{
    u64 pc = frame.user_pc();
    switch (trap.cause) {
    case arch::TrapCause::InstructionPageFault:
    case arch::TrapCause::LoadPageFault:
    case arch::TrapCause::StorePageFault: {
        auto access = trap.cause == arch::TrapCause::StorePageFault  ? mm::Access::Write
                      : trap.cause == arch::TrapCause::LoadPageFault ? mm::Access::Read
                                                                     : mm::Access::Execute;
        int code = SEGV_MAPERR;
        if (trap.address < arch::USER_TOP) {
            mm::FaultOutcome outcome = p.address_space->handle_fault(trap.address, access);
            if constexpr (TEST_BUILD) {
                if (mm::mm_check_enabled())
                    mm::mm_check_point("page fault at", trap.address);
            }
            switch (outcome) {
            case mm::FaultOutcome::Served: return;
            case mm::FaultOutcome::OutOfMemory:
                // The access was legal but no page is left: the process is
                // killed, never the kernel (Linux's OOM killer, simplified:
                // the faulting process is the victim).
                printk("out of memory: killed pid {} ({}) at {:#x}\n", p.pid, p.name, trap.address);
                exit_current(wait_status_signaled(SIGKILL));
            case mm::FaultOutcome::PastEndOfFile:
                fault_signal(p, SIGBUS, BUS_ADRERR, trap.address, trap.name, pc);
                return;
            case mm::FaultOutcome::Denied: code = SEGV_ACCERR; break;
            case mm::FaultOutcome::Unmapped: break;
            }
        }
        fault_signal(p, SIGSEGV, code, trap.address, trap.name, pc);
        return;
    }
    case arch::TrapCause::AccessFault: fault_signal(p, SIGSEGV, SEGV_MAPERR, trap.address, trap.name, pc); return;
    case arch::TrapCause::Misaligned: fault_signal(p, SIGBUS, BUS_ADRALN, trap.address, trap.name, pc); return;
    case arch::TrapCause::Breakpoint: fault_signal(p, SIGTRAP, TRAP_BRKPT, trap.address, trap.name, pc); return;
    case arch::TrapCause::IllegalInstruction:
    default: fault_signal(p, SIGILL, ILL_ILLOPC, trap.address, trap.name, pc); return;
    }
}

} // namespace

// --- Floating-point ownership -------------------------------------------

void fp_switch_out(Process& p)
{
    if (arch::fp_dirty(p.frame)) [[unlikely]] {
        arch::fp_save(p.frame, p.fp);
        arch::this_hart().fp_owner = &p;
    }
}

void fp_sync(Process& p)
{
    if (arch::fp_dirty(p.frame)) {
        arch::fp_save(p.frame, p.fp);
        arch::this_hart().fp_owner = &p;
    }
}

void fp_forget(Process& p)
{
    if (arch::this_hart().fp_owner == &p)
        arch::this_hart().fp_owner = nullptr;
}

// --- The way back ------------------------------------------------------

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
    arch::interrupts_disable();
    arch::Hart& hart = arch::this_hart();
    // The FP registers hold another thread's values (or nothing yet): load ours.
    if (hart.fp_owner != &p && arch::fp_enabled(p.frame)) [[unlikely]] {
        arch::fp_restore(p.frame, p.fp);
        hart.fp_owner = &p;
    }
    u64 now = now_ns();
    u64 spent = now - p.last_switch_ns;
    p.system_ns += spent;
    account_system_ns(spent);
    p.last_switch_ns = now;
    arch::enter_user(p.frame);
}

// --- Entries from the architecture --------------------------------------

void on_syscall(arch::TrapFrame* trap_frame)
{
    arch::TrapFrame& frame = *trap_frame;
    Process& p = process_of(frame);
    account_user_time(p);
    arch::interrupts_enable();
    frame.set_syscall_result(u64(syscall_dispatch(p, frame)));
    return_to_user(p);
}

void on_user_trap(arch::TrapFrame& frame, const arch::UserTrap& trap)
{
    Process& p = process_of(frame);
    account_user_time(p);
    switch (trap.cause) {
    case arch::TrapCause::TimerInterrupt:
        prof::mark(prof::Phase::Interrupt);
        tick_interrupt();
        break;
    case arch::TrapCause::ExternalInterrupt:
        prof::mark(prof::Phase::Interrupt);
        external_interrupt();
        break;
    case arch::TrapCause::SoftwareInterrupt: break;
    default:
        prof::mark(prof::Phase::Fault);
        arch::interrupts_enable();
        signal_fault(p, frame, trap);
        break;
    }
    return_to_user(p);
}

// A new process's first kernel code: switch_context "returned" here with
// the process lock held (see scheduler.cpp).
extern "C" void process_first_entry()
{
    prof::mark(prof::Phase::Scheduler);
    process_lock().unlock();
    Process& p = current_process();
    arch::bind_frame_to_hart(p.frame, p.kernel_stack_top);
    p.last_switch_ns = monotonic_ns();
    return_to_user(p);
}

// Kernel-mode page faults inside the user-copy routines on a lazily mapped
// user page: serve them so the copy can continue.
bool on_kernel_fault_on_user_page(u64 address, bool write)
{
    mm::AddressSpace* as = mm::AddressSpace::active();
    if (!as || address >= arch::USER_TOP)
        return false;
    return as->handle_fault(address, write ? mm::Access::Write : mm::Access::Read) == mm::FaultOutcome::Served;
}

} // namespace kernel
