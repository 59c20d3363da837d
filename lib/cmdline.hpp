// The kernel command line (/chosen bootargs), Linux style: whitespace-
// separated words `key` or `key=value`, a value optionally double-quoted
// (`init="/bin/sh -x"`). Parsed once into fixed storage; every key and value
// returned is a view into the caller's text, which must outlive the parse.
#pragma once

#include "lib/optional.hpp"
#include "lib/result.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib {

class CommandLine {
public:
    // Linux's COMMAND_LINE_SIZE on RISC-V (arch/riscv/include/uapi/asm/setup.h) is 1024.
    static constexpr usize k_max_length = 1024;
    static constexpr usize k_max_entries = 64;

    struct Entry {
        StringView key;
        StringView value;       // without quotes; empty for a bare `key`
        bool has_value = false; // the word had '='
    };

    class Iterator {
    public:
        Iterator(const CommandLine* line, usize index) : m_line(line), m_index(index) {}
        Entry operator*() const { return m_line->entry(m_index); }
        Iterator& operator++()
        {
            ++m_index;
            return *this;
        }
        bool operator!=(const Iterator& o) const { return m_index != o.m_index; }

    private:
        const CommandLine* m_line;
        usize m_index;
    };

    // Items of a separated list value ("alloc,timer"); empty items are skipped.
    class ListIterator {
    public:
        ListIterator(StringView rest, char separator) : m_rest(rest), m_separator(separator) { settle(); }
        StringView operator*() const { return m_item; }
        ListIterator& operator++()
        {
            settle();
            return *this;
        }
        bool operator!=(const ListIterator& o) const
        {
            return m_done != o.m_done || (!m_done && m_item.data() != o.m_item.data());
        }

    private:
        void settle();
        StringView m_rest;
        StringView m_item;
        char m_separator;
        bool m_done = false;
    };

    class List {
    public:
        List(StringView text, char separator) : m_text(text), m_separator(separator) {}
        ListIterator begin() const { return {m_text, m_separator}; }
        ListIterator end() const { return {m_text.substring(m_text.length()), m_separator}; }
        bool contains(StringView item) const;

    private:
        StringView m_text;
        char m_separator;
    };

    // Errors (all with a message): E2BIG when longer than k_max_length or
    // more than k_max_entries words; EINVAL for an unterminated quote, an
    // empty key (`=x`), a character not allowed in a key, a quote inside an
    // unquoted value or text right after a closing quote.
    static Result<CommandLine> parse(StringView text);

    usize count() const { return m_count; }
    Entry entry(usize index) const;
    Iterator begin() const { return {this, 0}; }
    Iterator end() const { return {this, m_count}; }

    bool has(StringView key) const;
    // The text after a bare "--": not kernel parameters but init's
    // arguments, separated by blanks (empty when there is no "--").
    StringView init_arguments() const { return m_init_args; }
    // The value of the last occurrence of key; a bare `key` gives "".
    Optional<StringView> get(StringView key) const;
    // The value as decimal or 0x-hex; ENOENT when absent, EINVAL when not a
    // number (including a bare key) or when it overflows 64 bits.
    Result<u64> get_u64(StringView key) const;

    // Splits a list value: for (StringView t : CommandLine::split_list(v)).
    static List split_list(StringView value, char separator = ',') { return {value, separator}; }

    // An empty command line (no words): what the kernel uses when the
    // device tree has no bootargs or they do not parse.
    CommandLine() = default;

private:
    // Offsets into m_text; the text is at most k_max_length (1024) bytes.
    struct Slot {
        u16 key_start;
        u16 key_length;
        u16 value_start;
        u16 value_length; // k_no_value for a bare key
    };
    static constexpr u16 k_no_value = 0xffff;
    // Index of the last entry with key, or m_count.
    usize find_last(StringView key) const;

    const char* m_text = nullptr;
    usize m_count = 0;
    StringView m_init_args;
    Slot m_slots[k_max_entries] = {};
};

} // namespace lib
