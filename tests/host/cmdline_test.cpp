// Host tests for lib/cmdline: Linux-style kernel command lines, the limits
// (64 words, 1024 characters) and every syntax error.
#include "lib/cmdline.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using lib::CommandLine;
using lib::StringView;

namespace {

std::string str(StringView s) { return std::string(s.data(), s.length()); }

CommandLine must_parse(const char* text)
{
    auto r = CommandLine::parse(text);
    if (r.is_error()) {
        ADD_FAILURE() << "rejected \"" << text << "\": " << r.error().what;
        return CommandLine::parse("").release_value();
    }
    return r.release_value();
}

void expect_rejected(StringView text, Errno code, const char* what)
{
    auto r = CommandLine::parse(text);
    ASSERT_TRUE(r.is_error()) << "accepted \"" << str(text) << "\"";
    EXPECT_EQ(r.code(), code);
    ASSERT_NE(r.error().what, nullptr);
    EXPECT_NE(std::string(r.error().what).find(what), std::string::npos) << "got: " << r.error().what;
}

} // namespace

TEST(CmdLine, EmptyAndBlank)
{
    EXPECT_EQ(must_parse("").count(), 0u);
    EXPECT_EQ(must_parse(" \t\n\r ").count(), 0u);
    EXPECT_EQ(CommandLine::parse(StringView()).value().count(), 0u);
}

TEST(CmdLine, KeysValuesAndFlags)
{
    auto line = must_parse("  console=ttyS0 ktest\ttick_ms=5\n root=PARTUUID=abc-1 empty= ");
    ASSERT_EQ(line.count(), 5u);
    std::vector<std::string> keys;
    for (auto e : line)
        keys.push_back(str(e.key));
    EXPECT_EQ(keys, (std::vector<std::string>{"console", "ktest", "tick_ms", "root", "empty"}));
    EXPECT_TRUE(line.entry(0).has_value);
    EXPECT_EQ(str(line.entry(0).value), "ttyS0");
    EXPECT_FALSE(line.entry(1).has_value);
    EXPECT_EQ(str(line.get("root").value_or("")), "PARTUUID=abc-1"); // split at the first '='
    EXPECT_TRUE(line.entry(4).has_value);
    EXPECT_TRUE(line.get("empty")->is_empty());
    EXPECT_TRUE(line.has("ktest"));
    EXPECT_TRUE(line.get("ktest").has_value()); // a bare flag has an empty value
    EXPECT_TRUE(line.get("ktest")->is_empty());
    EXPECT_FALSE(line.has("kte"));
    EXPECT_FALSE(line.has("console=ttyS0"));
    EXPECT_FALSE(line.get("missing"));
    EXPECT_TRUE(line.entry(5).key.is_empty()); // out of range: an empty entry
}

TEST(CmdLine, KeyCharacters)
{
    auto line = must_parse("rd.break mod.param=1 a-b_c,D9=x --");
    EXPECT_TRUE(line.has("rd.break"));
    EXPECT_EQ(str(line.get("mod.param").value_or("")), "1");
    EXPECT_EQ(str(line.get("a-b_c,D9").value_or("")), "x");
    // A bare "--" is not a key: it ends the kernel's parameters (Linux).
    EXPECT_FALSE(line.has("--"));
    EXPECT_TRUE(line.init_arguments().is_empty());
}

TEST(CmdLine, QuotedValues)
{
    auto line = must_parse("init=\"/bin/sh -x\" empty=\"\" next=1");
    ASSERT_EQ(line.count(), 3u);
    EXPECT_EQ(str(line.get("init").value_or("")), "/bin/sh -x");
    EXPECT_TRUE(line.get("empty").has_value());
    EXPECT_TRUE(line.get("empty")->is_empty());
    EXPECT_EQ(line.get_u64("next").value_or(0), 1u);
    EXPECT_EQ(str(must_parse("a=\"x=y\tz\"").get("a").value_or("")), "x=y\tz");
}

TEST(CmdLine, LastOccurrenceWins)
{
    auto line = must_parse("console=ttyS0 loglevel=3 console=hvc0 loglevel");
    EXPECT_EQ(str(line.get("console").value_or("")), "hvc0");
    EXPECT_TRUE(line.get("loglevel")->is_empty());
    EXPECT_EQ(line.get_u64("loglevel").code(), Errno::einval); // the bare flag came last
    EXPECT_EQ(line.count(), 4u);
}

TEST(CmdLine, ValuesAreViewsIntoTheText)
{
    const char* text = "a=1 b=\"two\"";
    auto line = must_parse(text);
    EXPECT_EQ(line.get("a")->data(), text + 2);
    EXPECT_EQ(line.get("b")->data(), text + 7);
}

TEST(CmdLine, Numbers)
{
    auto line = must_parse("d=42 h=0x1F H=0XfF zero=0 max=18446744073709551615 hmax=0xffffffffffffffff "
                           "over=18446744073709551616 hover=0x10000000000000000 neg=-1 plus=+1 hex=0x "
                           "junk=12a sp=\" 1\" flag");
    EXPECT_EQ(line.get_u64("d").value_or(0), 42u);
    EXPECT_EQ(line.get_u64("h").value_or(0), 0x1fu);
    EXPECT_EQ(line.get_u64("H").value_or(0), 0xffu);
    EXPECT_EQ(line.get_u64("zero").value_or(1), 0u);
    EXPECT_EQ(line.get_u64("max").value_or(0), ~u64(0));
    EXPECT_EQ(line.get_u64("hmax").value_or(0), ~u64(0));
    for (const char* bad : {"over", "hover", "neg", "plus", "hex", "junk", "sp", "flag"}) {
        auto r = line.get_u64(bad);
        EXPECT_TRUE(r.is_error()) << bad;
        EXPECT_EQ(r.code(), Errno::einval) << bad;
        EXPECT_NE(r.error().what, nullptr);
    }
    EXPECT_EQ(line.get_u64("absent").code(), Errno::enoent);
}

TEST(CmdLine, ListSplitter)
{
    auto items = [](StringView v) {
        std::vector<std::string> out;
        for (StringView s : CommandLine::split_list(v))
            out.push_back(str(s));
        return out;
    };
    EXPECT_EQ(items("alloc,timer"), (std::vector<std::string>{"alloc", "timer"}));
    EXPECT_EQ(items("alloc"), (std::vector<std::string>{"alloc"}));
    EXPECT_EQ(items(",a,,b,"), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(items("").empty());
    EXPECT_TRUE(items(",,,").empty());
    std::vector<std::string> colon;
    for (StringView s : CommandLine::split_list("x:y", ':'))
        colon.push_back(str(s));
    EXPECT_EQ(colon, (std::vector<std::string>{"x", "y"}));
    EXPECT_TRUE(CommandLine::split_list("alloc,timer").contains("timer"));
    EXPECT_FALSE(CommandLine::split_list("alloc,timer").contains("time"));
    EXPECT_FALSE(CommandLine::split_list("").contains(""));
}

TEST(CmdLine, SyntaxErrors)
{
    expect_rejected("init=\"/bin/sh -x", Errno::einval, "unterminated quote");
    expect_rejected("a=\"", Errno::einval, "unterminated quote");
    expect_rejected("=x", Errno::einval, "empty command-line key");
    expect_rejected("ok=1 =", Errno::einval, "empty command-line key");
    expect_rejected("ba$d=1", Errno::einval, "bad character");
    expect_rejected("\"quoted=1\"", Errno::einval, "bad character");
    expect_rejected("a/b", Errno::einval, "bad character");
    expect_rejected(StringView("a\0b", 3), Errno::einval, "bad character");
    expect_rejected("a=\"x\"y", Errno::einval, "after a closing quote");
    expect_rejected("a=b\"c\"", Errno::einval, "quote inside an unquoted");
}

TEST(CmdLine, Limits)
{
    std::string words;
    for (int i = 0; i < 64; ++i)
        words.append("w").append(std::to_string(i)).append(" ");
    auto line = CommandLine::parse(StringView(words.data(), words.size()));
    ASSERT_TRUE(line.is_ok());
    EXPECT_EQ(line->count(), 64u);
    EXPECT_TRUE(line->has("w63"));
    words += "w64";
    expect_rejected(StringView(words.data(), words.size()), Errno::e2big, "more than 64 words");

    std::string longest(1024, 'v');
    longest[0] = 'k';
    longest[1] = '=';
    auto full = CommandLine::parse(StringView(longest.data(), longest.size()));
    ASSERT_TRUE(full.is_ok());
    EXPECT_EQ(full->get("k")->length(), 1022u);
    longest += "v";
    expect_rejected(StringView(longest.data(), longest.size()), Errno::e2big, "longer than 1024");
}

TEST(CmdlineInitArguments, DoubleDashEndsKernelParameters)
{
    auto r = lib::CommandLine::parse("init=/bin/echo quiet -- hello init=not-a-kernel-option");
    ASSERT_TRUE(r.is_ok());
    EXPECT_TRUE(r->has("quiet"));
    ASSERT_TRUE(r->get("init").has_value());
    EXPECT_EQ(std::string(r->get("init")->data(), r->get("init")->length()), "/bin/echo");
    lib::StringView rest = r->init_arguments();
    EXPECT_EQ(std::string(rest.data(), rest.length()), "hello init=not-a-kernel-option");
    EXPECT_EQ(r->count(), 2u);
    // "--x" is an ordinary key, and a trailing "--" leaves nothing for init.
    auto k = lib::CommandLine::parse("--x a --");
    ASSERT_TRUE(k.is_ok());
    EXPECT_TRUE(k->has("--x"));
    EXPECT_TRUE(k->init_arguments().is_empty());
}
