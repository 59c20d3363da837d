/* The empty symbol table of link pass 1 (see cmake/kernel.cmake). */
    .section .ksyms, "a"
    .balign 8
    .globl ksyms_count, ksyms_addresses, ksyms_name_offsets, ksyms_names
ksyms_count:
    .dword 0
ksyms_addresses:
ksyms_name_offsets:
ksyms_names:
    .byte 0
