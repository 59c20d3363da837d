// Host tests for lib/format: every supported type and spec with exact
// expected text, error paths, BufferSink truncation, the format_value hook,
// and a differential check of integers against snprintf.
#include "lib/format.hpp"

#include <gtest/gtest.h>

#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using lib::StringView;

class StringSink final : public lib::FormatSink {
public:
    void write(const char* s, usize n) override
    {
        m_text.append(s, n);
        ++m_calls;
    }
    const std::string& text() const { return m_text; }
    usize calls() const { return m_calls; }

private:
    std::string m_text;
    usize m_calls = 0;
};

// Formats through a StringSink and, as a cross-check, through a roomy
// BufferSink and format_to; all three must agree.
template <typename... Args> std::string render(StringView fmt, const Args&... args)
{
    StringSink sink;
    lib::format(sink, fmt, args...);
    static char buffer[4096];
    usize length = lib::format_to(buffer, sizeof(buffer), fmt, args...);
    EXPECT_EQ(length, sink.text().size());
    EXPECT_EQ(std::string(buffer, length), sink.text());
    return sink.text();
}

std::string hex16(uptr v)
{
    char out[32];
    std::snprintf(out, sizeof(out), "0x%016" PRIxPTR, v);
    return out;
}

} // namespace

// --- user types through the ADL hook ---------------------------------------

namespace geometry {

struct Point {
    int x;
    int y;
};

void format_value(lib::FormatSink& sink, const lib::FormatSpec&, const Point& p)
{
    lib::format(sink, "({}, {})", p.x, p.y);
}

// Like the kernel's PhysAddr: forwards the caller's spec to its raw number.
struct Address {
    u64 raw;
};

void format_value(lib::FormatSink& sink, const lib::FormatSpec& spec, const Address& a)
{
    lib::format_as(sink, spec, a.raw);
}

// Prints the spec it was given, to test the parser field by field.
struct SpecProbe {};

void format_value(lib::FormatSink& sink, const lib::FormatSpec& s, const SpecProbe&)
{
    lib::format(sink, "fill={} align={} alt={} zero={} width={} prec={}:{} type={}", s.fill,
                static_cast<int>(s.align), s.alternate, s.zero_pad, s.width, s.has_precision, s.precision,
                s.type == '\0' ? '-' : s.type);
}

// An enum with its own hook wins over "print the underlying number".
enum class Mode : u8 { Read = 1, Write = 2 };

void format_value(lib::FormatSink& sink, const lib::FormatSpec& spec, const Mode& m)
{
    lib::format_as(sink, spec, StringView(m == Mode::Read ? "read" : "write"));
}

struct NoHook {};

} // namespace geometry

enum class Color : u8 { Red = 1, Blue = 200 };
enum Plain { PlainNegative = -3, PlainBig = 100000 };
enum class Wide : i64 { Min = INT64_MIN };
enum class Huge : u64 { Max = UINT64_MAX };
enum class Letter : char { A = 'A' };
enum class Flag : bool { On = true };

// --- compile-time checks --------------------------------------------------

static_assert(lib::Formattable<int>);
static_assert(lib::Formattable<u64>);
static_assert(lib::Formattable<bool>);
static_assert(lib::Formattable<char>);
static_assert(lib::Formattable<const char*>);
static_assert(lib::Formattable<char[4]>);
static_assert(lib::Formattable<StringView>);
static_assert(lib::Formattable<void*>);
static_assert(lib::Formattable<volatile u32*>);
static_assert(lib::Formattable<decltype(nullptr)>);
static_assert(lib::Formattable<Color>);
static_assert(lib::Formattable<Errno>);
static_assert(lib::Formattable<geometry::Point>);
static_assert(!lib::Formattable<float>);
static_assert(!lib::Formattable<double>);
static_assert(!lib::Formattable<long double>);
static_assert(!lib::Formattable<__int128>);
static_assert(!lib::Formattable<wchar_t>);
static_assert(!lib::Formattable<char16_t>);
static_assert(!lib::Formattable<char8_t>);
static_assert(!lib::Formattable<int[4]>);
static_assert(!lib::Formattable<int geometry::Point::*>);
static_assert(!lib::Formattable<geometry::NoHook>);
// The argument array stays small: a kind and a 16-byte union.
static_assert(sizeof(lib::FormatArg) <= 24);

// --- literal text and braces ----------------------------------------------

TEST(Format, PlainTextAndEmpty)
{
    EXPECT_EQ(render(""), "");
    EXPECT_EQ(render("hello, world"), "hello, world");
    EXPECT_EQ(render("no placeholders", 1, 2), "no placeholders");
    EXPECT_EQ(render(StringView("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Format, BraceEscapes)
{
    EXPECT_EQ(render("{{"), "{");
    EXPECT_EQ(render("}}"), "}");
    EXPECT_EQ(render("{{}}"), "{}");
    EXPECT_EQ(render("{{{}}}", 7), "{7}");
    EXPECT_EQ(render("a{{b}}c"), "a{b}c");
    EXPECT_EQ(render("{{}}", 7), "{}");
    // A lone '}' is not an error worth losing the message over.
    EXPECT_EQ(render("a}b"), "a}b");
    EXPECT_EQ(render("}"), "}");
    EXPECT_EQ(render("}}}"), "}}");
}

TEST(Format, PositionalSequence)
{
    EXPECT_EQ(render("{}", 1), "1");
    EXPECT_EQ(render("{}{}{}", 1, 2, 3), "123");
    EXPECT_EQ(render("[{}] [{}]", "a", 'b'), "[a] [b]");
    EXPECT_EQ(render("{} and {}", true, -5), "true and -5");
}

// --- integers ---------------------------------------------------------------

TEST(Format, IntegerBoundaries)
{
    EXPECT_EQ(render("{}", 0), "0");
    EXPECT_EQ(render("{}", -1), "-1");
    EXPECT_EQ(render("{}", i8(INT8_MIN)), "-128");
    EXPECT_EQ(render("{}", i8(INT8_MAX)), "127");
    EXPECT_EQ(render("{}", u8(UINT8_MAX)), "255");
    EXPECT_EQ(render("{}", i16(INT16_MIN)), "-32768");
    EXPECT_EQ(render("{}", u16(UINT16_MAX)), "65535");
    EXPECT_EQ(render("{}", i32(INT32_MIN)), "-2147483648");
    EXPECT_EQ(render("{}", u32(UINT32_MAX)), "4294967295");
    EXPECT_EQ(render("{}", i64(INT64_MIN)), "-9223372036854775808");
    EXPECT_EQ(render("{}", i64(INT64_MAX)), "9223372036854775807");
    EXPECT_EQ(render("{}", u64(UINT64_MAX)), "18446744073709551615");
    EXPECT_EQ(render("{}", LLONG_MIN), "-9223372036854775808");
    EXPECT_EQ(render("{}", ULONG_MAX), "18446744073709551615");
    EXPECT_EQ(render("{}", usize(42)), "42");
    EXPECT_EQ(render("{}", isize(-42)), "-42");
    EXPECT_EQ(render("{}", static_cast<unsigned short>(7)), "7");
    // signed/unsigned char are numbers, unlike char.
    EXPECT_EQ(render("{}", static_cast<signed char>(-5)), "-5");
    EXPECT_EQ(render("{}", static_cast<unsigned char>(200)), "200");
}

TEST(Format, IntegerBases)
{
    EXPECT_EQ(render("{:d}", 255), "255");
    EXPECT_EQ(render("{:x}", 255), "ff");
    EXPECT_EQ(render("{:X}", 255), "FF");
    EXPECT_EQ(render("{:o}", 8), "10");
    EXPECT_EQ(render("{:b}", 5), "101");
    EXPECT_EQ(render("{:x}", 0), "0");
    EXPECT_EQ(render("{:b}", 0), "0");
    EXPECT_EQ(render("{:x}", 0xdeadbeefu), "deadbeef");
    EXPECT_EQ(render("{:X}", u64(UINT64_MAX)), "FFFFFFFFFFFFFFFF");
    EXPECT_EQ(render("{:o}", u64(UINT64_MAX)), "1777777777777777777777");
    EXPECT_EQ(render("{:b}", u64(UINT64_MAX)), std::string(64, '1'));
    EXPECT_EQ(render("{:b}", u8(0x80)), "10000000");
    // Negative numbers print a sign and the magnitude, as std::format does.
    EXPECT_EQ(render("{:x}", -255), "-ff");
    EXPECT_EQ(render("{:x}", i64(INT64_MIN)), "-8000000000000000");
    EXPECT_EQ(render("{:b}", i64(INT64_MIN)), "-1" + std::string(63, '0'));
    EXPECT_EQ(render("{:o}", i8(-8)), "-10");
}

TEST(Format, AlternatePrefixes)
{
    EXPECT_EQ(render("{:#x}", 255), "0xff");
    EXPECT_EQ(render("{:#X}", 255), "0XFF");
    EXPECT_EQ(render("{:#o}", 8), "0o10");
    EXPECT_EQ(render("{:#b}", 5), "0b101");
    EXPECT_EQ(render("{:#d}", 42), "42");
    EXPECT_EQ(render("{:#}", 42), "42");
    // Zero keeps its prefix (unlike C's %#x).
    EXPECT_EQ(render("{:#x}", 0), "0x0");
    EXPECT_EQ(render("{:#o}", 0), "0o0");
    EXPECT_EQ(render("{:#b}", 0), "0b0");
    EXPECT_EQ(render("{:#x}", -255), "-0xff");
    EXPECT_EQ(render("{:#b}", i64(INT64_MIN)), "-0b1" + std::string(63, '0'));
    EXPECT_EQ(render("{:#x}", u64(UINT64_MAX)), "0xffffffffffffffff");
}

TEST(Format, IntegerWidthAndAlignment)
{
    EXPECT_EQ(render("{:5}", 42), "   42");
    EXPECT_EQ(render("{:>5}", 42), "   42");
    EXPECT_EQ(render("{:<5}", 42), "42   ");
    EXPECT_EQ(render("{:^5}", 42), " 42  ");
    EXPECT_EQ(render("{:^6}", 42), "  42  ");
    EXPECT_EQ(render("{:*>6}", 42), "****42");
    EXPECT_EQ(render("{:*<6}", 42), "42****");
    EXPECT_EQ(render("{:*^7}", 42), "**42***");
    EXPECT_EQ(render("{:5}", -42), "  -42");
    EXPECT_EQ(render("{:<5}|", -42), "-42  |");
    EXPECT_EQ(render("{:#8x}", 255), "    0xff");
    EXPECT_EQ(render("{:<#8x}|", 255), "0xff    |");
    // Width smaller than the content never truncates a number.
    EXPECT_EQ(render("{:2}", 12345), "12345");
    EXPECT_EQ(render("{:1}", i64(INT64_MIN)), "-9223372036854775808");
    EXPECT_EQ(render("{:0}", 7), "7");
    EXPECT_EQ(render("{:64}", 1), std::string(63, ' ') + "1");
    EXPECT_EQ(render("{:<64}|", 1), "1" + std::string(63, ' ') + "|");
    EXPECT_EQ(render("{:64b}", u64(UINT64_MAX)), std::string(64, '1'));
    EXPECT_EQ(render("{:65b}", u64(UINT64_MAX)), " " + std::string(64, '1'));
}

TEST(Format, ZeroPadding)
{
    EXPECT_EQ(render("{:05}", 42), "00042");
    EXPECT_EQ(render("{:05}", -42), "-0042");
    EXPECT_EQ(render("{:08x}", 0xbeef), "0000beef");
    EXPECT_EQ(render("{:#010x}", 255), "0x000000ff");
    EXPECT_EQ(render("{:#010x}", -255), "-0x00000ff");
    EXPECT_EQ(render("{:#06b}", 1), "0b0001");
    EXPECT_EQ(render("{:#06o}", 8), "0o0010");
    EXPECT_EQ(render("{:#018x}", u64(0x80200000)), "0x0000000080200000");
    EXPECT_EQ(render("{:#066b}", u64(UINT64_MAX)), "0b" + std::string(64, '1'));
    EXPECT_EQ(render("{:064x}", 1), std::string(63, '0') + "1");
    EXPECT_EQ(render("{:02}", 12345), "12345");
    EXPECT_EQ(render("{:#02x}", 255), "0xff");
    // An explicit alignment wins over '0' (std::format's rule).
    EXPECT_EQ(render("{:<05}|", 42), "42   |");
    EXPECT_EQ(render("{:*>08}", 42), "******42");
    // '0' as a fill character is different from the '0' flag.
    EXPECT_EQ(render("{:0>5}", -4), "000-4");
}

TEST(Format, IntegerAsChar)
{
    EXPECT_EQ(render("{:c}", 65), "A");
    EXPECT_EQ(render("{:c}", u8(255)), "\xff");
    EXPECT_EQ(render("{:c}", -1), "\xff");
    EXPECT_EQ(render("{:c}", -128), "\x80");
    EXPECT_EQ(render("{:>3c}", 66), "  B");
    EXPECT_EQ(render("{:c}", 256), "{!}");
    EXPECT_EQ(render("{:c}", -129), "{!}");
    EXPECT_EQ(render("{:#c}", 65), "{!}");
    EXPECT_EQ(render("{:03c}", 65), "{!}");
}

TEST(Format, IntegerRejectsTextSpecs)
{
    EXPECT_EQ(render("{:s}", 5), "{!}");
    EXPECT_EQ(render("{:p}", 5), "{!}");
    EXPECT_EQ(render("{:.2}", 5), "{!}");
    EXPECT_EQ(render("{:5.2d}", 5), "{!}");
}

TEST(Format, Enums)
{
    EXPECT_EQ(render("{}", Color::Red), "1");
    EXPECT_EQ(render("{}", Color::Blue), "200");
    EXPECT_EQ(render("{:#x}", Color::Blue), "0xc8");
    EXPECT_EQ(render("{}", PlainNegative), "-3");
    EXPECT_EQ(render("{:>8}", PlainBig), "  100000");
    EXPECT_EQ(render("{}", Wide::Min), "-9223372036854775808");
    EXPECT_EQ(render("{}", Huge::Max), "18446744073709551615");
    // Over char or bool an enum is still a number.
    EXPECT_EQ(render("{}", Letter::A), "65");
    EXPECT_EQ(render("{}", Flag::On), "1");
}

// --- bool and char -----------------------------------------------------------

TEST(Format, Bool)
{
    EXPECT_EQ(render("{}", true), "true");
    EXPECT_EQ(render("{}", false), "false");
    EXPECT_EQ(render("{:s}", true), "true");
    EXPECT_EQ(render("{:>6}", true), "  true");
    EXPECT_EQ(render("{:6}|", false), "false |");
    EXPECT_EQ(render("{:^8}", true), "  true  ");
    EXPECT_EQ(render("{:d}", true), "1");
    EXPECT_EQ(render("{:d}", false), "0");
    EXPECT_EQ(render("{:#x}", true), "0x1");
    EXPECT_EQ(render("{:#b}", false), "0b0");
    EXPECT_EQ(render("{:03d}", true), "001");
    EXPECT_EQ(render("{:3d}", true), "  1");
    EXPECT_EQ(render("{:c}", true), "{!}");
    EXPECT_EQ(render("{:p}", true), "{!}");
    EXPECT_EQ(render("{:05}", true), "{!}");
    EXPECT_EQ(render("{:#}", true), "{!}");
    EXPECT_EQ(render("{:.2}", true), "{!}");
}

TEST(Format, Char)
{
    EXPECT_EQ(render("{}", 'A'), "A");
    EXPECT_EQ(render("{:c}", 'A'), "A");
    EXPECT_EQ(render("{}", '\0'), std::string(1, '\0'));
    EXPECT_EQ(render("{:3}|", 'A'), "A  |");
    EXPECT_EQ(render("{:>3}", 'A'), "  A");
    EXPECT_EQ(render("{:_^5}", 'A'), "__A__");
    EXPECT_EQ(render("{:d}", 'A'), "65");
    EXPECT_EQ(render("{:x}", 'A'), "41");
    EXPECT_EQ(render("{:#X}", 'z'), "0X7A");
    EXPECT_EQ(render("{:o}", 'A'), "101");
    EXPECT_EQ(render("{:b}", 'A'), "1000001");
    EXPECT_EQ(render("{:d}", '\xff'), "255");
    EXPECT_EQ(render("{:4d}", 'A'), "  65");
    EXPECT_EQ(render("{:04d}", 'A'), "0065");
    EXPECT_EQ(render("{:s}", 'A'), "{!}");
    EXPECT_EQ(render("{:p}", 'A'), "{!}");
    EXPECT_EQ(render("{:03}", 'A'), "{!}");
    EXPECT_EQ(render("{:#c}", 'A'), "{!}");
    EXPECT_EQ(render("{:.1}", 'A'), "{!}");
}

// --- strings ------------------------------------------------------------------

TEST(Format, StringKinds)
{
    const char* c_string = "kernel";
    char mutable_buffer[16] = "mutable";
    char* mutable_pointer = mutable_buffer;
    EXPECT_EQ(render("{}", "literal"), "literal");
    EXPECT_EQ(render("{}", c_string), "kernel");
    EXPECT_EQ(render("{}", mutable_buffer), "mutable");
    EXPECT_EQ(render("{}", mutable_pointer), "mutable");
    EXPECT_EQ(render("{}", StringView("view")), "view");
    EXPECT_EQ(render("{}", StringView("abcdef", 3)), "abc");
    EXPECT_EQ(render("{}", StringView("a\0b", 3)), std::string("a\0b", 3));
    EXPECT_EQ(render("{}", StringView()), "");
    EXPECT_EQ(render("[{}]", ""), "[]");
    EXPECT_EQ(render("{:s}", "s"), "s");
}

TEST(Format, NullCString)
{
    const char* null_string = nullptr;
    char* null_mutable = nullptr;
    EXPECT_EQ(render("{}", null_string), "(null)");
    EXPECT_EQ(render("{}", null_mutable), "(null)");
    EXPECT_EQ(render("{:>8}", null_string), "  (null)");
    EXPECT_EQ(render("{:.3}", null_string), "(nu");
    EXPECT_EQ(render("{:p}", null_string), "0x0000000000000000");
}

TEST(Format, CharArraysStopAtNulOrEnd)
{
    char embedded[8] = "ab\0cd";
    EXPECT_EQ(render("{}", embedded), "ab");
    // Not NUL-terminated: the array's size bounds the read (ASan checks).
    char unterminated[3] = {'x', 'y', 'z'};
    EXPECT_EQ(render("{}", unterminated), "xyz");
    EXPECT_EQ(render("{:.2}", unterminated), "xy");
}

TEST(Format, PrecisionBoundsCStringReads)
{
    // A heap block without a NUL: the precision must stop the scan (ASan
    // would report a read past the block).
    std::vector<char> block{'a', 'b', 'c'};
    const char* p = block.data();
    EXPECT_EQ(render("{:.3}", p), "abc");
    EXPECT_EQ(render("{:.2}", p), "ab");
    EXPECT_EQ(render("{:.0}", p), "");
}

TEST(Format, StringWidthPrecisionAlignment)
{
    EXPECT_EQ(render("{:6}|", "ab"), "ab    |");
    EXPECT_EQ(render("{:<6}|", "ab"), "ab    |");
    EXPECT_EQ(render("{:>6}", "ab"), "    ab");
    EXPECT_EQ(render("{:^6}", "ab"), "  ab  ");
    EXPECT_EQ(render("{:^7}", "ab"), "  ab   ");
    EXPECT_EQ(render("{:-^7}", "ab"), "--ab---");
    EXPECT_EQ(render("{:.3}", "abcdef"), "abc");
    EXPECT_EQ(render("{:.0}", "abcdef"), "");
    EXPECT_EQ(render("{:.10}", "abc"), "abc");
    EXPECT_EQ(render("{:10.3}|", "abcdef"), "abc       |");
    EXPECT_EQ(render("{:>10.3}", "abcdef"), "       abc");
    EXPECT_EQ(render("{:.3s}", StringView("abcdef")), "abc");
    EXPECT_EQ(render("{:2}", "abcdef"), "abcdef");
    EXPECT_EQ(render("{:64}|", "x"), "x" + std::string(63, ' ') + "|");
}

TEST(Format, StringRejectsNumberSpecs)
{
    EXPECT_EQ(render("{:d}", "abc"), "{!}");
    EXPECT_EQ(render("{:x}", StringView("abc")), "{!}");
    EXPECT_EQ(render("{:c}", "abc"), "{!}");
    EXPECT_EQ(render("{:#}", "abc"), "{!}");
    EXPECT_EQ(render("{:05}", "abc"), "{!}");
    EXPECT_EQ(render("{:p}", StringView("abc")), "{!}");
}

// --- pointers ---------------------------------------------------------------

TEST(Format, Pointers)
{
    int object = 0;
    int* p = &object;
    const void* cp = p;
    EXPECT_EQ(render("{}", p), hex16(reinterpret_cast<uptr>(p)));
    EXPECT_EQ(render("{:p}", cp), hex16(reinterpret_cast<uptr>(p)));
    EXPECT_EQ(render("{}", nullptr), "0x0000000000000000");
    EXPECT_EQ(render("{:p}", nullptr), "0x0000000000000000");
    EXPECT_EQ(render("{}", reinterpret_cast<void*>(0x1234)), "0x0000000000001234");
    EXPECT_EQ(render("{}", reinterpret_cast<volatile u32*>(0x10000000)), "0x0000000010000000");
    EXPECT_EQ(render("{}", reinterpret_cast<const u8*>(UINTPTR_MAX)), "0xffffffffffffffff");
    EXPECT_EQ(render("{}", reinterpret_cast<void*>(0xABCDEF)), "0x0000000000abcdef");
    // A char pointer is a string unless asked for with p.
    const char* text = "abc";
    EXPECT_EQ(render("{:p}", text), hex16(reinterpret_cast<uptr>(text)));
    void (*function)() = [] {};
    EXPECT_EQ(render("{}", function), hex16(reinterpret_cast<uptr>(function)));
}

TEST(Format, PointerWidthAndErrors)
{
    void* p = reinterpret_cast<void*>(0x80200000);
    EXPECT_EQ(render("{:>20}", p), "  0x0000000080200000");
    EXPECT_EQ(render("{:20}", p), "  0x0000000080200000");
    EXPECT_EQ(render("{:<20}|", p), "0x0000000080200000  |");
    EXPECT_EQ(render("{:020p}", p), "0x000000000080200000");
    EXPECT_EQ(render("{:5}", p), "0x0000000080200000");
    EXPECT_EQ(render("{:#p}", p), "{!}");
    EXPECT_EQ(render("{:x}", p), "{!}");
    EXPECT_EQ(render("{:d}", p), "{!}");
    EXPECT_EQ(render("{:s}", p), "{!}");
    EXPECT_EQ(render("{:.4}", p), "{!}");
}

// --- spec parsing -------------------------------------------------------------

TEST(Format, SpecFieldsReachTheHook)
{
    geometry::SpecProbe probe;
    EXPECT_EQ(render("{}", probe), "fill=  align=0 alt=false zero=false width=0 prec=false:0 type=-");
    EXPECT_EQ(render("{:*^#08.3x}", probe), "fill=* align=3 alt=true zero=true width=8 prec=true:3 type=x");
    EXPECT_EQ(render("{:<}", probe), "fill=  align=1 alt=false zero=false width=0 prec=false:0 type=-");
    EXPECT_EQ(render("{:>>12p}", probe), "fill=> align=2 alt=false zero=false width=12 prec=false:0 type=p");
    EXPECT_EQ(render("{::<1}", probe), "fill=: align=1 alt=false zero=false width=1 prec=false:0 type=-");
    EXPECT_EQ(render("{:.0s}", probe), "fill=  align=0 alt=false zero=false width=0 prec=true:0 type=s");
    EXPECT_EQ(render("{:1024}", probe), "fill=  align=0 alt=false zero=false width=1024 prec=false:0 type=-");
}

TEST(Format, FillCharacters)
{
    EXPECT_EQ(render("{:<<5}", 42), "42<<<");
    EXPECT_EQ(render("{:>>5}", 42), ">>>42");
    EXPECT_EQ(render("{:^^6}", 42), "^^42^^");
    EXPECT_EQ(render("{::>5}", 42), ":::42");
    EXPECT_EQ(render("{:#>#6x}", 255), "##0xff");
    EXPECT_EQ(render("{:0<5}", 42), "42000");
    EXPECT_EQ(render("{: >4}", "a"), "   a");
}

TEST(Format, MalformedSpecs)
{
    EXPECT_EQ(render("{:q}", 1), "{!}");
    EXPECT_EQ(render("{:xx}", 1), "{!}");
    EXPECT_EQ(render("{:5x5}", 1), "{!}");
    EXPECT_EQ(render("{:+d}", 1), "{!}"); // no sign option
    EXPECT_EQ(render("{:-}", 1), "{!}");
    EXPECT_EQ(render("{: }", 1), "{!}");
    EXPECT_EQ(render("{:.}", "abc"), "{!}");
    EXPECT_EQ(render("{:5.}", "abc"), "{!}");
    EXPECT_EQ(render("{:.x}", "abc"), "{!}");
    EXPECT_EQ(render("{:##x}", 1), "{!}");
    EXPECT_EQ(render("{:>5<}", 1), "{!}");
    EXPECT_EQ(render("{:5#x}", 1), "{!}");
    EXPECT_EQ(render("{:x#}", 1), "{!}");
    // Fill '<' then align '>' is valid.
    EXPECT_EQ(render("{:<>5}", 1), "<<<<1");
}

TEST(Format, MalformedPlaceholders)
{
    EXPECT_EQ(render("{0}", 5), "{!}"); // no argument indices
    EXPECT_EQ(render("{x}", 5), "{!}");
    EXPECT_EQ(render("{ }", 5), "{!}");
    EXPECT_EQ(render("{:}", 5), "5");
    // Nested replacement fields are not supported; the stray '}' prints.
    EXPECT_EQ(render("{:{}} {}", 5, 6), "{!}} 6");
    // Unterminated: everything after the '{' is dropped.
    EXPECT_EQ(render("{", 5), "{!}");
    EXPECT_EQ(render("abc{", 5), "abc{!}");
    EXPECT_EQ(render("{:", 5), "{!}");
    EXPECT_EQ(render("x {:x abc", 5), "x {!}");
}

TEST(Format, WidthLimits)
{
    EXPECT_EQ(render("{:1024}", 1), std::string(1023, ' ') + "1");
    EXPECT_EQ(render("{:1025}", 1), "{!}");
    EXPECT_EQ(render("{:.1024}", "ab"), "ab");
    EXPECT_EQ(render("{:.1025}", "ab"), "{!}");
    EXPECT_EQ(render("{:99999999999999999999999}", 1), "{!}");
    EXPECT_EQ(render("{:.99999999999999999999999}", "a"), "{!}");
    EXPECT_EQ(render("{:0001}", 1), "1");
}

TEST(Format, ErrorsAreLocalAndConsumeTheirArgument)
{
    // A bad placeholder still takes its argument, so the rest stay aligned.
    EXPECT_EQ(render("{:q}|{}", 1, 2), "{!}|2");
    EXPECT_EQ(render("{:s}|{:x}", 10, 255), "{!}|ff");
    EXPECT_EQ(render("{0}{}", 1, 2), "{!}2");
    EXPECT_EQ(render("a{:q}b{{c", 1), "a{!}b{c");
}

TEST(Format, MissingAndSurplusArguments)
{
    EXPECT_EQ(render("{}"), "{?}");
    EXPECT_EQ(render("{:x}"), "{?}");
    EXPECT_EQ(render("{} {}", 1), "1 {?}");
    EXPECT_EQ(render("{} {} {}", "a"), "a {?} {?}");
    EXPECT_EQ(render("{:>5} {:#x}", 1), "    1 {?}");
    // A bad spec is reported as such even without an argument.
    EXPECT_EQ(render("{:q}"), "{!}");
    EXPECT_EQ(render("{}", 1, 2, 3), "1");
    EXPECT_EQ(render("x", 1, "two", '3'), "x");
}

TEST(Format, NeverReadsPastTheFormatString)
{
    // Exactly sized heap copies without a NUL: ASan reports any overread.
    for (const char* text : {"x{", "x{:", "x{:>", "x{:5.", "x}", "x{}", "{{", "}}", "x{:#0"}) {
        std::vector<char> block(text, text + std::strlen(text));
        StringView fmt(block.data(), block.size());
        StringSink sink;
        lib::format(sink, fmt, 7);
        std::string expected = std::string(text) == "x{}" ? "x7"
                             : std::string(text) == "{{" ? "{"
                             : std::string(text) == "}}" ? "}"
                             : std::string(text) == "x}" ? "x}"
                                                         : "x{!}";
        EXPECT_EQ(sink.text(), expected) << text;
    }
}

// --- BufferSink ---------------------------------------------------------------

TEST(BufferSink, CapacityZeroNeverTouchesTheBuffer)
{
    char buffer[4] = {'#', '#', '#', '#'};
    lib::BufferSink sink(buffer, 0);
    lib::format(sink, "hello");
    EXPECT_EQ(sink.length(), 5u);
    EXPECT_EQ(sink.stored(), 0u);
    EXPECT_TRUE(sink.truncated());
    EXPECT_TRUE(sink.view().is_empty());
    EXPECT_EQ(buffer[0], '#');
    // The snprintf(NULL, 0) idiom: measure first.
    EXPECT_EQ(lib::format_to(nullptr, 0, "{}-{}", 12345, "ab"), 8u);
}

TEST(BufferSink, CapacityOneHoldsOnlyTheNul)
{
    char buffer[4] = {'#', '#', '#', '#'};
    lib::BufferSink sink(buffer, 1);
    EXPECT_EQ(buffer[0], '\0');
    lib::format(sink, "hello");
    EXPECT_EQ(buffer[0], '\0');
    EXPECT_EQ(buffer[1], '#');
    EXPECT_EQ(sink.length(), 5u);
    EXPECT_TRUE(sink.truncated());
    EXPECT_EQ(sink.view(), StringView(""));
}

TEST(BufferSink, ExactFitIsNotTruncated)
{
    char buffer[8];
    std::memset(buffer, '#', sizeof(buffer));
    lib::BufferSink sink(buffer, 6);
    lib::format(sink, "{}", "hello");
    EXPECT_STREQ(buffer, "hello");
    EXPECT_EQ(buffer[6], '#');
    EXPECT_EQ(sink.length(), 5u);
    EXPECT_FALSE(sink.truncated());
    EXPECT_EQ(sink.view(), StringView("hello"));
}

TEST(BufferSink, OneShortIsTruncated)
{
    char buffer[8];
    std::memset(buffer, '#', sizeof(buffer));
    lib::BufferSink sink(buffer, 5);
    lib::format(sink, "{}", "hello");
    EXPECT_STREQ(buffer, "hell");
    EXPECT_EQ(buffer[5], '#');
    EXPECT_EQ(sink.length(), 5u);
    EXPECT_TRUE(sink.truncated());
    EXPECT_EQ(sink.view(), StringView("hell"));
}

TEST(BufferSink, ManyWritesAcrossTheEdge)
{
    char buffer[8];
    std::memset(buffer, '#', sizeof(buffer));
    usize length = lib::format_to(buffer, 5, "{}{}{:>4}", "abc", 12, 'z');
    EXPECT_EQ(length, 9u);
    EXPECT_STREQ(buffer, "abc1");
    EXPECT_EQ(buffer[5], '#');
    // Later writes after the buffer is full keep counting and keep the NUL.
    lib::BufferSink sink(buffer, 3);
    for (int i = 0; i < 10; ++i)
        lib::format(sink, "{}", i);
    EXPECT_EQ(sink.length(), 10u);
    EXPECT_STREQ(buffer, "01");
}

TEST(BufferSink, EmptyOutputAndArrayConstructor)
{
    char buffer[16];
    std::memset(buffer, '#', sizeof(buffer));
    lib::BufferSink sink(buffer);
    EXPECT_EQ(buffer[0], '\0');
    lib::format(sink, "");
    EXPECT_FALSE(sink.truncated());
    EXPECT_EQ(sink.length(), 0u);
    lib::format(sink, "{:#x} {}", 48879, true);
    EXPECT_EQ(sink.view(), StringView("0xbeef true"));
    EXPECT_STREQ(buffer, "0xbeef true");
    lib::format(sink, "{}", "!!!!!!!!");
    EXPECT_EQ(sink.length(), 19u);
    EXPECT_TRUE(sink.truncated());
    EXPECT_STREQ(buffer, "0xbeef true!!!!");
}

TEST(BufferSink, WorksThroughTheInterface)
{
    char buffer[16];
    lib::BufferSink buffer_sink(buffer, sizeof(buffer));
    lib::FormatSink& sink = buffer_sink;
    sink.write("ab", 2);
    lib::format(sink, "{}", 3);
    EXPECT_STREQ(buffer, "ab3");
}

// --- hooks ----------------------------------------------------------------------

TEST(FormatHook, UserTypes)
{
    geometry::Point p{3, -4};
    EXPECT_EQ(render("{}", p), "(3, -4)");
    EXPECT_EQ(render("at {} and {}", p, geometry::Point{0, 1}), "at (3, -4) and (0, 1)");
    geometry::Address a{0x80200000};
    EXPECT_EQ(render("{}", a), "2149580800");
    EXPECT_EQ(render("{:#018x}", a), "0x0000000080200000");
    EXPECT_EQ(render("{:>12x}|", a), "    80200000|");
    EXPECT_EQ(render("{:s}", a), "{!}");
    // A hooked enum prints through its hook, not as a number.
    EXPECT_EQ(render("{} {:>6}", geometry::Mode::Read, geometry::Mode::Write), "read  write");
}

// <errno.h> (pulled in by gtest) defines EINVAL and friends as macros, which
// hides the Errno enumerators in host code; use the numbers instead.
static Errno errno_of(int n) { return static_cast<Errno>(n); }

TEST(FormatHook, Errno)
{
    EXPECT_EQ(render("{}", errno_of(22)), "EINVAL");
    EXPECT_EQ(render("{}", errno_of(12)), "ENOMEM");
    EXPECT_EQ(render("{:s}", errno_of(1)), "EPERM");
    EXPECT_EQ(render("{:>8}", errno_of(22)), "  EINVAL");
    EXPECT_EQ(render("{:<8}|", errno_of(5)), "EIO     |");
    EXPECT_EQ(render("{:.3}", errno_of(12)), "ENO");
    EXPECT_EQ(render("{:d}", errno_of(22)), "22");
    EXPECT_EQ(render("{:#x}", errno_of(110)), "0x6e");
    EXPECT_EQ(render("{:03d}", errno_of(5)), "005");
    EXPECT_EQ(render("{}", static_cast<Errno>(999)), "E?");
    EXPECT_EQ(render("{:p}", errno_of(5)), "{!}");
    EXPECT_EQ(render("failed: {} ({:d})", errno_of(2), errno_of(2)), "failed: ENOENT (2)");
}

TEST(FormatHook, FormatAsWithAHandBuiltSpec)
{
    lib::FormatSpec spec;
    spec.width = 6;
    spec.fill = '.';
    spec.align = lib::FormatAlign::Center;
    StringSink sink;
    lib::format_as(sink, spec, 42);
    lib::format_as(sink, spec, "ab");
    EXPECT_EQ(sink.text(), "..42....ab..");
}

TEST(FormatSink, PaddingIsWrittenInChunks)
{
    StringSink sink;
    lib::format(sink, "{:1024}", "");
    EXPECT_EQ(sink.text(), std::string(1024, ' '));
    EXPECT_LE(sink.calls(), 1024u / 16);
}

// --- differential test against snprintf -----------------------------------------

TEST(FormatDifferential, IntegersMatchSnprintf)
{
    std::mt19937_64 random(0x6d797269616eULL); // "myrian": fixed, so failures reproduce
    char expected[128];
    char actual[128];
    char fmt[32];
    for (int i = 0; i < 4000; ++i) {
        // Spread magnitudes over all bit lengths, including 0 and the extremes.
        u64 value = random() >> (random() % 64);
        if (i % 97 == 0)
            value = UINT64_MAX;
        if (i % 89 == 0)
            value = 0;
        const char type = "dxo"[random() % 3];
        bool is_signed = type == 'd' && random() % 2 == 0;
        if (is_signed && random() % 2 == 0)
            value = 0 - value; // negative, and INT64_MIN when value was 1 << 63
        unsigned width = static_cast<unsigned>(random() % 41);
        bool zero = width > 0 && random() % 2 == 0;
        bool left = !zero && random() % 4 == 0;
        // C's %#x drops the prefix for 0; std::format and we keep it.
        bool alternate = type == 'x' && value != 0 && random() % 3 == 0;

        std::snprintf(fmt, sizeof(fmt), "{:%s%s%s%u%c}", left ? "<" : "", alternate ? "#" : "", zero ? "0" : "",
                      width, type);
        std::string c_format = std::string("%") + (left ? "-" : "") + (alternate ? "#" : "") + (zero ? "0" : "")
                             + "*"
                             + (is_signed         ? PRId64
                                : type == 'd' ? PRIu64
                                : type == 'x' ? PRIx64
                                              : PRIo64);
        usize length;
        if (is_signed) {
            i64 v = static_cast<i64>(value);
            std::snprintf(expected, sizeof(expected), c_format.c_str(), static_cast<int>(width), v);
            length = lib::format_to(actual, sizeof(actual), StringView(fmt), v);
        } else {
            std::snprintf(expected, sizeof(expected), c_format.c_str(), static_cast<int>(width), value);
            length = lib::format_to(actual, sizeof(actual), StringView(fmt), value);
        }
        ASSERT_STREQ(actual, expected) << "format " << fmt << " value " << value << " signed " << is_signed;
        ASSERT_EQ(length, std::strlen(expected));
    }
}
