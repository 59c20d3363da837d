// ktests that the kernel read the machine QEMU built: the runner passes
// what it asked QEMU for (ktest.mem_mib=, ktest.harts=) and these compare.
// Also: a corrupted copy of the live device tree is rejected cleanly.
#include "kernel/boot.hpp"
#include "kernel/console.hpp"
#include "kernel/ktest.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"

using namespace kernel;

static lib::Optional<u64> number_option(const char* key)
{
    auto v = ktest::option(key);
    if (!v)
        return {};
    u64 n = 0;
    for (usize i = 0; i < v->length(); ++i)
        n = n * 10 + u64((*v)[i] - '0');
    return n;
}

KTEST(devicetree, ram_size_is_what_qemu_was_given)
{
    auto mib = number_option("ktest.mem_mib");
    if (!mib)
        KTEST_SKIP("ktest.mem_mib not given");
    EXPECT_EQ(boot_info().ram.total() >> 20, *mib);
}

KTEST(devicetree, usable_harts_are_what_qemu_was_given)
{
    auto harts = number_option("ktest.harts");
    if (!harts)
        KTEST_SKIP("ktest.harts not given");
    // The S-mode-capable harts (sifive_u's E51 has no mmu-type).
    EXPECT_EQ(u64(boot_info().usable_harts), *harts);
}

KTEST(devicetree, boot_facts_are_sane)
{
    const BootInfo& b = boot_info();
    EXPECT_GT(b.timebase_hz, 0u);
    EXPECT_TRUE(b.ram.contains(b.load_pa, b.image_size));
    EXPECT_TRUE(b.ram.contains(b.dtb_pa, b.fdt->total_size()));
    EXPECT_EQ(b.load_pa % (2u << 20), 0u); // firmware loads at 2 MiB alignment
    // The console driver serves the node stdout-path names.
    auto stdout_node = b.fdt->stdout_node();
    ASSERT_TRUE(stdout_node.is_ok());
    lib::StringView name = console_device_name();
    EXPECT_TRUE(b.fdt->is_compatible(stdout_node.value(), name));
    // The command line the kernel saw is the one in /chosen.
    EXPECT_TRUE(b.cmdline.has("ktest"));
}

KTEST(devicetree, corrupted_copies_are_rejected_cleanly)
{
    const BootInfo& b = boot_info();
    u32 size = b.fdt->total_size();
    auto* copy = static_cast<u8*>(mm::kmalloc(size));
    ASSERT_TRUE(copy != nullptr);
    const void* original = mm::phys_to_virt(PhysAddr{b.dtb_pa});

    __builtin_memcpy(copy, original, size);
    EXPECT_TRUE(lib::fdt::Blob::parse(copy, size).is_ok());
    // Truncated: the header's totalsize exceeds what we allow.
    EXPECT_TRUE(lib::fdt::Blob::parse(copy, size - 1).is_error());
    // Bad magic.
    copy[0] ^= 0xff;
    EXPECT_TRUE(lib::fdt::Blob::parse(copy, size).is_error());
    copy[0] ^= 0xff;
    // Structure offset pointing past the end.
    copy[8] = 0x7f;
    EXPECT_TRUE(lib::fdt::Blob::parse(copy, size).is_error());
    // Every single-byte corruption of the header either parses or is
    // refused: never a fault (a fault here would panic the kernel).
    u32 errors = 0;
    for (u32 i = 0; i < 40; ++i) {
        __builtin_memcpy(copy, original, size);
        copy[i] ^= 0x80;
        errors += lib::fdt::Blob::parse(copy, size).is_error();
    }
    EXPECT_GT(errors, 0u);
    mm::kfree(copy);
}

KTEST(cmdline, options_and_errors)
{
    auto ok = lib::CommandLine::parse("ktest=page_alloc,timer init=\"/bin/sh -x\" quiet");
    ASSERT_TRUE(ok.is_ok());
    EXPECT_TRUE(ok->has("quiet"));
    EXPECT_TRUE(*ok->get("init") == lib::StringView("/bin/sh -x"));
    EXPECT_TRUE(lib::CommandLine::parse("init=\"/bin/sh").is_error());
    EXPECT_TRUE(lib::CommandLine::parse("=x").is_error());
}

KTEST(ktest_meta, deliberate_failure)
{
    // Proves the runner notices failures: enabled only by ktest.fail.
    if (!ktest::option("ktest.fail") && !boot_info().cmdline.has("ktest.fail"))
        KTEST_SKIP("enable with ktest.fail");
    EXPECT_EQ(1 + 1, 3);
}

KTEST(ktest_meta, expect_continues_assert_returns)
{
    if (!boot_info().cmdline.has("ktest.fail"))
        KTEST_SKIP("enable with ktest.fail");
    bool reached = false;
    ASSERT_TRUE(false);
    reached = true; // never: ASSERT returned
    EXPECT_TRUE(reached);
}
