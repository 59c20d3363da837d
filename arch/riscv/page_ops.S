/*
 * Zeroing and copying whole pages: aligned, a multiple of 256 bytes, so
 * no alignment prologue or byte tail, and 32 doublewords an iteration
 * (memset's 64-byte loop spends a fifth of its instructions on the loop).
 * A page is 512 stores plus 48 instructions of loop.
 */
    .section .text

    .globl zero_page
zero_page:                      /* (void* a0, 4 KiB aligned) */
    li      t0, 4096
    add     t0, a0, t0
1:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd      zero, (\n * 8)(a0)
    .endr
    addi    a0, a0, 256
    bne     a0, t0, 1b
    ret

    .globl copy_page
copy_page:                      /* (void* a0, const void* a1; both 4 KiB aligned) */
    li      t0, 4096
    add     t0, a0, t0
1:
    .irp n, 0,8,16,24
    ld      a2, ((\n + 0) * 8)(a1)
    ld      a3, ((\n + 1) * 8)(a1)
    ld      a4, ((\n + 2) * 8)(a1)
    ld      a5, ((\n + 3) * 8)(a1)
    ld      a6, ((\n + 4) * 8)(a1)
    ld      a7, ((\n + 5) * 8)(a1)
    ld      t1, ((\n + 6) * 8)(a1)
    ld      t2, ((\n + 7) * 8)(a1)
    sd      a2, ((\n + 0) * 8)(a0)
    sd      a3, ((\n + 1) * 8)(a0)
    sd      a4, ((\n + 2) * 8)(a0)
    sd      a5, ((\n + 3) * 8)(a0)
    sd      a6, ((\n + 4) * 8)(a0)
    sd      a7, ((\n + 5) * 8)(a0)
    sd      t1, ((\n + 6) * 8)(a0)
    sd      t2, ((\n + 7) * 8)(a0)
    .endr
    addi    a0, a0, 256
    addi    a1, a1, 256
    bne     a0, t0, 1b
    ret
