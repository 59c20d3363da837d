// Filling and reading the Linux signal frame (signal_frame.hpp), and
// pointing the user registers at a handler.
#include "arch/arch.hpp"

namespace arch {

namespace {
constexpr i32 SS_DISABLE = 2; // no alternate signal stack (include/uapi/linux/signal.h)
}

u64 signal_frame_address(const TrapFrame& f) { return (f.regs[2] - sizeof(SignalFrame)) & ~u64(15); }

void fill_signal_frame(SignalFrame& frame, const TrapFrame& f, const FpState& fp, const SignalInfo& info)
{
    frame = {};
    frame.info.signo = info.signal;
    frame.info.code = info.code;
    if (info.fault)
        frame.info.address = info.address;
    else if (info.timer) {
        frame.info.timer.id = info.sender;
        frame.info.timer.overrun = info.overrun;
        frame.info.timer.value = info.value;
    } else {
        frame.info.child.pid = info.sender;
        frame.info.child.uid = info.uid;
        frame.info.child.status = info.status;
    }
    frame.uc.stack_flags = SS_DISABLE;
    frame.uc.sigmask = info.old_mask;
    frame.uc.regs[0] = f.sepc;
    for (int i = 1; i < 32; ++i)
        frame.uc.regs[i] = f.regs[i];
    for (int i = 0; i < 32; ++i)
        frame.uc.f[i] = fp.f[i];
    frame.uc.fcsr = u32(fp.fcsr);
}

// handler(signo, &info, &uc), returning into the trampoline.
void enter_signal_handler(TrapFrame& f, u64 handler, int signal, u64 frame_address, u64 return_address)
{
    f.sepc = handler;
    f.regs[2] = frame_address;
    f.regs[1] = return_address;
    f.regs[10] = u64(signal);
    f.regs[11] = frame_address + __builtin_offsetof(SignalFrame, info);
    f.regs[12] = frame_address + __builtin_offsetof(SignalFrame, uc);
}

u64 restore_signal_frame(TrapFrame& f, FpState& fp, const SignalFrame& frame)
{
    const riscv::Ucontext& uc = frame.uc;
    f.sepc = uc.regs[0];
    for (int i = 1; i < 32; ++i)
        f.regs[i] = uc.regs[i];
    for (int i = 0; i < 32; ++i)
        fp.f[i] = uc.f[i];
    fp.fcsr = uc.fcsr & 0xff; // frm and fflags only
    return uc.sigmask;
}

} // namespace arch
