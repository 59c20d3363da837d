// The RISC-V bodies of the arch/arch.hpp functions that every lock uses:
// the per-hart pointer (tp) and interrupt enable nesting (sstatus.SIE,
// priv spec 4.1.1). Inline, so that a spinlock acquire/release pair costs
// no calls. Included at the end of arch/arch.hpp.
#pragma once

#include "arch/riscv/csr.hpp"

namespace arch {

// tp holds the hart's data while the hart runs kernel code (set_this_hart;
// the trap entry reloads it from the frame). volatile: never reused across
// a context switch, after which the thread may run on another hart.
inline Hart& this_hart()
{
    Hart* h;
    asm volatile("mv %0, tp" : "=r"(h));
    return *h;
}

inline bool interrupts_enabled()
{
    u64 sstatus;
    asm volatile("csrr %0, sstatus" : "=r"(sstatus)::"memory");
    return sstatus & 2; // SIE
}
inline void interrupts_enable() { asm volatile("csrsi sstatus, 2" ::: "memory"); }
inline void interrupts_disable() { asm volatile("csrci sstatus, 2" ::: "memory"); }

// Out of line: a broken nesting is a kernel bug and panics.
[[noreturn]] void interrupt_nesting_broken(bool interrupts_were_on);

inline void push_interrupts_off()
{
    u64 sstatus;
    asm volatile("csrrci %0, sstatus, 2" : "=r"(sstatus)::"memory"); // read and clear SIE at once
    Hart& h = this_hart();
    if (h.irq_off_depth++ == 0)
        h.irq_was_on = sstatus & 2;
}

inline void pop_interrupts_off()
{
    Hart& h = this_hart();
    bool on = interrupts_enabled();
    if (on || h.irq_off_depth <= 0) [[unlikely]]
        interrupt_nesting_broken(on);
    if (--h.irq_off_depth == 0 && h.irq_was_on)
        interrupts_enable();
}

// The timebase counter (Zicntr rdtime): every clock read and the time
// accounting on each crossing.
inline u64 read_time()
{
    u64 t;
    asm volatile("rdtime %0" : "=r"(t));
    return t;
}

} // namespace arch

namespace arch::riscv {

inline void switch_user_table(u64 root_pa, AsidTag* tag)
{
    u64 generation = g_asid_allocator.generation_now();
    // The tag is published after the satp value it goes with (asid.cpp).
    u64 tag_now = __atomic_load_n(&tag->tag, __ATOMIC_ACQUIRE);
    if (tag_now != 0 && (tag_now >> AsidAllocator::TAG_SHIFT) == generation &&
        this_hart().asid_generation == generation) [[likely]] {
        csr_write(satp, tag->satp);
        return;
    }
    switch_user_table_slow(root_pa, tag);
}

} // namespace arch::riscv

namespace arch {

inline void flush_tlb_all() { asm volatile("sfence.vma zero, zero" ::: "memory"); }
inline void flush_tlb_page(u64 va) { asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }

} // namespace arch

extern "C" [[noreturn]] void user_return(arch::TrapFrame*); // trap_entry.S

namespace arch {

// The trap entry finds the kernel stack and the hart in the frame
// (trap_entry.S).
inline void bind_frame_to_hart(TrapFrame& frame, u64 kernel_sp)
{
    frame.kernel_sp = kernel_sp;
    frame.kernel_tp = reinterpret_cast<u64>(&this_hart());
}

// Interrupts are off (the caller's last checks must not be undone by an
// interrupt). sret takes sstatus from the frame, whose SPP (0: U-mode)
// and SPIE (1: interrupts on) the trap from user mode, or start_user,
// left there.
[[noreturn]] inline void enter_user(TrapFrame& frame) { user_return(&frame); }

} // namespace arch
