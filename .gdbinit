# Attach to `./myriad debug` (QEMU's GDB stub on :1234) with kernel symbols.
set architecture riscv:rv64
file build/kernel/kernel.elf
target remote localhost:1234
