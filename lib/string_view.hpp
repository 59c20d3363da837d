// StringView: a pointer and a length, never owning, never NUL-dependent.
#pragma once

#include "lib/types.hpp"

namespace lib {

inline usize cstring_length(const char* s)
{
    usize n = 0;
    while (s[n])
        ++n;
    return n;
}

class StringView {
public:
    constexpr StringView() = default;
    constexpr StringView(const char* s, usize n) : m_data(s), m_length(n) {}
    StringView(const char* s) : m_data(s), m_length(s ? cstring_length(s) : 0) {}

    constexpr const char* data() const { return m_data; }
    constexpr usize length() const { return m_length; }
    constexpr bool is_empty() const { return m_length == 0; }
    constexpr char operator[](usize i) const { return m_data[i]; }

    bool operator==(StringView o) const
    {
        if (m_length != o.m_length)
            return false;
        for (usize i = 0; i < m_length; ++i)
            if (m_data[i] != o.m_data[i])
                return false;
        return true;
    }
    bool starts_with(StringView p) const { return p.m_length <= m_length && substring(0, p.m_length) == p; }
    bool ends_with(StringView p) const
    {
        return p.m_length <= m_length && substring(m_length - p.m_length, p.m_length) == p;
    }
    constexpr StringView substring(usize start, usize n) const { return {m_data + start, n}; }
    constexpr StringView substring(usize start) const { return {m_data + start, m_length - start}; }
    // Index of the first c, or length() when absent.
    usize find(char c) const
    {
        for (usize i = 0; i < m_length; ++i)
            if (m_data[i] == c)
                return i;
        return m_length;
    }

private:
    const char* m_data = nullptr;
    usize m_length = 0;
};

} // namespace lib
