// What the device tree says about the machine (Devicetree Specification
// v0.4, chapters 2-3): bus addresses and their translation, memory and
// reserved memory, /chosen, the harts and the interrupt tree. The blob and
// its tree walks are in fdt.cpp.
#include "lib/fdt.hpp"
#include "lib/fdt_internal.hpp"

namespace lib::fdt {

using namespace detail;

namespace {

// Bound on interrupt-parent hops: each hop goes up the tree or through a
// phandle; a legitimate chain is far shorter, a cyclic one never ends.
constexpr u32 k_max_interrupt_hops = 4 * k_max_depth;

} // namespace

// ---------------------------------------------------------------- Addresses

Result<u32> Blob::address_cells(Node bus) const
{
    auto prop = property(bus, "#address-cells");
    if (!prop)
        return 2u; // section 2.3.5 default
    u32 v = TRY(single_u32(*prop, "malformed #address-cells"));
    if (v > k_max_cells)
        return make_error(Errno::einval, "#address-cells larger than 4");
    return v;
}

Result<u32> Blob::size_cells(Node bus) const
{
    auto prop = property(bus, "#size-cells");
    if (!prop)
        return 1u; // section 2.3.5 default
    u32 v = TRY(single_u32(*prop, "malformed #size-cells"));
    if (v > k_max_cells)
        return make_error(Errno::einval, "#size-cells larger than 4");
    return v;
}

struct Blob::RegLayout {
    Node bus;
    u32 address_cells = 0;
    u32 size_cells = 0;
    Property reg;
    usize count = 0;
};

Result<Blob::RegLayout> Blob::reg_layout(Node node) const
{
    auto bus = parent(node);
    if (!bus)
        return make_error(Errno::einval, "the root node has no reg");
    RegLayout l;
    l.bus = *bus;
    auto prop = property(node, "reg");
    if (!prop)
        return l;
    l.address_cells = TRY(address_cells(l.bus));
    l.size_cells = TRY(size_cells(l.bus));
    u32 entry = l.address_cells + l.size_cells;
    if (entry == 0)
        return make_error(Errno::einval, "reg entries of zero cells");
    if (prop->size() % (4 * entry) != 0)
        return make_error(Errno::einval, "reg length not a multiple of its entry size");
    l.reg = *prop;
    l.count = prop->size() / (4 * entry);
    return l;
}

Result<usize> Blob::reg_count(Node node) const { return TRY(reg_layout(node)).count; }

Result<Region> Blob::read_reg(Node node, usize index, Node& bus) const
{
    RegLayout l = TRY(reg_layout(node));
    if (index >= l.count)
        return make_error(Errno::enoent, "no reg entry at this index");
    bus = l.bus;
    usize at = index * (l.address_cells + l.size_cells);
    return Region{TRY(l.reg.cells(at, l.address_cells)), TRY(l.reg.cells(at + l.address_cells, l.size_cells))};
}

Result<Region> Blob::raw_reg(Node node, usize index) const
{
    Node bus;
    return read_reg(node, index, bus);
}

Result<Region> Blob::reg(Node node, usize index) const
{
    Node bus;
    Region r = TRY(read_reg(node, index, bus));
    r.base = TRY(translate(bus, r.base));
    return r;
}

Result<u64> Blob::translate(Node bus, u64 address) const
{
    // Section 2.3.8: ranges = (child address, parent address, length)
    // triples in (bus's #address-cells, parent's #address-cells, bus's
    // #size-cells); an empty ranges is the identity; none means the bus's
    // addresses do not appear in the parent's space.
    Node at = bus;
    for (u32 level = 0; level <= k_max_depth; ++level) {
        auto up = parent(at);
        if (!up)
            return address; // at is the root: CPU physical addresses
        auto ranges = property(at, "ranges");
        if (!ranges)
            return make_error(Errno::einval, "bus has no ranges: address not translatable");
        if (!ranges->is_empty()) {
            u32 cac = TRY(address_cells(at));
            u32 pac = TRY(address_cells(*up));
            u32 sc = TRY(size_cells(at));
            if (cac > 2 || pac > 2 || sc > 2)
                return make_error(Errno::enotsup, "ranges with numbers wider than 2 cells");
            u32 entry = cac + pac + sc;
            if (entry == 0 || ranges->size() % (4 * entry) != 0)
                return make_error(Errno::einval, "ranges length not a multiple of its entry size");
            bool found = false;
            for (usize i = 0; !found && i < ranges->cell_count() / entry; ++i) {
                u64 child = TRY(ranges->cells(i * entry, cac));
                u64 parent_base = TRY(ranges->cells(i * entry + cac, pac));
                u64 length = TRY(ranges->cells(i * entry + cac + pac, sc));
                if (address < child || address - child >= length)
                    continue;
                u64 offset = address - child;
                if (parent_base + offset < parent_base)
                    return make_error(Errno::eoverflow, "translated address overflows 64 bits");
                address = parent_base + offset;
                found = true;
            }
            if (!found)
                return make_error(Errno::erange, "address outside every ranges window of its bus");
        }
        at = *up;
    }
    return make_error(Errno::eloop, "bus nesting deeper than the tree");
}

// ---------------------------------------------------------------- Memory

Result<usize> Blob::memory_regions(Region* out, usize capacity) const
{
    usize n = 0;
    for (Node child : children(root())) {
        auto type = property(child, "device_type");
        if (!type || !(type->as_string().value_or("") == "memory") || !is_enabled(child))
            continue;
        usize count = TRY(reg_count(child));
        for (usize i = 0; i < count; ++i) {
            Region r = TRY(reg(child, i));
            if (r.size == 0)
                continue;
            if (n == capacity)
                return make_error(Errno::e2big, "more memory ranges than the caller's array");
            out[n++] = r;
        }
    }
    return n;
}

Optional<Region> Blob::memreserve(usize index) const
{
    if (index >= m_memreserve_count)
        return {};
    const u8* e = m_memreserve + index * k_memreserve_entry_size;
    return Region{load_be64(e), load_be64(e + 8)};
}

Result<usize> Blob::reserved_memory(ReservedRegion* out, usize capacity) const
{
    auto rm = find_child(root(), "reserved-memory");
    if (!rm)
        return usize(0);
    usize n = 0;
    for (Node child : children(*rm)) {
        if (!is_enabled(child))
            continue;
        // Children with only size/alloc-ranges are for the OS to place: skip.
        usize count = TRY(reg_count(child));
        bool no_map = property(child, "no-map").has_value();
        for (usize i = 0; i < count; ++i) {
            Region r = TRY(reg(child, i));
            if (n == capacity)
                return make_error(Errno::e2big, "more reserved ranges than the caller's array");
            out[n++] = ReservedRegion{r.base, r.size, no_map};
        }
    }
    return n;
}

// ---------------------------------------------------------------- /chosen

Optional<Node> Blob::chosen() const { return find_child(root(), "chosen"); }

Optional<StringView> Blob::bootargs() const
{
    auto c = chosen();
    auto prop = c ? property(*c, "bootargs") : Optional<Property>();
    if (!prop || prop->as_string().is_error())
        return {};
    return prop->as_string().value();
}

Optional<StdoutPath> Blob::stdout_path() const
{
    auto c = chosen();
    if (!c)
        return {};
    auto prop = property(*c, "stdout-path");
    if (!prop)
        prop = property(*c, "linux,stdout-path");
    if (!prop || prop->as_string().is_error())
        return {};
    StringView s = prop->as_string().value();
    usize colon = s.find(':');
    StringView options = colon < s.length() ? s.substring(colon + 1) : StringView();
    return StdoutPath{s.substring(0, colon), options};
}

Result<Node> Blob::stdout_node() const
{
    auto sp = stdout_path();
    if (!sp)
        return make_error(Errno::enoent, "no /chosen stdout-path");
    auto node = find_path(sp->path);
    if (!node)
        return make_error(Errno::enoent, "stdout-path names no node");
    return *node;
}

Result<Region> Blob::initrd() const
{
    auto c = chosen();
    if (!c)
        return make_error(Errno::enoent, "no /chosen node");
    auto start = property(*c, "linux,initrd-start");
    auto end = property(*c, "linux,initrd-end");
    if (!start && !end)
        return make_error(Errno::enoent, "no initrd in /chosen");
    if (!start || !end)
        return make_error(Errno::einval, "only one of linux,initrd-start/-end");
    u64 s = TRY(start->as_number());
    u64 e = TRY(end->as_number());
    if (e < s)
        return make_error(Errno::einval, "linux,initrd-end below linux,initrd-start");
    return Region{s, e - s};
}

Optional<Property> Blob::rng_seed() const
{
    auto c = chosen();
    return c ? property(*c, "rng-seed") : Optional<Property>();
}

// ---------------------------------------------------------------- CPUs

Result<Node> Blob::cpus_node() const
{
    auto cpus = find_child(root(), "cpus");
    if (!cpus)
        return make_error(Errno::enoent, "no /cpus node");
    return *cpus;
}

bool Blob::is_cpu(Node node) const
{
    auto type = property(node, "device_type");
    return type && type->as_string().value_or("") == "cpu";
}

Result<u64> Blob::timebase_frequency() const
{
    Node cpus = TRY(cpus_node());
    auto prop = property(cpus, "timebase-frequency");
    for (auto cpu = first_child(cpus); !prop && cpu; cpu = next_sibling(*cpu))
        if (is_cpu(*cpu))
            prop = property(*cpu, "timebase-frequency");
    if (!prop)
        return make_error(Errno::enoent, "no timebase-frequency in /cpus or its cpu nodes");
    u64 hz = TRY(prop->as_number());
    if (hz == 0)
        return make_error(Errno::einval, "timebase-frequency is 0");
    return hz;
}

Result<Hart> Blob::hart(Node cpu) const
{
    if (!is_cpu(cpu))
        return make_error(Errno::einval, "not a cpu node (device_type is not \"cpu\")");
    Hart h;
    h.node = cpu;
    h.id = TRY(raw_reg(cpu, 0)).base;
    if (auto isa = property(cpu, "riscv,isa"))
        h.isa = TRY(isa->as_string());
    if (auto mmu = property(cpu, "mmu-type"))
        h.mmu_type = TRY(mmu->as_string());
    h.enabled = is_enabled(cpu);
    for (Node child : children(cpu)) {
        if (is_compatible(child, "riscv,cpu-intc")) {
            h.intc_phandle = phandle(child).value_or(0);
            break;
        }
    }
    return h;
}

Result<usize> Blob::harts(Hart* out, usize capacity) const
{
    Node cpus = TRY(cpus_node());
    usize n = 0;
    for (Node child : children(cpus)) {
        if (!is_cpu(child))
            continue;
        if (n == capacity)
            return make_error(Errno::e2big, "more harts than the caller's array");
        out[n++] = TRY(hart(child));
    }
    return n;
}

Result<Hart> Blob::find_hart(u64 hart_id) const
{
    Node cpus = TRY(cpus_node());
    for (Node child : children(cpus)) {
        if (!is_cpu(child))
            continue;
        Hart h = TRY(hart(child));
        if (h.id == hart_id)
            return h;
    }
    return make_error(Errno::enoent, "no cpu node with this hart id");
}

// ---------------------------------------------------------------- Interrupts

namespace {

// Walks interrupts-extended (section 2.4.1.2): (phandle, specifier of the
// controller's #interrupt-cells) entries. Calls visit(index, interrupt)
// until it returns true; returns the number of entries visited.
template <typename Visit>
Result<usize> walk_interrupts_extended(const Blob& blob, const Property& prop, Visit visit)
{
    if (prop.size() % 4 != 0)
        return make_error(Errno::einval, "interrupts-extended length not a multiple of 4");
    usize cells = prop.cell_count();
    usize index = 0;
    for (usize pos = 0; pos < cells; ++index) {
        Interrupt irq;
        irq.controller_phandle = load_be32(prop.data() + 4 * pos);
        auto controller = blob.find_by_phandle(irq.controller_phandle);
        if (!controller)
            return make_error(Errno::enoent, "interrupts-extended names an unknown phandle");
        irq.controller = *controller;
        irq.cell_count = TRY(blob.interrupt_cells(*controller));
        if (irq.cell_count > cells - pos - 1)
            return make_error(Errno::einval, "interrupts-extended entry runs past the property");
        for (u32 k = 0; k < irq.cell_count; ++k)
            irq.cells[k] = load_be32(prop.data() + 4 * (pos + 1 + k));
        pos += 1 + irq.cell_count;
        if (visit(index, irq))
            return index + 1;
    }
    return index;
}

} // namespace

Result<Node> Blob::interrupt_parent(Node node) const
{
    Node at = node;
    for (u32 hop = 0; hop < k_max_interrupt_hops; ++hop) {
        Optional<Node> next;
        if (auto ip = property(at, "interrupt-parent")) {
            u32 ph = TRY(single_u32(*ip, "malformed interrupt-parent"));
            next = find_by_phandle(ph);
            if (!next)
                return make_error(Errno::enoent, "interrupt-parent names an unknown phandle");
        } else {
            next = parent(at);
            if (!next)
                return make_error(Errno::enoent, "no interrupt parent");
        }
        at = *next;
        if (property(at, "#interrupt-cells"))
            return at;
    }
    return make_error(Errno::eloop, "interrupt-parent chain does not reach a controller");
}

Result<u32> Blob::interrupt_cells(Node controller) const
{
    auto prop = property(controller, "#interrupt-cells");
    if (!prop)
        return make_error(Errno::enoent, "interrupt controller has no #interrupt-cells");
    u32 v = TRY(single_u32(*prop, "malformed #interrupt-cells"));
    if (v > k_max_cells)
        return make_error(Errno::einval, "#interrupt-cells larger than 4");
    return v;
}

struct Blob::IrqLayout {
    Node controller;
    u32 cells = 0;
    usize count = 0;
};

Result<Blob::IrqLayout> Blob::irq_layout(Node node, const Property& irqs) const
{
    IrqLayout l;
    l.controller = TRY(interrupt_parent(node));
    l.cells = TRY(interrupt_cells(l.controller));
    if (l.cells == 0 || irqs.size() % (4 * l.cells) != 0)
        return make_error(Errno::einval, "interrupts length not a multiple of #interrupt-cells");
    l.count = irqs.size() / (4 * l.cells);
    return l;
}

Result<usize> Blob::interrupt_count(Node node) const
{
    // Section 2.4.1.2: interrupts-extended overrides interrupts.
    if (auto ext = property(node, "interrupts-extended"))
        return walk_interrupts_extended(*this, *ext, [](usize, const Interrupt&) { return false; });
    auto irqs = property(node, "interrupts");
    if (!irqs)
        return usize(0);
    return TRY(irq_layout(node, *irqs)).count;
}

Result<Interrupt> Blob::interrupt(Node node, usize index) const
{
    Interrupt found;
    if (auto ext = property(node, "interrupts-extended")) {
        usize visited = TRY(walk_interrupts_extended(*this, *ext, [&](usize i, const Interrupt& irq) {
            if (i != index)
                return false;
            found = irq;
            return true;
        }));
        if (visited <= index)
            return make_error(Errno::enoent, "no interrupt at this index");
        return found;
    }
    auto irqs = property(node, "interrupts");
    if (!irqs)
        return make_error(Errno::enoent, "node has no interrupts");
    IrqLayout l = TRY(irq_layout(node, *irqs));
    if (index >= l.count)
        return make_error(Errno::enoent, "no interrupt at this index");
    found.controller = l.controller;
    found.controller_phandle = phandle(l.controller).value_or(0);
    found.cell_count = l.cells;
    for (u32 k = 0; k < l.cells; ++k)
        found.cells[k] = TRY(irqs->u32_at(index * l.cells + k));
    return found;
}

Result<u32> Blob::plic_context(Node plic, u64 hart_id, u32 irq) const
{
    // Linux's PLIC binding: context i of the PLIC is wired to the i-th
    // interrupts-extended entry, a (cpu-intc phandle, local interrupt) pair.
    Hart h = TRY(find_hart(hart_id));
    if (h.intc_phandle == 0)
        return make_error(Errno::enoent, "hart has no riscv,cpu-intc with a phandle");
    auto ext = property(plic, "interrupts-extended");
    if (!ext)
        return make_error(Errno::enoent, "PLIC has no interrupts-extended");
    u32 intc = h.intc_phandle;
    bool found = false;
    u32 context = 0;
    TRY(walk_interrupts_extended(*this, *ext, [&](usize i, const Interrupt& e) {
        if (e.controller_phandle != intc || e.cell_count < 1 || e.number() != irq)
            return false;
        found = true;
        context = u32(i);
        return true;
    }));
    if (!found)
        return make_error(Errno::enoent, "no PLIC context for this hart and interrupt");
    return context;
}

} // namespace lib::fdt
