// Flattened devicetree reader, the blob and its tree: Blob::parse() checks
// every header field and every structure-block token once (Devicetree
// Specification v0.4, section 5), so the queries below and in
// fdt_machine.cpp can walk the tree without re-validating; they still
// bound-check every read, so even a Node not from this blob is safe.
#include "lib/fdt.hpp"
#include "lib/fdt_internal.hpp"

namespace lib::fdt {

using namespace detail;

namespace {

// Section 5.2: header field offsets (all big-endian u32).
constexpr u32 k_off_magic = 0;
constexpr u32 k_off_totalsize = 4;
constexpr u32 k_off_dt_struct = 8;
constexpr u32 k_off_dt_strings = 12;
constexpr u32 k_off_mem_rsvmap = 16;
constexpr u32 k_off_version = 20;
constexpr u32 k_off_last_comp_version = 24;
constexpr u32 k_off_boot_cpuid_phys = 28;
constexpr u32 k_off_size_dt_strings = 32;
constexpr u32 k_off_size_dt_struct = 36; // since version 17
constexpr u32 k_header_size = 40;

// Section 5.4.1: structure block tokens.
constexpr u32 k_token_begin_node = 0x1;
constexpr u32 k_token_end_node = 0x2;
constexpr u32 k_token_prop = 0x3;
constexpr u32 k_token_nop = 0x4;
constexpr u32 k_token_end = 0x9;


u64 align4(u64 v) { return (v + 3) & ~u64(3); }

bool ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
    return a_size != 0 && b_size != 0 && a < b + b_size && b < a + a_size;
}

usize bounded_strlen(const char* s, usize max)
{
    usize n = 0;
    while (n < max && s[n])
        ++n;
    return n;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool equals_ignoring_case(StringView a, StringView b)
{
    if (a.length() != b.length())
        return false;
    for (usize i = 0; i < a.length(); ++i)
        if (to_lower(a[i]) != to_lower(b[i]))
            return false;
    return true;
}

} // namespace

// ---------------------------------------------------------------- Property

Result<u32> Property::u32_at(usize index) const
{
    if (index >= cell_count())
        return make_error(Errno::einval, "property too short for this cell index");
    return load_be32(m_data + 4 * index);
}

Result<u64> Property::cells(usize cell_index, u32 ncells) const
{
    if (ncells > 2)
        return make_error(Errno::enotsup, "numbers wider than 2 cells are not supported");
    if (cell_index > cell_count() || ncells > cell_count() - cell_index)
        return make_error(Errno::einval, "property too short for these cells");
    u64 value = 0;
    for (u32 k = 0; k < ncells; ++k)
        value = (value << 32) | load_be32(m_data + 4 * (cell_index + k));
    return value;
}

Result<u64> Property::as_number() const
{
    if (m_size == 4)
        return u64(load_be32(m_data));
    if (m_size == 8)
        return load_be64(m_data);
    return make_error(Errno::einval, "property is neither a 32- nor a 64-bit number");
}

Result<StringView> Property::as_string() const
{
    if (m_size == 0 || m_data[m_size - 1] != 0)
        return make_error(Errno::einval, "property is not a NUL-terminated string");
    auto s = reinterpret_cast<const char*>(m_data);
    return StringView(s, bounded_strlen(s, m_size));
}

StringList Property::strings() const
{
    auto s = reinterpret_cast<const char*>(m_data);
    return StringList(s, s + m_size);
}

bool Property::contains_string(StringView wanted) const
{
    for (StringView s : strings())
        if (s == wanted)
            return true;
    return false;
}

void StringListIterator::settle()
{
    usize room = usize(m_end - m_at);
    m_length = bounded_strlen(m_at, room);
    if (m_length == room) { // no NUL before the end: not a string
        m_at = m_end;
        m_length = 0;
    }
}

StringListIterator& StringListIterator::operator++()
{
    m_at += m_length + 1;
    settle();
    return *this;
}

// ---------------------------------------------------------------- ISA strings

bool isa_has_extension(StringView isa, StringView ext)
{
    // RISC-V unprivileged spec, "ISA Extension Naming Conventions": "rv64"
    // + single letters (each optionally versioned "2p1"), then multi-letter
    // names (s*, x*, z*) separated by underscores.
    usize len = isa.length();
    if (ext.is_empty() || len < 3 || to_lower(isa[0]) != 'r' || to_lower(isa[1]) != 'v')
        return false;
    usize i = 2;
    while (i < len && is_digit(isa[i]))
        ++i;
    if (i == 2)
        return false;
    bool single = ext.length() == 1;
    char want = to_lower(ext[0]);
    while (i < len && isa[i] != '_') {
        char c = to_lower(isa[i]);
        if (c == 's' || c == 'x' || c == 'z')
            break; // a multi-letter name directly after the letters
        if (single && (c == want || (c == 'g' && (want == 'i' || want == 'm' || want == 'a' || want == 'f' || want == 'd'))))
            return true;
        if (c == 'g' && (equals_ignoring_case(ext, "zicsr") || equals_ignoring_case(ext, "zifencei")))
            return true;
        ++i;
        while (i < len && is_digit(isa[i]))
            ++i;
        if (i + 1 < len && to_lower(isa[i]) == 'p' && is_digit(isa[i + 1])) {
            ++i;
            while (i < len && is_digit(isa[i]))
                ++i;
        }
    }
    if (single)
        return false;
    while (i < len) {
        if (isa[i] == '_') {
            ++i;
            continue;
        }
        usize j = i;
        while (j < len && isa[j] != '_')
            ++j;
        StringView word = isa.substring(i, j - i);
        // Drop a trailing version ("zicsr2p0", "zba1").
        usize k = word.length();
        while (k > 0 && is_digit(word[k - 1]))
            --k;
        if (k < word.length() && k >= 2 && to_lower(word[k - 1]) == 'p' && is_digit(word[k - 2])) {
            --k;
            while (k > 0 && is_digit(word[k - 1]))
                --k;
        }
        if (k > 0)
            word = word.substring(0, k);
        if (equals_ignoring_case(word, ext))
            return true;
        i = j;
    }
    return false;
}

// ---------------------------------------------------------------- Tokens

struct Blob::Token {
    u32 kind = k_token_end;
    u32 next = 0;            // offset of the following token
    StringView node_name;    // FDT_BEGIN_NODE
    const u8* prop_data = nullptr; // FDT_PROP
    u32 prop_size = 0;
    u32 prop_nameoff = 0;
};

const char* Blob::decode_token(u32 offset, Token& out) const
{
    // Section 5.4.1: tokens are big-endian u32 at 4-byte-aligned offsets.
    if (offset > m_struct_size || m_struct_size - offset < 4)
        return "structure block ends without FDT_END";
    if (offset % 4 != 0)
        return "misaligned structure block token";
    out.kind = load_be32(m_struct + offset);
    u64 next = u64(offset) + 4;
    switch (out.kind) {
    case k_token_begin_node: {
        // Followed by the NUL-terminated unit name, padded to 4 bytes.
        auto name = reinterpret_cast<const char*>(m_struct + next);
        usize room = m_struct_size - next;
        usize n = bounded_strlen(name, room);
        if (n == room)
            return "node name not NUL-terminated inside the structure block";
        out.node_name = StringView(name, n);
        next = align4(next + n + 1);
        break;
    }
    case k_token_prop: {
        // Followed by struct { u32 len; u32 nameoff; } and len bytes of value.
        if (m_struct_size - next < 8)
            return "FDT_PROP header runs past the structure block";
        out.prop_size = load_be32(m_struct + next);
        out.prop_nameoff = load_be32(m_struct + next + 4);
        next += 8;
        if (out.prop_size > m_struct_size - next)
            return "property value runs past the structure block";
        if (out.prop_nameoff >= m_strings_size)
            return "property name offset outside the strings block";
        out.prop_data = m_struct + next;
        next = align4(next + out.prop_size);
        break;
    }
    case k_token_end_node:
    case k_token_nop:
    case k_token_end:
        break;
    default:
        return "unknown structure block token";
    }
    // Padding may run past a block whose size is not a multiple of 4; the
    // next decode then reports the missing FDT_END. next > offset always.
    out.next = u32(min(next, u64(m_struct_size)));
    return nullptr;
}

StringView Blob::property_name(u32 nameoff) const
{
    if (nameoff >= m_strings_size)
        return {};
    return StringView(m_strings + nameoff, bounded_strlen(m_strings + nameoff, m_strings_size - nameoff));
}

u32 Blob::read_token(u32 offset, Token& out) const
{
    if (decode_token(offset, out) != nullptr)
        out.kind = k_token_end;
    return out.kind;
}

// ---------------------------------------------------------------- parse

Result<Blob> Blob::parse(const void* data, usize size_limit)
{
    if (data == nullptr)
        return make_error(Errno::einval, "FDT pointer is null");
    if (size_limit < k_header_size)
        return make_error(Errno::einval, "buffer smaller than the FDT header");
    auto p = static_cast<const u8*>(data);
    if (load_be32(p + k_off_magic) != k_magic)
        return make_error(Errno::einval, "bad FDT magic");
    u32 total = load_be32(p + k_off_totalsize);
    if (total > size_limit)
        return make_error(Errno::einval, "FDT totalsize exceeds the buffer");
    if (total < k_header_size)
        return make_error(Errno::einval, "FDT totalsize smaller than its header");
    u32 version = load_be32(p + k_off_version);
    if (version < k_min_version)
        return make_error(Errno::einval, "FDT version older than 16");
    if (load_be32(p + k_off_last_comp_version) > k_max_last_comp_version)
        return make_error(Errno::einval, "FDT last_comp_version newer than 17 (incompatible)");

    Blob blob;
    blob.m_data = p;
    blob.m_total_size = total;
    blob.m_version = version;
    blob.m_boot_cpuid = load_be32(p + k_off_boot_cpuid_phys);

    // Section 5.1: the blocks lie inside totalsize, after the header.
    u64 off_struct = load_be32(p + k_off_dt_struct);
    u64 off_strings = load_be32(p + k_off_dt_strings);
    u64 off_rsvmap = load_be32(p + k_off_mem_rsvmap);
    u64 size_strings = load_be32(p + k_off_size_dt_strings);
    if (off_struct < k_header_size || off_struct > total)
        return make_error(Errno::einval, "structure block offset outside the blob");
    // size_dt_struct exists since version 17; before, the block runs to the
    // strings block when that follows it (dtc's layout), else to the end.
    u64 size_struct = load_be32(p + k_off_size_dt_struct);
    if (version < 17)
        size_struct = (off_strings > off_struct ? min(off_strings, u64(total)) : u64(total)) - off_struct;
    if (off_struct % 4 != 0)
        return make_error(Errno::einval, "structure block not 4-byte aligned");
    if (off_struct + size_struct > total)
        return make_error(Errno::einval, "structure block runs past totalsize");
    if (off_strings < k_header_size || off_strings + size_strings > total)
        return make_error(Errno::einval, "strings block outside the blob");
    if (ranges_overlap(off_struct, size_struct, off_strings, size_strings))
        return make_error(Errno::einval, "structure and strings blocks overlap");

    // Section 5.3: 8-byte-aligned (address, size) pairs ending with (0, 0).
    if (off_rsvmap < k_header_size || off_rsvmap % 8 != 0)
        return make_error(Errno::einval, "memory reservation block misplaced or misaligned");
    u32 entries = 0;
    for (u64 o = off_rsvmap;; o += k_memreserve_entry_size) {
        if (o + k_memreserve_entry_size > total)
            return make_error(Errno::einval, "memory reservation block not terminated inside the blob");
        if (load_be64(p + o) == 0 && load_be64(p + o + 8) == 0)
            break;
        ++entries;
    }
    u64 rsv_size = u64(entries + 1) * k_memreserve_entry_size;
    if (ranges_overlap(off_rsvmap, rsv_size, off_struct, size_struct) ||
        ranges_overlap(off_rsvmap, rsv_size, off_strings, size_strings))
        return make_error(Errno::einval, "memory reservation block overlaps another block");

    blob.m_struct = p + off_struct;
    blob.m_struct_size = u32(size_struct);
    blob.m_strings = reinterpret_cast<const char*>(p + off_strings);
    blob.m_strings_size = u32(size_strings);
    blob.m_memreserve = p + off_rsvmap;
    blob.m_memreserve_count = entries;

    // Section 5.4.2: one root node; each node is BEGIN_NODE, its properties,
    // its children, END_NODE; FDT_NOP anywhere; FDT_END last.
    u32 offset = 0;
    u32 depth = 0;
    bool root_closed = false;
    bool after_child = false;
    for (;;) {
        Token t;
        if (const char* what = blob.decode_token(offset, t))
            return make_error(Errno::einval, what);
        switch (t.kind) {
        case k_token_begin_node:
            if (root_closed)
                return make_error(Errno::einval, "node after the root node");
            if (depth == k_max_depth)
                return make_error(Errno::einval, "nodes nested deeper than 32");
            if (depth == 0)
                blob.m_root = offset;
            ++depth;
            after_child = false;
            break;
        case k_token_end_node:
            if (depth == 0)
                return make_error(Errno::einval, "FDT_END_NODE without FDT_BEGIN_NODE");
            if (--depth == 0)
                root_closed = true;
            after_child = true;
            break;
        case k_token_prop:
            if (depth == 0)
                return make_error(Errno::einval, "property outside any node");
            if (after_child)
                return make_error(Errno::einval, "property after a child node");
            if (blob.property_name(t.prop_nameoff).length() == blob.m_strings_size - t.prop_nameoff)
                return make_error(Errno::einval, "property name not NUL-terminated inside the strings block");
            break;
        case k_token_nop:
            break;
        case k_token_end:
            if (depth != 0)
                return make_error(Errno::einval, "FDT_END inside an unclosed node");
            if (!root_closed)
                return make_error(Errno::einval, "structure block has no root node");
            return blob;
        }
        offset = t.next;
    }
}

// ---------------------------------------------------------------- Nodes

StringView Blob::name(Node node) const
{
    Token t;
    return read_token(node.m_offset, t) == k_token_begin_node ? t.node_name : StringView();
}

StringView Blob::base_name(Node node) const
{
    StringView n = name(node);
    return n.substring(0, n.find('@'));
}

StringView Blob::unit_address(Node node) const
{
    StringView n = name(node);
    usize at = n.find('@');
    return at == n.length() ? StringView() : n.substring(at + 1);
}

Optional<Node> Blob::first_child(Node node) const
{
    Token t;
    if (read_token(node.m_offset, t) != k_token_begin_node)
        return {};
    for (u32 off = t.next;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_begin_node)
            return Node(off);
        if (kind != k_token_prop && kind != k_token_nop)
            return {};
    }
}

Optional<Node> Blob::next_sibling(Node node) const
{
    Token t;
    if (read_token(node.m_offset, t) != k_token_begin_node)
        return {};
    // Skip node's subtree, then NOPs; a BEGIN_NODE there is the sibling.
    u32 depth = 1;
    u32 off = t.next;
    while (depth > 0) {
        u32 kind = read_token(off, t);
        if (kind == k_token_end)
            return {};
        if (kind == k_token_begin_node)
            ++depth;
        else if (kind == k_token_end_node)
            --depth;
        off = t.next;
    }
    for (;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_begin_node)
            return Node(off);
        if (kind != k_token_nop)
            return {};
    }
}

Optional<Node> Blob::next_node(Node node) const
{
    Token t;
    if (read_token(node.m_offset, t) != k_token_begin_node)
        return {};
    for (u32 off = t.next;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_begin_node)
            return Node(off);
        if (kind == k_token_end)
            return {};
    }
}

Optional<Node> Blob::parent(Node node) const
{
    u32 stack[k_max_depth];
    u32 depth = 0;
    Token t;
    for (u32 off = m_root;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_begin_node) {
            if (off == node.m_offset)
                return depth > 0 ? Optional<Node>(Node(stack[depth - 1])) : Optional<Node>();
            if (depth == k_max_depth)
                return {};
            stack[depth++] = off;
        } else if (kind == k_token_end_node) {
            if (depth == 0)
                return {};
            --depth;
        } else if (kind == k_token_end) {
            return {};
        }
    }
}

Optional<Node> Blob::find_child(Node node, StringView wanted) const
{
    // A name without a unit address also matches "name@unit" (as libfdt).
    bool match_base = wanted.find('@') == wanted.length();
    Node base_match;
    for (Node child : children(node)) {
        if (name(child) == wanted)
            return child;
        if (match_base && base_match.is_none() && base_name(child) == wanted)
            base_match = child;
    }
    if (base_match.is_none())
        return {};
    return base_match;
}

Optional<Node> Blob::walk_path(Node from, StringView path) const
{
    Node at = from;
    usize i = 0;
    while (i < path.length()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        usize j = i;
        while (j < path.length() && path[j] != '/')
            ++j;
        auto child = find_child(at, path.substring(i, j - i));
        if (!child)
            return {};
        at = *child;
        i = j;
    }
    return at;
}

Optional<Node> Blob::find_path(StringView path) const
{
    if (path.is_empty())
        return {};
    if (path[0] == '/')
        return walk_path(root(), path);
    // Section 3.3: an alias names a full path; it cannot name another alias.
    usize slash = path.find('/');
    auto aliases = find_child(root(), "aliases");
    if (!aliases)
        return {};
    auto prop = property(*aliases, path.substring(0, slash));
    if (!prop)
        return {};
    auto target = prop->as_string();
    if (target.is_error() || target->is_empty() || (*target)[0] != '/')
        return {};
    auto node = walk_path(root(), *target);
    if (!node)
        return {};
    return walk_path(*node, path.substring(slash));
}

bool Blob::is_compatible(Node node, StringView compat) const
{
    auto prop = property(node, "compatible");
    return prop && prop->contains_string(compat);
}

Optional<Node> Blob::find_compatible(StringView compat, Optional<Node> after) const
{
    Optional<Node> at = after ? next_node(*after) : Optional<Node>(root());
    for (; at; at = next_node(*at))
        if (is_compatible(*at, compat))
            return at;
    return {};
}

Optional<u32> Blob::phandle(Node node) const
{
    auto prop = property(node, "phandle");
    if (!prop)
        prop = property(node, "linux,phandle");
    if (!prop || prop->size() != 4)
        return {};
    // Section 2.3.3: 0 and 0xffffffff are never phandles (find_by_phandle
    // finds neither), so a node claiming one has none.
    u32 value = load_be32(prop->data());
    if (value == 0 || value == 0xffffffff)
        return {};
    return value;
}

Optional<Node> Blob::find_by_phandle(u32 wanted) const
{
    // Section 2.3.3: 0 and 0xffffffff are not valid phandles.
    if (wanted == 0 || wanted == 0xffffffff)
        return {};
    // One pass over the tokens: properties precede children (checked in
    // parse), so a property belongs to the last node opened.
    u32 owner = m_root;
    Token t;
    for (u32 off = m_root;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_end)
            return {};
        if (kind == k_token_begin_node)
            owner = off;
        if (kind != k_token_prop || t.prop_size != 4 || load_be32(t.prop_data) != wanted)
            continue;
        StringView n = property_name(t.prop_nameoff);
        if (n == "phandle" || n == "linux,phandle")
            return Node(owner);
    }
}

bool Blob::is_enabled(Node node) const
{
    auto prop = property(node, "status");
    if (!prop)
        return true;
    auto s = prop->as_string();
    return s.is_ok() && (*s == "okay" || *s == "ok");
}

// ---------------------------------------------------------------- Properties

Optional<Property> Blob::first_property(Node node) const
{
    Token t;
    if (read_token(node.m_offset, t) != k_token_begin_node)
        return {};
    Property cursor;
    cursor.m_offset = node.m_offset; // next_property() starts after this token
    return next_property(cursor);
}

Optional<Property> Blob::next_property(const Property& prop) const
{
    Token t;
    if (read_token(prop.m_offset, t) == k_token_end)
        return {};
    for (u32 off = t.next;; off = t.next) {
        u32 kind = read_token(off, t);
        if (kind == k_token_prop) {
            Property p;
            p.m_name = property_name(t.prop_nameoff);
            p.m_data = t.prop_data;
            p.m_size = t.prop_size;
            p.m_offset = off;
            return p;
        }
        if (kind != k_token_nop)
            return {};
    }
}

Optional<Property> Blob::property(Node node, StringView wanted) const
{
    for (const Property& p : properties(node))
        if (p.name() == wanted)
            return p;
    return {};
}

} // namespace lib::fdt
