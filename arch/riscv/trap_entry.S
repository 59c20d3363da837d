/*
 * Trap entry and exit. stvec points at trap_entry (direct mode).
 *
 * The sscratch protocol:
 *  - while the hart runs user code, sscratch holds the address of the
 *    current process's TrapFrame (inside its control block);
 *  - while it runs kernel code, sscratch is 0.
 * The first instruction swaps sp and sscratch. From user mode that leaves
 * sp = the process's frame, so every user register is stored straight into
 * the control block (as seL4 does), then the kernel sp and tp come from the
 * frame (the kernel put them there when the thread last came onto this
 * hart: arch::bind_frame_to_hart) and C++ runs, never to return here: it
 * leaves through user_return. A system call (scause 8, priv spec table
 * 4.2) goes straight to the kernel (on_syscall, kernel/trap/) with the pc
 * already past the ecall; everything else to user_trap (user_entry.cpp),
 * which decodes the cause. From kernel mode the swap yields 0; swap back
 * and push a frame on the current kernel stack (kernel_trap returns here,
 * and the frame -- possibly edited, e.g. sepc moved to a fixup -- is
 * restored).
 */
#include "arch/riscv/memory_layout.hpp"
#include "arch/riscv/phase_profile.hpp"
#include "arch/riscv/trap_frame.hpp"

/* Phase profiler mark (phase_profile.hpp), uses t0-t3; nothing unless the
   kernel is built with MYRIAD_PHASE_PROFILE. */
.macro PROF_MARK next
#ifdef MYRIAD_PHASE_PROFILE
    rdinstret t0
    lla     t1, prof_state
    ld      t2, 0(t1)
    sub     t0, t0, t2
    ld      t2, 8(t1)
    slli    t2, t2, 3
    add     t2, t2, t1
    ld      t3, 16(t2)
    add     t3, t3, t0
    sd      t3, 16(t2)
    ld      t3, 16 + 8 * PROF_PHASE_COUNT(t2)
    addi    t3, t3, 1
    sd      t3, 16 + 8 * PROF_PHASE_COUNT(t2)
    li      t2, \next
    sd      t2, 8(t1)
    rdinstret t0
    sd      t0, 0(t1)
#endif
.endm

.macro SAVE_GPRS base
    sd x1, TF_REG(1)(\base)
    sd x3, TF_REG(3)(\base)
    sd x4, TF_REG(4)(\base)
    sd x5, TF_REG(5)(\base)
    sd x6, TF_REG(6)(\base)
    sd x7, TF_REG(7)(\base)
    sd x8, TF_REG(8)(\base)
    sd x9, TF_REG(9)(\base)
    sd x10, TF_REG(10)(\base)
    sd x11, TF_REG(11)(\base)
    sd x12, TF_REG(12)(\base)
    sd x13, TF_REG(13)(\base)
    sd x14, TF_REG(14)(\base)
    sd x15, TF_REG(15)(\base)
    sd x16, TF_REG(16)(\base)
    sd x17, TF_REG(17)(\base)
    sd x18, TF_REG(18)(\base)
    sd x19, TF_REG(19)(\base)
    sd x20, TF_REG(20)(\base)
    sd x21, TF_REG(21)(\base)
    sd x22, TF_REG(22)(\base)
    sd x23, TF_REG(23)(\base)
    sd x24, TF_REG(24)(\base)
    sd x25, TF_REG(25)(\base)
    sd x26, TF_REG(26)(\base)
    sd x27, TF_REG(27)(\base)
    sd x28, TF_REG(28)(\base)
    sd x29, TF_REG(29)(\base)
    sd x30, TF_REG(30)(\base)
    sd x31, TF_REG(31)(\base)
.endm

/* The trap CSRs into the frame at \base (uses t0). */
.macro SAVE_TRAP_CSRS base
    csrr    t0, sepc
    sd      t0, TF_SEPC(\base)
    csrr    t0, sstatus
    sd      t0, TF_SSTATUS(\base)
    csrr    t0, scause
    sd      t0, TF_SCAUSE(\base)
    csrr    t0, stval
    sd      t0, TF_STVAL(\base)
.endm

/* Everything but x2 (sp) and x10 (a0): callers load those last, since
   one of them is the base register. */
.macro RESTORE_GPRS base
    ld x1, TF_REG(1)(\base)
    ld x3, TF_REG(3)(\base)
    ld x4, TF_REG(4)(\base)
    ld x5, TF_REG(5)(\base)
    ld x6, TF_REG(6)(\base)
    ld x7, TF_REG(7)(\base)
    ld x8, TF_REG(8)(\base)
    ld x9, TF_REG(9)(\base)
    ld x11, TF_REG(11)(\base)
    ld x12, TF_REG(12)(\base)
    ld x13, TF_REG(13)(\base)
    ld x14, TF_REG(14)(\base)
    ld x15, TF_REG(15)(\base)
    ld x16, TF_REG(16)(\base)
    ld x17, TF_REG(17)(\base)
    ld x18, TF_REG(18)(\base)
    ld x19, TF_REG(19)(\base)
    ld x20, TF_REG(20)(\base)
    ld x21, TF_REG(21)(\base)
    ld x22, TF_REG(22)(\base)
    ld x23, TF_REG(23)(\base)
    ld x24, TF_REG(24)(\base)
    ld x25, TF_REG(25)(\base)
    ld x26, TF_REG(26)(\base)
    ld x27, TF_REG(27)(\base)
    ld x28, TF_REG(28)(\base)
    ld x29, TF_REG(29)(\base)
    ld x30, TF_REG(30)(\base)
    ld x31, TF_REG(31)(\base)
.endm

    .section .text
    .balign 4
    .globl trap_entry
trap_entry:
    csrrw   sp, sscratch, sp
    bnez    sp, from_user
    csrrw   sp, sscratch, sp        /* from kernel: sp back, sscratch = 0 */
    /*
     * Would the frame land in a kernel stack's guard? (A trap taken on an
     * overflowed stack would fault again at once, forever.) t0 is
     * borrowed through sscratch, which must read 0 again afterwards.
     */
    csrw    sscratch, t0
    li      t0, MYRIAD_KSTACK_BASE + TF_SIZE
    sub     t0, sp, t0
    srli    t0, t0, 30
    bnez    t0, 1f                  /* not a process kernel stack */
    li      t0, MYRIAD_KSTACK_BASE + TF_SIZE
    sub     t0, sp, t0
    /* The slot's middle bit of the offset (memory_layout.hpp): 1 = the
       stack half, 0 = the guard. */
    slli    t0, t0, 63 - MYRIAD_KSTACK_STACK_SHIFT
    srli    t0, t0, 63
    beqz    t0, stack_overflow
1:  csrrw   t0, sscratch, zero
    addi    sp, sp, -TF_SIZE
    SAVE_GPRS sp
    addi    t0, sp, TF_SIZE
    sd      t0, TF_REG(2)(sp)       /* the interrupted sp */
    SAVE_TRAP_CSRS sp
    /* Backtraces continue into the interrupted code from the saved
       sepc and s0 in the frame (backtrace.cpp). */
    mv      a0, sp
    call    kernel_trap

    /* The handler may have slept (a fault on a user page waits for the
       address space's mutex) and woken on another hart: keep this hart's
       tp, not the one saved on entry. */
    sd      tp, TF_REG(4)(sp)
    ld      t0, TF_SEPC(sp)
    csrw    sepc, t0
    ld      t0, TF_SSTATUS(sp)
    csrw    sstatus, t0
    RESTORE_GPRS sp
    ld      a0, TF_REG(10)(sp)
    ld      sp, TF_REG(2)(sp)
    sret

from_user:
    /* sp = this process's TrapFrame; the user sp is in sscratch. */
    SAVE_GPRS sp
    csrrw   t0, sscratch, zero      /* the user sp; sscratch = 0: in the kernel now */
    sd      t0, TF_REG(2)(sp)
    csrr    t0, sstatus
    sd      t0, TF_SSTATUS(sp)
    csrr    t1, scause
    sd      t1, TF_SCAUSE(sp)
    csrr    t0, sepc
    mv      a0, sp
    ld      tp, TF_KERNEL_TP(a0)
    ld      sp, TF_KERNEL_SP(a0)
    mv      s0, zero                /* backtraces end at the user boundary */
    li      t2, 8                   /* environment call from U-mode */
    bne     t1, t2, 2f
    addi    t0, t0, 4               /* return past the ecall (never compressed) */
    sd      t0, TF_SEPC(a0)
    PROF_MARK 2                     /* Phase::Dispatch */
    call    on_syscall              /* does not return */
1:  j       1b
2:  sd      t0, TF_SEPC(a0)
    csrr    t0, stval
    sd      t0, TF_STVAL(a0)
    PROF_MARK 1                     /* Phase::TrapC */
    call    user_trap               /* does not return */
3:  j       3b

/*
 * user_return(TrapFrame* frame): leave the kernel for user mode with the
 * registers in frame. Called with interrupts off; sstatus in the frame has
 * SPP = 0 (user) and SPIE = 1 (interrupts on after sret).
 */
    .globl user_return
user_return:
    PROF_MARK PROF_PHASE_USER
    ld      t0, TF_SEPC(a0)
    csrw    sepc, t0
    ld      t0, TF_SSTATUS(a0)
    csrw    sstatus, t0
    csrw    sscratch, a0
    RESTORE_GPRS a0
    ld      sp, TF_REG(2)(a0)
    ld      a0, TF_REG(10)(a0)
    sret

/* The kernel stack overflowed: report it from a stack of its own. */
stack_overflow:
    lla     t0, emergency_stack_top - TF_SIZE
    sd      sp, TF_REG(2)(t0)       /* the overflowed sp, for the report */
    mv      sp, t0
    csrrw   t0, sscratch, zero
    SAVE_GPRS sp
    SAVE_TRAP_CSRS sp
    mv      a0, sp
    call    kernel_stack_overflow   /* does not return */
2:  j       2b

    .section .bss
    .balign 16
emergency_stack:
    .skip   8192
emergency_stack_top:

/* call_on_stack(void (*fn)(), u64 stack_top): run fn on another stack
   (the stack-overflow test uses a process kernel stack). */
    .section .text
    .globl call_on_stack
call_on_stack:
    mv      t0, sp
    mv      sp, a1
    addi    sp, sp, -16
    sd      t0, 0(sp)
    sd      ra, 8(sp)
    jalr    a0
    ld      ra, 8(sp)
    ld      sp, 0(sp)
    ret
