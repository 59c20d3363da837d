// Host tests for lib/fdt on real input: QEMU's blobs (tests/fixtures/*.dtb)
// and the hand-written tests/fixtures/fdt-features.dts, queried the way
// the kernel queries them. Hostile input is in fdt_hostile_test.cpp.
#include "tests/host/fdt_support.hpp"

using namespace fdt_test;

// ---------------------------------------------------------------- qemu virt, 1 hart, 128 MiB

TEST_F(FdtVirt, HeaderFields)
{
    EXPECT_EQ(blob().total_size(), 4222u);
    EXPECT_EQ(blob().total_size(), m_bytes.size());
    EXPECT_EQ(blob().version(), 17u);
    EXPECT_EQ(blob().boot_cpuid(), 0u);
    EXPECT_EQ(blob().memreserve_count(), 0u);
    EXPECT_FALSE(blob().memreserve(0));
}

TEST_F(FdtVirt, MemoryIs128MiBAt2GiB)
{
    Region r[4];
    auto n = blob().memory_regions(r, 4);
    ASSERT_TRUE(n.is_ok());
    ASSERT_EQ(*n, 1u);
    EXPECT_EQ(r[0].base, 0x80000000u);
    EXPECT_EQ(r[0].size, 128u << 20);
    EXPECT_EQ(blob().memory_regions(r, 0).code(), Errno::e2big);
}

TEST_F(FdtVirt, NoReservedMemoryNode)
{
    EXPECT_FALSE(blob().find_path("/reserved-memory"));
    ReservedRegion r[2];
    auto n = blob().reserved_memory(r, 2);
    ASSERT_TRUE(n.is_ok());
    EXPECT_EQ(*n, 0u);
}

TEST_F(FdtVirt, TimebaseIs10MHz)
{
    auto hz = blob().timebase_frequency();
    ASSERT_TRUE(hz.is_ok());
    EXPECT_EQ(*hz, 10000000u);
}

TEST_F(FdtVirt, OneHart)
{
    Hart harts[4];
    auto n = blob().harts(harts, 4);
    ASSERT_TRUE(n.is_ok());
    ASSERT_EQ(*n, 1u);
    const Hart& h = harts[0];
    EXPECT_EQ(h.id, 0u);
    EXPECT_EQ(str(h.isa), "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
    EXPECT_EQ(str(h.mmu_type), "riscv,sv48");
    EXPECT_TRUE(h.enabled);
    EXPECT_EQ(h.intc_phandle, 2u);
    EXPECT_EQ(h.node, node("/cpus/cpu@0"));
    EXPECT_TRUE(isa_has_extension(h.isa, "sstc"));
    EXPECT_TRUE(isa_has_extension(h.isa, "h"));
    EXPECT_TRUE(isa_has_extension(h.isa, "zba"));
    EXPECT_FALSE(isa_has_extension(h.isa, "s"));
    EXPECT_EQ(blob().harts(harts, 0).code(), Errno::e2big);
    EXPECT_EQ(blob().find_hart(1).code(), Errno::enoent);
    // cpu-map and its children are not cpus.
    EXPECT_EQ(blob().hart(node("/cpus/cpu-map")).code(), Errno::einval);
}

TEST_F(FdtVirt, Chosen)
{
    auto sp = blob().stdout_path();
    ASSERT_TRUE(sp);
    EXPECT_EQ(str(sp->path), "/soc/serial@10000000");
    EXPECT_TRUE(sp->options.is_empty());
    auto out = blob().stdout_node();
    ASSERT_TRUE(out.is_ok());
    EXPECT_EQ(str(blob().name(*out)), "serial@10000000");
    EXPECT_FALSE(blob().bootargs());
    EXPECT_EQ(blob().initrd().code(), Errno::enoent);
    auto seed = blob().rng_seed();
    ASSERT_TRUE(seed);
    ASSERT_EQ(seed->size(), 32u);
    EXPECT_EQ(seed->data()[0], 0xd1);
    EXPECT_EQ(seed->data()[31], 0x4c);
}

TEST_F(FdtVirt, UartRegAndInterrupt)
{
    auto uart = blob().find_compatible("ns16550a");
    ASSERT_TRUE(uart);
    EXPECT_EQ(*uart, node("/soc/serial@10000000"));
    EXPECT_FALSE(blob().find_compatible("ns16550a", *uart));
    auto count = blob().reg_count(*uart);
    ASSERT_TRUE(count.is_ok());
    EXPECT_EQ(*count, 1u);
    auto reg = blob().reg(*uart, 0);
    ASSERT_TRUE(reg.is_ok());
    EXPECT_EQ(reg->base, 0x10000000u);
    EXPECT_EQ(reg->size, 0x100u);
    EXPECT_EQ(blob().reg(*uart, 1).code(), Errno::enoent);

    Node plic = node("/soc/plic@c000000");
    auto parent = blob().interrupt_parent(*uart);
    ASSERT_TRUE(parent.is_ok());
    EXPECT_EQ(*parent, plic);
    auto irqs = blob().interrupt_count(*uart);
    ASSERT_TRUE(irqs.is_ok());
    EXPECT_EQ(*irqs, 1u);
    auto irq = blob().interrupt(*uart, 0);
    ASSERT_TRUE(irq.is_ok());
    EXPECT_EQ(irq->controller, plic);
    EXPECT_EQ(irq->controller_phandle, 3u);
    EXPECT_EQ(irq->cell_count, 1u);
    EXPECT_EQ(irq->number(), 10u);
    EXPECT_EQ(blob().interrupt(*uart, 1).code(), Errno::enoent);
    // clock-frequency is written as a string by QEMU but is a u32: 3686400.
    auto clk = blob().property(*uart, "clock-frequency");
    ASSERT_TRUE(clk);
    EXPECT_EQ(clk->as_number().value_or(0), 3686400u);
}

TEST_F(FdtVirt, PlicSupervisorContext)
{
    auto plic = blob().find_compatible("riscv,plic0");
    ASSERT_TRUE(plic);
    EXPECT_EQ(blob().plic_s_context(*plic, 0).value_or(99), 1u);
    EXPECT_EQ(blob().plic_context(*plic, 0, k_irq_m_external).value_or(99), 0u);
    EXPECT_EQ(blob().plic_s_context(*plic, 1).code(), Errno::enoent);
    // A node without interrupts-extended is not a PLIC.
    EXPECT_EQ(blob().plic_s_context(node("/soc/serial@10000000"), 0).code(), Errno::enoent);
}

TEST_F(FdtVirt, NodeNavigation)
{
    Node root = blob().root();
    EXPECT_EQ(str(blob().name(root)), "");
    EXPECT_FALSE(blob().parent(root));
    std::vector<std::string> names;
    for (Node child : blob().children(root))
        names.push_back(str(blob().name(child)));
    std::vector<std::string> expected = {"pmu",       "fw-cfg@10100000",         "flash@20000000",
                                         "chosen",    "poweroff",                "reboot",
                                         "platform-bus@4000000", "memory@80000000", "cpus", "soc"};
    EXPECT_EQ(names, expected);

    Node uart = node("/soc/serial@10000000");
    EXPECT_EQ(str(blob().base_name(uart)), "serial");
    EXPECT_EQ(str(blob().unit_address(uart)), "10000000");
    EXPECT_EQ(str(blob().unit_address(node("/cpus"))), "");
    auto soc = blob().parent(uart);
    ASSERT_TRUE(soc);
    EXPECT_EQ(*soc, node("/soc"));
    EXPECT_EQ(blob().parent(*soc).value_or(Node()), root);
    // A component without a unit address matches the base name.
    EXPECT_EQ(node("/soc/serial"), uart);
    EXPECT_EQ(node("//soc//serial@10000000/"), uart);
    EXPECT_EQ(node("/"), root);
    EXPECT_FALSE(blob().find_path("/soc/serial@10000001"));
    EXPECT_FALSE(blob().find_path("/nonexistent"));
    EXPECT_FALSE(blob().find_path(""));
    EXPECT_FALSE(blob().find_path("serial0")); // no /aliases on virt
    EXPECT_EQ(blob().find_child(root, "cpus").value_or(Node()), node("/cpus"));

    auto first = blob().first_child(node("/cpus"));
    ASSERT_TRUE(first);
    EXPECT_EQ(str(blob().name(*first)), "cpu@0");
    auto second = blob().next_sibling(*first);
    ASSERT_TRUE(second);
    EXPECT_EQ(str(blob().name(*second)), "cpu-map");
    EXPECT_FALSE(blob().next_sibling(*second));
    EXPECT_FALSE(blob().first_child(node("/chosen")));
}

TEST_F(FdtVirt, FindCompatibleIteratesInDocumentOrder)
{
    std::vector<std::string> found;
    for (auto n = blob().find_compatible("virtio,mmio"); n; n = blob().find_compatible("virtio,mmio", *n))
        found.push_back(str(blob().unit_address(*n)));
    ASSERT_EQ(found.size(), 8u);
    EXPECT_EQ(found.front(), "10008000");
    EXPECT_EQ(found.back(), "10001000");
    // Any string of the list matches, but not a prefix of one.
    EXPECT_TRUE(blob().find_compatible("sifive,test0"));
    EXPECT_TRUE(blob().find_compatible("syscon"));
    EXPECT_FALSE(blob().find_compatible("sifive,test"));
    EXPECT_FALSE(blob().find_compatible("no,such-device"));
}

TEST_F(FdtVirt, PropertiesInOrder)
{
    std::vector<std::string> names;
    for (const Property& p : blob().properties(node("/soc/serial@10000000")))
        names.push_back(str(p.name()));
    std::vector<std::string> expected = {"interrupts", "interrupt-parent", "clock-frequency", "reg", "compatible"};
    EXPECT_EQ(names, expected);
    EXPECT_FALSE(blob().property(node("/soc/serial@10000000"), "interrupt"));
    EXPECT_FALSE(blob().property(node("/soc/serial@10000000"), "interrupts-extended"));
}

TEST_F(FdtVirt, Phandles)
{
    EXPECT_EQ(blob().find_by_phandle(3).value_or(Node()), node("/soc/plic@c000000"));
    EXPECT_EQ(blob().find_by_phandle(1).value_or(Node()), node("/cpus/cpu@0"));
    EXPECT_EQ(blob().phandle(node("/cpus/cpu@0/interrupt-controller")).value_or(0), 2u);
    EXPECT_FALSE(blob().phandle(node("/soc")));
    EXPECT_FALSE(blob().find_by_phandle(0));
    EXPECT_FALSE(blob().find_by_phandle(0xffffffff));
    EXPECT_FALSE(blob().find_by_phandle(99));
}

TEST_F(FdtVirt, CellCountsAndDefaults)
{
    EXPECT_EQ(blob().address_cells(blob().root()).value_or(0), 2u);
    EXPECT_EQ(blob().size_cells(blob().root()).value_or(0), 2u);
    EXPECT_EQ(blob().address_cells(node("/cpus")).value_or(0), 1u);
    EXPECT_EQ(blob().size_cells(node("/cpus")).value_or(9), 0u);
    // Section 2.3.5 defaults when absent.
    EXPECT_EQ(blob().address_cells(node("/chosen")).value_or(0), 2u);
    EXPECT_EQ(blob().size_cells(node("/chosen")).value_or(0), 1u);
    EXPECT_EQ(blob().address_cells(node("/soc/pci@30000000")).value_or(0), 3u);
}

TEST_F(FdtVirt, RegEntriesAndTranslation)
{
    Node flash = node("/flash@20000000");
    EXPECT_EQ(blob().reg_count(flash).value_or(0), 2u);
    auto second = blob().reg(flash, 1);
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->base, 0x22000000u);
    EXPECT_EQ(second->size, 0x2000000u);

    // /cpus has no ranges: the hart id is a raw address, not translatable.
    Node cpu = node("/cpus/cpu@0");
    auto raw = blob().raw_reg(cpu, 0);
    ASSERT_TRUE(raw.is_ok());
    EXPECT_EQ(raw->base, 0u);
    EXPECT_EQ(raw->size, 0u);
    EXPECT_EQ(blob().reg(cpu, 0).code(), Errno::einval);

    // platform-bus: 1-cell child addresses mapped at 0x4000000 (2-cell parent).
    Node pbus = node("/platform-bus@4000000");
    EXPECT_EQ(blob().translate(pbus, 0x1000).value_or(0), 0x4001000u);
    EXPECT_EQ(blob().translate(pbus, 0x1ffffff).value_or(0), 0x5ffffffu);
    EXPECT_EQ(blob().translate(pbus, 0x2000000).code(), Errno::erange);
    EXPECT_EQ(blob().translate(node("/soc"), 0x1234).value_or(0), 0x1234u);
    // pci ranges use 3-cell child addresses.
    EXPECT_EQ(blob().translate(node("/soc/pci@30000000"), 0).code(), Errno::enotsup);
    EXPECT_EQ(blob().reg_count(blob().root()).code(), Errno::einval);
    EXPECT_EQ(blob().reg_count(node("/chosen")).value_or(9), 0u);
}

TEST_F(FdtVirt, QueriesOnNoneNodeFindNothing)
{
    Node none;
    EXPECT_TRUE(none.is_none());
    EXPECT_EQ(str(blob().name(none)), "");
    EXPECT_FALSE(blob().first_child(none));
    EXPECT_FALSE(blob().next_sibling(none));
    EXPECT_FALSE(blob().parent(none));
    EXPECT_FALSE(blob().property(none, "reg"));
    EXPECT_FALSE(blob().next_node(none));
    EXPECT_FALSE(blob().find_compatible("ns16550a", none));
}

// ---------------------------------------------------------------- qemu virt, 4 harts, 2 GiB, initrd

TEST_F(FdtSmp4, MemoryIs2GiB)
{
    Region r[2];
    ASSERT_EQ(blob().memory_regions(r, 2).value_or(0), 1u);
    EXPECT_EQ(r[0].base, 0x80000000u);
    EXPECT_EQ(r[0].size, 0x80000000u);
}

TEST_F(FdtSmp4, BootargsInitrdStdout)
{
    auto args = blob().bootargs();
    ASSERT_TRUE(args);
    EXPECT_EQ(str(*args), "console=ttyS0 ktest tick_ms=5");
    auto cmdline = lib::CommandLine::parse(*args);
    ASSERT_TRUE(cmdline.is_ok());
    EXPECT_EQ(cmdline->get_u64("tick_ms").value_or(0), 5u);
    EXPECT_TRUE(cmdline->has("ktest"));

    auto initrd = blob().initrd();
    ASSERT_TRUE(initrd.is_ok());
    EXPECT_EQ(initrd->base, 0x88200000u);
    EXPECT_EQ(initrd->size, 0x1000u);
    EXPECT_EQ(str(blob().stdout_path()->path), "/soc/serial@10000000");
}

TEST_F(FdtSmp4, FourHartsWithReversedIntcPhandles)
{
    Hart harts[8];
    ASSERT_EQ(blob().harts(harts, 8).value_or(0), 4u);
    // QEMU numbers phandles from the last cpu: cpu@0's intc is 8, cpu@3's 2.
    const u32 intc[4] = {8, 6, 4, 2};
    for (u64 i = 0; i < 4; ++i) {
        EXPECT_EQ(harts[i].id, i);
        EXPECT_TRUE(harts[i].enabled);
        EXPECT_EQ(harts[i].intc_phandle, intc[i]);
    }
    EXPECT_EQ(blob().find_hart(2).value().node, node("/cpus/cpu@2"));
    EXPECT_EQ(blob().find_hart(4).code(), Errno::enoent);
    EXPECT_EQ(blob().timebase_frequency().value_or(0), 10000000u);
}

TEST_F(FdtSmp4, PlicContextsPerHart)
{
    Node plic = node("/soc/plic@c000000");
    // interrupts-extended = <8 11 8 9 6 11 6 9 4 11 4 9 2 11 2 9>: each hart
    // has an M context (11) then an S context (9), in hart order but with
    // reversed phandles: the lookup must go through each hart's cpu-intc.
    for (u64 hart = 0; hart < 4; ++hart) {
        EXPECT_EQ(blob().plic_s_context(plic, hart).value_or(99), 2 * hart + 1) << "hart " << hart;
        EXPECT_EQ(blob().plic_context(plic, hart, k_irq_m_external).value_or(99), 2 * hart) << "hart " << hart;
    }
    EXPECT_EQ(blob().plic_s_context(plic, 4).code(), Errno::enoent);
    EXPECT_EQ(blob().interrupt_count(plic).value_or(0), 8u);
    auto last = blob().interrupt(plic, 7);
    ASSERT_TRUE(last.is_ok());
    EXPECT_EQ(last->controller, node("/cpus/cpu@3/interrupt-controller"));
    EXPECT_EQ(last->controller_phandle, 2u);
    EXPECT_EQ(last->number(), k_irq_s_external);
    EXPECT_EQ(blob().interrupt(plic, 8).code(), Errno::enoent);
}

TEST_F(FdtSmp4, ClintInterruptsExtended)
{
    auto clint = blob().find_compatible("riscv,clint0");
    ASSERT_TRUE(clint);
    ASSERT_EQ(blob().interrupt_count(*clint).value_or(0), 8u);
    // Software (3) then timer (7) interrupt per hart.
    for (usize i = 0; i < 8; ++i)
        EXPECT_EQ(blob().interrupt(*clint, i).value().number(), i % 2 ? 7u : 3u);
}

// ---------------------------------------------------------------- qemu sifive_u

TEST_F(FdtSifiveU, TimebaseMemoryBootargs)
{
    EXPECT_EQ(blob().timebase_frequency().value_or(0), 1000000u);
    Region r[2];
    ASSERT_EQ(blob().memory_regions(r, 2).value_or(0), 1u);
    EXPECT_EQ(r[0].base, 0x80000000u);
    EXPECT_EQ(r[0].size, 256u << 20);
    EXPECT_EQ(str(blob().bootargs().value_or("")), "ktest");
    EXPECT_EQ(str(blob().stdout_path()->path), "/soc/serial@10010000");
    EXPECT_FALSE(blob().rng_seed());
}

TEST_F(FdtSifiveU, MonitorHartAndApplicationHart)
{
    Hart harts[2];
    ASSERT_EQ(blob().harts(harts, 2).value_or(0), 2u);
    EXPECT_EQ(str(harts[0].isa), "rv64imac_zicsr_zifencei");
    EXPECT_TRUE(harts[0].mmu_type.is_empty());
    EXPECT_FALSE(isa_has_extension(harts[0].isa, "f"));
    EXPECT_TRUE(isa_has_extension(harts[0].isa, "c"));
    EXPECT_TRUE(isa_has_extension(harts[0].isa, "zifencei"));
    EXPECT_EQ(harts[1].id, 1u);
    EXPECT_EQ(str(harts[1].mmu_type), "riscv,sv48");
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "f"));
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "d"));
    EXPECT_FALSE(isa_has_extension(harts[1].isa, "h"));
}

TEST_F(FdtSifiveU, UartAndPlic)
{
    auto uart = blob().find_compatible("sifive,uart0");
    ASSERT_TRUE(uart);
    auto reg = blob().reg(*uart, 0);
    ASSERT_TRUE(reg.is_ok());
    EXPECT_EQ(reg->base, 0x10010000u);
    EXPECT_EQ(reg->size, 0x1000u);
    Node plic = node("/soc/interrupt-controller@c000000");
    EXPECT_EQ(blob().interrupt_parent(*uart).value_or(Node()), plic);
    EXPECT_EQ(blob().interrupt(*uart, 0).value().number(), 4u);
    auto second = blob().find_compatible("sifive,uart0", *uart);
    ASSERT_TRUE(second);
    EXPECT_EQ(blob().reg(*second, 0).value().base, 0x10011000u);

    // interrupts-extended = <4 11 3 11 3 9>: hart 0 (intc 4) is M-only.
    EXPECT_EQ(blob().plic_s_context(plic, 0).code(), Errno::enoent);
    EXPECT_EQ(blob().plic_context(plic, 0, k_irq_m_external).value_or(99), 0u);
    EXPECT_EQ(blob().plic_context(plic, 1, k_irq_m_external).value_or(99), 1u);
    EXPECT_EQ(blob().plic_s_context(plic, 1).value_or(99), 2u);

    Node gpio = node("/soc/gpio@10060000");
    ASSERT_EQ(blob().interrupt_count(gpio).value_or(0), 16u);
    EXPECT_EQ(blob().interrupt(gpio, 15).value().number(), 0x16u);
    EXPECT_EQ(blob().interrupt_count(node("/gpio-restart")).value_or(9), 0u);
}

TEST_F(FdtSifiveU, Aliases)
{
    EXPECT_EQ(node("serial0"), node("/soc/serial@10010000"));
    EXPECT_EQ(node("serial1"), node("/soc/serial@10011000"));
    EXPECT_EQ(node("ethernet0/ethernet-phy@0"), node("/soc/ethernet@10090000/ethernet-phy@0"));
    EXPECT_FALSE(blob().find_path("serial2"));
    EXPECT_FALSE(blob().find_path("serial0/nothing"));
    EXPECT_EQ(blob().stdout_node().value_or(Node()), node("serial0"));
}

TEST_F(FdtSifiveU, RegOnBusWithoutRanges)
{
    Node eth = node("/soc/ethernet@10090000");
    ASSERT_EQ(blob().reg_count(eth).value_or(0), 2u);
    EXPECT_EQ(blob().reg(eth, 1).value().base, 0x100a0000u);
    // The phy's reg is an MDIO address: ethernet has no ranges.
    Node phy = node("/soc/ethernet@10090000/ethernet-phy@0");
    EXPECT_EQ(blob().raw_reg(phy, 0).value().base, 0u);
    auto r = blob().reg(phy, 0);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.code(), Errno::einval);
}

// ---------------------------------------------------------------- hand-written features

TEST_F(FdtFeatures, MemreserveEntries)
{
    ASSERT_EQ(blob().memreserve_count(), 2u);
    EXPECT_EQ(blob().memreserve(0)->base, 0x80000000u);
    EXPECT_EQ(blob().memreserve(0)->size, 0x200000u);
    EXPECT_EQ(blob().memreserve(1)->base, 0x1fff00000u);
    EXPECT_EQ(blob().memreserve(1)->size, 0x1000u);
    EXPECT_FALSE(blob().memreserve(2));
}

TEST_F(FdtFeatures, MemorySkipsDisabledAndEmpty)
{
    Region r[4];
    ASSERT_EQ(blob().memory_regions(r, 4).value_or(0), 2u);
    EXPECT_EQ(r[0].base, 0x80000000u);
    EXPECT_EQ(r[0].size, 0x40000000u);
    EXPECT_EQ(r[1].base, 0x100000000u);
    EXPECT_EQ(r[1].size, 0x20000000u);
    EXPECT_EQ(blob().memory_regions(r, 1).code(), Errno::e2big);
}

TEST_F(FdtFeatures, ReservedMemoryWithNoMap)
{
    ReservedRegion r[4];
    ASSERT_EQ(blob().reserved_memory(r, 4).value_or(0), 2u);
    EXPECT_EQ(r[0].base, 0x80000000u);
    EXPECT_EQ(r[0].size, 0x40000u);
    EXPECT_TRUE(r[0].no_map);
    EXPECT_EQ(r[1].base, 0x90000000u);
    EXPECT_EQ(r[1].size, 0x100000u);
    EXPECT_FALSE(r[1].no_map);
    EXPECT_EQ(blob().reserved_memory(r, 1).code(), Errno::e2big);
}

TEST_F(FdtFeatures, AliasesAndStdout)
{
    Node uart = node("/soc/bus@40000000/uart@1000");
    EXPECT_EQ(node("serial0"), uart);
    EXPECT_EQ(node("deep/dev@10"), node("/soc/bus@40000000/bus@300000/dev@10"));
    EXPECT_FALSE(blob().find_path("broken")); // alias value is not an absolute path
    auto sp = blob().stdout_path();
    ASSERT_TRUE(sp);
    EXPECT_EQ(str(sp->path), "serial0");
    EXPECT_EQ(str(sp->options), "115200n8");
    EXPECT_EQ(blob().stdout_node().value_or(Node()), uart);
}

TEST_F(FdtFeatures, ChosenWith64BitInitrd)
{
    auto initrd = blob().initrd();
    ASSERT_TRUE(initrd.is_ok());
    EXPECT_EQ(initrd->base, 0x102000000u);
    EXPECT_EQ(initrd->size, 0x400000u);
    EXPECT_EQ(blob().rng_seed()->size(), 10u);
    auto args = blob().bootargs();
    ASSERT_TRUE(args);
    auto cmdline = lib::CommandLine::parse(*args);
    ASSERT_TRUE(cmdline.is_ok());
    EXPECT_EQ(str(cmdline->get("init").value_or("")), "/bin/sh -x");
    std::vector<std::string> tests;
    for (StringView t : lib::CommandLine::split_list(cmdline->get("ktest").value_or("")))
        tests.push_back(str(t));
    EXPECT_EQ(tests, (std::vector<std::string>{"alloc", "timer"}));
}

TEST_F(FdtFeatures, TimebaseFromCpuNodeAs64Bit)
{
    EXPECT_EQ(blob().timebase_frequency().value_or(0), 0x100000000u);
}

TEST_F(FdtFeatures, DisabledHart)
{
    Hart harts[4];
    ASSERT_EQ(blob().harts(harts, 4).value_or(0), 2u);
    EXPECT_TRUE(harts[0].enabled);
    EXPECT_EQ(str(harts[0].mmu_type), "riscv,sv39");
    EXPECT_EQ(harts[1].id, 2u);
    EXPECT_FALSE(harts[1].enabled);
    EXPECT_TRUE(harts[1].mmu_type.is_empty());
    // "rv64gc": g is imafd + zicsr + zifencei.
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "f"));
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "d"));
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "c"));
    EXPECT_TRUE(isa_has_extension(harts[1].isa, "zicsr"));
    EXPECT_FALSE(isa_has_extension(harts[1].isa, "v"));
    EXPECT_FALSE(isa_has_extension(harts[1].isa, "zba"));
}

TEST_F(FdtFeatures, NestedOneCellBusesTranslate)
{
    Node uart = node("/soc/bus@40000000/uart@1000");
    EXPECT_EQ(blob().raw_reg(uart, 0).value().base, 0x1000u);
    auto r = blob().reg(uart, 0);
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->base, 0x40001000u);
    EXPECT_EQ(r->size, 0x100u);

    Node off = node("/soc/bus@40000000/uart@201000");
    EXPECT_FALSE(blob().is_enabled(off));
    EXPECT_TRUE(blob().is_enabled(uart));
    EXPECT_EQ(blob().reg(off, 0).value().base, 0x50001000u);

    // Two levels of non-identity ranges: 0x10 -> 0x300010 -> 0x60000010.
    Node dev = node("/soc/bus@40000000/bus@300000/dev@10");
    ASSERT_EQ(blob().reg_count(dev).value_or(0), 2u);
    EXPECT_EQ(blob().reg(dev, 0).value().base, 0x60000010u);
    EXPECT_EQ(blob().reg(dev, 1).value().base, 0x60000020u);
    EXPECT_EQ(blob().reg(dev, 1).value().size, 8u);

    Node bus = node("/soc/bus@40000000");
    EXPECT_EQ(blob().translate(bus, 0xfffff).value_or(0), 0x400fffffu);
    EXPECT_EQ(blob().translate(bus, 0x100000).code(), Errno::erange);
    EXPECT_EQ(blob().reg(node("/soc/bus@40000000/outside@400000"), 0).code(), Errno::erange);
}

TEST_F(FdtFeatures, MalformedRegIsAnErrorForThatQuery)
{
    Node bad = node("/soc/bus@40000000/badreg@500");
    EXPECT_EQ(blob().reg_count(bad).code(), Errno::einval);
    EXPECT_EQ(blob().reg(bad, 0).code(), Errno::einval);
    EXPECT_EQ(blob().raw_reg(bad, 0).code(), Errno::einval);
    // No ranges on a non-root bus: not translatable.
    Node priv = node("/soc/private-bus/dev@0");
    EXPECT_EQ(blob().raw_reg(priv, 0).value().size, 0x10u);
    EXPECT_EQ(blob().reg(priv, 0).code(), Errno::einval);
}

TEST_F(FdtFeatures, InterruptParentInheritedFromBus)
{
    Node plic = node("/soc/interrupt-controller@c000000");
    Node uart = node("serial0");
    EXPECT_FALSE(blob().property(uart, "interrupt-parent"));
    EXPECT_EQ(blob().interrupt_parent(uart).value_or(Node()), plic);
    EXPECT_EQ(blob().interrupt(uart, 0).value().number(), 5u);
    EXPECT_EQ(blob().plic_s_context(plic, 0).value_or(99), 1u);
    EXPECT_EQ(blob().plic_s_context(plic, 2).value_or(99), 3u); // disabled harts keep their context
    EXPECT_EQ(blob().plic_s_context(plic, 1).code(), Errno::enoent);
}

TEST_F(FdtFeatures, InterruptsExtendedMixedControllers)
{
    Node n = node("/multi-irq");
    ASSERT_EQ(blob().interrupt_count(n).value_or(0), 2u);
    auto first = blob().interrupt(n, 0);
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(first->controller, node("/soc/interrupt-controller@c000000"));
    EXPECT_EQ(first->number(), 7u);
    auto second = blob().interrupt(n, 1);
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->controller, node("/cpus/cpu@0/interrupt-controller"));
    EXPECT_EQ(second->number(), 3u);
    EXPECT_EQ(blob().interrupt(n, 2).code(), Errno::enoent);
}

TEST_F(FdtFeatures, InterruptParentCyclesTerminate)
{
    EXPECT_EQ(blob().interrupt_parent(node("/loop-a")).code(), Errno::eloop);
    EXPECT_EQ(blob().interrupt_parent(node("/loop-b")).code(), Errno::eloop);
    EXPECT_EQ(blob().interrupt_count(node("/loop-a")).code(), Errno::eloop);
    EXPECT_EQ(blob().interrupt(node("/loop-a"), 0).code(), Errno::eloop);
    EXPECT_EQ(blob().interrupt_parent(node("/self-loop")).code(), Errno::eloop);
    EXPECT_EQ(blob().interrupt_parent(node("/dangling")).code(), Errno::enoent);
}

TEST_F(FdtFeatures, FindCompatibleIncludesDisabledNodes)
{
    int all = 0, enabled = 0;
    for (auto n = blob().find_compatible("ns16550a"); n; n = blob().find_compatible("ns16550a", *n)) {
        ++all;
        enabled += blob().is_enabled(*n);
    }
    EXPECT_EQ(all, 2);
    EXPECT_EQ(enabled, 1);
}

// ---------------------------------------------------------------- ISA strings, properties

TEST(FdtIsa, SingleAndMultiLetterExtensions)
{
    StringView isa = "rv64imafdc_zicsr_sstc";
    EXPECT_TRUE(isa_has_extension(isa, "i"));
    EXPECT_TRUE(isa_has_extension(isa, "c"));
    EXPECT_TRUE(isa_has_extension(isa, "sstc"));
    EXPECT_TRUE(isa_has_extension(isa, "zicsr"));
    EXPECT_FALSE(isa_has_extension(isa, "s"));
    EXPECT_FALSE(isa_has_extension(isa, "z"));
    EXPECT_FALSE(isa_has_extension(isa, "v"));
    EXPECT_FALSE(isa_has_extension(isa, "zic"));   // not a prefix match
    EXPECT_FALSE(isa_has_extension(isa, "r"));     // the "rv" prefix is not an extension
    EXPECT_FALSE(isa_has_extension(isa, "6"));
    EXPECT_FALSE(isa_has_extension(isa, ""));
    // Versions, upper case, a multi-letter name right after the letters.
    EXPECT_TRUE(isa_has_extension("rv64i2p1m2p0a_zicsr2p0", "m"));
    EXPECT_TRUE(isa_has_extension("rv64i2p1m2p0a_zicsr2p0", "a"));
    EXPECT_TRUE(isa_has_extension("rv64i2p1m2p0a_zicsr2p0", "zicsr"));
    EXPECT_FALSE(isa_has_extension("rv64i2p1m2p0a_zicsr2p0", "p"));
    EXPECT_TRUE(isa_has_extension("RV64IMAC_Zicsr", "zicsr"));
    EXPECT_TRUE(isa_has_extension("RV64IMAC_Zicsr", "m"));
    EXPECT_TRUE(isa_has_extension("rv64imaczicsr_zifencei", "zicsr"));
    EXPECT_FALSE(isa_has_extension("rv64imaczicsr_zifencei", "z"));
    EXPECT_FALSE(isa_has_extension("", "i"));
    EXPECT_FALSE(isa_has_extension("imafdc", "i"));
    EXPECT_FALSE(isa_has_extension("rv", "i"));
}

TEST(FdtProperty, BoundChecks)
{
    auto bytes = FdtBuilder()
                     .begin_node("")
                     .prop_cells("three", {1, 2, 3})
                     .prop("odd", {1, 2, 3})
                     .prop("strs", {'a', 0, 'b', 'c', 0, 'd'})
                     .prop("empty", {})
                     .prop("eight", {0, 0, 0, 1, 0, 0, 0, 2})
                     .end_node()
                     .end()
                     .build();
    auto r = parse(bytes);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    const Blob& b = *r;
    Property three = *b.property(b.root(), "three");
    EXPECT_EQ(three.cell_count(), 3u);
    EXPECT_EQ(three.u32_at(2).value_or(0), 3u);
    EXPECT_EQ(three.u32_at(3).code(), Errno::einval);
    EXPECT_EQ(three.cells(1, 2).value_or(0), 0x200000003u);
    EXPECT_EQ(three.cells(2, 2).code(), Errno::einval);
    EXPECT_EQ(three.cells(3, 0).value_or(9), 0u);
    EXPECT_EQ(three.cells(4, 0).code(), Errno::einval);
    EXPECT_EQ(three.cells(~usize(0), 1).code(), Errno::einval);
    EXPECT_EQ(three.cells(0, 3).code(), Errno::enotsup);
    EXPECT_EQ(three.as_number().code(), Errno::einval);
    EXPECT_EQ(three.as_string().code(), Errno::einval);
    Property odd = *b.property(b.root(), "odd");
    EXPECT_EQ(odd.cell_count(), 0u);
    EXPECT_EQ(odd.u32_at(0).code(), Errno::einval);
    EXPECT_EQ(b.property(b.root(), "eight")->as_number().value_or(0), 0x100000002u);
    Property strs = *b.property(b.root(), "strs");
    std::vector<std::string> list;
    for (StringView s : strs.strings())
        list.push_back(str(s));
    EXPECT_EQ(list, (std::vector<std::string>{"a", "bc"})); // unterminated "d" ignored
    EXPECT_TRUE(strs.contains_string("bc"));
    EXPECT_FALSE(strs.contains_string("d"));
    EXPECT_FALSE(strs.contains_string("b"));
    Property empty = *b.property(b.root(), "empty");
    EXPECT_TRUE(empty.is_empty());
    EXPECT_EQ(empty.as_string().code(), Errno::einval);
    EXPECT_FALSE(empty.contains_string(""));
}

TEST(FdtProperty, MalformedCellsStatusAndChosen)
{
    auto bytes = FdtBuilder()
                     .begin_node("")
                     .prop("#address-cells", {0, 0, 0, 0, 0, 0, 0, 2})
                     .prop_u32("#size-cells", 5)
                     .begin_node("chosen")
                     .prop_u32("linux,initrd-start", 0x2000)
                     .prop_u32("linux,initrd-end", 0x1000)
                     .prop_string("stdout-path", "/nowhere:9600")
                     .end_node()
                     .begin_node("cpus")
                     .prop("timebase-frequency", {0, 0, 0, 0})
                     .begin_node("cpu@0")
                     .prop_string("device_type", "cpu")
                     .prop_u32("reg", 0)
                     .prop("status", {'o', 'k'})
                     .end_node()
                     .end_node()
                     .begin_node("dev@0")
                     .prop_u32("reg", 0)
                     .prop("phandle", {0, 0, 0, 0, 0, 0, 0, 7})
                     .prop_cells("interrupts-extended", {7, 1})
                     .end_node()
                     .begin_node("intc")
                     .prop_u32("phandle", 9)
                     .prop_u32("#interrupt-cells", 2)
                     .end_node()
                     .begin_node("short-ext")
                     .prop_cells("interrupts-extended", {9, 1})
                     .end_node()
                     .end_node()
                     .end()
                     .build();
    auto r = parse(bytes);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    const Blob& b = *r;
    EXPECT_EQ(b.address_cells(b.root()).code(), Errno::einval);
    EXPECT_EQ(b.size_cells(b.root()).code(), Errno::einval);
    EXPECT_EQ(b.reg_count(must_find(b, "/dev@0")).code(), Errno::einval);
    EXPECT_EQ(b.initrd().code(), Errno::einval);               // end below start
    EXPECT_EQ(b.stdout_node().code(), Errno::enoent);          // names no node
    EXPECT_EQ(str(b.stdout_path()->options), "9600");
    EXPECT_EQ(b.timebase_frequency().code(), Errno::einval);   // 0 Hz
    EXPECT_FALSE(b.is_enabled(must_find(b, "/cpus/cpu@0")));   // status not NUL-terminated
    EXPECT_FALSE(b.phandle(must_find(b, "/dev@0")));            // 8-byte phandle
    EXPECT_FALSE(b.find_by_phandle(7));
    EXPECT_EQ(b.interrupt_count(must_find(b, "/dev@0")).code(), Errno::enoent);   // unknown phandle
    EXPECT_EQ(b.interrupt_count(must_find(b, "/short-ext")).code(), Errno::einval); // 2 cells wanted, 1 given
    EXPECT_EQ(b.find_hart(0).code(), Errno::einval);           // /cpus #address-cells default 2 + size 1
}
