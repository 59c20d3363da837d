// Host tests for lib/path: components, repeated and trailing slashes,
// and the parent/name split the create and remove calls use.
#include "lib/path.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using lib::PathCursor;
using lib::StringView;

namespace {

std::string str(StringView s) { return std::string(s.data(), s.length()); }

// "name" per component, with "/" appended to the last when it had a
// trailing slash and "$" marking the one reported last.
std::vector<std::string> walk(const char* path)
{
    std::vector<std::string> out;
    PathCursor cursor{StringView(path)};
    while (!cursor.at_end()) {
        auto c = cursor.next();
        std::string s = str(c.name);
        if (c.trailing_slash)
            s += "/";
        if (c.last)
            s += "$";
        out.push_back(s);
        if (out.size() > 100)
            break;
    }
    return out;
}

using V = std::vector<std::string>;

} // namespace

TEST(Path, Components)
{
    EXPECT_EQ(walk("a/b/c"), (V{"a", "b", "c$"}));
    EXPECT_EQ(walk("/a//b///c"), (V{"a", "b", "c$"}));
    EXPECT_EQ(walk("a/b/"), (V{"a", "b/$"}));
    EXPECT_EQ(walk("a//"), (V{"a/$"}));
    EXPECT_EQ(walk("./.."), (V{".", "..$"}));
}

TEST(Path, NothingToWalk)
{
    EXPECT_EQ(walk(""), V{});
    EXPECT_EQ(walk("/"), V{});
    EXPECT_EQ(walk("///"), V{});
}

TEST(Path, RestAfterAComponent)
{
    PathCursor cursor{StringView("link/x/y")};
    auto c = cursor.next();
    EXPECT_EQ(str(c.name), "link");
    EXPECT_FALSE(c.last);
    EXPECT_EQ(str(cursor.rest()), "/x/y");
}

TEST(Path, Absolute)
{
    EXPECT_TRUE(PathCursor::is_absolute("/x"));
    EXPECT_FALSE(PathCursor::is_absolute("x/"));
    EXPECT_FALSE(PathCursor::is_absolute(""));
}

TEST(Path, SplitParent)
{
    struct Case {
        const char* path;
        const char* parent;
        const char* name;
        bool trailing;
    } cases[] = {
        {"a/b/c", "a/b/", "c", false}, {"c", "", "c", false},   {"/c", "/", "c", false},
        {"a/b/", "a/", "b", true},     {"/", "/", "", false},   {"//", "/", "", true},
        {"a//b//", "a//", "b", true},  {"..", "", "..", false}, {"", "", "", false},
    };
    for (const auto& c : cases) {
        auto s = lib::split_parent(c.path);
        EXPECT_EQ(str(s.parent), c.parent) << c.path;
        EXPECT_EQ(str(s.name), c.name) << c.path;
        EXPECT_EQ(s.trailing_slash, c.trailing) << c.path;
    }
}
