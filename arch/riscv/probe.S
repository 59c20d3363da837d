/*
 * Memory probes that survive a fault, through the exception table
 * (ex_table.hpp). Each returns 1 in a0 on success, 0 if the access trapped.
 */
.macro EX_ENTRY insn, fixup
    .pushsection __ex_table, "a"
    .balign 8
    .dword \insn, \fixup
    .popsection
.endm

    .section .text
    .globl probe_read_u64
probe_read_u64:            /* (const u64* address, u64* value) */
1:  ld      t0, 0(a0)
    sd      t0, 0(a1)
    li      a0, 1
    ret
    EX_ENTRY 1b, probe_failed

    .globl probe_read_u8
probe_read_u8:             /* (const u8* address, u8* value) */
2:  lbu     t0, 0(a0)
    sb      t0, 0(a1)
    li      a0, 1
    ret
    EX_ENTRY 2b, probe_failed

    .globl probe_write_u64
probe_write_u64:           /* (u64* address, u64 value) */
3:  sd      a1, 0(a0)
    li      a0, 1
    ret
    EX_ENTRY 3b, probe_failed

probe_failed:
    li      a0, 0
    ret

    /* bool probe_write_stimecmp(u64): an illegal-instruction trap means
       the Sstc extension is absent or not enabled for S-mode by firmware
       (menvcfg.STCE, priv spec 3.1.18). CSR 0x14d is stimecmp. */
    .globl probe_write_stimecmp
probe_write_stimecmp:
4:  csrw    0x14d, a0
    li      a0, 1
    ret
    EX_ENTRY 4b, probe_failed
