// The stale-instruction-cache mask of an address space (icache.hpp).
#include "kernel/mm/icache.hpp"
#include "arch/arch.hpp"
#include "kernel/smp.hpp"

namespace kernel::mm {

void icache_code_changed(IcacheState& state, const u64& ran_on)
{
    u64 me = 1ull << arch::this_hart().index;
    __atomic_fetch_or(&state.stale, ~me, __ATOMIC_SEQ_CST);
    arch::sync_instruction_cache();
    // A hart switching in either sees its stale bit or is already in
    // ran_on (it sets its bit there before it fences and reads stale).
    u64 running_elsewhere = __atomic_load_n(&ran_on, __ATOMIC_SEQ_CST) & online_harts_mask() & ~me;
    if (running_elsewhere)
        arch::remote_sync_instruction_cache(hart_id_mask(running_elsewhere));
}

void icache_switch_in(IcacheState& state)
{
    u64 me = 1ull << arch::this_hart().index;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(__atomic_load_n(&state.stale, __ATOMIC_RELAXED) & me))
        return;
    __atomic_fetch_and(&state.stale, ~me, __ATOMIC_SEQ_CST);
    arch::sync_instruction_cache();
}

} // namespace kernel::mm
