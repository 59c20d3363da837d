// Flattened devicetree (DTB) reader: validates a blob once in Blob::parse()
// and then answers the queries the kernel needs at boot (nodes, properties,
// reg translation, memory, /chosen, harts, interrupts) as views into the
// blob, without allocating. Format: Devicetree Specification v0.4, section 5
// "Flattened Devicetree (DTB) Format"; property semantics: sections 2 and 3.
#pragma once

#include "lib/optional.hpp"
#include "lib/result.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib::fdt {

// Section 5.1: the header's magic, stored big-endian.
inline constexpr u32 k_magic = 0xd00dfeed;
// Section 5.1: we read version 17 blobs and anything backward-compatible
// with them; version 16 is the oldest layout with the fields we use.
inline constexpr u32 k_min_version = 16;
inline constexpr u32 k_max_last_comp_version = 17;
// Deepest node nesting accepted (the root counts as 1), as libfdt's FDT_MAX_DEPTH.
inline constexpr u32 k_max_depth = 32;
// Widest #address-cells / #size-cells / #interrupt-cells accepted (PCI uses 3).
inline constexpr u32 k_max_cells = 4;
// RISC-V privileged spec, scause interrupt codes: 9 is the supervisor
// external interrupt, 11 the machine external interrupt. A PLIC context is
// wired to one of them on one hart's riscv,cpu-intc.
inline constexpr u32 k_irq_s_external = 9;
inline constexpr u32 k_irq_m_external = 11;

// A node: the offset of its FDT_BEGIN_NODE token in the structure block.
// Cheap to copy; only meaningful with the Blob it came from. A
// default-constructed Node is "none" and every query on it finds nothing.
class Node {
public:
    constexpr Node() = default;
    constexpr u32 offset() const { return m_offset; }
    constexpr bool is_none() const { return m_offset == k_none; }
    constexpr bool operator==(const Node&) const = default;

private:
    friend class Blob;
    static constexpr u32 k_none = 0xffffffff;
    constexpr explicit Node(u32 offset) : m_offset(offset) {}
    u32 m_offset = k_none;
};

// Iterates the strings of a string-list property ("a\0b\0").
class StringListIterator {
public:
    StringListIterator(const char* at, const char* end) : m_at(at), m_end(end) { settle(); }
    StringView operator*() const { return StringView(m_at, m_length); }
    StringListIterator& operator++();
    bool operator!=(const StringListIterator& o) const { return m_at != o.m_at; }

private:
    void settle();
    const char* m_at;
    const char* m_end;
    usize m_length = 0;
};

class StringList {
public:
    StringList(const char* begin, const char* end) : m_begin(begin), m_end(end) {}
    StringListIterator begin() const { return {m_begin, m_end}; }
    StringListIterator end() const { return {m_end, m_end}; }

private:
    const char* m_begin;
    const char* m_end;
};

// One property: its name and raw bytes inside the blob. The accessors check
// lengths, so a malformed value is an error for that query, never a read
// past the property.
class Property {
public:
    Property() = default;
    StringView name() const { return m_name; }
    const u8* data() const { return m_data; }
    u32 size() const { return m_size; }
    bool is_empty() const { return m_size == 0; }
    usize cell_count() const { return m_size / 4; }

    // The 32-bit big-endian cell at index.
    Result<u32> u32_at(usize index) const;
    // A number of ncells (0..2) big-endian cells starting at cell_index (the
    // encoding of reg/ranges fields). 0 cells reads as 0.
    Result<u64> cells(usize cell_index, u32 ncells) const;
    // The whole value as one number of 1 or 2 cells (u32 or u64 properties
    // such as timebase-frequency or linux,initrd-start).
    Result<u64> as_number() const;
    // The value as a NUL-terminated string (without the NUL).
    Result<StringView> as_string() const;
    // The value as a string list ("compatible"); an unterminated tail is ignored.
    StringList strings() const;
    bool contains_string(StringView s) const;

private:
    friend class Blob;
    friend class PropertyIterator;
    StringView m_name;
    const u8* m_data = nullptr;
    u32 m_size = 0;
    u32 m_offset = 0xffffffff; // of the FDT_PROP token, for iteration
};

// A physical (or bus) address range.
struct Region {
    u64 base = 0;
    u64 size = 0;
};

// A /reserved-memory child's range; no_map: the OS must not map it at all.
struct ReservedRegion {
    u64 base = 0;
    u64 size = 0;
    bool no_map = false;
};

// /chosen stdout-path split at ':' ("/soc/serial@10000000:115200n8").
struct StdoutPath {
    StringView path;
    StringView options;
};

// One interrupt specifier resolved to its controller.
struct Interrupt {
    Node controller;
    u32 controller_phandle = 0;
    u32 cells[k_max_cells] = {};
    u32 cell_count = 0;
    // The first specifier cell: the interrupt number for the PLIC and cpu-intc.
    u32 number() const { return cells[0]; }
};

// One /cpus/cpu@N node (device_type "cpu"), RISC-V binding
// (Documentation/devicetree/bindings/riscv/cpus.yaml in Linux).
// Plain fields (no Optional) so arrays of Hart copy cheaply; "absent" is
// spelled empty / 0, which is never a valid phandle (section 2.3.3).
struct Hart {
    Node node;
    u64 id = 0;            // reg: the hart id (mhartid)
    StringView isa;        // riscv,isa; empty when absent
    StringView mmu_type;   // mmu-type ("riscv,sv39"...); empty when absent (M-only harts)
    bool enabled = false;  // status absent, "okay" or "ok"
    u32 intc_phandle = 0;  // phandle of the "riscv,cpu-intc" child; 0 when none
};

// True when a riscv,isa string ("rv64imafdc_zicsr_sstc") names ext: single
// letters in the base part ('g' implies imafd, zicsr, zifencei), multi-letter
// names as whole '_'-separated words (so "sstc" does not imply "s").
bool isa_has_extension(StringView isa, StringView ext);

class NodeRange;
class PropertyRange;

class Blob {
public:
    // Validates the whole blob (header, memory reservation block, every
    // structure-block token) against size_limit, the bytes the caller can
    // read at data. On success no query reads outside [data, data+total_size()).
    static Result<Blob> parse(const void* data, usize size_limit);

    u32 total_size() const { return m_total_size; }
    u32 version() const { return m_version; }
    u32 boot_cpuid() const { return m_boot_cpuid; }
    const void* data() const { return m_data; }

    // --- Nodes
    Node root() const { return Node(m_root); }
    // An absolute path ("/soc/serial@10000000"; a component without '@'
    // also matches a name with a unit address), or an alias from /aliases
    // optionally followed by a path ("serial0", "serial0/child").
    Optional<Node> find_path(StringView path) const;
    Optional<Node> first_child(Node node) const;
    Optional<Node> next_sibling(Node node) const;
    NodeRange children(Node node) const;
    // The next node in document order (depth-first), for whole-tree scans.
    Optional<Node> next_node(Node node) const;
    // Walks from the root: O(size of the tree).
    Optional<Node> parent(Node node) const;
    Optional<Node> find_child(Node node, StringView name) const;
    StringView name(Node node) const;         // "serial@10000000", "" for the root
    StringView base_name(Node node) const;    // "serial"
    StringView unit_address(Node node) const; // "10000000", "" when none
    // The next node after `after` (or from the root) whose compatible list
    // contains compat.
    Optional<Node> find_compatible(StringView compat, Optional<Node> after = {}) const;
    bool is_compatible(Node node, StringView compat) const;
    // phandle (or the legacy linux,phandle) of node; none for the invalid
    // values 0 and 0xffffffff.
    Optional<u32> phandle(Node node) const;
    Optional<Node> find_by_phandle(u32 phandle) const;
    // Section 2.3.4: status absent, "okay" or "ok".
    bool is_enabled(Node node) const;

    // --- Properties
    Optional<Property> property(Node node, StringView name) const;
    PropertyRange properties(Node node) const;
    Optional<Property> first_property(Node node) const;
    Optional<Property> next_property(const Property& prop) const;

    // --- Addresses (sections 2.3.5, 2.3.6, 2.3.8)
    // #address-cells / #size-cells that bus declares for its children;
    // defaults 2 and 1 when absent; EINVAL when malformed or > k_max_cells.
    Result<u32> address_cells(Node bus) const;
    Result<u32> size_cells(Node bus) const;
    // Number of reg entries of node (0 when it has no reg), in its parent's format.
    Result<usize> reg_count(Node node) const;
    // reg entry index as written (an address on the parent bus).
    Result<Region> raw_reg(Node node, usize index) const;
    // reg entry index translated through every ancestor's ranges to a CPU
    // physical address.
    Result<Region> reg(Node node, usize index) const;
    // Translates an address in bus's child address space to the root's.
    // Empty ranges = identity; no ranges below the root = EINVAL.
    Result<u64> translate(Node bus, u64 address) const;

    // --- Memory
    // reg ranges of every enabled root child with device_type "memory"
    // (zero-sized entries skipped), into out. E2BIG when more than capacity.
    Result<usize> memory_regions(Region* out, usize capacity) const;
    // Section 5.3: /memreserve/ entries of the memory reservation block.
    usize memreserve_count() const { return m_memreserve_count; }
    Optional<Region> memreserve(usize index) const;
    // reg ranges of the enabled children of /reserved-memory (0 when absent).
    Result<usize> reserved_memory(ReservedRegion* out, usize capacity) const;

    // --- /chosen (section 3.6)
    Optional<Node> chosen() const;
    Optional<StringView> bootargs() const;
    Optional<StdoutPath> stdout_path() const;
    // The node stdout-path names (a path or an alias).
    Result<Node> stdout_node() const;
    // linux,initrd-start/-end as {start, end - start}; ENOENT when absent.
    Result<Region> initrd() const;
    Optional<Property> rng_seed() const;

    // --- CPUs
    // /cpus timebase-frequency, else the first cpu node's; ENOENT when absent.
    Result<u64> timebase_frequency() const;
    Result<Hart> hart(Node cpu) const;
    // Every /cpus child with device_type "cpu", into out. E2BIG when more than capacity.
    Result<usize> harts(Hart* out, usize capacity) const;
    Result<Hart> find_hart(u64 hart_id) const;

    // --- Interrupts (section 2.4)
    // interrupt-parent of node, else of its nearest ancestor that has one,
    // following references until a node with #interrupt-cells (as Linux's
    // of_irq_find_parent). ELOOP when the chain does not end.
    Result<Node> interrupt_parent(Node node) const;
    // #interrupt-cells of a controller; ENOENT when absent.
    Result<u32> interrupt_cells(Node controller) const;
    // Entries of interrupts-extended when present, else of interrupts.
    Result<usize> interrupt_count(Node node) const;
    Result<Interrupt> interrupt(Node node, usize index) const;
    // The index of plic's interrupts-extended entry that targets hart_id's
    // cpu-intc with local interrupt `irq`: the PLIC context number.
    Result<u32> plic_context(Node plic, u64 hart_id, u32 irq) const;
    Result<u32> plic_s_context(Node plic, u64 hart_id) const { return plic_context(plic, hart_id, k_irq_s_external); }

private:
    struct Token;
    Blob() = default;
    // Decodes the token at offset; returns what is wrong with it, or nullptr.
    const char* decode_token(u32 offset, Token& out) const;
    // decode_token for queries: a bad token reads as FDT_END.
    u32 read_token(u32 offset, Token& out) const;
    Optional<Node> walk_path(Node from, StringView path) const;
    Result<Node> cpus_node() const;
    bool is_cpu(Node node) const;
    // node's reg property in its parent's format (one parent walk).
    struct RegLayout;
    Result<RegLayout> reg_layout(Node node) const;
    // reg entry index of node untranslated; bus receives node's parent.
    Result<Region> read_reg(Node node, usize index, Node& bus) const;
    // node's interrupts property with its controller's #interrupt-cells.
    struct IrqLayout;
    Result<IrqLayout> irq_layout(Node node, const Property& irqs) const;
    StringView property_name(u32 nameoff) const;

    const u8* m_data = nullptr;
    u32 m_total_size = 0;
    u32 m_version = 0;
    u32 m_boot_cpuid = 0;
    const u8* m_struct = nullptr;
    u32 m_struct_size = 0;
    const char* m_strings = nullptr;
    u32 m_strings_size = 0;
    const u8* m_memreserve = nullptr;
    u32 m_memreserve_count = 0;
    u32 m_root = 0;
};

class NodeIterator {
public:
    NodeIterator(const Blob* blob, Node node) : m_blob(blob), m_node(node) {}
    Node operator*() const { return m_node; }
    NodeIterator& operator++()
    {
        m_node = m_blob->next_sibling(m_node).value_or(Node());
        return *this;
    }
    bool operator!=(const NodeIterator& o) const { return !(m_node == o.m_node); }

private:
    const Blob* m_blob;
    Node m_node;
};

class NodeRange {
public:
    NodeRange(const Blob* blob, Node first) : m_blob(blob), m_first(first) {}
    NodeIterator begin() const { return {m_blob, m_first}; }
    NodeIterator end() const { return {m_blob, Node()}; }

private:
    const Blob* m_blob;
    Node m_first;
};

class PropertyIterator {
public:
    PropertyIterator(const Blob* blob, Property prop) : m_blob(blob), m_prop(prop) {}
    const Property& operator*() const { return m_prop; }
    PropertyIterator& operator++()
    {
        m_prop = m_blob->next_property(m_prop).value_or(Property());
        return *this;
    }
    bool operator!=(const PropertyIterator& o) const { return m_prop.m_offset != o.m_prop.m_offset; }

private:
    const Blob* m_blob;
    Property m_prop;
};

class PropertyRange {
public:
    PropertyRange(const Blob* blob, Property first) : m_blob(blob), m_first(first) {}
    PropertyIterator begin() const { return {m_blob, m_first}; }
    PropertyIterator end() const { return {m_blob, Property()}; }

private:
    const Blob* m_blob;
    Property m_first;
};

inline NodeRange Blob::children(Node node) const { return {this, first_child(node).value_or(Node())}; }
inline PropertyRange Blob::properties(Node node) const { return {this, first_property(node).value_or(Property())}; }

} // namespace lib::fdt
