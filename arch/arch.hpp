// The whole interface between portable kernel code (kernel/) and the
// machine. kernel/ includes this header and nothing else from arch/; the
// RISC-V implementation lives in arch/riscv/.
#pragma once

#include "arch/riscv/trap_frame.hpp"
#include "lib/types.hpp"


namespace arch {

// The user registers a trap saves (inside the thread's control block) and
// the FP state saved beside them. Portable code touches them only through
// the UserFrame operations below.
using TrapFrame = riscv::TrapFrame;
using FpState = riscv::FpState;

template <typename F>
concept UserFrame = requires(F& f, const F& cf, u64 value, unsigned n) {
    { cf.syscall_number() } -> lib::SameAs<u64>;
    { cf.syscall_arg(n) } -> lib::SameAs<u64>;
    f.set_syscall_result(value);
    f.restart_syscall(value);
    { cf.user_pc() } -> lib::SameAs<u64>;
    f.set_user_pc(value);
    { cf.user_sp() } -> lib::SameAs<u64>;
    f.set_user_sp(value);
    f.set_tls(value);
    f.start_user(value, value);
};
static_assert(UserFrame<TrapFrame>);

// Per-hart data, reached through the tp register while in the kernel.
struct Hart {
    u64 hart_id = 0;
    u32 index = 0;          // dense 0..n-1, for per-hart arrays
    i32 irq_off_depth = 0;  // nesting of push_interrupts_off
    bool irq_was_on = false;
    u64 ticks = 0;          // timer interrupts taken on this hart
    void* current = nullptr; // the kernel's Process running here
    bool need_resched = false;
    // Lock-order checker (test kernel, kernel/locking.hpp): bit r set while
    // this hart holds the spinlock of rank r.
    u64 held_lock_ranks = 0;
};

// Inline, as every lock acquire and release uses them: the RISC-V bodies
// are in arch/riscv/arch_inline.hpp (included at the end).
inline Hart& this_hart();
void set_this_hart(Hart*);

inline bool interrupts_enabled();
inline void interrupts_enable();
inline void interrupts_disable();
// Nestable "interrupts off" (xv6's push_off/pop_off): spinlocks use these.
inline void push_interrupts_off();
inline void pop_interrupts_off();

void wait_for_interrupt();
// Make instruction fetches see code the kernel just wrote with stores
// (exec loading a program, fork copying one): fence.i on RISC-V (Zifencei).
// Real cores have separate instruction caches; QEMU forgives its absence.
void sync_instruction_cache();
[[noreturn]] void halt_forever();
// Counters: time (timebase ticks), retired instructions, cycles.
inline u64 read_time();
u64 read_instret();

// The firmware (SBI) console and power, for early boot and panic.
void firmware_putchar(char c);
// A byte typed on the firmware console, or -1 (machines with no UART we
// drive, such as spike, whose console is HTIF behind SBI).
int firmware_getchar();
[[noreturn]] void firmware_shutdown(int status);

// Walk frame pointers from (pc, fp) and print symbolized frames (panic path).
void print_backtrace(u64 pc, u64 fp);

// Timer: fire one interrupt at absolute time `when` (timebase ticks).
void timer_program(u64 when);
const char* timer_mechanism(); // "sstc" or "sbi"

} // namespace arch

#include "arch/riscv/arch_inline.hpp"
