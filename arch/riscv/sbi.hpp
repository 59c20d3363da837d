// Calls into the Supervisor Binary Interface (RISC-V SBI spec v2.0):
// ecall with the extension id in a7, the function id in a6.
#pragma once

#include "lib/types.hpp"

namespace arch::riscv::sbi {

struct Return {
    i64 error; // SBI_SUCCESS = 0, negative on failure (spec 3.2)
    i64 value;
};

// Extension ids (spec chapter 3-10).
inline constexpr u64 EXT_LEGACY_PUTCHAR = 0x01;
inline constexpr u64 EXT_LEGACY_GETCHAR = 0x02;
inline constexpr u64 EXT_LEGACY_SHUTDOWN = 0x08;
inline constexpr u64 EXT_BASE = 0x10;
inline constexpr u64 EXT_TIME = 0x54494D45;  // "TIME"
inline constexpr u64 EXT_HSM = 0x48534D;     // "HSM"
inline constexpr u64 EXT_SRST = 0x53525354;  // "SRST"
inline constexpr u64 EXT_IPI = 0x735049;     // "sPI"
inline constexpr u64 EXT_RFENCE = 0x52464E43; // "RFNC"

Return call(u64 ext, u64 fid, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0, u64 a4 = 0);

struct Info {
    u32 spec_major = 0, spec_minor = 0;
    u64 impl_id = 0, impl_version = 0;
    bool has_time = false, has_srst = false, has_hsm = false, has_ipi = false, has_rfence = false;
};
// Read once at boot (base extension, spec chapter 4).
const Info& info();
void probe();
const char* implementation_name(u64 impl_id);

void set_timer(u64 when);
void console_putchar(char c);
[[noreturn]] void shutdown(int status);

} // namespace arch::riscv::sbi
