// The RISC-V Linux signal frame (arch/riscv/kernel/signal.c): siginfo,
// then a ucontext whose mcontext holds the 32 integer registers (pc in
// slot 0) and the D-extension state. The handler returns into the
// trampoline page, which calls rt_sigreturn; that restores the context
// the frame saved. glibc's ucontext_t has the same layout.
#include "arch/riscv/trap_frame.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/printk.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {
void fp_forget(Process&);
}

namespace arch::riscv {

namespace {

struct SigInfo {
    i32 signo, errno_value, code, pad;
    union {
        struct {
            i32 pid;
            u32 uid;
            i32 status;
            i32 pad;
            i64 utime, stime;
        } child;
        u64 address;
        u8 raw[112];
    };
};
static_assert(sizeof(SigInfo) == 128);

struct Ucontext {
    u64 flags;
    u64 link;
    u64 stack_sp;
    i32 stack_flags, stack_pad;
    u64 stack_size;
    u64 sigmask;          // the kernel's 64-bit sigset_t...
    u8 unused[120];       // ...padded to glibc's 128-byte sigset_t
    u64 pad_to_16;        // uc_mcontext is 16-byte aligned (the Q-extension union)
    u64 regs[32];         // pc, then x1..x31
    u64 f[32];            // __riscv_d_ext_state
    u32 fcsr;
    u8 fp_reserved[528 - 256 - 4];
};
static_assert(__builtin_offsetof(Ucontext, regs) == 176, "uc_mcontext offset as in glibc");
static_assert(sizeof(Ucontext) == 176 + 256 + 528);

struct SignalFrame {
    SigInfo info;
    Ucontext uc;
};

constexpr i32 SS_DISABLE = 2;

} // namespace

Result<void> setup_signal_frame(kernel::Process& p, int sig, int code, i32 sender, i32 status, u64 address,
                                u64 old_mask)
{
    TrapFrame& f = p.frame;
    u64 sp = (f.sp() - sizeof(SignalFrame)) & ~u64(15);
    SignalFrame frame{};
    frame.info.signo = sig;
    frame.info.code = code;
    if (sig == kernel::SIGSEGV || sig == kernel::SIGBUS || sig == kernel::SIGILL || sig == kernel::SIGTRAP ||
        sig == kernel::SIGFPE)
        frame.info.address = address;
    else {
        frame.info.child.pid = sender;
        frame.info.child.status = status;
    }
    frame.uc.stack_flags = SS_DISABLE;
    frame.uc.sigmask = old_mask;
    frame.uc.regs[0] = f.sepc;
    for (int i = 1; i < 32; ++i)
        frame.uc.regs[i] = f.regs[i];
    for (int i = 0; i < 32; ++i)
        frame.uc.f[i] = p.fp.f[i];
    frame.uc.fcsr = u32(p.fp.fcsr);
    TRY(kernel::mm::copy_to_user(sp, &frame, sizeof(frame)));
    // handler(signo, &info, &uc), returning into the trampoline.
    f.sepc = p.actions[sig - 1].handler;
    f.sp() = sp;
    f.ra() = kernel::sigreturn_trampoline();
    f.a(0) = u64(sig);
    f.a(1) = sp + __builtin_offsetof(SignalFrame, info);
    f.a(2) = sp + __builtin_offsetof(SignalFrame, uc);
    return {};
}

} // namespace arch::riscv

namespace kernel {

// rt_sigreturn: the frame is where the handler's sp points (it returned
// with sp as it was given).
Result<u64> sys_rt_sigreturn(const SyscallArgs& a)
{
    using namespace arch::riscv;
    Process& p = current_process();
    u64 sp = a.frame.sp();
    auto frame = mm::read_user<SignalFrame>(sp);
    if (frame.is_error()) {
        printk("pid {} ({}): rt_sigreturn with a bad frame; killed by SIGSEGV\n", p.pid, p.name);
        exit_current(wait_status_signaled(SIGSEGV));
    }
    const Ucontext& uc = frame->uc;
    a.frame.sepc = uc.regs[0];
    for (int i = 1; i < 32; ++i)
        a.frame.regs[i] = uc.regs[i];
    for (int i = 0; i < 32; ++i)
        p.fp.f[i] = uc.f[i];
    p.fp.fcsr = uc.fcsr & 0xff; // frm and fflags only
    fp_forget(p);               // reload from p.fp on the way out
    SpinLockGuard guard(process_lock()); // senders read the mask under it
    p.signals_blocked = uc.sigmask & ~(signal_bit(SIGKILL) | signal_bit(SIGSTOP));
    return a.frame.regs[10]; // the dispatcher puts this back in a0
}

} // namespace kernel
