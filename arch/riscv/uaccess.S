/*
 * User-memory copies with fault recovery. Every load and store that touches
 * user memory is listed in __ex_table; a fault the kernel cannot serve
 * resumes at uaccess_fault. sstatus.SUM (permit supervisor access to user
 * pages, priv spec 4.1.1.2) is set only between the csrs/csrc pairs here.
 *
 *   u64 uaccess_copy(void* dst, const void* src, u64 n): 0, or the number
 *       of bytes not copied when a fault stopped it.
 *   i64 uaccess_strncpy(char* dst, const char* user_src, u64 capacity):
 *       the string length, -1 on a fault, or capacity if no NUL fits.
 */
#define SSTATUS_SUM (1 << 18)

.macro UACCESS insn:vararg
9999: \insn
    .pushsection __ex_table, "a"
    .balign 8
    .dword 9999b, uaccess_fault
    .popsection
.endm

.macro UACCESS_S insn:vararg
9998: \insn
    .pushsection __ex_table, "a"
    .balign 8
    .dword 9998b, strncpy_fault
    .popsection
.endm

    .section .text
    .globl uaccess_copy
uaccess_copy:
    li      t6, SSTATUS_SUM
    csrs    sstatus, t6
    or      t0, a0, a1
    andi    t0, t0, 7
    bnez    t0, 2f
    li      t1, 8
1:  bltu    a2, t1, 2f              /* both aligned: 8 bytes at a time */
    UACCESS ld t2, 0(a1)
    UACCESS sd t2, 0(a0)
    addi    a0, a0, 8
    addi    a1, a1, 8
    addi    a2, a2, -8
    j       1b
2:  beqz    a2, 3f
    UACCESS lbu t2, 0(a1)
    UACCESS sb t2, 0(a0)
    addi    a0, a0, 1
    addi    a1, a1, 1
    addi    a2, a2, -1
    j       2b
3:  csrc    sstatus, t6
    li      a0, 0
    ret

uaccess_fault:                      /* a2 = bytes left (> 0) */
    li      t6, SSTATUS_SUM
    csrc    sstatus, t6
    mv      a0, a2
    ret

    .globl uaccess_strncpy
uaccess_strncpy:
    li      t6, SSTATUS_SUM
    csrs    sstatus, t6
    li      t0, 0                   /* length so far */
1:  beq     t0, a2, 3f
    add     t1, a1, t0
    UACCESS_S lbu t2, 0(t1)
    add     t3, a0, t0
    sb      t2, 0(t3)
    beqz    t2, 2f
    addi    t0, t0, 1
    j       1b
2:  csrc    sstatus, t6
    mv      a0, t0
    ret
3:  csrc    sstatus, t6
    mv      a0, a2
    ret

strncpy_fault:
    li      t6, SSTATUS_SUM
    csrc    sstatus, t6
    li      a0, -1
    ret

/*
 *   i64 uaccess_cmpxchg32(u32* user_word, u32 expected, u32 desired,
 *       u32* old): compare-and-swap of an aligned user word (lr.w/sc.w,
 *       sequentially consistent); *old is the value found. 0, or -1 on a
 *       fault. A fault served in the middle only loses the reservation.
 */
.macro UACCESS_X insn:vararg
9997: \insn
    .pushsection __ex_table, "a"
    .balign 8
    .dword 9997b, cmpxchg_fault
    .popsection
.endm

    .globl uaccess_cmpxchg32
uaccess_cmpxchg32:
    li      t6, SSTATUS_SUM
    csrs    sstatus, t6
    sext.w  a1, a1                  /* lr.w sign-extends: compare alike */
1:  UACCESS_X lr.w.aqrl t0, (a0)
    bne     t0, a1, 2f
    UACCESS_X sc.w.rl t1, a2, (a0)
    bnez    t1, 1b
2:  csrc    sstatus, t6
    sw      t0, 0(a3)
    li      a0, 0
    ret

cmpxchg_fault:
    li      t6, SSTATUS_SUM
    csrc    sstatus, t6
    li      a0, -1
    ret
