// Signal frames on the user stack: what goes in them is decided here, the
// layout is the architecture's (arch::SignalFrame, the Linux ABI's), and
// user memory is touched only through the checked copies. The handler
// returns into the trampoline page, which calls rt_sigreturn.
#include "kernel/mm/uaccess.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/coredump.hpp"
#include "kernel/process/posix_timer.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/trap/trap.hpp"

namespace kernel {

namespace {

bool is_fault_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGTRAP || sig == SIGFPE;
}

} // namespace

Result<void> setup_signal_frame(Thread& t, int sig, int code, i32 sender, u32 uid, i32 status, u64 address, u64 old_mask,
                                const TimerSignalInfo* timer)
{
    fp_sync(t); // the frame carries the FP registers
    arch::SignalInfo info{sig, code, is_fault_signal(sig), address, sender, status, old_mask};
    info.uid = uid;
    if (timer) {
        info.timer = true;
        info.sender = timer->timer_id;
        info.overrun = timer->overrun;
        info.value = timer->value;
    }
    u64 at = arch::signal_frame_address(t.frame);
    // Built on the kernel stack (about 1 KiB), then copied out whole.
    arch::SignalFrame frame;
    arch::fill_signal_frame(frame, t.frame, t.fp, info);
    TRY(mm::write_user(at, frame));
    arch::enter_signal_handler(t.frame, t.process->actions[sig - 1].handler, sig, at, sigreturn_trampoline());
    return {};
}

// rt_sigreturn: the frame is where the handler's sp points (it returned
// with sp as it was given).
Result<u64> sys_rt_sigreturn(Thread& t, arch::TrapFrame& f)
{
    auto frame = mm::read_user<arch::SignalFrame>(f.user_sp());
    if (frame.is_error()) {
        printk("pid {} ({}): rt_sigreturn with a bad frame; killed by SIGSEGV\n", t.process->pid, t.name);
        exit_current_fatal({SIGSEGV, SI_KERNEL, false, 0, 0}); // Linux's force_sigsegv
    }
    u64 mask = arch::restore_signal_frame(f, t.fp, *frame);
    fp_forget(t); // reload from t.fp on the way out
    SpinLockGuard guard(process_lock()); // senders read the mask under it
    t.signals_blocked = mask & ~UNBLOCKABLE;
    signals_unblocked_proc_locked(t);
    return f.syscall_arg(0); // the dispatcher puts this back in a0
}

} // namespace kernel

#define MYRIAD_THUNKS_signal_frame(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
