// __stack_chk_fail for the hardened kernel: a function's stack-protector
// check failed (kernel/hardening/stack_protector.cpp seeds the guard).
#include "kernel/arch_hooks.hpp"

// The frame of the function that called us had its canary overwritten:
// something wrote past the end of one of its locals. The backtrace starts
// in that function. The call is its last instruction (nothing follows a
// noreturn call), so our return address may be the next function's first
// byte: one byte back names the right one. The walk goes on from that
// function's frame, whose pointer our own record holds at fp-16 (the frame
// record layout of arch/riscv/backtrace.cpp; GCC's
// __builtin_frame_address(1) does not follow it on RISC-V). That record may
// be smashed too: the walk probes every read.
extern "C" [[noreturn, gnu::no_stack_protector]] void __stack_chk_fail()
{
    u64 fp = u64(__builtin_frame_address(0));
    u64 caller_fp = reinterpret_cast<const u64*>(fp)[-2];
    kernel::report_stack_smash(u64(__builtin_return_address(0)) - 1, caller_fp);
}
