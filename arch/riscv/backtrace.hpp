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

} // namespace arch::riscv
