// The kernel monitor: a tiny line-oriented console that the boot hart
// falls back to when init cannot be started (a missing or broken
// /sbin/init). It needs only the console input path (UART receive
// interrupt -> PLIC -> input buffer) and lets a person poke the kernel.
#pragma once

namespace kernel {

[[noreturn]] void monitor_run();

} // namespace kernel
