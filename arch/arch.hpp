// The whole interface between portable kernel code (kernel/, drivers/)
// and the machine. They include this header and nothing else from arch/,
// and name only arch:: (never arch::riscv::); the RISC-V implementation
// lives in arch/riscv/, which in turn includes from kernel/ only the
// callbacks declared in kernel/arch_hooks.hpp. tests/tools/include_rule.py
// (CTest arch.include_rule) checks both directions.
#pragma once

#include "arch/riscv/asid.hpp"
#include "arch/riscv/memory_layout.hpp"
#include "arch/riscv/page_table.hpp"
#include "arch/riscv/phase_profile.hpp"
#include "arch/riscv/signal_frame.hpp"
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

// Why a trap from user mode came, decoded from the machine's cause.
enum class TrapCause : u8 {
    Syscall,
    TimerInterrupt,
    ExternalInterrupt,
    SoftwareInterrupt,
    InstructionPageFault, // fetch, load or store to an address with no
    LoadPageFault,        // (or not enough) mapping: the kernel decides
    StorePageFault,       // whether it is a demand-paging fault
    AccessFault,          // the platform refused the physical access
    IllegalInstruction,
    Misaligned,
    Breakpoint,
    Unknown,
};
struct UserTrap {
    TrapCause cause;
    u64 address;      // the faulting address (the pc for instruction faults)
    const char* name; // the architecture's name for it, for reports
};

// Floating-point state: saved at a context switch only if the thread
// changed it since its last save; loaded on the way to user mode only if
// this hart's FP registers hold someone else's.
bool fp_dirty(const TrapFrame&);
void fp_save(TrapFrame&, FpState&);    // and mark the frame's state clean
void fp_restore(TrapFrame&, const FpState&);
bool fp_enabled(const TrapFrame&);     // has the program used FP at all
// The registers no longer hold the thread's state (its saved copy was
// replaced): mark them clean, so that no later save overwrites the copy.
void fp_discard(TrapFrame&);

// The thread whose frame this is runs on this hart now, on the kernel
// stack below kernel_sp: the next trap from user mode must find both
// (called whenever a thread comes onto a hart).
inline void bind_frame_to_hart(TrapFrame& frame, u64 kernel_sp);
// Leave the kernel for user mode with the registers in `frame` (whose
// sstatus already says U-mode with interrupts on). Interrupts must be off.
[[noreturn]] inline void enter_user(TrapFrame& frame);

// Signal frames (the ABI's layout on the user stack): the kernel decides
// what to deliver and copies the frame to and from user memory.
using SignalFrame = riscv::SignalFrame;
struct SignalInfo {
    int signal;
    int code;       // si_code
    bool fault;     // a fault signal: `address` is si_addr
    u64 address;
    i32 sender;     // si_pid, si_status otherwise
    i32 status;
    u64 old_mask;   // the mask to restore when the handler returns
    // A POSIX timer's signal: sender is si_timerid, then si_overrun and si_value.
    bool timer = false;
    i32 overrun = 0;
    u64 value = 0;
    u32 uid = 0;    // si_uid, with sender
};
// Where the frame goes below the interrupted stack pointer.
u64 signal_frame_address(const TrapFrame&);
void fill_signal_frame(SignalFrame&, const TrapFrame&, const FpState&, const SignalInfo&);
// Enter handler(signal, &info, &uc) with the frame at frame_address,
// returning to return_address (the trampoline).
void enter_signal_handler(TrapFrame&, u64 handler, int signal, u64 frame_address, u64 return_address);
// rt_sigreturn: the registers and FP state the frame saved (the user
// may have edited them); returns the saved signal mask.
u64 restore_signal_frame(TrapFrame&, FpState&, const SignalFrame&);

// ELF core files: the machine's e_machine (the psABI's EM_RISCV) and the
// register sets in the layout Linux's core notes use (NT_PRSTATUS's
// elf_gregset_t, NT_PRFPREG's FP state).
inline constexpr u16 ELF_MACHINE = 243;
inline constexpr usize CORE_GREGS = 32;
inline constexpr usize CORE_FPREGS_SIZE = 264;
void core_gregs(const TrapFrame&, u64 (&out)[CORE_GREGS]);
void core_fpregs(const FpState&, u8 (&out)[CORE_FPREGS_SIZE]);

// The signal-return trampoline's machine code: `rt_sigreturn` as the
// ABI's syscall instruction sequence, mapped read-only at the top of user
// space by the memory code.
struct Code {
    const u32* words;
    usize count;
};
Code sigreturn_trampoline_code();

// --- Memory management unit (Sv39 on RISC-V) ---------------------------
using riscv::PAGE_SIZE;
using riscv::PAGE_SHIFT;
using riscv::MEGAPAGE_SIZE;
using riscv::GIGAPAGE_SIZE;
using riscv::DIRECT_MAP_BASE;
using riscv::DIRECT_MAP_SIZE;
using riscv::IOREMAP_BASE;
using riscv::IOREMAP_SIZE;
using riscv::KSTACK_BASE;
using riscv::KSTACK_SIZE;
using riscv::KSTACK_SLOT_SIZE;
using riscv::KERNEL_STACK_SIZE;
using riscv::KSTACK_GUARD_SIZE;
using riscv::USER_TOP;
using riscv::root_index;
// Page-table entries: the Sv39 encoding, flags by their meaning.
using riscv::Pte;
using riscv::PTE_V;
using riscv::PTE_R;
using riscv::PTE_W;
using riscv::PTE_X;
using riscv::PTE_U;
using riscv::PTE_G;
using riscv::PTE_A;
using riscv::PTE_D;
using riscv::PTE_LEAF_MASK;
using riscv::PTE_PPN_SHIFT;
using riscv::PTES_PER_TABLE;
using riscv::KERNEL_RW;
using riscv::KERNEL_RO;
using riscv::make_pte;
using riscv::pte_address;
using riscv::pte_is_leaf;
using riscv::pte_is_table;
using riscv::PageTable;
using riscv::TablePageSource;
using riscv::Translation;
using riscv::phys_to_virt;
using riscv::virt_to_phys_direct;
// Address-space switching with ASIDs (no flush on a switch).
using riscv::AsidTag;
using riscv::AsidAllocator;
using riscv::switch_user_table;
using riscv::switch_kernel_table;
using riscv::asid_bits;
using riscv::asid_hart_bits;
using riscv::asid_set_bits;
using riscv::asid_rollovers;
using riscv::tlb_full_flushes;
// The kernel's own root table (boot built it; satp holds it at boot).
u64 kernel_root_pa_at_boot();
Pte* boot_root_entries();
inline void flush_tlb_all();
inline void flush_tlb_page(u64 va);

// The ASID the hart runs under now (tests check tagged switching).
u64 current_asid();

// Phase profiler (MYRIAD_PHASE_PROFILE builds): instructions per phase.
namespace prof = riscv::prof;

// --- Touching memory that may fault ------------------------------------
// The user-copy routines: copy n bytes, returning 0 or the number of bytes
// not copied when an access faulted (a fault on a lazily mapped user page
// is served through kernel::on_kernel_fault_on_user_page first). Callers
// (kernel/mm/uaccess.cpp) check that the range is user memory.
extern "C" u64 uaccess_copy(void* dst, const void* src, u64 n);
// Copy a NUL-terminated user string: its length, -1 on a fault, or
// capacity when no NUL fits.
extern "C" i64 uaccess_strncpy(char* dst, u64 user_src, u64 capacity);
// Compare-and-swap of an aligned user word, atomic against every hart:
// *old receives the value found (swapped when it equals expected). 0, or
// -1 on a fault.
extern "C" i64 uaccess_cmpxchg32(u32* user_word, u32 expected, u32 desired, u32* old);
// A whole 4 KiB page, both addresses page-aligned: zeroed, or copied.
// Every fresh user page, page table and copy-on-write copy goes through
// these, in fewer instructions than memset and memcpy need.
extern "C" void zero_page(void* page);
extern "C" void copy_page(void* to, const void* from);
// Kernel probes (tests): false means the access trapped and was recovered.
extern "C" bool probe_read_u64(const volatile u64* address, u64* value);
extern "C" bool probe_write_u64(volatile u64* address, u64 value);
extern "C" bool probe_read_u8(const volatile u8* address, u8* value);
// Does a fault at pc resume at a fixup (exception table)?
bool has_fixup(u64 pc);

// Per-hart data, reached through the tp register while in the kernel.
struct Hart {
    u64 hart_id = 0;
    u32 index = 0;          // dense 0..n-1, for per-hart arrays
    i32 irq_off_depth = 0;  // nesting of push_interrupts_off
    void* switched_from = nullptr; // the thread this hart last switched away from (test kernel: its on_cpu)
    bool irq_was_on = false;
    u64 ticks = 0;          // timer interrupts taken on this hart
    u64 next_tick = 0;      // the timer deadline programmed (timebase ticks)
    u64 asid_generation = 0; // the ASID generation this hart's TLB has been flushed for
    void* current = nullptr; // the kernel's Thread running here
    void* retiring = nullptr; // a thread that exited here: the next one frees it
    // Nonzero while a no-fault user read runs (Linux's pagefault_disable):
    // a fault on a user page then fails the copy instead of being served.
    u32 user_faults_off = 0;
    void* fp_owner = nullptr; // whose state this hart's FP registers hold
    void* address_space = nullptr; // the user address space satp holds (none: the kernel's)
    // Lock-order checker (test kernel, kernel/locking.hpp): bit r set while
    // this hart holds the spinlock of rank r.
    u64 held_lock_ranks = 0;
    u64 boot_mutex_ranks = 0; // mutexes held before threads exist (kernel/mutex.cpp)
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
void timer_init(bool isa_has_sstc);
void timer_program(u64 when);
const char* timer_mechanism(); // "sstc" or "sbi"

// Boot: what the firmware is (printed in the boot log), and the traps
// and interrupts this hart takes once the kernel is ready for them.
void firmware_probe();
void print_firmware_info(); // one boot-log line
void enable_user_counters();      // user mode may read time/cycle/instret
void enable_external_interrupts();
// --- Several harts ---------------------------------------------------
// Can the firmware start harts and interrupt them (SBI HSM and IPI)?
bool firmware_starts_harts();
// Start hart_id in the kernel: it switches to the kernel's table (the one
// this hart runs under now), takes stack_top and `hart` (tp), and calls
// kernel::secondary_hart_entry(hart). load_pa: where the image was
// loaded. Returns 0 or the firmware's (negative) error.
i64 start_hart(u64 hart_id, Hart* hart, u64 stack_top, u64 load_pa);
// The firmware's state for the hart (0 started, 1 stopped, 2 start
// pending...), or a negative error.
i64 hart_state(u64 hart_id);
// Interrupt the harts whose ids are bits of the mask (hart ids 0..63):
// each takes kernel::software_interrupt().
void send_ipi(u64 hart_id_mask);
void enable_software_interrupts();
void acknowledge_software_interrupt();
// (No remote TLB or instruction-cache fences through the firmware:
// OpenSBI 1.1's remote-fence queue hung with four harts fencing each
// other at once. kernel/smp.cpp's shootdown IPI does both.)

// Run fn on another stack (the stack-overflow test).
extern "C" void call_on_stack(void (*fn)(), u64 stack_top);

} // namespace arch

#include "arch/riscv/arch_inline.hpp"
