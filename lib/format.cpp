// The formatter's engine: parses format strings and specs, renders each
// type-erased argument, and pads it. Every template in format.hpp ends here.
#include "lib/format.hpp"

namespace lib {

namespace {

constexpr char k_missing_argument[] = "{?}";
constexpr char k_bad_spec[] = "{!}";

void write_text(FormatSink& sink, const char* s, usize n)
{
    if (n > 0)
        sink.write(s, n);
}

void write_literal(FormatSink& sink, const char* s) { write_text(sink, s, cstring_length(s)); }

void write_bad_spec(FormatSink& sink) { write_text(sink, k_bad_spec, sizeof(k_bad_spec) - 1); }

// Writes count copies of c in chunks, so a wide pad is a few sink calls, not one per byte.
void write_repeated(FormatSink& sink, char c, usize count)
{
    char chunk[16];
    for (char& slot : chunk)
        slot = c;
    while (count > 0) {
        usize n = min(count, sizeof(chunk));
        sink.write(chunk, n);
        count -= n;
    }
}

// Fill bytes before and after content; zero padding is the caller's business.
struct Padding {
    usize before;
    usize after;
};

Padding padding_for(const FormatSpec& spec, usize content_length, FormatAlign default_align)
{
    if (spec.width <= content_length)
        return {0, 0};
    usize pad = spec.width - content_length;
    FormatAlign align = spec.align == FormatAlign::Default ? default_align : spec.align;
    switch (align) {
    case FormatAlign::Left:
        return {0, pad};
    case FormatAlign::Center:
        return {pad / 2, pad - pad / 2};
    default:
        return {pad, 0};
    }
}

void write_padded_text(FormatSink& sink, const FormatSpec& spec, const char* s, usize n)
{
    Padding pad = padding_for(spec, n, FormatAlign::Left);
    write_repeated(sink, spec.fill, pad.before);
    write_text(sink, s, n);
    write_repeated(sink, spec.fill, pad.after);
}

// Text presentations reject the number-only flags, as std::format does.
bool text_spec_ok(const FormatSpec& spec) { return !spec.alternate && !spec.zero_pad; }

void format_text(FormatSink& sink, const FormatSpec& spec, const char* s, usize n)
{
    if (!text_spec_ok(spec) || (spec.type != '\0' && spec.type != 's')) {
        write_bad_spec(sink);
        return;
    }
    if (spec.has_precision)
        n = min<usize>(n, spec.precision);
    write_padded_text(sink, spec, s, n);
}

void format_cstring(FormatSink& sink, const FormatSpec& spec, const char* s)
{
    if (s == nullptr) {
        format_text(sink, spec, "(null)", 6);
        return;
    }
    // Never look further than the precision allows: the string may be
    // unterminated garbage that the caller only wants a prefix of.
    usize limit = spec.has_precision ? spec.precision : ~usize(0);
    usize n = 0;
    while (n < limit && s[n] != '\0')
        ++n;
    format_text(sink, spec, s, n);
}

void format_char(FormatSink& sink, const FormatSpec& spec, char c)
{
    if (!text_spec_ok(spec) || spec.has_precision) {
        write_bad_spec(sink);
        return;
    }
    write_padded_text(sink, spec, &c, 1);
}

// Renders magnitude in the spec's base and writes sign, prefix, zeros, digits.
void format_integer(FormatSink& sink, const FormatSpec& spec, u64 magnitude, bool negative)
{
    if (spec.has_precision) {
        write_bad_spec(sink);
        return;
    }
    if (spec.type == 'c') {
        // Accept what a char can hold, signed or unsigned.
        bool fits = negative ? magnitude <= 128 : magnitude <= 255;
        if (!fits || spec.alternate || spec.zero_pad) {
            write_bad_spec(sink);
            return;
        }
        char c = static_cast<char>(negative ? -static_cast<i64>(magnitude) : static_cast<i64>(magnitude));
        write_padded_text(sink, spec, &c, 1);
        return;
    }

    u32 base = 10;
    const char* prefix = "";
    const char* digit_chars = "0123456789abcdef";
    switch (spec.type) {
    case '\0':
    case 'd':
        break;
    case 'x':
        base = 16;
        prefix = "0x";
        break;
    case 'X':
        base = 16;
        prefix = "0X";
        digit_chars = "0123456789ABCDEF";
        break;
    case 'o':
        base = 8;
        prefix = "0o";
        break;
    case 'b':
        base = 2;
        prefix = "0b";
        break;
    default:
        write_bad_spec(sink);
        return;
    }
    if (!spec.alternate)
        prefix = "";

    char digits[64]; // u64 in base 2 is the longest
    usize start = sizeof(digits);
    do {
        digits[--start] = digit_chars[magnitude % base];
        magnitude /= base;
    } while (magnitude != 0);
    usize digit_count = sizeof(digits) - start;
    usize prefix_length = cstring_length(prefix);
    usize content = (negative ? 1 : 0) + prefix_length + digit_count;

    // '0' only applies without an explicit alignment (std::format's rule).
    bool zeros = spec.zero_pad && spec.align == FormatAlign::Default;
    Padding pad = zeros ? Padding{0, 0} : padding_for(spec, content, FormatAlign::Right);
    write_repeated(sink, spec.fill, pad.before);
    if (negative)
        sink.write("-", 1);
    write_text(sink, prefix, prefix_length);
    if (zeros && spec.width > content)
        write_repeated(sink, '0', spec.width - content);
    write_text(sink, digits + start, digit_count);
    write_repeated(sink, spec.fill, pad.after);
}

void format_signed(FormatSink& sink, const FormatSpec& spec, i64 v)
{
    // Negate in u64 so INT64_MIN has a magnitude.
    u64 magnitude = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
    format_integer(sink, spec, magnitude, v < 0);
}

void format_pointer(FormatSink& sink, const FormatSpec& spec, u64 address)
{
    if (spec.alternate || spec.has_precision || (spec.type != '\0' && spec.type != 'p')) {
        write_bad_spec(sink);
        return;
    }
    // Always all 16 digits, so addresses line up in logs.
    usize content = 18; // "0x" and 16 digits
    bool zeros = spec.zero_pad && spec.align == FormatAlign::Default;
    Padding pad = zeros ? Padding{0, 0} : padding_for(spec, content, FormatAlign::Right);
    write_repeated(sink, spec.fill, pad.before);
    sink.write("0x", 2);
    if (zeros && spec.width > content)
        write_repeated(sink, '0', spec.width - content);
    char digits[16];
    for (usize i = 0; i < 16; ++i)
        digits[i] = "0123456789abcdef"[(address >> (60 - 4 * i)) & 0xf];
    sink.write(digits, 16);
    write_repeated(sink, spec.fill, pad.after);
}

bool is_align(char c) { return c == '<' || c == '>' || c == '^'; }

FormatAlign align_from(char c)
{
    return c == '<' ? FormatAlign::Left : c == '>' ? FormatAlign::Right : FormatAlign::Center;
}

bool is_type(char c)
{
    return c == 'd' || c == 'x' || c == 'X' || c == 'o' || c == 'b' || c == 'c' || c == 's' || c == 'p';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads decimal digits at pos; false on overflow past k_format_max_width.
bool parse_number(StringView s, usize& pos, u32& out)
{
    u32 value = 0;
    while (pos < s.length() && is_digit(s[pos])) {
        value = value * 10 + static_cast<u32>(s[pos] - '0');
        if (value > k_format_max_width)
            return false;
        ++pos;
    }
    out = value;
    return true;
}

// Parses the text after ':' (without the closing brace).
bool parse_spec(StringView s, FormatSpec& spec)
{
    usize pos = 0;
    if (s.length() >= 2 && is_align(s[1])) {
        spec.fill = s[0];
        spec.align = align_from(s[1]);
        pos = 2;
    } else if (s.length() >= 1 && is_align(s[0])) {
        spec.align = align_from(s[0]);
        pos = 1;
    }
    if (pos < s.length() && s[pos] == '#') {
        spec.alternate = true;
        ++pos;
    }
    if (pos < s.length() && s[pos] == '0') {
        spec.zero_pad = true;
        ++pos;
    }
    if (!parse_number(s, pos, spec.width))
        return false;
    if (pos < s.length() && s[pos] == '.') {
        ++pos;
        if (pos >= s.length() || !is_digit(s[pos]))
            return false;
        if (!parse_number(s, pos, spec.precision))
            return false;
        spec.has_precision = true;
    }
    if (pos < s.length() && is_type(s[pos])) {
        spec.type = s[pos];
        ++pos;
    }
    return pos == s.length();
}

// Parses a placeholder's inside ("" or ":SPEC").
bool parse_placeholder(StringView inside, FormatSpec& spec)
{
    if (inside.is_empty())
        return true;
    if (inside[0] != ':')
        return false; // argument indices are not supported
    return parse_spec(inside.substring(1), spec);
}

} // namespace

void BufferSink::write(const char* s, usize n)
{
    if (m_capacity > 0) {
        usize at = stored();
        usize room = m_capacity - 1 - at;
        usize copy = min(n, room);
        for (usize i = 0; i < copy; ++i)
            m_buffer[at + i] = s[i];
        m_buffer[at + copy] = '\0';
    }
    m_length += n;
}

void format_arg(FormatSink& sink, const FormatSpec& spec, const FormatArg& arg)
{
    switch (arg.kind) {
    case FormatArgKind::Signed:
        format_signed(sink, spec, arg.signed_value);
        return;
    case FormatArgKind::Unsigned:
        format_integer(sink, spec, arg.unsigned_value, false);
        return;
    case FormatArgKind::Bool:
        if (spec.is_integer_type())
            format_integer(sink, spec, arg.bool_value ? 1 : 0, false);
        else if (spec.has_precision) // precision is for strings only (std::format)
            write_bad_spec(sink);
        else if (arg.bool_value)
            format_text(sink, spec, "true", 4);
        else
            format_text(sink, spec, "false", 5);
        return;
    case FormatArgKind::Char:
        if (spec.is_integer_type())
            format_integer(sink, spec, static_cast<u8>(arg.char_value), false);
        else if (spec.type == '\0' || spec.type == 'c')
            format_char(sink, spec, arg.char_value);
        else
            write_bad_spec(sink);
        return;
    case FormatArgKind::String:
        format_text(sink, spec, arg.string.data, arg.string.length);
        return;
    case FormatArgKind::CString:
        if (spec.type == 'p')
            format_pointer(sink, spec, reinterpret_cast<uptr>(arg.string.data));
        else
            format_cstring(sink, spec, arg.string.data);
        return;
    case FormatArgKind::Pointer:
        format_pointer(sink, spec, arg.unsigned_value);
        return;
    case FormatArgKind::Custom:
        arg.custom.function(sink, spec, arg.custom.object);
        return;
    case FormatArgKind::Invalid:
        break;
    }
    write_bad_spec(sink);
}

void vformat(FormatSink& sink, StringView fmt, const FormatArg* args, usize count)
{
    usize next_arg = 0;
    usize literal_start = 0;
    usize i = 0;
    usize n = fmt.length();
    while (i < n) {
        char c = fmt[i];
        if (c != '{' && c != '}') {
            ++i;
            continue;
        }
        write_text(sink, fmt.data() + literal_start, i - literal_start);
        if (c == '}') {
            // "}}" is one brace; a lone '}' is printed as it stands.
            sink.write("}", 1);
            i += (i + 1 < n && fmt[i + 1] == '}') ? 2u : 1u;
            literal_start = i;
            continue;
        }
        if (i + 1 < n && fmt[i + 1] == '{') {
            sink.write("{", 1);
            i += 2;
            literal_start = i;
            continue;
        }
        // A placeholder runs to the first '}'; a '{' inside (nested
        // replacement fields) makes it malformed but still ends at that '}'.
        usize close = i + 1;
        while (close < n && fmt[close] != '}')
            ++close;
        if (close == n) {
            // Unterminated: report and drop the rest, which is not text.
            write_bad_spec(sink);
            return;
        }
        StringView inside = fmt.substring(i + 1, close - i - 1);
        bool nested = inside.find('{') != inside.length();
        FormatSpec spec;
        // Every placeholder, good or bad, takes one argument, so a typo
        // does not shift the following arguments.
        usize arg_index = next_arg++;
        if (nested || !parse_placeholder(inside, spec))
            write_bad_spec(sink);
        else if (arg_index >= count)
            write_literal(sink, k_missing_argument);
        else
            format_arg(sink, spec, args[arg_index]);
        i = close + 1;
        literal_start = i;
    }
    write_text(sink, fmt.data() + literal_start, n - literal_start);
}

} // namespace lib

void format_value(lib::FormatSink& sink, const lib::FormatSpec& spec, const Errno& error)
{
    if (spec.is_integer_type())
        lib::format_as(sink, spec, static_cast<i32>(error));
    else
        lib::format_as(sink, spec, lib::StringView(errno_name(error)));
}
