// Host tests for lib/board: the console, hart and memory decisions the
// kernel takes from a device tree, on QEMU's real blobs and on hand-written
// models of real boards (tests/fixtures/visionfive2.dts, hifive-unmatched.dts)
// whose facts QEMU hides. Hostile variants are the board blobs with one
// property value overwritten in place (same length), so everything else
// stays as the real tree has it.
#include "lib/board.hpp"
#include "lib/fdt.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

using namespace lib;
using namespace lib::board;
using lib::fdt::Blob;
using lib::fdt::Node;

namespace {

std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

// *.dtb from QEMU live in the source tree; *.dts are compiled by the build.
std::vector<u8> fixture(const std::string& name)
{
    if (name.ends_with(".dts"))
        return read_file(std::string(MYRIAD_HOST_BUILD) + "/fixtures/" + name.substr(0, name.size() - 4) + ".dtb");
    return read_file(std::string(MYRIAD_FIXTURES) + "/" + name);
}

// The blob and its bytes together: Blob views into the vector.
struct Tree {
    std::vector<u8> bytes;
    Blob blob() const
    {
        auto r = Blob::parse(bytes.data(), bytes.size());
        if (r.is_error()) {
            // Every test here needs the blob; without it nothing is meaningful.
            std::fprintf(stderr, "fixture blob rejected: %s\n", r.error().what ? r.error().what : "?");
            std::abort();
        }
        return r.value();
    }
};

Tree load(const std::string& name)
{
    Tree t{fixture(name)};
    EXPECT_FALSE(t.bytes.empty()) << "fixture " << name << " is missing";
    return t;
}

Node node_at(const Blob& blob, const char* path)
{
    auto n = blob.find_path(path);
    if (!n) {
        ADD_FAILURE() << "no node " << path;
        return Node();
    }
    return *n;
}

std::vector<u8> be32(u32 v) { return {u8(v >> 24), u8(v >> 16), u8(v >> 8), u8(v)}; }

std::vector<u8> cstr(const char* s) { return std::vector<u8>(s, s + std::strlen(s) + 1); }

// Overwrites property `prop` of the node at `path` with a value of the same length.
void patch(Tree& t, const char* path, const char* prop, const std::vector<u8>& value)
{
    Blob blob = t.blob();
    auto p = blob.property(node_at(blob, path), prop);
    ASSERT_TRUE(p.has_value()) << path << " has no " << prop;
    ASSERT_EQ(p->size(), value.size()) << "patch of " << path << "/" << prop << " must keep its length";
    std::memcpy(t.bytes.data() + (p->data() - t.bytes.data()), value.data(), value.size());
}

// Renames a property everywhere by rewriting its name in the strings block
// (names are shared, so every node using it changes).
void rename_property(Tree& t, const char* from, const char* to)
{
    ASSERT_EQ(std::strlen(from), std::strlen(to));
    std::vector<u8> needle = cstr(from);
    auto at = std::search(t.bytes.begin(), t.bytes.end(), needle.begin(), needle.end());
    ASSERT_NE(at, t.bytes.end()) << "no property name " << from;
    std::memcpy(&*at, to, std::strlen(to));
}

std::vector<std::pair<u64, u64>> ranges_of(const RangeList& list)
{
    std::vector<std::pair<u64, u64>> out;
    for (usize i = 0; i < list.count(); ++i)
        out.push_back({list[i].base, list[i].end()});
    return out;
}

std::vector<std::pair<u64, u64>> ram_of(const Blob& blob)
{
    fdt::Region regions[8];
    auto n = blob.memory_regions(regions, 8);
    EXPECT_TRUE(n.is_ok());
    std::vector<std::pair<u64, u64>> out;
    for (usize i = 0; n.is_ok() && i < n.value(); ++i)
        out.push_back({regions[i].base, regions[i].base + regions[i].size});
    return out;
}

std::string name_of(const Blob& blob, Node n)
{
    StringView s = blob.name(n);
    return std::string(s.data(), s.length());
}

std::string error_text(const lib::Error& e) { return e.what ? e.what : ""; }

// What every console test compares.
struct ExpectedConsole {
    const char* node;
    UartKind kind;
    u64 base;
    u64 size;
    u32 shift;
    u32 width;
    u32 clock_hz;
    bool designware;
    bool from_stdout_path;
    u32 irq;
};

void expect_console(const Tree& t, const ExpectedConsole& want)
{
    Blob blob = t.blob();
    auto c = choose_console(blob);
    ASSERT_TRUE(c.is_ok()) << error_text(c.error());
    EXPECT_EQ(c->node, node_at(blob, want.node)) << "chose " << name_of(blob, c->node);
    EXPECT_EQ(c->kind, want.kind);
    EXPECT_EQ(c->base, want.base);
    EXPECT_EQ(c->size, want.size);
    EXPECT_EQ(c->reg_shift, want.shift);
    EXPECT_EQ(c->reg_io_width, want.width);
    EXPECT_EQ(c->clock_hz, want.clock_hz);
    EXPECT_EQ(c->designware, want.designware);
    EXPECT_EQ(c->from_stdout_path, want.from_stdout_path);
    ASSERT_TRUE(c->has_irq) << (c->irq_error ? c->irq_error : "");
    EXPECT_EQ(c->irq, want.irq);
    // The number belongs to the PLIC the kernel drives, not some other controller.
    auto plic = find_plic(blob);
    ASSERT_TRUE(plic.has_value());
    EXPECT_EQ(c->irq_controller, *plic);
}

// S-mode PLIC context of each hart the kernel could run on: hart id -> context.
void expect_s_contexts(const Tree& t, const std::vector<std::pair<u64, u32>>& want,
                       const std::vector<u64>& without_s_context)
{
    Blob blob = t.blob();
    auto plic = find_plic(blob);
    ASSERT_TRUE(plic.has_value());
    for (auto [hart, context] : want) {
        auto got = blob.plic_s_context(*plic, hart);
        ASSERT_TRUE(got.is_ok()) << "hart " << hart << ": " << error_text(got.error());
        EXPECT_EQ(got.value(), context) << "hart " << hart;
    }
    for (u64 hart : without_s_context) {
        auto got = blob.plic_s_context(*plic, hart);
        EXPECT_TRUE(got.is_error()) << "hart " << hart << " has no S context, got " << got.value_or(0);
    }
}

void expect_harts(const Tree& t, u64 boot, const BootHarts& want)
{
    BootHarts got = summarize_harts(t.blob(), boot);
    EXPECT_EQ(got.total, want.total) << "boot hart " << boot;
    EXPECT_EQ(got.usable, want.usable) << "boot hart " << boot;
    EXPECT_EQ(got.boot_found, want.boot_found) << "boot hart " << boot;
    EXPECT_EQ(got.boot_usable, want.boot_usable) << "boot hart " << boot;
    EXPECT_EQ(got.boot_sstc, want.boot_sstc) << "boot hart " << boot;
}

using Ranges = std::vector<std::pair<u64, u64>>;

void expect_usable(const Tree& t, u64 kernel, u64 kernel_size, u64 dtb, u64 dtb_size, const Ranges& want)
{
    auto got = usable_memory(t.blob(), kernel, kernel_size, dtb, dtb_size);
    ASSERT_TRUE(got.is_ok()) << error_text(got.error());
    EXPECT_EQ(ranges_of(got.value()), want);
}

// A kernel image of 1.6 MiB, 2 MiB-aligned as booti and QEMU place it.
constexpr u64 k_kernel_size = 0x1a3000;

} // namespace

// ---------------------------------------------------------------- console

TEST(BoardConsole, QemuVirt)
{
    for (const char* f : {"qemu-virt.dtb", "qemu-virt-smp4-2g.dtb"}) {
        SCOPED_TRACE(f);
        // QEMU writes clock-frequency as 3686400 (1.8432 MHz * 2).
        expect_console(load(f), {"/soc/serial@10000000", UartKind::Ns16550, 0x10000000, 0x100, 0, 1, 3686400,
                                 false, true, 10});
    }
}

TEST(BoardConsole, QemuSifiveU)
{
    expect_console(load("qemu-sifive_u.dtb"),
                   {"/soc/serial@10010000", UartKind::SifiveUart, 0x10010000, 0x1000, 0, 4, 0, false, true, 4});
}

TEST(BoardConsole, VisionFive2DesignWareUart)
{
    // stdout-path "serial0:115200n8" -> alias -> a DesignWare 16550 with
    // 32-bit registers 4 bytes apart, clocked at 24 MHz, PLIC source 32
    // through the interrupt-parent of /soc.
    expect_console(load("visionfive2.dts"), {"/soc/serial@10000000", UartKind::Ns16550, 0x10000000, 0x10000, 2, 4,
                                             24000000, true, true, 32});
}

TEST(BoardConsole, UnmatchedSifiveUartThroughAlias)
{
    expect_console(load("hifive-unmatched.dts"), {"/soc/serial@10010000", UartKind::SifiveUart, 0x10010000, 0x1000,
                                                  0, 4, 0, false, true, 39});
}

TEST(BoardConsole, StdoutPathWinsOverDocumentOrder)
{
    // Point serial0 at the second UART: the choice must follow it, not take
    // the first enabled UART in the tree.
    Tree t = load("hifive-unmatched.dts");
    patch(t, "/aliases", "serial0", cstr("/soc/serial@10011000"));
    expect_console(t, {"/soc/serial@10011000", UartKind::SifiveUart, 0x10011000, 0x1000, 0, 4, 0, false, true, 40});
}

TEST(BoardConsole, MissingStdoutNodeFallsBackToFirstKnownUart)
{
    {
        Tree t = load("hifive-unmatched.dts");
        patch(t, "/chosen", "stdout-path", cstr("serial7:115200n8")); // no such alias
        expect_console(t, {"/soc/serial@10010000", UartKind::SifiveUart, 0x10010000, 0x1000, 0, 4, 0, false, false,
                           39});
    }
    {
        Tree t = load("visionfive2.dts");
        patch(t, "/chosen", "stdout-path", cstr("serial7:115200n8"));
        expect_console(t, {"/soc/serial@10000000", UartKind::Ns16550, 0x10000000, 0x10000, 2, 4, 24000000, true,
                           false, 32});
    }
}

TEST(BoardConsole, DisabledUartIsSkipped)
{
    // The stdout-path node itself disabled: the fallback must skip it (and
    // the tree's other disabled UARTs) and take the next enabled one.
    Tree t = load("hifive-unmatched.dts");
    patch(t, "/soc/serial@10010000", "status", cstr("fail"));
    expect_console(t, {"/soc/serial@10011000", UartKind::SifiveUart, 0x10011000, 0x1000, 0, 4, 0, false, false, 40});
}

TEST(BoardConsole, NoEnabledUartIsEnodev)
{
    // On the VisionFive 2 every other UART is disabled.
    Tree t = load("visionfive2.dts");
    patch(t, "/soc/serial@10000000", "status", cstr("fail"));
    auto c = choose_console(t.blob());
    ASSERT_TRUE(c.is_error());
    EXPECT_EQ(c.code(), Errno::enodev);
}

TEST(BoardConsole, UnsupportedRegisterLayoutIsAnError)
{
    {
        // 16-bit registers (Linux's UPIO_MEM16): our driver cannot do them.
        Tree t = load("visionfive2.dts");
        patch(t, "/soc/serial@10000000", "reg-io-width", be32(2));
        auto c = choose_console(t.blob());
        ASSERT_TRUE(c.is_error());
        EXPECT_EQ(c.code(), Errno::einval);
        EXPECT_NE(error_text(c.error()).find("reg-io-width"), std::string::npos) << error_text(c.error());
    }
    {
        Tree t = load("visionfive2.dts");
        patch(t, "/soc/serial@10000000", "reg-shift", be32(4));
        auto c = choose_console(t.blob());
        ASSERT_TRUE(c.is_error());
        EXPECT_EQ(c.code(), Errno::einval);
        EXPECT_NE(error_text(c.error()).find("reg-shift"), std::string::npos) << error_text(c.error());
    }
    {
        // The limits themselves are accepted.
        Tree t = load("visionfive2.dts");
        patch(t, "/soc/serial@10000000", "reg-shift", be32(3));
        patch(t, "/soc/serial@10000000", "reg-io-width", be32(1));
        auto c = choose_console(t.blob());
        ASSERT_TRUE(c.is_ok()) << error_text(c.error());
        EXPECT_EQ(c->reg_shift, 3u);
        EXPECT_EQ(c->reg_io_width, 1u);
    }
}

TEST(BoardConsole, KindNames)
{
    EXPECT_STREQ(uart_kind_name(UartKind::Ns16550), "ns16550");
    EXPECT_STREQ(uart_kind_name(UartKind::SifiveUart), "sifive,uart0");
}

// ---------------------------------------------------------------- harts and PLIC

TEST(BoardHarts, QemuVirt)
{
    expect_harts(load("qemu-virt.dtb"), 0, {1, 1, true, true, true});
    expect_harts(load("qemu-virt-smp4-2g.dtb"), 2, {4, 4, true, true, true});
    expect_s_contexts(load("qemu-virt.dtb"), {{0, 1}}, {});
    expect_s_contexts(load("qemu-virt-smp4-2g.dtb"), {{0, 1}, {1, 3}, {2, 5}, {3, 7}}, {});
}

TEST(BoardHarts, QemuSifiveU)
{
    // QEMU models the FU540's E51 monitor core too: enabled but no MMU.
    Tree t = load("qemu-sifive_u.dtb");
    expect_harts(t, 1, {2, 1, true, true, false});
    expect_harts(t, 0, {2, 1, true, false, false});
    expect_s_contexts(t, {{1, 2}}, {0});
}

TEST(BoardHarts, VisionFive2)
{
    Tree t = load("visionfive2.dts");
    // The S7 (hart 0) is disabled and has no mmu-type; the U74s are usable.
    for (u64 boot : {1, 2, 3, 4})
        expect_harts(t, boot, {5, 4, true, true, false});
    expect_harts(t, 0, {5, 4, true, false, false});
    expect_harts(t, 5, {5, 4, false, false, false});
    // Hart 0 has only an M context, so hart h's S context is 2h, not 2h+1.
    expect_s_contexts(t, {{1, 2}, {2, 4}, {3, 6}, {4, 8}}, {0});
}

TEST(BoardHarts, Unmatched)
{
    Tree t = load("hifive-unmatched.dts");
    // U74s without a status property are enabled.
    for (u64 boot : {1, 2, 3, 4})
        expect_harts(t, boot, {5, 4, true, true, false});
    expect_harts(t, 0, {5, 4, true, false, false});
    // M contexts are <&intc 0xffffffff>; S contexts <&intc 9>.
    expect_s_contexts(t, {{1, 2}, {2, 4}, {3, 6}, {4, 8}}, {0});
}

TEST(BoardHarts, SstcFromIsaExtensionsList)
{
    // Newer trees list extensions in riscv,isa-extensions; riscv,isa is
    // deprecated. Sstc named only there still counts, for the boot hart only.
    Tree t = load("visionfive2.dts");
    Blob blob = t.blob();
    auto exts = blob.property(node_at(blob, "/cpus/cpu@1"), "riscv,isa-extensions");
    ASSERT_TRUE(exts.has_value());
    std::vector<u8> value(exts->data(), exts->data() + exts->size());
    std::vector<u8> zihpm = cstr("zihpm");
    auto at = std::search(value.begin(), value.end(), zihpm.begin(), zihpm.end());
    ASSERT_NE(at, value.end());
    std::memcpy(&*at, "sstc\0", 6); // "zihpm\0" -> "sstc\0\0"
    patch(t, "/cpus/cpu@1", "riscv,isa-extensions", value);
    expect_harts(t, 1, {5, 4, true, true, true});
    expect_harts(t, 2, {5, 4, true, true, false});
}

TEST(BoardHarts, PlicFoundByTheDriversCompatibles)
{
    for (const char* f : {"qemu-virt.dtb", "qemu-sifive_u.dtb", "visionfive2.dts", "hifive-unmatched.dts"}) {
        SCOPED_TRACE(f);
        Tree t = load(f);
        Blob blob = t.blob();
        auto plic = find_plic(blob);
        ASSERT_TRUE(plic.has_value());
        EXPECT_EQ(blob.reg(*plic, 0).value_or({}).base, 0xc000000u);
    }
    EXPECT_EQ(name_of(load("visionfive2.dts").blob(), *find_plic(load("visionfive2.dts").blob())),
              "interrupt-controller@c000000");
}

// ---------------------------------------------------------------- timebase and RAM

TEST(BoardMemory, TimebaseAndRam)
{
    struct Case {
        const char* fixture;
        u64 timebase;
        Ranges ram;
    } cases[] = {
        {"qemu-virt.dtb", 10000000, {{0x80000000, 0x88000000}}},
        {"qemu-virt-smp4-2g.dtb", 10000000, {{0x80000000, 0x100000000}}},
        {"qemu-sifive_u.dtb", 1000000, {{0x80000000, 0x90000000}}},
        {"visionfive2.dts", 4000000, {{0x40000000, 0x240000000}}},        // 8 GiB
        {"hifive-unmatched.dts", 1000000, {{0x80000000, 0x480000000}}},  // 16 GiB
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.fixture);
        Tree t = load(c.fixture);
        EXPECT_EQ(t.blob().timebase_frequency().value_or(0), c.timebase);
        EXPECT_EQ(ram_of(t.blob()), c.ram);
    }
}

TEST(BoardMemory, UsableQemu)
{
    // No firmware region in QEMU's dumped trees (OpenSBI adds it at run
    // time), so only the kernel and the (unaligned) blob come out.
    expect_usable(load("qemu-virt.dtb"), 0x80200000, k_kernel_size, 0x87e00000, 0x1c3f,
                  {{0x80000000, 0x80200000}, {0x803a3000, 0x87e00000}, {0x87e02000, 0x88000000}});
    // With the initrd QEMU placed at 0x88200000 (one page).
    expect_usable(load("qemu-virt-smp4-2g.dtb"), 0x80200000, k_kernel_size, 0x87000000, 0x1a2b,
                  {{0x80000000, 0x80200000},
                   {0x803a3000, 0x87000000},
                   {0x87002000, 0x88200000},
                   {0x88201000, 0x100000000}});
    expect_usable(load("qemu-sifive_u.dtb"), 0x80200000, k_kernel_size, 0x8fe00000, 0x1d00,
                  {{0x80000000, 0x80200000}, {0x803a3000, 0x8fe00000}, {0x8fe02000, 0x90000000}});
}

TEST(BoardMemory, UsableVisionFive2)
{
    // U-Boot: kernel at kernel_addr_r 0x40200000, blob used in place at
    // fdt_addr_r 0x46000000, initrd at ramdisk_addr_r 0x46100000 (in
    // /memreserve/ and /chosen). Away: OpenSBI [0x40000000, +512K), the E24
    // firmware, the XRP buffers (whose first entry ends one byte short of a
    // page: that byte is not usable), not the CMA pool (no reg).
    expect_usable(load("visionfive2.dts"), 0x40200000, k_kernel_size, 0x46000000, 0x3a2f,
                  {{0x40080000, 0x40200000},
                   {0x403a3000, 0x46000000},
                   {0x46004000, 0x46100000},
                   {0x463a6000, 0xc0110000},
                   {0xc0200000, 0xf0000000},
                   {0xf3001000, 0x240000000}});
}

TEST(BoardMemory, UsableUnmatched)
{
    // Kernel at kernel_addr_r 0x84000000, the blob relocated by U-Boot
    // below the top of the first 2 GiB, initrd at ramdisk_addr_r 0x88300000.
    expect_usable(load("hifive-unmatched.dts"), 0x84000000, k_kernel_size, 0xff5f0000, 0x2a11,
                  {{0x80080000, 0x84000000},
                   {0x841a3000, 0x88300000},
                   {0x884f0000, 0xff5f0000},
                   {0xff5f3000, 0x480000000}});
}

TEST(BoardMemory, MemreserveAloneKeepsTheInitrdAway)
{
    // Without the /chosen initrd properties, U-Boot's /memreserve/ entry
    // still covers the initrd.
    Tree t = load("visionfive2.dts");
    rename_property(t, "linux,initrd-start", "linux,initrd-starX");
    rename_property(t, "linux,initrd-end", "linux,initrd-enX");
    ASSERT_EQ(t.blob().initrd().code(), Errno::enoent);
    ASSERT_EQ(t.blob().memreserve_count(), 1u);
    expect_usable(t, 0x40200000, k_kernel_size, 0x46000000, 0x3a2f,
                  {{0x40080000, 0x40200000},
                   {0x403a3000, 0x46000000},
                   {0x46004000, 0x46100000},
                   {0x463a6000, 0xc0110000},
                   {0xc0200000, 0xf0000000},
                   {0xf3001000, 0x240000000}});
}

TEST(BoardMemory, KernelAndBlobInsideReservedRegions)
{
    // Overlaps between the pieces must not resurrect memory.
    expect_usable(load("hifive-unmatched.dts"), 0x80040000, 0x80000, 0x88300000, 0x100,
                  {{0x800c0000, 0x88300000}, {0x884f0000, 0x480000000}});
}

TEST(BoardMemory, NoRamIsAnError)
{
    Tree t = load("qemu-virt.dtb");
    patch(t, "/memory@80000000", "device_type", cstr("memorx"));
    auto got = usable_memory(t.blob(), 0x80200000, k_kernel_size, 0x87e00000, 0x1000);
    ASSERT_TRUE(got.is_error());
    EXPECT_EQ(got.code(), Errno::enoent);
}

TEST(BoardMemory, UnreadableReservedMemoryIsAnError)
{
    // If /reserved-memory cannot be read we cannot know what to keep away:
    // fail rather than hand OpenSBI's memory to the page allocator.
    Tree t = load("visionfive2.dts");
    patch(t, "/reserved-memory", "#size-cells", be32(5));
    auto got = usable_memory(t.blob(), 0x40200000, k_kernel_size, 0x46000000, 0x3a2f);
    ASSERT_TRUE(got.is_error());
    EXPECT_EQ(got.code(), Errno::einval);
}

TEST(BoardMemory, MalformedInitrdIsIgnored)
{
    // Linux disables an initrd it cannot trust and boots on; so do we: it
    // is neither read nor kept out of the allocator.
    {
        // Only linux,initrd-start left.
        Tree t = load("visionfive2.dts");
        rename_property(t, "linux,initrd-end", "linux,initrd-enX");
        auto initrd = usable_initrd(t.blob(), 0x40200000, k_kernel_size, 0x46000000, 0x3a2f);
        ASSERT_TRUE(initrd.is_error());
        EXPECT_EQ(initrd.code(), Errno::einval);
        EXPECT_TRUE(usable_memory(t.blob(), 0x40200000, k_kernel_size, 0x46000000, 0x3a2f).is_ok());
    }
    {
        // End below start.
        Tree t = load("hifive-unmatched.dts");
        std::vector<u8> end = be32(0);
        std::vector<u8> low = be32(0x88000000);
        end.insert(end.end(), low.begin(), low.end());
        patch(t, "/chosen", "linux,initrd-end", end);
        auto initrd = usable_initrd(t.blob(), 0x84000000, k_kernel_size, 0xff5f0000, 0x2a11);
        ASSERT_TRUE(initrd.is_error());
        EXPECT_STREQ(initrd.error().what, "linux,initrd-end below linux,initrd-start");
        EXPECT_TRUE(usable_memory(t.blob(), 0x84000000, k_kernel_size, 0xff5f0000, 0x2a11).is_ok());
    }
}

TEST(BoardMemory, InitrdMustLieInRamAwayFromKernelAndTree)
{
    // QEMU virt, 2 GiB at 0x80000000, initrd at [0x88200000, 0x88201000).
    auto with_initrd = [](u32 start, u32 end) {
        Tree t = load("qemu-virt-smp4-2g.dtb"); // one-cell values
        patch(t, "/chosen", "linux,initrd-start", be32(start));
        patch(t, "/chosen", "linux,initrd-end", be32(end));
        return t;
    };
    auto why = [](Tree& t, u64 kernel = 0x80200000, u64 dtb = 0xbfe00000) -> std::string {
        auto r = usable_initrd(t.blob(), kernel, k_kernel_size, dtb, 0x2000);
        return r.is_ok() ? "ok" : r.error().what;
    };
    Tree good = with_initrd(0x88200000, 0x88201000);
    EXPECT_EQ(why(good), "ok");
    Tree outside = with_initrd(0x10000000, 0x10001000);
    EXPECT_EQ(why(outside), "initrd is not inside RAM");
    Tree straddles = with_initrd(0x7ffff000, 0x80001000);
    EXPECT_EQ(why(straddles), "initrd is not inside RAM");
    Tree huge = with_initrd(0, 0xffffffff);
    EXPECT_EQ(why(huge), "initrd is not inside RAM");
    EXPECT_EQ(why(good, 0x88100000), "initrd overlaps the kernel image");
    EXPECT_EQ(why(good, 0x80200000, 0x88200800), "initrd overlaps the device tree");
    Tree empty = with_initrd(0x88200000, 0x88200000);
    EXPECT_EQ(usable_initrd(empty.blob(), 0x80200000, k_kernel_size, 0xbfe00000, 0x2000).code(), Errno::enoent);
    // An ignored initrd stays in the allocator's RAM.
    auto free = usable_memory(outside.blob(), 0x80200000, k_kernel_size, 0xbfe00000, 0x2000);
    ASSERT_TRUE(free.is_ok());
}
