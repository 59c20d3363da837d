/* The program a new user writes first, built the way the cross compiler
 * builds it by default: `riscv64-linux-gnu-gcc hello.c -o hello`, a
 * dynamically linked PIE that the kernel starts through glibc's loader
 * (PT_INTERP, /lib/ld-linux-riscv64-lp64d.so.1). */
#include <stdio.h>

int main(int argc, char** argv)
{
    printf("Hello from a dynamically linked program: %s, %d argument(s)\n", argv[0], argc - 1);
    return 0;
}
