// Checks compiled into the test build of the kernel only (MYRIAD_HARDENING,
// cmake/kernel.cmake): the hooks that run after every system call and
// user fault (mm_check, the per-call kernel stack depth) cost a production
// kernel nothing, not even a branch.
#pragma once

namespace kernel {

#ifdef MYRIAD_HARDENING
inline constexpr bool TEST_BUILD = true;
#else
inline constexpr bool TEST_BUILD = false;
#endif

} // namespace kernel
