// The kernel monitor: a tiny line-oriented console that runs on the boot
// hart once boot is done, until processes and a shell exist (issue 3
// replaces it with init). It proves the console input path (UART receive
// interrupt -> PLIC -> input buffer) and lets a person poke the kernel.
#pragma once

namespace kernel {

[[noreturn]] void monitor_run();

} // namespace kernel
