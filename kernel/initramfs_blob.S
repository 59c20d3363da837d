/* The built-in initramfs: the userland build's cpio (newc) archive, linked
   into .rodata. initramfs_start/initramfs_end bound it. */
    .section .rodata.initramfs, "a"
    .balign 8
    .globl initramfs_start, initramfs_end
initramfs_start:
    .incbin MYRIAD_INITRAMFS_PATH
initramfs_end:
    .balign 8
