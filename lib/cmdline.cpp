// Kernel command-line parsing: splits the text into key/value entries once
// (checking every word) and answers lookups from fixed storage.
#include "lib/cmdline.hpp"

namespace lib {

namespace {

// As Linux's isspace() in lib/cmdline.c's next_arg().
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ',';
}

// Digit value of c in base 10 or 16, or -1.
int digit_value(char c, u64 base)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (base == 16 && c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

Result<CommandLine> CommandLine::parse(StringView text)
{
    if (text.length() > k_max_length)
        return make_error(Errno::e2big, "command line longer than 1024 characters");
    CommandLine line;
    line.m_text = text.data();
    usize n = text.length();
    usize i = 0;
    for (;;) {
        while (i < n && is_space(text[i]))
            ++i;
        if (i == n)
            return line;
        // A bare "--" ends the kernel's parameters: the rest belongs to init
        // (Linux's init/main.c does the same).
        if (i + 2 <= n && text[i] == '-' && text[i + 1] == '-' && (i + 2 == n || is_space(text[i + 2]))) {
            usize rest = i + 2;
            while (rest < n && is_space(text[rest]))
                ++rest;
            line.m_init_args = text.substring(rest);
            return line;
        }
        usize key_start = i;
        while (i < n && !is_space(text[i]) && text[i] != '=') {
            if (!is_key_char(text[i]))
                return make_error(Errno::einval, "bad character in a command-line key");
            ++i;
        }
        if (i == key_start)
            return make_error(Errno::einval, "empty command-line key (word starts with '=')");
        Slot slot{u16(key_start), u16(i - key_start), 0, k_no_value};
        if (i < n && text[i] == '=') {
            ++i;
            if (i < n && text[i] == '"') {
                usize start = ++i;
                while (i < n && text[i] != '"')
                    ++i;
                if (i == n)
                    return make_error(Errno::einval, "unterminated quote on the command line");
                slot.value_start = u16(start);
                slot.value_length = u16(i - start);
                ++i;
                if (i < n && !is_space(text[i]))
                    return make_error(Errno::einval, "text right after a closing quote on the command line");
            } else {
                usize start = i;
                while (i < n && !is_space(text[i])) {
                    if (text[i] == '"')
                        return make_error(Errno::einval, "quote inside an unquoted command-line value");
                    ++i;
                }
                slot.value_start = u16(start);
                slot.value_length = u16(i - start);
            }
        }
        if (line.m_count == k_max_entries)
            return make_error(Errno::e2big, "more than 64 words on the command line");
        line.m_slots[line.m_count++] = slot;
    }
}

CommandLine::Entry CommandLine::entry(usize index) const
{
    if (index >= m_count)
        return {};
    const Slot& s = m_slots[index];
    Entry e;
    e.key = StringView(m_text + s.key_start, s.key_length);
    e.has_value = s.value_length != k_no_value;
    if (e.has_value)
        e.value = StringView(m_text + s.value_start, s.value_length);
    return e;
}

usize CommandLine::find_last(StringView key) const
{
    for (usize i = m_count; i > 0; --i)
        if (StringView(m_text + m_slots[i - 1].key_start, m_slots[i - 1].key_length) == key)
            return i - 1;
    return m_count;
}

bool CommandLine::has(StringView key) const { return find_last(key) < m_count; }

Optional<StringView> CommandLine::get(StringView key) const
{
    usize i = find_last(key);
    if (i == m_count)
        return {};
    return entry(i).value;
}

Result<u64> CommandLine::get_u64(StringView key) const
{
    usize i = find_last(key);
    if (i == m_count)
        return make_error(Errno::enoent, "no such key on the command line");
    StringView v = entry(i).value;
    u64 base = 10;
    if (v.length() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        v = v.substring(2);
    }
    if (v.is_empty())
        return make_error(Errno::einval, "command-line value is not a number");
    u64 result = 0;
    for (usize k = 0; k < v.length(); ++k) {
        int d = digit_value(v[k], base);
        if (d < 0)
            return make_error(Errno::einval, "command-line value is not a number");
        if (result > (~u64(0) - u64(d)) / base)
            return make_error(Errno::einval, "command-line number overflows 64 bits");
        result = result * base + u64(d);
    }
    return result;
}

void CommandLine::ListIterator::settle()
{
    for (;;) {
        if (m_rest.is_empty()) {
            m_done = true;
            m_item = StringView();
            return;
        }
        usize cut = m_rest.find(m_separator);
        m_item = m_rest.substring(0, cut);
        m_rest = cut < m_rest.length() ? m_rest.substring(cut + 1) : m_rest.substring(m_rest.length());
        if (!m_item.is_empty())
            return;
    }
}

bool CommandLine::List::contains(StringView item) const
{
    for (StringView s : *this)
        if (s == item)
            return true;
    return false;
}

} // namespace lib
