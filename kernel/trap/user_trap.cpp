// System calls and other traps from user mode, and the way back. The
// registers are already in the current process's frame (the arch trap
// entry saved them there); every path ends in return_to_user.
#include "kernel/arch_hooks.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/mm_check.hpp"
#include "kernel/process/process_internal.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/dispatch.hpp"
#include "kernel/test_build.hpp"
#include "kernel/time.hpp"
#include "kernel/trap/trap.hpp"

namespace kernel {

namespace prof = arch::prof;

namespace {

// The thread whose frame this is: the frame lives inside it.
inline Thread& thread_of(arch::TrapFrame& frame)
{
    auto& t = *reinterpret_cast<Thread*>(reinterpret_cast<u8*>(&frame) - __builtin_offsetof(Thread, frame));
    // The entry took this hart's data from the frame: it must be the hart
    // the thread was last switched in on (arch::bind_frame_to_hart).
    if constexpr (TEST_BUILD)
        VERIFY(arch::this_hart().current == &t);
    return t;
}

// A user fault the address space could not serve, as a signal
// (signal(7), Linux's arch/riscv/kernel/traps.c for the codes).
void signal_fault(Thread& t, arch::TrapFrame& frame, const arch::UserTrap& trap)
{
    Process& p = *t.process;
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
                fault_signal(t, SIGBUS, BUS_ADRERR, trap.address, trap.name, pc);
                return;
            case mm::FaultOutcome::Denied: code = SEGV_ACCERR; break;
            case mm::FaultOutcome::Unmapped: break;
            }
        }
        fault_signal(t, SIGSEGV, code, trap.address, trap.name, pc);
        return;
    }
    case arch::TrapCause::AccessFault: fault_signal(t, SIGSEGV, SEGV_MAPERR, trap.address, trap.name, pc); return;
    case arch::TrapCause::Misaligned: fault_signal(t, SIGBUS, BUS_ADRALN, trap.address, trap.name, pc); return;
    case arch::TrapCause::Breakpoint: fault_signal(t, SIGTRAP, TRAP_BRKPT, trap.address, trap.name, pc); return;
    case arch::TrapCause::IllegalInstruction:
    default: fault_signal(t, SIGILL, ILL_ILLOPC, trap.address, trap.name, pc); return;
    }
}

} // namespace

// --- Floating-point ownership -------------------------------------------

void fp_switch_out(Thread& p)
{
    if (arch::fp_dirty(p.frame)) [[unlikely]] {
        arch::fp_save(p.frame, p.fp);
        arch::this_hart().fp_owner = &p;
    }
}

void fp_switch_in(Thread& p)
{
    if (arch::this_hart().fp_owner != &p && arch::fp_enabled(p.frame))
        p.set_work(Thread::WORK_LOAD_FP);
}

void fp_sync(Thread& p)
{
    if (arch::fp_dirty(p.frame)) {
        arch::fp_save(p.frame, p.fp);
        arch::this_hart().fp_owner = &p;
    }
}

void fp_forget(Thread& p)
{
    // A switch before the way back (a preemption, a signal) would
    // otherwise save the registers, still dirty with the old values (a
    // signal handler's), over the state the caller just put in p.fp.
    arch::fp_discard(p.frame);
    if (arch::this_hart().fp_owner == &p)
        arch::this_hart().fp_owner = nullptr;
    if (arch::fp_enabled(p.frame))
        p.set_work(Thread::WORK_LOAD_FP);
}

// --- The way back ------------------------------------------------------

namespace {

// Work before user mode sees the process again: a switch the timer asked
// for, signals to deliver, a system call to restart, then (interrupts off,
// so that no switch can intervene) the FP registers to load. Returns with
// interrupts off.
[[gnu::noinline]] void exit_work(Thread& p)
{
    // Most often (a switch between processes that use FP) only the FP
    // registers are left to load.
    if (p.has_work(~u64(Thread::WORK_LOAD_FP)) || __atomic_load_n(&p.signals.pending, __ATOMIC_RELAXED)) {
        prof::mark(prof::Phase::Preempt);
        preempt_if_needed();
        prof::mark(prof::Phase::Signals);
        deliver_signals(p);
    }
    prof::mark(prof::Phase::Exit);
    arch::interrupts_disable();
    if (p.has_work(Thread::WORK_LOAD_FP)) {
        p.clear_work(Thread::WORK_LOAD_FP);
        if (arch::fp_enabled(p.frame)) {
            arch::fp_restore(p.frame, p.fp);
            arch::this_hart().fp_owner = &p;
        }
    }
}

// The common path: one test of the work flags and the pending signals
// (without the lock: a signal sent after it reaches the process on its
// next trap, at the latest the next tick).
[[noreturn, gnu::always_inline]] inline void return_to_user_inline(Thread& p)
{
    if ((__atomic_load_n(&p.signals.pending, __ATOMIC_RELAXED) | __atomic_load_n(&p.work, __ATOMIC_RELAXED)) != 0)
        [[unlikely]] exit_work(p);
    else
        arch::interrupts_disable();
    p.cpu.leave_kernel(arch::read_time());
    arch::enter_user(p.frame);
}

} // namespace

void return_to_user(Thread& t) { return_to_user_inline(t); }

// --- Entries from the architecture --------------------------------------

// No frame pointer of its own: it is the first frame on the kernel stack
// (the trap entry zeroes s0, so backtraces end at the user boundary
// either way), and the two instructions count on every system call.
[[gnu::optimize("omit-frame-pointer")]] void on_syscall(arch::TrapFrame* trap_frame)
{
    arch::TrapFrame& frame = *trap_frame;
    Thread& t = thread_of(frame);
    t.cpu.enter_kernel(arch::read_time());
    arch::interrupts_enable();
    frame.set_syscall_result(u64(syscall_dispatch(t, frame)));
    prof::mark(prof::Phase::Exit);
    return_to_user_inline(t);
}

void on_user_trap(arch::TrapFrame& frame, const arch::UserTrap& trap)
{
    Thread& t = thread_of(frame);
    t.cpu.enter_kernel(arch::read_time());
    switch (trap.cause) {
    case arch::TrapCause::TimerInterrupt:
        prof::mark(prof::Phase::Interrupt);
        tick_interrupt();
        break;
    case arch::TrapCause::ExternalInterrupt:
        prof::mark(prof::Phase::Interrupt);
        external_interrupt();
        break;
    case arch::TrapCause::SoftwareInterrupt:
        prof::mark(prof::Phase::Interrupt);
        software_interrupt(); // an IPI: a remote call, a reschedule, a stop
        break;
    default:
        prof::mark(prof::Phase::Fault);
        arch::interrupts_enable();
        signal_fault(t, frame, trap);
        break;
    }
    return_to_user(t);
}

// A new thread's first kernel code: switch_context "returned" here with
// this hart's run-queue lock held (see scheduler.cpp).
extern "C" void process_first_entry()
{
    prof::mark(prof::Phase::Scheduler);
    switched_in_rq_locked();
    finish_first_switch();
    Thread& t = current_thread();
    t.cpu.switch_in(arch::read_time());
    arch::bind_frame_to_hart(t.frame, t.kernel_stack_top);
    fp_switch_in(t);
    return_to_user(t);
}

// Kernel-mode page faults inside the user-copy routines on a lazily mapped
// user page: serve them so the copy can continue.
bool on_kernel_fault_on_user_page(u64 address, bool write)
{
    mm::AddressSpace* as = mm::AddressSpace::active();
    if (!as || address >= arch::USER_TOP || arch::this_hart().user_faults_off)
        return false;
    return as->handle_fault(address, write ? mm::Access::Write : mm::Access::Read) == mm::FaultOutcome::Served;
}

} // namespace kernel
