// What the two halves of core dumping share: coredump.cpp ends the
// threads and gathers their registers, coredump_file.cpp writes the file.
#pragma once

#include "kernel/process/coredump.hpp"

namespace kernel {

// The registers of one thread, as the notes hold them.
struct CoreThread {
    Pid tid;
    u64 sigpend, sighold;
    u64 gregs[arch::CORE_GREGS];
    u8 fpregs[arch::CORE_FPREGS_SIZE];
    bool fp_used;
};
struct CoreDump {
    CoreThread* threads;
    u32 capacity, count;
};

// Writes p's core (the calling thread is p's last); true when the file
// was made and its header written (a core truncated by RLIMIT_CORE or a
// full filesystem still counts, as on Linux, whose shell then says "core
// dumped"). No lock held.
bool write_core(Process& p, const CoreDump& dump, const FatalSignal& signal);

} // namespace kernel
