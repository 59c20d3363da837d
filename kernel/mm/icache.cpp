// The stale-instruction-cache mask of an address space (icache.hpp).
#include "kernel/mm/icache.hpp"
#include "arch/arch.hpp"
#include "kernel/smp.hpp"

namespace kernel::mm {

void icache_code_changed(IcacheState& state, const u64& ran_on, const void* space)
{
    u64 me = 1ull << arch::this_hart().index;
    __atomic_fetch_or(&state.stale, ~me, __ATOMIC_SEQ_CST);
    arch::sync_instruction_cache();
    // A hart switching in either sees its stale bit or has published the
    // space as its own (Hart::address_space, before it reads the bits).
    u64 running_elsewhere = 0;
    for (u64 m = __atomic_load_n(&ran_on, __ATOMIC_SEQ_CST) & online_harts_mask() & ~me; m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        if (__atomic_load_n(&hart_by_index(i).address_space, __ATOMIC_RELAXED) == space)
            running_elsewhere |= 1ull << i;
    }
    // Not the firmware's remote fence.i: OpenSBI 1.1's remote-fence queue
    // hung under load (kernel/smp.cpp).
    if (running_elsewhere)
        smp_flush_tlbs(running_elsewhere);
}

void icache_switch_in_stale(IcacheState& state)
{
    u64 me = 1ull << arch::this_hart().index;
    __atomic_fetch_and(&state.stale, ~me, __ATOMIC_SEQ_CST);
    arch::sync_instruction_cache();
}

} // namespace kernel::mm
