// "#!" parsing, step for step as Linux's load_script() (fs/binfmt_script.c,
// v5.1 and later) over its 256-byte buffer: positions are indexes into
// that buffer, and a byte past the end of the file reads as NUL, as the
// zero-filled buffer holds it.
#include "lib/shebang.hpp"

namespace lib::shebang {

namespace {

// The buffer load_script() sees: the file's first bytes, then NULs.
class Buffer {
public:
    Buffer(const u8* data, usize size) : m_data(data), m_size(size < k_buffer_size ? size : k_buffer_size) {}
    u8 operator[](usize i) const { return i < m_size ? m_data[i] : 0; }

private:
    const u8* m_data;
    usize m_size;
};

constexpr usize k_none = ~usize(0);
constexpr usize k_last = k_buffer_size - 1; // buf_end: the last byte is never part of the line

bool is_space_tab(u8 c) { return c == ' ' || c == '\t'; }

// next_non_spacetab / next_terminator: the first index in [first, last]
// (inclusive, as Linux's helpers) whose byte matches, or k_none.
usize next_non_space_tab(const Buffer& b, usize first, usize last)
{
    for (; first <= last; ++first)
        if (!is_space_tab(b[first]))
            return first;
    return k_none;
}

usize next_terminator(const Buffer& b, usize first, usize last)
{
    for (; first <= last; ++first)
        if (is_space_tab(b[first]) || b[first] == 0)
            return first;
    return k_none;
}

Error no_exec(const char* what) { return make_error(Errno::enoexec, what); }

} // namespace

bool is_script(const void* data, usize size)
{
    auto p = static_cast<const u8*>(data);
    return size >= 2 && p[0] == '#' && p[1] == '!';
}

Result<Line> parse(const void* data, usize size)
{
    if (!is_script(data, size))
        return no_exec("not a #! script");
    auto p = static_cast<const u8*>(data);
    Buffer b(p, size);

    // The line ends at the first newline in the buffer; without one, the
    // whole buffer is the line, unless the interpreter name runs to its
    // end (it may have been cut off).
    usize end = k_none;
    for (usize i = 0; i < k_buffer_size; ++i) {
        if (b[i] == '\n') {
            end = i;
            break;
        }
    }
    if (end == k_none) {
        usize first = next_non_space_tab(b, 2, k_last);
        if (first == k_none)
            return no_exec("#! line holds nothing but blanks");
        if (next_terminator(b, first, k_last) == k_none)
            return no_exec("#! interpreter name longer than the 256-byte buffer");
        end = k_last;
    }
    while (is_space_tab(b[end - 1]))
        --end; // stops at the '!' at the latest

    usize name = next_non_space_tab(b, 2, end);
    if (name == k_none || name == end)
        return no_exec("#! line names no interpreter");
    // Linux writes a NUL at end and at the separator; each string then ends
    // at its first NUL.
    usize separator = next_terminator(b, name, end);
    Line line;
    usize name_end = separator != k_none ? separator : end;
    line.interpreter = StringView(reinterpret_cast<const char*>(p + name), name_end - name);
    if (separator != k_none && b[separator] != 0) {
        usize arg = next_non_space_tab(b, separator, end);
        if (arg != k_none && arg != end) {
            usize arg_end = arg;
            while (arg_end < end && b[arg_end] != 0)
                ++arg_end;
            line.argument = StringView(reinterpret_cast<const char*>(p + arg), arg_end - arg);
            line.has_argument = true;
        }
    }
    return line;
}

} // namespace lib::shebang
