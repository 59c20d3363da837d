// The harts the kernel runs on: which exist and run, what each is (for
// /proc/cpuinfo), and the CPU time each spent (for /proc/stat). A hart's
// index is dense (0..online_hart_count()-1, the boot hart is 0) and is
// what user space calls a CPU number (sched_getcpu, affinity masks,
// /proc/stat's cpuN); its hart id is the firmware's name for it.
#pragma once

#include "arch/arch.hpp"
#include "lib/fdt.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace kernel {

// Affinity masks are one u64: hart indexes 0..63. The kernel starts at
// most MAX_HARTS of them.
inline constexpr u32 MAX_HARTS = 32;

u32 online_hart_count();
u64 online_harts_mask(); // bit i: hart index i runs

struct HartInfo {
    u64 hart_id;          // the firmware's (device tree reg) number
    lib::StringView isa;  // riscv,isa, or "" when the tree has none
    lib::StringView mmu;  // mmu-type without the "riscv," prefix ("sv39")
    lib::StringView uarch; // the cpu node's first compatible ("sifive,u54"), or ""
};
// nullptr for an index past the last online hart.
const HartInfo* hart_info(u32 index);

// CPU time spent on one hart since boot, as /proc/stat's cpuN line counts
// it: user and system time of the threads that ran there, and idle.
struct HartTimes {
    u64 user_ns, system_ns, idle_ns;
};
HartTimes hart_times(u32 index);

// Boot: fill the table from the device tree (the boot hart is index 0;
// then every enabled hart with an MMU and the ISA the kernel needs, at
// most max_harts in all); returns how many it holds.
u32 smp_discover(const lib::fdt::Blob&, u64 boot_hart_id, u32 max_harts);
u32 smp_discovered();
// The hart id of discovered hart `index` (< smp_discovered()), online or not.
u64 smp_discovered_hart_id(u32 index);
void smp_mark_online(u32 index);
// Start every discovered hart but the boot hart (SBI HSM); each comes up
// in its idle loop and waits for smp_scheduler_ready. A hart that does not
// start is reported and left out. load_pa: where the image was loaded.
void smp_start_others(u64 load_pa);
void smp_scheduler_ready();
inline constexpr unsigned SMP_IDLE_STACK_ORDER = 2; // 16 KiB

// The per-hart data of hart `index` (arch::this_hart() is this hart's).
arch::Hart& hart_by_index(u32 index);
// The firmware's hart ids of the harts in an index mask.
u64 hart_id_mask(u64 index_mask);

// Inter-processor interrupts: what one hart asks of others.
enum IpiKind : u32 {
    IPI_RESCHED = 1, // run the scheduler: a thread was queued there
    IPI_CALL = 2,    // run the function smp_call left
    IPI_STOP = 4,    // halt (a panic elsewhere)
    IPI_FLUSH = 8,   // flush the whole TLB and fence.i (smp_flush_tlbs)
    IPI_WAKE = 16,   // nothing: a call or flush this hart waits for is done
};
void smp_send(u64 index_mask, u32 kinds);
u64 ipis_sent();
// Run fn(arg) on hart `index` and wait until it has (directly when that
// is this hart). Callable with interrupts off: while waiting, this hart
// runs calls others ask of it.
void smp_call(u32 index, void (*fn)(void*), void* arg);
// TLB shootdown: every hart in index_mask flushes its whole TLB (and
// fences its instruction fetches: code written elsewhere), and this
// returns once each has done so after the call began (so after every
// page-table store before it). The targets answer from any context, also
// while spinning for a lock with interrupts off, so the caller may hold
// spinlocks. docs/smp.md has the protocol.
void smp_flush_tlbs(u64 index_mask);
// Kernel mappings of [start, start + size) changed (size ~0: any): flush
// them from every other hart's TLB before the memory is reused.
void flush_kernel_range_on_other_harts(u64 start, u64 size);
// A hart spinning for a lock answers shootdowns meanwhile (spinlock.hpp).
void smp_poll_while_spinning();
// Panic: halt every other hart.
void smp_stop_others();
// IPI_RESCHED arrived (kernel/process/scheduler.cpp).
void smp_reschedule_requested();

} // namespace kernel
