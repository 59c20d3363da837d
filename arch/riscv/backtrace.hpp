// Stack walking by frame pointer and symbolization from the embedded
// symbol table (ksyms, generated at link time).
#pragma once

#include "lib/types.hpp"

namespace arch::riscv {

struct Symbol {
    const char* name; // nullptr when unknown
    u64 offset;
};
Symbol symbolize(u64 pc);

// Print "  #N 0x... name+0x..." lines for pc, then the frames reachable
// from fp. Every read is a probe: a corrupt chain ends the walk, not the
// kernel. Writes through the unlocked console (panic path).
void print_backtrace(u64 pc, u64 fp);
// For a trap: pc = sepc, plus the interrupted ra. GCC may restore the
// caller's fp before a leaf function's last instructions, so the leaf's
// caller is only in ra; it is printed when it is not the faulting function
// itself (a stale ra from an earlier call) and not already the first frame.
void print_trap_backtrace(u64 pc, u64 ra, u64 fp);

} // namespace arch::riscv
