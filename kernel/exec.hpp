// execve: replace a process's program with a static ELF executable from
// the boot files, with argv/envp/auxv on a new stack exactly as Linux lays
// them out. Everything is validated and built first; the old image is
// dropped only once the new one is complete, so a failed exec leaves the
// caller untouched.
#pragma once

#include "kernel/process/process.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace kernel {

// Linux's limits (include/uapi/linux/binfmts.h, fs/exec.c): one string at
// most 32 pages; all of them at most exec_arg_limit() of the caller's
// RLIMIT_STACK, less one pointer per string.
inline constexpr usize MAX_ARG_STRLEN = 32 * 4096;
inline constexpr usize ARG_MAX = 32 * 4096;       // the least exec_arg_limit() gives
inline constexpr usize STK_LIM = 8u << 20;        // _STK_LIM: the default RLIMIT_STACK
inline constexpr usize MAX_ARG_TOTAL = STK_LIM / 4; // exec_arg_limit(STK_LIM)
inline constexpr u64 MAX_ARG_STRINGS = 0x7fffffff;

// Bytes argv, envp and their pointers may take (fs/exec.c
// bprm_stack_limits): a quarter of the stack limit, at most 3/4 of _STK_LIM,
// at least ARG_MAX.
constexpr usize exec_arg_limit(u64 stack_rlimit)
{
    u64 limit = lib::min<u64>(STK_LIM / 4 * 3, stack_rlimit / 4);
    return usize(lib::max<u64>(limit, ARG_MAX));
}

// argv then envp strings, each NUL-terminated, in order. They are kept in
// chunks of at most k_chunk_max bytes (kmalloc's largest block is 4 MiB,
// and Linux allows 6 MiB of strings), no string split between two; the
// last chunk doubles from a page as it fills, so a small exec stays one
// small allocation.
struct ExecArgs {
    static constexpr usize k_chunk_max = 1u << 20;
    // A full chunk holds more than k_chunk_max - MAX_ARG_STRLEN bytes, so
    // 6 MiB of strings fit in 8 of them.
    static constexpr usize k_max_chunks = 8;
    struct Chunk {
        char* data = nullptr;
        usize used = 0;
        usize capacity = 0;
    };
    Chunk chunks[k_max_chunks];
    usize chunk_count = 0;
    usize length = 0; // bytes of all strings, NULs included
    u32 argc = 0, envc = 0;
    // Bytes the strings may take, NULs included (the pointers are
    // reserved already).
    usize limit = MAX_ARG_TOTAL - 8 * 64;

    Result<void> append(const char* s, usize n); // n excludes the NUL
    void release();
    // Calls f(index, string, length) for every string in order (argv, then
    // envp) until f returns false.
    template <typename F> void for_each_string(F f) const
    {
        u32 index = 0;
        for (usize c = 0; c < chunk_count; ++c)
            for (usize at = 0; at < chunks[c].used;) {
                const char* s = chunks[c].data + at;
                usize n = lib::cstring_length(s);
                if (!f(index++, s, n))
                    return;
                at += n + 1;
            }
    }
};

// Copy argv and envp (user arrays of user strings) into args, as Linux's
// do_execveat_common: count both vectors (EFAULT when one cannot be read),
// take the limit from the caller's RLIMIT_STACK (E2BIG when the pointers
// alone exceed it), then copy the strings (E2BIG past the limit or for one
// longer than MAX_ARG_STRLEN, EFAULT for a bad string pointer).
Result<void> collect_user_args(u64 user_argv, u64 user_envp, ExecArgs& args);

Result<void> exec_into(Thread& t, lib::StringView path, const ExecArgs& args);

} // namespace kernel
