// panic() and VERIFY(): for broken kernel invariants only, never for
// anything a user program or a device tree can cause.
#pragma once

#include "lib/types.hpp"

namespace kernel {

[[noreturn]] void panic_message(const char* file, int line, const char* message);
// For custom reports (the trap handler's): begin stops other output paths
// and guards against recursion; end prints the footer and powers off.
void panic_begin();
[[noreturn]] void panic_end();

} // namespace kernel

#define PANIC(msg) ::kernel::panic_message(__FILE__, __LINE__, msg)
#define VERIFY(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) [[unlikely]]                                                                  \
            ::kernel::panic_message(__FILE__, __LINE__, "VERIFY(" #cond ") failed");             \
    } while (0)
