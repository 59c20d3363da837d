// Delivery of a signal to a handler and the way back: what the handler
// receives (siginfo, the ucontext of the interrupted code), that
// rt_sigreturn restores every register -- or the changes the handler made
// to the saved context -- and that unwinders can walk through the frame.
// The interrupted code is written in assembly, so that the values under
// test can only be in the registers under test.
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>
#include <unwind.h>

// The handler of handler_runs_and_returns: signal_tests_record (C++)
// notes what it was given, then the assembly overwrites every register
// the interrupted code could hold a value in -- callee-saved ones
// included, which only rt_sigreturn can give back -- and fcsr.
extern "C" void signal_tests_record(int sig, siginfo_t* info, void* context);
extern "C" void signal_tests_clobbering_handler(int sig, siginfo_t* info, void* context);

asm(R"(
    .text
    .p2align 2
    .type signal_tests_clobbering_handler, @function
signal_tests_clobbering_handler:
    addi sp, sp, -16
    sd ra, 8(sp)
    call signal_tests_record
    ld ra, 8(sp)
    addi sp, sp, 16
    li t0, -1
    .irp r, t1,t2,t3,t4,t5,t6,a0,a1,a2,a3,a4,a5,a6,a7,s0,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11
    mv \r, t0
    .endr
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.d.x f\n, t0
    .endr
    li t0, 0x5f
    fscsr t0
    ret
    .size signal_tests_clobbering_handler, . - signal_tests_clobbering_handler
)");

namespace {

using namespace ut;
using namespace signal_tests;

// --- handler_runs_and_returns ----------------------------------------------

struct Delivery {
    int runs, signo, info_signo, code, pid, uid;
    std::uint64_t quotient_down, quotient_up; // 1/3 under two rounding modes
};
volatile Delivery g_delivery;

// What the interrupted code put in its registers before the kill and
// found there after it. ints[] follows k_int_names; a1 and a7 hold the
// kill's arguments (a0 its result).
struct RegisterImage {
    std::uint64_t ints[24];
    std::uint64_t fps[32];
    std::uint64_t fcsr;
    std::uint64_t a1, a7;
};
struct RegisterFrame {
    RegisterImage before, after;
};
constexpr const char* k_int_names[24] = {"ra", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
                                          "s11", "t1", "t2", "t3", "t4", "t5", "t6", "a2", "a3", "a4", "a5", "a6"};
#define SIGNAL_TESTS_INT_REGS "ra,s0,s1,s2,s3,s4,s5,s6,s7,s8,s9,s10,s11,t1,t2,t3,t4,t5,t6,a2,a3,a4,a5,a6"
#define SIGNAL_TESTS_FP_REGS                                                                           \
    "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31"
static_assert(offsetof(RegisterImage, fps) == 24 * 8 && offsetof(RegisterImage, fcsr) == 56 * 8 &&
              offsetof(RegisterImage, a1) == 57 * 8 && offsetof(RegisterImage, a7) == 58 * 8);

// kill(pid, sig) by ecall, with every register in `frame->before` (and
// fcsr set from it) around the call; returns the kill's result.
[[gnu::noinline]] long kill_with_known_registers(RegisterFrame* frame, pid_t pid, int sig)
{
    register long a0 asm("a0") = pid;
    register long a1 asm("a1") = sig;
    register long a7 asm("a7") = SYS_kill;
    register RegisterFrame* base asm("t0") = frame;
    // s0 may be the frame pointer, which cannot be named as clobbered: it
    // is kept on the stack meanwhile.
    asm volatile("addi sp, sp, -16\n\t"
                 "sd s0, 0(sp)\n\t"
                 "ld t1, %[fcsr](t0)\n\t"
                 "fscsr t1\n\t"
                 ".set .Lsignal_tests_off, 0\n\t"
                 ".irp r, " SIGNAL_TESTS_INT_REGS "\n\t"
                 "ld \\r, .Lsignal_tests_off(t0)\n\t"
                 ".set .Lsignal_tests_off, .Lsignal_tests_off + 8\n\t"
                 ".endr\n\t"
                 ".irp n, " SIGNAL_TESTS_FP_REGS "\n\t"
                 "fld f\\n, .Lsignal_tests_off(t0)\n\t"
                 ".set .Lsignal_tests_off, .Lsignal_tests_off + 8\n\t"
                 ".endr\n\t"
                 "ecall\n\t"
                 ".set .Lsignal_tests_off, %[after]\n\t"
                 ".irp r, " SIGNAL_TESTS_INT_REGS "\n\t"
                 "sd \\r, .Lsignal_tests_off(t0)\n\t"
                 ".set .Lsignal_tests_off, .Lsignal_tests_off + 8\n\t"
                 ".endr\n\t"
                 ".irp n, " SIGNAL_TESTS_FP_REGS "\n\t"
                 "fsd f\\n, .Lsignal_tests_off(t0)\n\t"
                 ".set .Lsignal_tests_off, .Lsignal_tests_off + 8\n\t"
                 ".endr\n\t"
                 "frcsr t1\n\t"
                 "sd t1, %[after_fcsr](t0)\n\t"
                 "sd a1, %[after_a1](t0)\n\t"
                 "sd a7, %[after_a7](t0)\n\t"
                 "ld s0, 0(sp)\n\t"
                 "addi sp, sp, 16"
                 : "+r"(a0)
                 : "r"(a1), "r"(a7), "r"(base), [fcsr] "i"(offsetof(RegisterImage, fcsr)),
                   [after] "i"(offsetof(RegisterFrame, after)),
                   [after_fcsr] "i"(offsetof(RegisterFrame, after) + offsetof(RegisterImage, fcsr)),
                   [after_a1] "i"(offsetof(RegisterFrame, after) + offsetof(RegisterImage, a1)),
                   [after_a7] "i"(offsetof(RegisterFrame, after) + offsetof(RegisterImage, a7))
                 : "ra", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t1", "t2", "t3",
                   "t4", "t5", "t6", "a2", "a3", "a4", "a5", "a6", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7",
                   "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21",
                   "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31", "memory");
    return a0;
}

// 1/3 in the rounding mode `frm` (fcsr.frm encoding, RISC-V unprivileged
// spec 13.2), computed with the dynamic rounding mode.
std::uint64_t third(unsigned frm)
{
    double one = 1, three = 3, quotient = 0;
    asm volatile("fsrm %[frm]\n\tfdiv.d %[q], %[one], %[three]"
                 : [q] "=f"(quotient)
                 : [frm] "r"(frm), [one] "f"(one), [three] "f"(three));
    return std::bit_cast<std::uint64_t>(quotient);
}

void reset_delivery()
{
    g_delivery.runs = 0;
    g_delivery.signo = -1;
    g_delivery.info_signo = -1;
    g_delivery.code = -1;
    g_delivery.pid = -1;
    g_delivery.uid = -1;
}

void handler_runs_and_returns(Test& t)
{
    ASSERT(install(SIGUSR1, signal_tests_clobbering_handler));
    reset_delivery();

    RegisterFrame frame{};
    for (int i = 0; i < 24; ++i)
        frame.before.ints[i] = 0xA5A5A5A500000000ULL ^ ((std::uint64_t(i) + 1) * 0x9E3779B97F4A7C15ULL);
    for (int i = 0; i < 32; ++i)
        frame.before.fps[i] = std::bit_cast<std::uint64_t>(1000.0 + i / 7.0);
    frame.before.fcsr = (3 << 5) | 0x1; // frm RUP, fflags NX
    long result = kill_with_known_registers(&frame, getpid(), SIGUSR1);
    asm volatile("fscsr zero"); // back to round-to-nearest for the C++ below

    EXPECT_EQ(result, 0L);
    EXPECT_EQ(g_delivery.runs, 1);
    EXPECT_EQ(g_delivery.signo, SIGUSR1);
    EXPECT_EQ(g_delivery.info_signo, SIGUSR1);
    EXPECT_EQ(g_delivery.code, SI_USER);
    EXPECT_EQ(g_delivery.pid, int(getpid()));
    EXPECT_EQ(g_delivery.uid, int(getuid()));
    // The handler could use FP with its own rounding modes.
    EXPECT(g_delivery.quotient_up == g_delivery.quotient_down + 1);

    auto compare = [&t](const std::string& name, std::uint64_t after, std::uint64_t before) {
        if (after == before)
            return;
        char text[96];
        std::snprintf(text, sizeof text, "%s is %#" PRIx64 " after the handler, was %#" PRIx64, name.c_str(), after,
                      before);
        t.fail(__FILE_NAME__, __LINE__, text);
    };
    for (int i = 0; i < 24; ++i)
        compare(k_int_names[i], frame.after.ints[i], frame.before.ints[i]);
    for (int i = 0; i < 32; ++i)
        compare("f" + std::to_string(i), frame.after.fps[i], frame.before.fps[i]);
    EXPECT_EQ(frame.after.fcsr, frame.before.fcsr);
    EXPECT_EQ(frame.after.a1, std::uint64_t(SIGUSR1));
    EXPECT_EQ(frame.after.a7, std::uint64_t(SYS_kill));

    // raise() is tgkill(2): SI_TKILL. The handler ran before raise returned.
    reset_delivery();
    EXPECT_EQ(raise(SIGUSR1), 0);
    EXPECT_EQ(g_delivery.runs, 1);
    EXPECT_EQ(g_delivery.code, SI_TKILL);
    EXPECT_EQ(g_delivery.pid, int(getpid()));
    reset_delivery();
    EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0L);
    EXPECT_EQ(g_delivery.runs, 1);
    EXPECT_EQ(g_delivery.code, SI_TKILL);
    reset_delivery();
    EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
    EXPECT_EQ(g_delivery.runs, 1);
    EXPECT_EQ(g_delivery.code, SI_USER);
}

// --- handler_gets_ucontext ---------------------------------------------------

// Filled in by the interrupted code (assembly), before and after the kill.
struct ContextProbe {
    std::uint64_t resume_pc; // the instruction after the ecall
    std::uint64_t skip_to;   // where the handler sends it instead
    std::uint64_t sp;
    std::uint64_t fs1_before, fs1_after;
    std::uint64_t fcsr_after;
};
ContextProbe g_probe;

// What the handler saw, copied out for the case to check.
struct SeenContext {
    int runs;
    std::uint64_t pc, sp, a0, a1, a7, fs1, fcsr;
    std::uint64_t saved_mask, blocked_in_handler;
    bool uc_link_null, stack_disabled, handler_sp_aligned, handler_sp_below, uc_follows_info;
};
volatile SeenContext g_seen;

constexpr std::uint64_t k_new_a2 = 0x0123456789ABCDEFULL;
constexpr std::uint64_t k_new_fs1 = 0x400921FB54442D18ULL; // pi

void context_handler(int, siginfo_t* info, void* context)
{
    auto* uc = static_cast<ucontext_t*>(context);
    std::uintptr_t sp = 0;
    asm volatile("mv %0, sp" : "=r"(sp));
    const auto& gregs = uc->uc_mcontext.__gregs;
    g_seen.runs = g_seen.runs + 1;
    g_seen.pc = gregs[REG_PC];
    g_seen.sp = gregs[REG_SP];
    g_seen.a0 = gregs[REG_A0];
    g_seen.a1 = gregs[REG_A0 + 1];
    g_seen.a7 = gregs[REG_A0 + 7];
    g_seen.fs1 = uc->uc_mcontext.__fpregs.__d.__f[9];
    g_seen.fcsr = uc->uc_mcontext.__fpregs.__d.__fcsr;
    std::uint64_t saved = 0;
    std::memcpy(&saved, &uc->uc_sigmask, sizeof saved);
    g_seen.saved_mask = saved;
    g_seen.blocked_in_handler = blocked_mask();
    g_seen.uc_link_null = uc->uc_link == nullptr;
    g_seen.stack_disabled = uc->uc_stack.ss_flags == SS_DISABLE;
    g_seen.handler_sp_aligned = sp % 16 == 0;
    g_seen.handler_sp_below = sp < gregs[REG_SP];
    g_seen.uc_follows_info = reinterpret_cast<char*>(uc) == reinterpret_cast<char*>(info) + sizeof(siginfo_t);

    // Changes sigreturn must honour: resume elsewhere, with another a2,
    // fs1 and signal mask.
    uc->uc_mcontext.__gregs[REG_PC] = g_probe.skip_to;
    uc->uc_mcontext.__gregs[REG_A0 + 2] = k_new_a2;
    uc->uc_mcontext.__fpregs.__d.__f[9] = k_new_fs1;
    sigaddset(&uc->uc_sigmask, SIGWINCH);
}

// kill(self, SIGUSR1) by ecall with fs1 and fcsr set; returns whether the
// instruction right after the ecall ran, and a2 as found afterwards.
[[gnu::noinline]] bool kill_and_see_resume(long* a2_after)
{
    register long a0 asm("a0") = getpid();
    register long a1 asm("a1") = SIGUSR1;
    register long a7 asm("a7") = SYS_kill;
    register long a2 asm("a2") = 0;
    register ContextProbe* base asm("t0") = &g_probe;
    long fell_through = 0;
    asm volatile("lla t1, 1f\n\t"
                 "sd t1, %[resume](t0)\n\t"
                 "lla t1, 2f\n\t"
                 "sd t1, %[skip](t0)\n\t"
                 "sd sp, %[sp](t0)\n\t"
                 "fld fs1, %[fs1_before](t0)\n\t"
                 "li t1, 0x20\n\t" // frm RTZ
                 "fscsr t1\n\t"
                 "ecall\n"
                 "1:\n\t"
                 "li %[fell_through], 1\n"
                 "2:\n\t"
                 "fsd fs1, %[fs1_after](t0)\n\t"
                 "frcsr t1\n\t"
                 "sd t1, %[fcsr_after](t0)\n\t"
                 "fscsr zero"
                 : "+r"(a0), "+r"(a2), [fell_through] "+r"(fell_through)
                 : "r"(a1), "r"(a7), "r"(base), [resume] "i"(offsetof(ContextProbe, resume_pc)),
                   [skip] "i"(offsetof(ContextProbe, skip_to)), [sp] "i"(offsetof(ContextProbe, sp)),
                   [fs1_before] "i"(offsetof(ContextProbe, fs1_before)),
                   [fs1_after] "i"(offsetof(ContextProbe, fs1_after)),
                   [fcsr_after] "i"(offsetof(ContextProbe, fcsr_after))
                 : "t1", "fs1", "memory");
    *a2_after = a2;
    return fell_through != 0;
}

// The layout glibc (and every unwinder) reads: Linux
// arch/riscv/include/uapi/asm/ucontext.h, sigcontext.h.
static_assert(offsetof(ucontext_t, uc_sigmask) == 40);
static_assert(offsetof(ucontext_t, uc_mcontext) == 176);
static_assert(offsetof(mcontext_t, __fpregs) == 256);
static_assert(offsetof(__riscv_mc_d_ext_state, __fcsr) == 256);

void handler_gets_ucontext(Test& t)
{
    ASSERT(install(SIGUSR1, context_handler, 0, bit(SIGUSR2)));
    set_blocked_mask(bit(SIGTERM));
    g_probe = {};
    g_probe.fs1_before = std::bit_cast<std::uint64_t>(2.5);
    g_seen.runs = 0;
    long a2_after = 0;
    bool fell_through = kill_and_see_resume(&a2_after);
    const std::uint64_t mask_after = blocked_mask();

    ASSERT_EQ(g_seen.runs, 1);
    // The saved context is the interrupted code's, as it was after the
    // ecall returned 0.
    EXPECT_EQ(g_seen.pc, g_probe.resume_pc);
    EXPECT_EQ(g_seen.sp, g_probe.sp);
    EXPECT_EQ(g_seen.a0, std::uint64_t(0));
    EXPECT_EQ(g_seen.a1, std::uint64_t(SIGUSR1));
    EXPECT_EQ(g_seen.a7, std::uint64_t(SYS_kill));
    EXPECT_EQ(g_seen.fs1, g_probe.fs1_before);
    EXPECT_EQ(g_seen.fcsr, std::uint64_t(0x20));
    // uc_sigmask is the mask to restore (the interrupted code's); while
    // the handler runs, the signal itself and sa_mask are blocked too.
    EXPECT_EQ(g_seen.saved_mask, bit(SIGTERM));
    EXPECT_EQ(g_seen.blocked_in_handler, bit(SIGTERM) | bit(SIGUSR1) | bit(SIGUSR2));
    EXPECT(g_seen.uc_link_null);
    EXPECT(g_seen.stack_disabled); // no sigaltstack
    EXPECT(g_seen.handler_sp_aligned);
    EXPECT(g_seen.handler_sp_below);
    EXPECT(g_seen.uc_follows_info); // struct rt_sigframe { siginfo; ucontext; }

    // rt_sigreturn took the handler's changes.
    EXPECT(!fell_through);
    EXPECT_EQ(std::uint64_t(a2_after), k_new_a2);
    EXPECT_EQ(g_probe.fs1_after, k_new_fs1);
    EXPECT_EQ(g_probe.fcsr_after, std::uint64_t(0x20));
    EXPECT_EQ(mask_after, bit(SIGTERM) | bit(SIGWINCH));
}

// --- unwind_through_signal_frame ---------------------------------------------

struct UnwindSearch {
    std::uint64_t target;
    int frames;
    bool found;
};
volatile bool g_unwound_to_target;

_Unwind_Reason_Code unwind_step(_Unwind_Context* context, void* argument)
{
    auto* search = static_cast<UnwindSearch*>(argument);
    int before_insn = 0;
    if (_Unwind_GetIPInfo(context, &before_insn) == search->target)
        search->found = true;
    return ++search->frames < 64 ? _URC_NO_REASON : _URC_END_OF_STACK;
}

void unwinding_handler(int, siginfo_t*, void*)
{
    UnwindSearch search{g_probe.resume_pc, 0, false};
    _Unwind_Backtrace(unwind_step, &search);
    g_unwound_to_target = search.found;
}

void unwind_through_signal_frame(Test& t)
{
    // libgcc (like gdb) recognises a signal frame by the return address:
    // the two instructions `li a7, 139; ecall` (rt_sigreturn), with
    // struct rt_sigframe { siginfo_t; ucontext_t; } at the stack pointer.
    // It then continues at the interrupted pc.
    ASSERT(install(SIGUSR1, unwinding_handler));
    g_unwound_to_target = false;
    long a2_after = 0;
    g_probe = {};
    EXPECT(kill_and_see_resume(&a2_after)); // this handler does not redirect
    EXPECT(g_unwound_to_target);
}

} // namespace

extern "C" void signal_tests_record(int sig, siginfo_t* info, void*)
{
    g_delivery.runs = g_delivery.runs + 1;
    g_delivery.signo = sig;
    g_delivery.info_signo = info->si_signo;
    g_delivery.code = info->si_code;
    g_delivery.pid = info->si_pid;
    g_delivery.uid = int(info->si_uid);
    g_delivery.quotient_down = third(2); // RDN
    g_delivery.quotient_up = third(3);   // RUP
}

std::vector<ut::Case> signal_delivery_cases()
{
    return {
        {"handler_runs_and_returns", handler_runs_and_returns},
        {"handler_gets_ucontext", handler_gets_ucontext},
        {"unwind_through_signal_frame", unwind_through_signal_frame},
    };
}
