// Kernel-stack slots in the KSTACK window.
#include "kernel/smp.hpp"
#include "kernel/process/kernel_stack.hpp"
#include "kernel/process/process.hpp"
#include "arch/arch.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/boot.hpp"
#include "kernel/mm/vm.hpp"
#include "kernel/printk.hpp"
#include "kernel/spinlock.hpp"

namespace kernel {

namespace {

using namespace arch;

constexpr u64 SLOT_SIZE = KSTACK_SLOT_SIZE; // guard + stack
constexpr u32 SLOT_COUNT = KSTACK_SIZE / SLOT_SIZE;
constexpr unsigned STACK_ORDER = 2;              // 4 pages
constexpr u32 CACHE_LIMIT = 64;
static_assert(KERNEL_STACK_SIZE == (mm::PAGE_SIZE << STACK_ORDER));

class KernelTables final : public TablePageSource {
public:
    lib::Optional<u64> allocate_table_page() override { return mm::alloc_table_page(); }
    void free_table_page(u64 pa) override { mm::free_pages(PhysAddr{pa}, 0); }
};

constinit KernelTables s_tables;
constinit SpinLock s_lock(LockRank::KernelStacks);
constinit u64 s_used[SLOT_COUNT / 64] = {}; // slot bitmap
constinit u32 s_search_from = 0;
constinit u32 s_cache[CACHE_LIMIT] = {};    // freed slots still mapped
constinit u32 s_cached = 0;
constinit u64 s_cached_bits[SLOT_COUNT / 64] = {}; // which used slots are the cache's

u64 slot_stack_base(u32 slot) { return KSTACK_BASE + u64(slot) * SLOT_SIZE + KERNEL_STACK_SIZE; }

// kstack_check[=BYTES] (boot option): every stack is painted when handed
// out and measured when given back; the deepest use seen is logged each
// time it grows, flagged when it passes BYTES (default three quarters of
// the stack). This is how the stack size is justified (docs/processes.md):
// the test kstack.depth runs the whole user test suite with it and fails on
// the flag. (The guard below every stack catches an overflow regardless.)
constexpr u64 PAINT = 0x57ac57ac57ac57acull;
constinit bool s_check = false;
constinit u64 s_limit = KERNEL_STACK_SIZE * 3 / 4;
constinit u64 s_deepest = 0; // [s_lock]

void paint(u64 base)
{
    auto* w = reinterpret_cast<u64*>(base);
    for (u64 i = 0; i < KERNEL_STACK_SIZE / 8; ++i)
        w[i] = PAINT;
}

u64 used_bytes(u64 base)
{
    const auto* w = reinterpret_cast<const u64*>(base);
    u64 i = 0;
    while (i < KERNEL_STACK_SIZE / 8 && w[i] == PAINT)
        ++i;
    return KERNEL_STACK_SIZE - i * 8;
}

void measure(u32 slot)
{
    u64 used = used_bytes(slot_stack_base(slot));
    bool deeper;
    {
        SpinLockGuard guard(s_lock);
        deeper = used > s_deepest;
        if (deeper)
            s_deepest = used;
    }
    if (deeper)
        printk("kstack_check: deepest kernel stack use so far {} of {} bytes{}\n", used, KERNEL_STACK_SIZE,
               used > s_limit ? " -- OVER THE kstack_check LIMIT" : "");
}

// A slot is free again. Each bitmap word is 64 slots of 32 KiB: exactly
// the 2 MiB one leaf table of the window maps. When the last slot of a
// word goes, so does that table, so the window's tables are as many as
// the stacks alive now, not the most ever (a fork bomb's peak).
void release_slot_kstacks_locked(u32 slot)
{
    s_lock.assert_held();
    u32 word = slot / 64;
    s_used[word] &= ~(1ull << (slot % 64));
    s_search_from = lib::min(s_search_from, word);
    if (s_used[word])
        return;
    PageTable kernel(mm::kernel_root_pa());
    Pte* entry = kernel.table_entry(KSTACK_BASE + u64(word) * 64 * SLOT_SIZE);
    if (!entry || !pte_is_table(*entry))
        return;
    PhysAddr table{pte_address(*entry)};
    const auto* leaves = static_cast<const Pte*>(mm::phys_to_virt(table));
    for (unsigned i = 0; i < PTES_PER_TABLE; ++i)
        if (leaves[i])
            return; // cannot be: every slot of it is free
    *entry = 0;
    flush_tlb_all(); // a non-leaf entry went
    flush_kernel_range_on_other_harts(0, ~0ull);
    mm::free_pages(table, 0);
}

lib::Optional<u32> take_free_slot_kstacks_locked()
{
    s_lock.assert_held();
    for (u32 n = 0; n < SLOT_COUNT / 64; ++n) {
        u32 word = (s_search_from + n) % (SLOT_COUNT / 64);
        if (~s_used[word]) {
            u32 bit = u32(__builtin_ctzll(~s_used[word]));
            s_used[word] |= 1ull << bit;
            s_search_from = word;
            return word * 64 + bit;
        }
    }
    return {};
}

} // namespace

Result<KernelStack> alloc_kernel_stack()
{
    u32 slot;
    {
        SpinLockGuard guard(s_lock);
        if (s_cached > 0) {
            slot = s_cache[--s_cached];
            s_cached_bits[slot / 64] &= ~(1ull << (slot % 64));
            if (s_check)
                paint(slot_stack_base(slot));
            return KernelStack{slot_stack_base(slot) + KERNEL_STACK_SIZE, slot};
        }
        auto free_slot = take_free_slot_kstacks_locked();
        if (!free_slot)
            return Errno::eagain;
        slot = *free_slot;
    }
    auto pages = mm::alloc_pages(STACK_ORDER);
    auto release_slot = [slot] {
        SpinLockGuard guard(s_lock);
        release_slot_kstacks_locked(slot);
    };
    if (!pages) {
        release_slot();
        return Errno::enomem;
    }
    Result<void> mapped{};
    {
        // Under the lock: two harts mapping slots of one 2 MiB block at
        // once would each put in a leaf table of their own, and one
        // mapping would be lost with its table.
        SpinLockGuard guard(s_lock);
        PageTable kernel(mm::kernel_root_pa());
        mapped = kernel.map(slot_stack_base(slot), pages->value(), KERNEL_STACK_SIZE, KERNEL_RW, s_tables);
    }
    if (mapped.is_error()) {
        mm::free_pages(*pages, STACK_ORDER);
        release_slot();
        return mapped.error();
    }
    if (s_check)
        paint(slot_stack_base(slot));
    return KernelStack{slot_stack_base(slot) + KERNEL_STACK_SIZE, slot};
}

void kernel_stack_init()
{
    const auto& cmdline = boot_info().cmdline;
    s_check = cmdline.has("kstack_check");
    if (auto v = cmdline.get_u64("kstack_check"); v.is_ok() && v.value() > 0 && v.value() < KERNEL_STACK_SIZE)
        s_limit = v.value();
}

// Per system call: the deepest use seen while it ran ([s_lock]).
constexpr u64 SYSCALL_SLOTS = 512;
constinit u16 s_syscall_depth[SYSCALL_SLOTS] = {};

void kstack_check_after_syscall(Thread& p, u64 number)
{
    if (!s_check)
        return;
    u64 base = slot_stack_base(p.kernel_stack_slot);
    u64 used = used_bytes(base);
    {
        SpinLockGuard guard(s_lock);
        u64 slot = lib::min(number, SYSCALL_SLOTS - 1);
        s_syscall_depth[slot] = u16(lib::max<u64>(s_syscall_depth[slot], used));
    }
    // Paint again what this call used, up to just below the live frames.
    u64 sp = u64(__builtin_frame_address(0)) - 256;
    for (u64 at = base + KERNEL_STACK_SIZE - used; at + 8 <= sp; at += 8)
        *reinterpret_cast<u64*>(at) = PAINT;
}

void kstack_check_report()
{
    if (!s_check)
        return;
    // Deepest first, the ten deepest calls: a selection, not a sort, to
    // keep this to a few lines of code.
    bool shown[SYSCALL_SLOTS] = {};
    printk("kstack_check: deepest kernel stack use per system call (bytes):\n");
    for (int rank = 0; rank < 10; ++rank) {
        u64 best = SYSCALL_SLOTS;
        for (u64 i = 0; i < SYSCALL_SLOTS; ++i)
            if (!shown[i] && s_syscall_depth[i] && (best == SYSCALL_SLOTS || s_syscall_depth[i] > s_syscall_depth[best]))
                best = i;
        if (best == SYSCALL_SLOTS)
            break;
        shown[best] = true;
        printk("kstack_check:   syscall {}: {}{}\n", best, s_syscall_depth[best],
               s_syscall_depth[best] > s_limit ? " -- OVER THE kstack_check LIMIT" : "");
    }
}

void free_kernel_stack(KernelStack stack)
{
    if (s_check)
        measure(stack.slot);
    {
        SpinLockGuard guard(s_lock);
        if (s_cached < CACHE_LIMIT) {
            s_cache[s_cached++] = stack.slot;
            s_cached_bits[stack.slot / 64] |= 1ull << (stack.slot % 64);
            return;
        }
    }
    PageTable kernel(mm::kernel_root_pa());
    decltype(kernel.translate(0)) t;
    {
        SpinLockGuard guard(s_lock); // the window's tables change under it (alloc_kernel_stack)
        t = kernel.translate(slot_stack_base(stack.slot));
        VERIFY(t.has_value());
        kernel.unmap(slot_stack_base(stack.slot), KERNEL_STACK_SIZE);
    }
    // Another hart that ran the thread may still hold the translations:
    // they go before the pages do.
    flush_kernel_range_on_other_harts(slot_stack_base(stack.slot), KERNEL_STACK_SIZE);
    mm::free_pages(PhysAddr{t->pa}.align_down(), STACK_ORDER);
    SpinLockGuard guard(s_lock);
    release_slot_kstacks_locked(stack.slot); // first fit: low slots are reused
}

} // namespace kernel

namespace kernel {
u64 kernel_stack_cached_pages()
{
    SpinLockGuard guard(s_lock);
    // The cached stacks, and the window's leaf tables that only they keep
    // (a table goes when its last slot does): all of it comes back if the
    // cache is given up, whichever groups the cache happens to hold.
    u64 pages = u64(s_cached) * (KERNEL_STACK_SIZE / mm::PAGE_SIZE);
    if (s_cached > 0)
        for (u32 word = 0; word < SLOT_COUNT / 64; ++word)
            if (s_used[word] && (s_used[word] & ~s_cached_bits[word]) == 0)
                ++pages;
    return pages;
}
} // namespace kernel
