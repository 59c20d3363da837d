// Path component splitting (lib/path.hpp).
#include "lib/path.hpp"

namespace lib {

bool PathCursor::at_end() const
{
    for (usize i = m_pos; i < m_path.length(); ++i)
        if (m_path[i] != '/')
            return false;
    return true;
}

PathComponent PathCursor::next()
{
    usize i = m_pos;
    while (i < m_path.length() && m_path[i] == '/')
        ++i;
    usize end = i;
    while (end < m_path.length() && m_path[end] != '/')
        ++end;
    m_pos = end;
    PathComponent c{m_path.substring(i, end - i), at_end(), false};
    c.trailing_slash = c.last && end < m_path.length();
    return c;
}

ParentSplit split_parent(StringView path)
{
    usize end = path.length();
    bool trailing_slash = false;
    while (end > 1 && path[end - 1] == '/') {
        --end;
        trailing_slash = true;
    }
    usize slash = end;
    while (slash > 0 && path[slash - 1] != '/')
        --slash;
    return {path.substring(0, slash), path.substring(slash, end - slash), trailing_slash};
}

} // namespace lib
