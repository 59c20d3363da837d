// execve: replace a process's program with a static ELF executable from
// the boot files, with argv/envp/auxv on a new stack exactly as Linux lays
// them out. Everything is validated and built first; the old image is
// dropped only once the new one is complete, so a failed exec leaves the
// caller untouched.
#pragma once

#include "kernel/process/process.hpp"
#include "lib/string_view.hpp"

namespace kernel {

// argv then envp strings, each NUL-terminated, in one kernel buffer.
struct ExecArgs {
    char* strings = nullptr;
    usize length = 0;
    usize capacity = 0;
    u32 argc = 0, envc = 0;

    Result<void> append(const char* s, usize n); // n excludes the NUL
    void release();
};

// Linux's limits (include/uapi/linux/binfmts.h, fs/exec.c): one string at
// most 32 pages, all of them with their pointers at most a quarter of the
// 8 MiB stack limit.
inline constexpr usize MAX_ARG_STRLEN = 32 * 4096;
inline constexpr usize MAX_ARG_TOTAL = (8u << 20) / 4;

// Copy argv and envp (user arrays of user strings) into args.
Result<void> collect_user_args(u64 user_argv, u64 user_envp, ExecArgs& args);

Result<void> exec_into(Process& p, lib::StringView path, const ExecArgs& args);

} // namespace kernel
