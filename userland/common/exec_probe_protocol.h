// What usertests passes to /bin/exec_probe and what exec_probe expects to
// find, in one place, so that both sides agree. exec_probe checks what it
// received and answers through its exit status (there are no pipes or
// files to report through yet):
//   exec_probe exit N        exits with status N
//   exec_probe no-timer ID   POSIX timer ID must not exist (exec deleted it)
//   exec_probe argv-envp     argv and environ must be exactly
//                            expected_argv() and expected_envp()
//   exec_probe auxv          the auxiliary vector and a fresh image
//   exec_probe big N LEN A.. N arguments of LEN bytes each, argument i
//                            made of the letter 'a' + i % 26
// Exit status 0 means every check passed; on a failure it prints a KTAP
// diagnostic ("# exec_probe: ...") on stderr and exits with 1.
#pragma once

#include <string>
#include <vector>

namespace exec_probe {

constexpr int k_mismatch = 1;

// Longer than a page, so the kernel's copy crosses page boundaries.
inline std::string long_string(char letter)
{
    std::string s(5000, letter);
    s.back() = '!';
    return s;
}

// Empty strings, blanks and non-ASCII bytes must all arrive intact.
inline std::vector<std::string> expected_argv()
{
    return {"exec_probe", "argv-envp", "", "two words", "tab\there", "\xc3\xbcnicode", long_string('x')};
}

inline std::vector<std::string> expected_envp()
{
    return {"MYRIAD_PROBE=1", "EMPTY=", "", "PATH=/bin:/sbin", "LONG=" + long_string('y')};
}

inline std::string big_argument(int index, int length)
{
    return std::string(size_t(length), char('a' + index % 26));
}

} // namespace exec_probe
