// The phase profiler's bookkeeping (see phase_profile.hpp): one set of
// counters, so profile with one hart.
#include "arch/riscv/phase_profile.hpp"

#ifdef MYRIAD_PHASE_PROFILE
#include "arch/riscv/csr.hpp"
#include "kernel/arch_hooks.hpp"

// Boot, up to the first mark, is charged to Calibrate, which is not reported.
constinit ProfState prof_state = {0, PROF_PHASE_COUNT - 1, {}, {}};

namespace arch::riscv::prof {

namespace {
constinit u64 s_residual = 0; // instructions a mark leaves charged to the phase it ends
const char* const k_names[PROF_PHASE_COUNT] = {"user+asm", "trap_c", "dispatch", "handler", "scheduler", "switch",
                                               "preempt", "signals", "exit_c", "interrupt", "firmware", "fault", "calibrate"};
} // namespace

void profile_dump()
{
    // Calibrate: back-to-back marks charge only the residual.
    mark(Phase::Calibrate);
    u64 before = prof_state.sum[u64(Phase::Calibrate)];
    for (int i = 0; i < 64; ++i)
        mark(Phase::Calibrate);
    s_residual = (prof_state.sum[u64(Phase::Calibrate)] - before) / 64;
    kernel::printk("phase-profile residual {}\n", s_residual);
    for (u32 i = 0; i < u32(Phase::Calibrate); ++i) {
        u64 residual = i == PROF_PHASE_USER ? 0 : s_residual * prof_state.marks[i];
        u64 sum = prof_state.sum[i] > residual ? prof_state.sum[i] - residual : 0;
        kernel::printk("phase-profile {} {} {}\n", k_names[i], sum, prof_state.marks[i]);
    }
}

} // namespace arch::riscv::prof
#endif
