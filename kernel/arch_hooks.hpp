// What the portable kernel offers arch/: the only kernel header that
// arch/riscv/ includes (CTest arch.include_rule checks it). The trap
// entry calls into kernel/trap/ here; interrupts reach the timer and the
// interrupt controller; the panic and log paths (kernel/panic.hpp,
// kernel/printk.hpp) are part of the offer and include nothing from
// kernel/ themselves.
#pragma once

#include "arch/arch.hpp"
#include "kernel/panic.hpp"
#include "kernel/printk.hpp"
#include "lib/optional.hpp"
#include "lib/string_view.hpp"

namespace kernel {

// From user mode (kernel/trap/): a system call, with the frame's pc
// already past the instruction that made it (called from the trap entry's
// assembly, hence C linkage); anything else. Neither returns: both leave
// through arch::enter_user.
extern "C" [[noreturn]] void on_syscall(arch::TrapFrame*);
[[noreturn]] void on_user_trap(arch::TrapFrame&, const arch::UserTrap&);

// Interrupts, from either mode: the timer tick (kernel/time.cpp) and the
// external interrupt controller (kernel/irq.cpp).
void tick_interrupt();
void external_interrupt();
// Another hart interrupted this one (arch::send_ipi; kernel/smp.cpp).
void software_interrupt();

// A secondary hart's first kernel code, on its own stack with tp set and
// the kernel's table in satp (kernel/smp.cpp). Never returns.
extern "C" [[noreturn]] void secondary_hart_entry(arch::Hart*);

// A user-copy routine faulted on a user address in kernel mode: serve it
// like the user's own access (a lazily mapped page). false: a real fault,
// the copy takes its fixup and fails with EFAULT.
bool on_kernel_fault_on_user_page(u64 address, bool write);

// The kernel command line option `key=value`, if given (kernel/main.cpp).
lib::Optional<lib::StringView> boot_option(lib::StringView key);

// The stack protector found a smashed canary in the frame at fp, whose
// code is at pc (kernel/hardening/, hardened builds only).
[[noreturn]] void report_stack_smash(u64 pc, u64 fp);

} // namespace kernel
