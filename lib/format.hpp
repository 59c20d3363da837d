// Type-safe formatting in the style of std::format for printk and the host
// tests: format() packs its arguments into an array of type-erased FormatArg
// and hands it to vformat() in format.cpp, which does all parsing and output,
// so each call site stays a few instructions long.
//
// Placeholders: "{}" or "{:SPEC}", SPEC = [[fill]align][#][0][width][.precision][type]
//   align      '<' left, '>' right, '^' centre (numbers default right, text left)
//   '#'        prefix 0x, 0X, 0b or 0o for x, X, b, o
//   '0'        pad with zeros after sign and prefix (ignored when align is given)
//   width      minimum width in bytes, at most k_format_max_width
//   .precision maximum number of bytes printed from a string
//   type       d x X o b (integers, char, bool), c (char), s (string, bool), p (pointer)
// "{{" and "}}" are literal braces. Mistakes are never fatal: a placeholder with
// no argument prints "{?}", a bad spec or one that does not fit the argument's
// type prints "{!}", and surplus arguments are ignored.
//
// User types take part through ADL: declare
//   void format_value(lib::FormatSink&, const lib::FormatSpec&, const T&);
// next to T, and implement it with lib::format_as() to honour width and fill.
#pragma once

#include "lib/errno.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib {

// Where formatted bytes go (a console, a buffer, a test string). Not owning,
// never destroyed through this interface.
class FormatSink {
public:
    virtual void write(const char* s, usize n) = 0;

protected:
    ~FormatSink() = default;
};

// Writes into a caller's buffer of `capacity` bytes, always NUL-terminated
// when capacity > 0, and counts the full length that would have been written
// (like snprintf's return value). capacity 0 never touches the buffer.
class BufferSink final : public FormatSink {
public:
    BufferSink(char* buffer, usize capacity) : m_buffer(buffer), m_capacity(capacity)
    {
        if (m_capacity > 0)
            m_buffer[0] = '\0';
    }
    template <usize N> explicit BufferSink(char (&buffer)[N]) : BufferSink(buffer, N) {}

    void write(const char* s, usize n) override;

    // Bytes the output needed, whether or not they fitted.
    usize length() const { return m_length; }
    // Bytes actually stored (excluding the NUL).
    usize stored() const { return m_capacity == 0 ? 0 : min(m_length, m_capacity - 1); }
    bool truncated() const { return stored() < m_length; }
    StringView view() const { return StringView(m_buffer, stored()); }

private:
    char* m_buffer;
    usize m_capacity;
    usize m_length = 0;
};

// Widths and precisions above this are rejected as "{!}": they are typos, and
// a typo must not flood a UART with megabytes of padding.
inline constexpr u32 k_format_max_width = 1024;

enum class FormatAlign : u8 { Default, Left, Right, Center };

// A parsed "{:SPEC}"; "{}" gives the default-constructed one.
struct FormatSpec {
    char fill = ' ';
    FormatAlign align = FormatAlign::Default;
    bool alternate = false; // '#'
    bool zero_pad = false;  // '0'
    bool has_precision = false;
    u32 width = 0;
    u32 precision = 0;
    char type = '\0'; // '\0' when absent

    // True for the integer presentations d x X o b.
    bool is_integer_type() const
    {
        return type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b';
    }
};

enum class FormatArgKind : u8 {
    Invalid, // only as a classification result; never stored
    Signed,
    Unsigned,
    Bool,
    Char,
    String,  // StringView or char array (pointer and length)
    CString, // NUL-terminated; length found in format.cpp, bounded by precision
    Pointer,
    Custom,
};

using FormatCustomFunction = void (*)(FormatSink&, const FormatSpec&, const void*);

struct FormatStringValue {
    const char* data;
    usize length;
};

struct FormatCustomValue {
    const void* object;
    FormatCustomFunction function;
};

// One argument, type-erased. Kept trivial so the argument array is built with
// plain stores.
struct FormatArg {
    FormatArgKind kind;
    union {
        i64 signed_value;
        u64 unsigned_value; // also Pointer
        bool bool_value;
        char char_value;
        FormatStringValue string;
        FormatCustomValue custom;
    };
};

// The one non-template worker: parses fmt and writes to sink.
void vformat(FormatSink& sink, StringView fmt, const FormatArg* args, usize count);
// Formats a single argument with an already parsed spec (for format_value hooks).
void format_arg(FormatSink& sink, const FormatSpec& spec, const FormatArg& arg);

namespace detail {

template <typename T> concept HasFormatValue = requires(FormatSink& sink, const FormatSpec& spec, const T& value) {
    format_value(sink, spec, value);
};

template <typename T> inline constexpr bool is_char_array = false;
template <usize N> inline constexpr bool is_char_array<char[N]> = true;
template <typename T> inline constexpr usize char_array_size = 0;
template <usize N> inline constexpr usize char_array_size<char[N]> = N;

template <typename T> inline constexpr bool is_pointer = false;
template <typename T> inline constexpr bool is_pointer<T*> = true;

template <typename T> inline constexpr bool is_floating = false;
template <> inline constexpr bool is_floating<float> = true;
template <> inline constexpr bool is_floating<double> = true;
template <> inline constexpr bool is_floating<long double> = true;

// The integer types we print as numbers: 8 to 64 bits, not bool, char or
// wide characters (listed by hand: GCC 12 has no __is_integral builtin).
template <typename T> inline constexpr bool is_number = false;
template <> inline constexpr bool is_number<signed char> = true;
template <> inline constexpr bool is_number<unsigned char> = true;
template <> inline constexpr bool is_number<short> = true;
template <> inline constexpr bool is_number<unsigned short> = true;
template <> inline constexpr bool is_number<int> = true;
template <> inline constexpr bool is_number<unsigned int> = true;
template <> inline constexpr bool is_number<long> = true;
template <> inline constexpr bool is_number<unsigned long> = true;
template <> inline constexpr bool is_number<long long> = true;
template <> inline constexpr bool is_number<unsigned long long> = true;

template <typename T> constexpr bool is_signed() { return T(-1) < T(0); }

template <typename T> constexpr FormatArgKind classify()
{
    if constexpr (HasFormatValue<T>)
        return FormatArgKind::Custom;
    else if constexpr (is_same<T, bool>)
        return FormatArgKind::Bool;
    else if constexpr (is_same<T, char>)
        return FormatArgKind::Char;
    else if constexpr (is_number<T>)
        return is_signed<T>() ? FormatArgKind::Signed : FormatArgKind::Unsigned;
    else if constexpr (__is_enum(T)) // as its number, even over bool or char
        return is_signed<__underlying_type(T)>() ? FormatArgKind::Signed : FormatArgKind::Unsigned;
    else if constexpr (is_char_array<T> || is_same<T, StringView>)
        return FormatArgKind::String;
    else if constexpr (is_same<T, const char*> || is_same<T, char*>)
        return FormatArgKind::CString;
    else if constexpr (is_pointer<T> || is_same<T, decltype(nullptr)>)
        return FormatArgKind::Pointer;
    else
        return FormatArgKind::Invalid;
}

template <typename T> void format_custom(FormatSink& sink, const FormatSpec& spec, const void* object)
{
    format_value(sink, spec, *static_cast<const T*>(object));
}

} // namespace detail

// Whether format() accepts a T. Floating point is rejected on purpose: the
// kernel is built for lp64 without F/D.
template <typename T> concept Formattable = detail::classify<RemoveCvRefT<T>>() != FormatArgKind::Invalid;

template <typename T> [[gnu::always_inline]] inline FormatArg make_format_arg(const T& value)
{
    static_assert(!detail::is_floating<T>, "lib::format: no floating point (the kernel has no F/D)");
    static_assert(Formattable<T>, "lib::format: no way to format this type; declare format_value()");
    constexpr FormatArgKind kind = detail::classify<T>();
    FormatArg arg;
    arg.kind = kind;
    if constexpr (kind == FormatArgKind::Custom) {
        arg.custom.object = &value;
        arg.custom.function = &detail::format_custom<T>;
    } else if constexpr (kind == FormatArgKind::Bool) {
        arg.bool_value = value;
    } else if constexpr (kind == FormatArgKind::Char) {
        arg.char_value = value;
    } else if constexpr (kind == FormatArgKind::Signed) {
        arg.signed_value = static_cast<i64>(value);
    } else if constexpr (kind == FormatArgKind::Unsigned) {
        arg.unsigned_value = static_cast<u64>(value);
    } else if constexpr (detail::is_char_array<T>) {
        // Up to the first NUL, never past the array.
        usize n = 0;
        while (n < detail::char_array_size<T> && value[n] != '\0')
            ++n;
        arg.string.data = value;
        arg.string.length = n;
    } else if constexpr (kind == FormatArgKind::String) {
        arg.string.data = value.data();
        arg.string.length = value.length();
    } else if constexpr (kind == FormatArgKind::CString) {
        arg.string.data = value;
        arg.string.length = 0;
    } else if constexpr (is_same<T, decltype(nullptr)>) {
        arg.unsigned_value = 0;
    } else {
        arg.unsigned_value = reinterpret_cast<uptr>(value);
    }
    return arg;
}

template <typename... Args> void format(FormatSink& sink, StringView fmt, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        vformat(sink, fmt, nullptr, 0);
    } else {
        const FormatArg packed[] = {make_format_arg(args)...};
        vformat(sink, fmt, packed, sizeof...(Args));
    }
}

// snprintf-like: returns the full length even when capacity cut it short.
template <typename... Args> usize format_to(char* buffer, usize capacity, StringView fmt, const Args&... args)
{
    BufferSink sink(buffer, capacity);
    format(sink, fmt, args...);
    return sink.length();
}

// Formats one value with a given spec, as if it were a "{:SPEC}" argument;
// the building block for format_value hooks (e.g. a PhysAddr printing its
// raw u64 with the caller's width and fill).
template <typename T> void format_as(FormatSink& sink, const FormatSpec& spec, const T& value)
{
    format_arg(sink, spec, make_format_arg(value));
}

} // namespace lib

// Errno prints its name ("EINVAL"); with d/x/X/o/b it prints its number.
void format_value(lib::FormatSink& sink, const lib::FormatSpec& spec, const Errno& error);
