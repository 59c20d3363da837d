// Keeping instruction fetches right on every hart after user code is
// written with stores (a page-cache page filled, a private copy made):
// Linux's icache_stale_mask. The hart that wrote the code fences at once;
// the harts that run the space now are fenced by an IPI (the shootdown's,
// which fences instructions too); every other hart fences when it next
// switches to the space.
#pragma once

#include "lib/types.hpp"

namespace kernel::mm {

struct IcacheState {
    // Bit i: hart index i may hold stale instructions for this space and
    // must fence before running its code. Atomic: set by the hart that
    // wrote code, cleared by each hart as it switches in.
    u64 stale = 0;
};

// Code of `space` changed: fence here, mark every other hart stale, and
// fence at once the harts of `ran_on` (the space's mask of hart indexes
// that have run it) whose table is the space's now: read after the stale
// bits are set, so one that switches in meanwhile sees its bit.
void icache_code_changed(IcacheState&, const u64& ran_on, const void* space);
void icache_switch_in_stale(IcacheState&);
// This hart switches to the space (after publishing that it runs it):
// fence if its bit is set. Inline: every switch between spaces checks.
inline void icache_switch_in(IcacheState& state, u32 hart_index)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&state.stale, __ATOMIC_RELAXED) & (1ull << hart_index)) [[unlikely]]
        icache_switch_in_stale(state);
}

} // namespace kernel::mm
