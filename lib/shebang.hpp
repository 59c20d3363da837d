// The "#!" line of an interpreter script, read as Linux's binfmt_script
// (fs/binfmt_script.c, load_script) reads it: only the first
// k_buffer_size bytes of the file count, and the bytes past a short file
// read as NUL. The caller (execve) runs interpreter [argument] path args...
#pragma once

#include "lib/result.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib::shebang {

// BINPRM_BUF_SIZE (include/linux/binfmts.h): what exec reads of a file
// before choosing a format.
inline constexpr usize k_buffer_size = 256;

struct Line {
    // Up to the first space, tab or NUL; never contains one. Empty only when
    // a NUL follows "#!" and blanks directly: Linux then opens "", which
    // fails with EACCES.
    StringView interpreter;
    // The rest of the line, leading blanks skipped, inner blanks kept, cut
    // at a NUL; trailing blanks go only when a newline ends the line (else
    // the NULs after a short file stop the trimming, so "#!/bin/sh -x "
    // without a newline passes "-x ", and "#!/bin/sh " passes "").
    // has_argument false when nothing follows the interpreter.
    StringView argument;
    bool has_argument = false;
};

// The file starts with "#!".
bool is_script(const void* data, usize size);

// Parses the #! line of a file of size bytes at data (views point into
// data). ENOEXEC, with a message, when it is not a script, when the line
// holds no interpreter, or when no newline ends it within the buffer and
// the interpreter name may have been cut off there. Never reads past
// min(size, k_buffer_size) bytes.
Result<Line> parse(const void* data, usize size);

} // namespace lib::shebang
