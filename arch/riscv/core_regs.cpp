// The register notes of an ELF core file as Linux's riscv64 writes them
// (arch/riscv/include/uapi/asm/ptrace.h): NT_PRSTATUS's elf_gregset_t is
// user_regs_struct, the pc then x1-x31 by number; NT_PRFPREG is
// __riscv_d_ext_state, f0-f31 then a 32-bit fcsr, padded to 8 bytes.
#include "arch/arch.hpp"

namespace arch {

void core_gregs(const TrapFrame& f, u64 (&out)[CORE_GREGS])
{
    out[0] = f.sepc;
    for (usize i = 1; i < CORE_GREGS; ++i)
        out[i] = f.regs[i];
}

void core_fpregs(const FpState& fp, u8 (&out)[CORE_FPREGS_SIZE])
{
    __builtin_memset(out, 0, sizeof(out));
    __builtin_memcpy(out, fp.f, sizeof(fp.f));
    u32 fcsr = u32(fp.fcsr);
    __builtin_memcpy(out + sizeof(fp.f), &fcsr, sizeof(fcsr));
}

} // namespace arch
