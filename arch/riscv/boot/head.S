/*
 * Kernel entry. The image starts with the Linux RISC-V image header
 * (Documentation/riscv/boot-image-header.rst) so QEMU -kernel and U-Boot
 * booti both load it. Firmware (OpenSBI) jumps here in S-mode with the MMU
 * off, a0 = this hart's id, a1 = physical address of the device tree, at
 * whatever 2 MiB-aligned address it loaded us. Everything until the jump
 * high is position-independent (medany code is PC-relative).
 *
 * Steps: pick one hart (others park), zero .bss, build the early page table
 * in C++ (early_mmu.cpp) running at the physical address, turn on Sv39 and
 * land at the link address through a deliberate fetch fault on stvec, then
 * call kernel_main(hart_id, dtb_pa, load_pa).
 */
#include "arch/riscv/asm.h"

    .section .head.text, "ax"
    .globl _start
_start:
    /* code0/code1: a jump over the header (8 bytes). The jump must be the
       4-byte encoding: a compressed c.j would shift every field below. */
    .option push
    .option norvc
    j       primary_entry
    .option pop
    .word   0
    /* text_offset: where in RAM the image wants to sit (Linux uses 2 MiB). */
    .dword  0x200000
    /* image_size: everything the kernel occupies, .bss included. */
    .dword  __kernel_image_size
    /* flags: bit 0 = 0 little endian. */
    .dword  0
    /* version 0.2: major << 16 | minor. */
    .word   0x00000002
    .word   0
    .dword  0
    /* magic (deprecated) and magic2 "RSC\x05". */
    .ascii  "RISCV\0\0\0"
    .ascii  "RSC\x05"
    .word   0

primary_entry:
    /* No interrupts until the kernel says so; nothing in sscratch. */
    csrw    sie, zero
    csrw    sscratch, zero

    /* One hart boots; firmware without HSM may send them all here. */
    lla     t0, boot_lottery
    li      t1, 1
    amoadd.w t1, t1, (t0)
    bnez    t1, park

    mv      s0, a0                  /* hart id */
    mv      s1, a1                  /* device tree (physical) */
    lla     s2, _start              /* where firmware loaded us */

    lla     sp, boot_stack_top

    /* Zero .bss (addresses are PC-relative, so physical here). */
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    mv      a0, s2
    mv      a1, s1
    call    early_mmu_setup         /* returns the satp value in a0 */
    beqz    a0, park                /* image larger than the early tables */

    /*
     * Jump high: point stvec at the virtual address of 3f, then enable
     * translation. The next fetch (at a physical address, now unmapped)
     * faults and the trap lands at 3f in the upper half.
     */
    lla     t0, 3f
    sub     t0, t0, s2
    li      t1, KERNEL_VIRT_BASE
    add     t0, t0, t1
    csrw    stvec, t0
    sfence.vma
    csrw    satp, a0
    sfence.vma
    .balign 4
3:
    /* Running at the link address now; reload PC-relative addresses. */
    lla     sp, boot_stack_top
    lla     t0, trap_entry
    csrw    stvec, t0
    mv      a0, s0
    mv      a1, s1
    mv      a2, s2
    call    kernel_main
    /* kernel_main never returns. */
park:
    wfi
    j       park

    .section .data
    .balign 4
boot_lottery:
    .word   0

    .section .bss
    .balign 16
    .globl boot_stack, boot_stack_top
boot_stack:
    .skip   16384
boot_stack_top:

/*
 * A secondary hart, started by SBI HSM hart_start (kernel/smp.cpp through
 * arch/riscv/smp.cpp): S-mode, MMU off, a0 = its hart id, a1 = the
 * physical address of its HartStart block {satp, virtual - physical
 * offset of the image, stack top, Hart*}. Same jump-high trick as the
 * boot hart, then secondary_hart_entry(Hart*) in C++.
 */
    .section .text
    .globl secondary_entry
    .balign 4
secondary_entry:
    csrw    sie, zero
    csrw    sscratch, zero
    ld      t2, 0(a1)               /* satp: the kernel's table */
    ld      t3, 8(a1)               /* KERNEL_VIRT_BASE - load address */
    ld      sp, 16(a1)
    ld      tp, 24(a1)
    lla     t0, 5f
    add     t0, t0, t3
    csrw    stvec, t0
    sfence.vma
    csrw    satp, t2
    sfence.vma
    .balign 4
5:
    lla     t0, trap_entry
    csrw    stvec, t0
    mv      a0, tp
    call    secondary_hart_entry
6:  wfi
    j       6b
