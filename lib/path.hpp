// Splitting path names into components (path_resolution(7)): pure text
// work, no filesystem. The VFS walks a path with PathCursor; creating and
// removing calls split the last component off with split_parent.
#pragma once

#include "lib/string_view.hpp"

namespace lib {

struct PathComponent {
    StringView name;     // never empty, never contains '/'
    bool last;           // nothing but slashes follows it
    bool trailing_slash; // last, and at least one slash follows it
};

// Walks the components of a path left to right, skipping repeated
// slashes. A leading slash is not a component: the caller decides where
// an absolute path starts (is_absolute).
class PathCursor {
public:
    PathCursor() = default;
    explicit PathCursor(StringView path) : m_path(path) {}

    static bool is_absolute(StringView path) { return !path.is_empty() && path[0] == '/'; }

    // True when only slashes (or nothing) are left.
    bool at_end() const;
    // The next component; call only when !at_end().
    PathComponent next();
    // What is still to walk (after the component next() returned last).
    StringView rest() const { return m_path.substring(m_pos); }

private:
    StringView m_path;
    usize m_pos = 0;
};

// "a/b/c" -> parent "a/b/", name "c"; "c" -> parent "", name "c";
// "/c" -> parent "/", name "c"; "a/b/" -> parent "a/", name "b" with
// trailing_slash; "/" -> parent "/", name "" (no last component).
struct ParentSplit {
    StringView parent; // empty: the starting directory itself
    StringView name;
    bool trailing_slash;
};
ParentSplit split_parent(StringView path);

} // namespace lib
