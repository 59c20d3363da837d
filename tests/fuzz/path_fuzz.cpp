// libFuzzer harness for lib/path: PathCursor and split_parent over any
// bytes. The components must be exactly the path with its slashes
// collapsed, each a view into the path; split_parent must cut the same
// last component the cursor ends on.
#include "fuzz_support.hpp"
#include "lib/path.hpp"

#include <cstdint>
#include <string>

using namespace lib;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    StringView path(reinterpret_cast<const char*>(data), size);
    PathCursor cursor(path);
    std::string joined, expected;
    for (usize i = 0; i < size; ++i) {
        char c = path[i];
        if (c != '/')
            expected += c;
        else if (!expected.empty() && expected.back() != '/')
            expected += '/';
    }
    if (!expected.empty() && expected.back() == '/')
        expected.pop_back();

    usize count = 0;
    StringView last_name;
    bool saw_last = false;
    while (!cursor.at_end()) {
        FUZZ_CHECK(!saw_last);
        PathComponent c = cursor.next();
        FUZZ_CHECK(!c.name.is_empty() && c.name.find('/') == c.name.length());
        FUZZ_CHECK(fuzz_inside(c.name.data(), c.name.length(), data, size));
        FUZZ_CHECK(!c.trailing_slash || c.last);
        FUZZ_CHECK(c.last == cursor.at_end());
        StringView rest = cursor.rest();
        FUZZ_CHECK(rest.data() == c.name.data() + c.name.length());
        if (c.last)
            FUZZ_CHECK(c.trailing_slash == !rest.is_empty());
        saw_last = c.last;
        last_name = c.name;
        if (!joined.empty())
            joined += '/';
        joined.append(c.name.data(), c.name.length());
        FUZZ_CHECK(++count <= size);
    }
    FUZZ_CHECK(joined == expected);

    ParentSplit split = split_parent(path);
    FUZZ_CHECK(split.parent.length() + split.name.length() <= size);
    if (!split.parent.is_empty())
        FUZZ_CHECK(split.parent.data() == path.data());
    FUZZ_CHECK(split.name.find('/') == split.name.length());
    FUZZ_CHECK(split.parent.is_empty() || split.parent[split.parent.length() - 1] == '/');
    if (count > 0) {
        FUZZ_CHECK(split.name == last_name);
        FUZZ_CHECK(split.name.data() == last_name.data());
    } else {
        FUZZ_CHECK(split.name.is_empty());
    }
    // What follows the name is slashes only, and there are some exactly
    // when trailing_slash says so.
    usize after = split.parent.length() + split.name.length();
    for (usize i = after; i < size; ++i)
        FUZZ_CHECK(path[i] == '/');
    if (count > 0)
        FUZZ_CHECK(split.trailing_slash == (after < size));
    return 0;
}
