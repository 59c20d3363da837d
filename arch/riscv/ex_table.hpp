// Exception fixups: a table of (faulting instruction, resume address)
// pairs in section __ex_table. When a synchronous exception hits a listed
// kernel instruction, the trap handler resumes at the fixup instead of
// panicking. The user-copy routines and the probes in probe.S use it.
#pragma once

#include "lib/types.hpp"

namespace arch::riscv {

struct ExTableEntry {
    u64 insn;
    u64 fixup;
};

// The resume address for a fault at pc, or 0 when pc is not listed.
u64 find_fixup(u64 pc);

// Read or write memory that may fault (bad pointer, unmapped page, illegal
// CSR...). false means the access trapped and was recovered.
extern "C" bool probe_read_u64(const volatile u64* address, u64* value);
extern "C" bool probe_write_u64(volatile u64* address, u64 value);
extern "C" bool probe_read_u8(const volatile u8* address, u8* value);

} // namespace arch::riscv
