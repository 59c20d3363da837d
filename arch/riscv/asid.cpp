// The hart's ASID allocator and the satp switches (see asid.hpp).
#include "arch/riscv/asid.hpp"
#include "arch/arch.hpp"
#include "arch/riscv/csr.hpp"
#include "kernel/arch_hooks.hpp"

namespace arch::riscv {

constinit AsidAllocator g_asid_allocator;

namespace {

constinit bool s_probed = false;
constinit unsigned s_hart_bits = 0; // what the hart implements
constinit u64 s_full_flushes = 0;
constinit u32 s_lock = 0; // the allocator's, on the slow path (interrupts off)

struct AllocatorLock {
    u64 sstatus_saved;
    AllocatorLock() : sstatus_saved(csr_read(sstatus))
    {
        csr_clear(sstatus, SSTATUS_SIE);
        while (__atomic_exchange_n(&s_lock, 1u, __ATOMIC_ACQUIRE) != 0)
            ;
    }
    ~AllocatorLock()
    {
        __atomic_store_n(&s_lock, 0u, __ATOMIC_RELEASE);
        if (sstatus_saved & SSTATUS_SIE)
            csr_set(sstatus, SSTATUS_SIE);
    }
};

void count_full_flush() { __atomic_fetch_add(&s_full_flushes, 1, __ATOMIC_RELAXED); }

// satp.ASID is WARL: the implemented bits keep the ones written, the
// others read 0 (priv spec 4.1.11: "the number of ASID bits is
// UNSPECIFIED and may be zero ... determined by writing one to every bit
// position in the ASID field, then reading back the value in satp").
// Done with the current table, so translation does not change; interrupts
// must be off so nothing runs under the probed value.
unsigned probe_asid_bits()
{
    u64 saved = csr_read(satp);
    constexpr u64 ASID_FIELD = 0xffffull << 44;
    csr_write(satp, saved | ASID_FIELD);
    u64 got = (csr_read(satp) & ASID_FIELD) >> 44;
    csr_write(satp, saved);
    sfence_vma_all(); // drop whatever was cached under the probe value
    return unsigned(__builtin_popcountll(got));
}

void ensure_probed()
{
    if (s_probed)
        return;
    u64 sstatus_saved = csr_read(sstatus);
    csr_clear(sstatus, SSTATUS_SIE);
    s_hart_bits = probe_asid_bits();
    g_asid_allocator.reset(s_hart_bits);
    s_probed = true;
    // asid_bits=N on the command line: fewer ASIDs, rollovers sooner.
    if (auto option = kernel::boot_option("asid_bits")) {
        unsigned n = 0;
        bool digits = option->length() > 0 && option->length() <= 2;
        for (usize i = 0; digits && i < option->length(); ++i) {
            char c = (*option)[i];
            digits = c >= '0' && c <= '9';
            n = n * 10 + unsigned(c - '0');
        }
        if (digits && n < s_hart_bits)
            g_asid_allocator.change_bits(n);
    }
    if (sstatus_saved & SSTATUS_SIE)
        csr_set(sstatus, SSTATUS_SIE);
}

} // namespace

unsigned asid_bits()
{
    ensure_probed();
    return g_asid_allocator.bits();
}

unsigned asid_hart_bits()
{
    ensure_probed();
    return s_hart_bits;
}

void switch_user_table_slow(u64 root_pa, AsidTag* tag)
{
    ensure_probed();
    AllocatorLock lock;
    auto a = g_asid_allocator.assign(__atomic_load_n(&tag->tag, __ATOMIC_RELAXED));
    u64 generation = g_asid_allocator.generation();
    // The satp value first: a hart that sees the new tag sees it too.
    tag->satp = make_satp(root_pa, a.asid);
    __atomic_store_n(&tag->tag, a.tag, __ATOMIC_RELEASE);
    csr_write(satp, tag->satp);
    Hart& hart = this_hart();
    if (a.flush_all || hart.asid_generation != generation) {
        // A rollover, or one on another hart since this hart last flushed:
        // its TLB may hold entries of an ASID now handed out again.
        sfence_vma_all();
        hart.asid_generation = generation;
        count_full_flush();
    }
}

void switch_kernel_table(u64 root_pa)
{
    // ASID 0 caches only kernel-half translations (the kernel's table has
    // no user half), which every table shares: no flush. Without ASIDs,
    // the user half of the table we leave must go.
    ensure_probed();
    csr_write(satp, make_satp(root_pa, 0));
    if (g_asid_allocator.bits() == 0) {
        sfence_vma_all();
        count_full_flush();
    }
}

void asid_set_bits(unsigned bits)
{
    ensure_probed();
    AllocatorLock lock;
    g_asid_allocator.change_bits(bits < s_hart_bits ? bits : s_hart_bits);
    sfence_vma_all();
    this_hart().asid_generation = g_asid_allocator.generation();
    count_full_flush();
}

u64 asid_rollovers() { return g_asid_allocator.rollovers(); }
u64 tlb_full_flushes() { return s_full_flushes; }

} // namespace arch::riscv

namespace arch {
u64 current_asid() { return (csr_read(satp) >> 44) & 0xffff; }
} // namespace arch
