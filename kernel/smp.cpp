// The table of harts: discovered from the device tree at boot (every
// enabled cpu node with an MMU, the boot hart first, at most maxcpus=N),
// then marked online as each one comes up.
#include "kernel/smp.hpp"
#include "arch/arch.hpp"
#include "kernel/boot.hpp"
#include "kernel/irq.hpp"
#include "kernel/printk.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/time.hpp"

namespace kernel {

namespace {

constinit HartInfo s_info[MAX_HARTS] = {};
constinit u32 s_discovered = 0;     // entries of s_info filled
constinit u64 s_online_mask = 1;    // the boot hart is online from the start

lib::StringView without_prefix(lib::StringView s, lib::StringView prefix)
{
    if (s.starts_with(prefix))
        return s.substring(prefix.length());
    return s;
}

bool isa_is_enough(lib::StringView isa)
{
    static constexpr const char* needed[] = {"i", "m", "a", "f", "d", "c"};
    for (const char* ext : needed)
        if (!lib::fdt::isa_has_extension(isa, ext))
            return false;
    return true;
}

HartInfo info_of(const lib::fdt::Blob& fdt, const lib::fdt::Hart& h)
{
    HartInfo info{};
    info.hart_id = h.id;
    info.isa = h.isa;
    info.mmu = without_prefix(h.mmu_type, "riscv,");
    if (auto compatible = fdt.property(h.node, "compatible"))
        info.uarch = compatible->as_string().value_or("");
    return info;
}

} // namespace

u32 smp_discover(const lib::fdt::Blob& fdt, u64 boot_hart_id, u32 max_harts)
{
    s_discovered = 0;
    s_info[s_discovered++] = HartInfo{boot_hart_id, {}, {}, {}};
    if (auto boot = fdt.find_hart(boot_hart_id); boot.is_ok())
        s_info[0] = info_of(fdt, boot.value());
    auto cpus = fdt.find_path("/cpus");
    if (!cpus)
        return s_discovered;
    for (lib::fdt::Node child : fdt.children(*cpus)) {
        auto hart = fdt.hart(child);
        if (hart.is_error() || hart->id == boot_hart_id)
            continue;
        // RISC-V cpus binding: a hart without mmu-type has no S-mode paging
        // (the E51/S7 monitor cores of the FU540/FU740/JH7110).
        if (!hart->enabled || hart->mmu_type.is_empty())
            continue;
        // The kernel is built for rv64imafdc (with Zicsr/Zifencei).
        if (!hart->isa.is_empty() && !isa_is_enough(hart->isa)) {
            printk("smp: hart {} lacks what the kernel needs (riscv,isa \"{}\"); left out\n", hart->id, hart->isa);
            continue;
        }
        if (s_discovered >= max_harts || s_discovered >= MAX_HARTS) {
            printk("smp: hart {} left out (maxcpus={})\n", hart->id, max_harts);
            continue;
        }
        s_info[s_discovered++] = info_of(fdt, hart.value());
    }
    return s_discovered;
}

u32 smp_discovered() { return s_discovered; }
u64 smp_discovered_hart_id(u32 index) { return s_info[index].hart_id; }
void smp_mark_online(u32 index) { __atomic_fetch_or(&s_online_mask, 1ull << index, __ATOMIC_RELEASE); }

u32 online_hart_count() { return u32(__builtin_popcountll(online_harts_mask())); }
u64 online_harts_mask() { return __atomic_load_n(&s_online_mask, __ATOMIC_ACQUIRE); }

const HartInfo* hart_info(u32 index)
{
    if (index >= MAX_HARTS || !(online_harts_mask() & (1ull << index)))
        return nullptr;
    return &s_info[index];
}

} // namespace kernel

// --- Starting the harts, and interrupting them ---------------------------

namespace kernel {

namespace {

constinit arch::Hart s_harts[MAX_HARTS] = {};
// What was sent to each hart and not yet handled (IPI_* bits).
constinit u32 s_pending[MAX_HARTS] = {};
// One remote call at a time per target: busy is the claim, done the completion.
struct CallSlot {
    void (*fn)(void*);
    void* arg;
    u32 busy;
    u32 done;
};
constinit CallSlot s_calls[MAX_HARTS] = {};
constinit bool s_scheduling = false; // the scheduler is ready for the others
constinit u64 s_ipis_sent = 0;
// Each hart's shootdown count: odd while it flushes, even between.
constinit u64 s_flushes[MAX_HARTS] = {};
// Harts waiting for a remote call or shootdown to complete. They sleep in
// wfi rather than spin (a spinning hart keeps QEMU's round-robin TCG, and
// the hart it waits for, from running for a whole time slice), and the
// hart that completes one wakes them with IPI_WAKE.
constinit u64 s_waiters = 0;

void wake_waiters(u32 me)
{
    if (u64 waiting = __atomic_load_n(&s_waiters, __ATOMIC_SEQ_CST) & ~(1ull << me))
        smp_send(waiting, IPI_WAKE);
}

void flush_this_hart(u32 me)
{
    // The count goes odd before the flush, which then sees every
    // page-table store made before a requester read the even count (the
    // fences pair with the one in smp_flush_tlbs).
    __atomic_fetch_add(&s_flushes[me], 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    arch::flush_tlb_all();
    arch::sync_instruction_cache(); // code written by another hart (mm/icache.cpp)
    __atomic_fetch_add(&s_flushes[me], 1, __ATOMIC_SEQ_CST);
    wake_waiters(me);
}

void run_call(u32 me)
{
    CallSlot& slot = s_calls[me];
    slot.fn(slot.arg);
    __atomic_store_n(&slot.done, 1u, __ATOMIC_SEQ_CST);
    wake_waiters(me);
}

// Handle what was sent to this hart (the kinds in `which`).
void handle_ipis(u32 which)
{
    u32 me = arch::this_hart().index;
    u32 kinds = __atomic_fetch_and(&s_pending[me], ~which, __ATOMIC_ACQ_REL) & which;
    if (kinds & IPI_STOP)
        arch::halt_forever();
    if (kinds & IPI_FLUSH)
        flush_this_hart(me);
    if (kinds & IPI_CALL)
        run_call(me);
    if (kinds & IPI_RESCHED)
        smp_reschedule_requested();
}

// Wait for done(), answering `kinds` meanwhile (two harts waiting for
// each other must both make progress), asleep in wfi between wake-ups.
// Works with interrupts off: wfi returns on a pending interrupt anyway.
template <typename Done> void wait_until(Done&& done, u32 kinds)
{
    u32 me = arch::this_hart().index;
    __atomic_fetch_or(&s_waiters, 1ull << me, __ATOMIC_SEQ_CST);
    for (;;) {
        handle_ipis(kinds | IPI_WAKE);
        if (done())
            break;
        // An IPI that came before this still has its pending bit (handled
        // next round); one that comes after sets sip.SSIP again.
        arch::acknowledge_software_interrupt();
        if (__atomic_load_n(&s_pending[me], __ATOMIC_SEQ_CST) & (kinds | IPI_WAKE))
            continue;
        if (done())
            break;
        arch::wait_for_interrupt();
    }
    __atomic_fetch_and(&s_waiters, ~(1ull << me), __ATOMIC_SEQ_CST);
}

} // namespace

arch::Hart& hart_by_index(u32 index) { return s_harts[index]; }

u64 hart_id_mask(u64 index_mask)
{
    u64 ids = 0;
    for (; index_mask; index_mask &= index_mask - 1)
        ids |= 1ull << s_info[__builtin_ctzll(index_mask)].hart_id;
    return ids;
}

void smp_send(u64 index_mask, u32 kinds)
{
    u64 targets = 0;
    for (u64 m = index_mask & online_harts_mask(); m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        // Already pending: the interrupt that carries it is on its way.
        if ((__atomic_fetch_or(&s_pending[i], kinds, __ATOMIC_ACQ_REL) & kinds) != kinds)
            targets |= 1ull << i;
    }
    if (targets) {
        __atomic_fetch_add(&s_ipis_sent, u64(__builtin_popcountll(targets)), __ATOMIC_RELAXED);
        arch::send_ipi(hart_id_mask(targets));
    }
}

u64 ipis_sent() { return __atomic_load_n(&s_ipis_sent, __ATOMIC_RELAXED); }

void software_interrupt() { handle_ipis(IPI_STOP | IPI_FLUSH | IPI_CALL | IPI_RESCHED | IPI_WAKE); }

void smp_poll_while_spinning()
{
    if (__atomic_load_n(&s_pending[arch::this_hart().index], __ATOMIC_RELAXED) & (IPI_FLUSH | IPI_STOP))
        handle_ipis(IPI_FLUSH | IPI_STOP);
}

void smp_flush_tlbs(u64 index_mask)
{
    index_mask &= online_harts_mask() & ~(1ull << arch::this_hart().index);
    if (!index_mask)
        return;
    // A flush that had begun (odd count) may have run before the caller's
    // page-table stores: wait for one that begins after this read.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    u64 wanted[MAX_HARTS];
    for (u64 m = index_mask; m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        u64 now = __atomic_load_n(&s_flushes[i], __ATOMIC_ACQUIRE);
        wanted[i] = now + (now & 1 ? 3 : 2);
    }
    smp_send(index_mask, IPI_FLUSH);
    for (u64 m = index_mask; m; m &= m - 1) {
        u32 i = u32(__builtin_ctzll(m));
        wait_until([&] { return __atomic_load_n(&s_flushes[i], __ATOMIC_ACQUIRE) >= wanted[i]; },
                   IPI_FLUSH | IPI_CALL | IPI_STOP); // two harts flushing each other
    }
}

void smp_call(u32 index, void (*fn)(void*), void* arg)
{
    u32 me = arch::this_hart().index;
    if (index == me) {
        fn(arg);
        return;
    }
    CallSlot& slot = s_calls[index];
    // While waiting, run what others ask of this hart: two harts calling
    // each other with interrupts off must not wait for ever.
    while (__atomic_exchange_n(&slot.busy, 1u, __ATOMIC_ACQUIRE) != 0)
        handle_ipis(IPI_CALL | IPI_FLUSH);
    slot.fn = fn;
    slot.arg = arg;
    __atomic_store_n(&slot.done, 0u, __ATOMIC_RELAXED);
    smp_send(1ull << index, IPI_CALL);
    wait_until([&] { return __atomic_load_n(&slot.done, __ATOMIC_ACQUIRE) != 0; }, IPI_CALL | IPI_FLUSH | IPI_STOP);
    __atomic_store_n(&slot.busy, 0u, __ATOMIC_RELEASE);
}

void flush_kernel_range_on_other_harts(u64 start, u64 size)
{
    (void)start; // the others flush everything
    (void)size;
    smp_flush_tlbs(online_harts_mask());
}

void smp_stop_others()
{
    u64 others = online_harts_mask() & ~(1ull << arch::this_hart().index);
    if (others)
        smp_send(others, IPI_STOP);
}

void smp_scheduler_ready()
{
    __atomic_store_n(&s_scheduling, true, __ATOMIC_RELEASE);
    smp_send(online_harts_mask() & ~1ull, IPI_RESCHED);
}

void smp_start_others(u64 load_pa)
{
    arch::enable_software_interrupts();
    if (s_discovered <= 1)
        return;
    (void)arch::asid_bits(); // probed on the boot hart, before others could race to

    if (!arch::firmware_starts_harts()) {
        printk("smp: the firmware cannot start harts (no SBI HSM or IPI); running on hart {} only\n",
               s_info[0].hart_id);
        return;
    }
    for (u32 i = 1; i < s_discovered; ++i) {
        u64 id = s_info[i].hart_id;
        // A small stack for the hart's idle loop, in the direct map (the
        // idle loop and interrupts on it never go deep).
        auto pages = mm::alloc_pages(SMP_IDLE_STACK_ORDER);
        if (!pages) {
            printk("smp: hart {}: no memory for its stack; left out\n", id);
            continue;
        }
        arch::Hart& h = s_harts[i];
        h.hart_id = id;
        h.index = i;
        h.current = &idle_thread(i);
        u64 stack_top = u64(mm::phys_to_virt(*pages)) + (mm::PAGE_SIZE << SMP_IDLE_STACK_ORDER);
        i64 error = arch::start_hart(id, &h, stack_top, load_pa);
        // Five seconds to come up: a real hart takes microseconds, but
        // QEMU's harts are host threads, and on a busy host one started
        // hart's thread was seen to wait more than a second for a core.
        u64 deadline = arch::read_time() + 5 * timebase_hz();
        while (!error && !(online_harts_mask() & (1ull << i)) && arch::read_time() < deadline)
            ;
        if (error || !(online_harts_mask() & (1ull << i))) {
            if (error)
                printk("smp: hart {} did not start: firmware error {}; left out\n", id, error);
            else
                printk("smp: hart {} did not come up in five seconds (firmware state {}); left out\n", id,
                       arch::hart_state(id));
            // A hart that may still wake must not find its stack reused.
            if (error)
                mm::free_pages(*pages, SMP_IDLE_STACK_ORDER);
            continue;
        }
    }
    printk("smp: {} hart(s) online\n", online_hart_count());
}

extern "C" void secondary_hart_entry(arch::Hart* h)
{
    arch::set_this_hart(h);
    // Code written before this hart came up (the signal trampoline, the
    // kernel image itself) is fetched right from here on.
    arch::sync_instruction_cache();
    arch::enable_user_counters();
    arch::timer_init(boot_info().sstc);
    tick_start_this_hart();
    arch::enable_software_interrupts();
    // Its own interrupt-controller context (the firmware reset it when it
    // started this hart); it claims there what is routed to it.
    irq_init_this_hart();
    arch::enable_external_interrupts();
    printk("smp: hart {} up as cpu {}\n", h->hart_id, h->index);
    smp_mark_online(h->index);
    arch::interrupts_enable();
    // Wait, answering remote calls, until there is something to schedule.
    while (!__atomic_load_n(&s_scheduling, __ATOMIC_ACQUIRE))
        arch::wait_for_interrupt();
    scheduler_run_idle();
}

} // namespace kernel
