// libFuzzer harness for lib/fdt and lib/board: parse a blob, then ask it
// everything the kernel asks at boot (memory, reserved memory, /chosen,
// harts, the console, the PLIC, the power-off device, the RTC) and walk
// every node and property through every accessor. Whatever parse()
// accepts must answer every query without reading outside the blob.
#include "fuzz_support.hpp"
#include "lib/board.hpp"
#include "lib/cmdline.hpp"
#include "lib/fdt.hpp"

#include <cstdint>
#include <cstring>

using namespace lib;
using namespace lib::fdt;

namespace {

// Bounds the quadratic accessors (parent() walks from the root).
constexpr usize k_max_nodes = 64;
constexpr usize k_max_parent_checks = 16;

void check_view(StringView s, const Blob& blob)
{
    if (!s.is_empty())
        FUZZ_CHECK(fuzz_inside(s.data(), s.length(), blob.data(), blob.total_size()));
}

void walk_property(const Blob& blob, const Property& prop)
{
    check_view(prop.name(), blob);
    if (prop.size() > 0)
        FUZZ_CHECK(fuzz_inside(prop.data(), prop.size(), blob.data(), blob.total_size()));
    fuzz_touch(prop.data(), prop.size());
    for (usize i = 0; i <= prop.cell_count(); ++i)
        (void)prop.u32_at(i);
    for (u32 n = 0; n <= 3; ++n)
        for (usize i = 0; i < 4; ++i)
            (void)prop.cells(i, n);
    (void)prop.as_number();
    if (auto s = prop.as_string(); s.is_ok())
        check_view(s.value(), blob);
    usize strings = 0;
    for (StringView s : prop.strings()) {
        check_view(s, blob);
        FUZZ_CHECK(++strings <= prop.size());
    }
    (void)prop.contains_string("riscv,plic0");
    (void)prop.contains_string("");
}

void walk_node(const Blob& blob, Node node, usize index)
{
    check_view(blob.name(node), blob);
    check_view(blob.base_name(node), blob);
    check_view(blob.unit_address(node), blob);
    (void)blob.phandle(node);
    (void)blob.is_enabled(node);
    (void)blob.is_compatible(node, "ns16550a");
    usize props = 0;
    for (const Property& prop : blob.properties(node)) {
        walk_property(blob, prop);
        FUZZ_CHECK(++props <= blob.total_size());
    }
    (void)blob.property(node, "reg");
    (void)blob.address_cells(node);
    (void)blob.size_cells(node);
    if (auto count = blob.reg_count(node); count.is_ok())
        for (usize i = 0; i < count.value() && i < 8; ++i) {
            (void)blob.raw_reg(node, i);
            (void)blob.reg(node, i);
        }
    (void)blob.reg(node, 0);
    (void)blob.translate(node, 0x1000);
    if (auto count = blob.interrupt_count(node); count.is_ok())
        for (usize i = 0; i < count.value() && i < 8; ++i)
            (void)blob.interrupt(node, i);
    (void)blob.interrupt_parent(node);
    (void)blob.interrupt_cells(node);
    if (index < k_max_nodes) {
        if (auto parent = blob.parent(node))
            (void)blob.find_child(*parent, blob.name(node));
    }
    (void)blob.hart(node);
    usize children = 0;
    for (Node child : blob.children(node)) {
        if (index < k_max_parent_checks) {
            auto parent = blob.parent(child);
            FUZZ_CHECK(parent && *parent == node);
        }
        FUZZ_CHECK(++children <= blob.total_size());
    }
    if (auto handle = blob.phandle(node)) {
        auto found = blob.find_by_phandle(*handle);
        FUZZ_CHECK(found && blob.phandle(*found) && *blob.phandle(*found) == *handle);
    }
}

// [a, a + n) and [b, b + m) share a byte (ends saturated at 2^64).
bool overlap(u64 a, u64 n, u64 b, u64 m)
{
    auto end = [](u64 base, u64 size) { return base + size < base ? ~0ull : base + size; };
    return n > 0 && m > 0 && a < end(b, m) && b < end(a, n);
}

// The page allocator's memory map: whole pages of RAM, none of them the
// kernel's, the tree's, reserved, /memreserve/d or the accepted initrd.
void check_usable_memory(const Blob& blob, u64 kernel, u64 kernel_size, u64 dtb, u64 dtb_size)
{
    auto usable = board::usable_memory(blob, kernel, kernel_size, dtb, dtb_size);
    if (usable.is_error())
        return;
    const RangeList& free = usable.value();
    Region ram[32];
    usize ram_count = blob.memory_regions(ram, 32).value_or(0);
    FUZZ_CHECK(ram_count > 0);
    ReservedRegion reserved[32];
    usize reserved_count = blob.reserved_memory(reserved, 32).value_or(0);
    auto initrd = board::usable_initrd(blob, kernel, kernel_size, dtb, dtb_size);
    for (usize i = 0; i < free.count(); ++i) {
        const Range& r = free[i];
        FUZZ_CHECK(r.size > 0 && r.base % board::k_page_size == 0 && r.size % board::k_page_size == 0);
        FUZZ_CHECK(r.base + r.size > r.base);
        FUZZ_CHECK(i == 0 || free[i - 1].end() < r.base);
        bool in_ram = false;
        for (usize k = 0; k < ram_count; ++k)
            if (r.base >= ram[k].base && r.size <= ram[k].size && r.base - ram[k].base <= ram[k].size - r.size)
                in_ram = true;
        // Adjacent RAM ranges merge, so a free range may span two of them;
        // check each end instead when no single one holds it.
        if (!in_ram) {
            bool first = false, last = false;
            for (usize k = 0; k < ram_count; ++k) {
                first = first || (r.base >= ram[k].base && r.base - ram[k].base < ram[k].size);
                last = last || (r.end() - 1 >= ram[k].base && r.end() - 1 - ram[k].base < ram[k].size);
            }
            FUZZ_CHECK(first && last);
        }
        FUZZ_CHECK(!overlap(r.base, r.size, kernel, kernel_size));
        FUZZ_CHECK(!overlap(r.base, r.size, dtb, dtb_size));
        for (usize k = 0; k < reserved_count; ++k)
            FUZZ_CHECK(!overlap(r.base, r.size, reserved[k].base, reserved[k].size));
        for (usize k = 0; k < blob.memreserve_count(); ++k)
            if (auto m = blob.memreserve(k))
                FUZZ_CHECK(!overlap(r.base, r.size, m->base, m->size));
        if (initrd.is_ok())
            FUZZ_CHECK(!overlap(r.base, r.size, initrd->base, initrd->size));
    }
    if (initrd.is_ok()) {
        FUZZ_CHECK(!overlap(initrd->base, initrd->size, kernel, kernel_size));
        FUZZ_CHECK(!overlap(initrd->base, initrd->size, dtb, dtb_size));
    }
}

// What kernel/main.cpp's parse_device_tree() and the driver probes ask.
void boot_queries(const Blob& blob)
{
    Region regions[16];
    (void)blob.memory_regions(regions, 16);
    (void)blob.memory_regions(regions, 1);
    ReservedRegion reserved[16];
    (void)blob.reserved_memory(reserved, 16);
    for (usize i = 0; i <= blob.memreserve_count() && i < 64; ++i)
        (void)blob.memreserve(i);
    (void)blob.chosen();
    if (auto args = blob.bootargs()) {
        check_view(*args, blob);
        if (auto line = CommandLine::parse(*args); line.is_ok()) {
            (void)line->get("init");
            (void)line->get_u64("tick_ms");
        }
    }
    if (auto out = blob.stdout_path()) {
        check_view(out->path, blob);
        check_view(out->options, blob);
    }
    (void)blob.stdout_node();
    (void)blob.initrd();
    if (auto seed = blob.rng_seed())
        fuzz_touch(seed->data(), seed->size());
    (void)blob.timebase_frequency();
    Hart harts[8];
    if (auto n = blob.harts(harts, 8); n.is_ok())
        for (usize i = 0; i < n.value(); ++i) {
            check_view(harts[i].isa, blob);
            (void)isa_has_extension(harts[i].isa, "sstc");
            (void)isa_has_extension(harts[i].isa, "f");
            auto again = blob.find_hart(harts[i].id);
            FUZZ_CHECK(again.is_ok() && again->id == harts[i].id);
        }
    (void)blob.find_hart(blob.boot_cpuid());
    (void)blob.find_hart(0);
    (void)board::summarize_harts(blob, 0);
    (void)board::summarize_harts(blob, 1);
    (void)board::choose_console(blob);
    if (auto plic = board::find_plic(blob)) {
        (void)blob.plic_s_context(*plic, 0);
        (void)blob.plic_s_context(*plic, 1);
        (void)blob.plic_context(*plic, 0, k_irq_m_external);
        (void)blob.property(*plic, "riscv,ndev");
    }
    if (auto poweroff = blob.find_compatible("syscon-poweroff"))
        if (auto regmap = blob.property(*poweroff, "regmap"); regmap && regmap->u32_at(0).is_ok())
            if (auto syscon = blob.find_by_phandle(regmap->u32_at(0).value()))
                (void)blob.reg(*syscon, 0);
    if (auto rtc = blob.find_compatible("google,goldfish-rtc"))
        (void)blob.reg(*rtc, 0);
    for (auto path : {"/", "/cpus", "/chosen", "/soc/serial@10000000", "serial0", "serial0/x", "//", "/cpus/"})
        (void)blob.find_path(path);
    check_usable_memory(blob, 0x80200000, 0x400000, 0x87e00000, blob.total_size());
    check_usable_memory(blob, 0, 0, 0, 0);
    check_usable_memory(blob, ~0ull - 0xfff, 0x2000, ~0ull - 0x10000, 0x10000);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = Blob::parse(data, size);
    if (parsed.is_error()) {
        FUZZ_CHECK(parsed.error().what != nullptr);
        return 0;
    }
    const Blob& blob = parsed.value();
    FUZZ_CHECK(blob.total_size() <= size);
    boot_queries(blob);
    usize index = 0;
    for (Optional<Node> node = blob.root(); node; node = blob.next_node(*node)) {
        walk_node(blob, *node, index);
        FUZZ_CHECK(++index <= blob.total_size());
    }
    return 0;
}
