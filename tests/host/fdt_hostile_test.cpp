// Host tests for lib/fdt against hostile input: blobs built byte by byte
// or patched from the real ones (truncated, overlapping, cyclic, huge),
// the cases the libFuzzer harness found, and a deterministic byte-flip
// loop that must never read outside the blob (run under ASan/UBSan).
#include "tests/host/fdt_support.hpp"

using namespace fdt_test;

// ---------------------------------------------------------------- hostile blobs

TEST(FdtHostile, BuilderBlobIsValid)
{
    // The baseline the corrupted variants below start from.
    auto bytes = FdtBuilder().reserve(0x1000, 0x2000).begin_node("").begin_node("a@1").end_node().end_node().end().build();
    auto r = parse(bytes);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    EXPECT_EQ(r->memreserve_count(), 1u);
    EXPECT_EQ(str(r->name(r->first_child(r->root()).value_or(Node()))), "a@1");
}

TEST(FdtHostile, NullTinyAndBadHeader)
{
    auto r = Blob::parse(nullptr, 4096);
    EXPECT_EQ(r.code(), Errno::einval);
    auto good = fixture("qemu-virt.dtb");
    EXPECT_TRUE(Blob::parse(good.data(), 0).is_error());
    expect_rejected(std::vector<u8>(good.begin(), good.begin() + 39), "smaller than the FDT header");

    auto bad = good;
    bad[0] ^= 0xff;
    expect_rejected(bad, "bad FDT magic");

    bad = good;
    put_be32(bad, k_hdr_version, 15);
    expect_rejected(bad, "version older than 16");

    bad = good;
    put_be32(bad, k_hdr_last_comp, 18);
    expect_rejected(bad, "last_comp_version newer than 17");

    bad = good;
    put_be32(bad, k_hdr_totalsize, u32(good.size() + 1));
    expect_rejected(bad, "totalsize exceeds the buffer");
    EXPECT_TRUE(Blob::parse(good.data(), good.size() - 1).is_error());

    bad = good;
    put_be32(bad, k_hdr_totalsize, 39);
    expect_rejected(bad, "totalsize smaller than its header");
}

TEST(FdtHostile, Version16UsesTheStringsOffset)
{
    auto v16 = fixture("qemu-virt.dtb");
    put_be32(v16, k_hdr_version, 16);
    put_be32(v16, k_hdr_size_struct, 0xffffffff); // not a field before version 17
    auto r = parse(v16);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    EXPECT_EQ(r->timebase_frequency().value_or(0), 10000000u);
}

TEST(FdtHostile, BlockOffsetsAndSizesOutsideTheBlob)
{
    const auto good = fixture("qemu-virt.dtb");
    const u32 total = u32(good.size());
    struct Case {
        usize field;
        u32 value;
        const char* what;
    } cases[] = {
        {k_hdr_off_struct, total + 8, "structure block offset outside the blob"},
        {k_hdr_off_struct, 0, "structure block offset outside the blob"},
        {k_hdr_off_struct, 0x39, "structure block not 4-byte aligned"},
        {k_hdr_size_struct, 0xffffffff, "structure block runs past totalsize"},
        {k_hdr_size_struct, total, "structure block runs past totalsize"},
        {k_hdr_off_strings, total, "strings block outside the blob"},
        {k_hdr_off_strings, 0xfffffff0, "strings block outside the blob"},
        {k_hdr_off_strings, 8, "strings block outside the blob"},
        {k_hdr_size_strings, 0xffffffff, "strings block outside the blob"},
        {k_hdr_off_strings, 0x38, "structure and strings blocks overlap"},
        {k_hdr_off_rsvmap, total & ~7u, "memory reservation block not terminated"},
        {k_hdr_off_rsvmap, (total - 8) & ~7u, "memory reservation block not terminated"},
        {k_hdr_off_rsvmap, 0x2c, "memory reservation block misplaced or misaligned"},
        {k_hdr_off_rsvmap, 0, "memory reservation block misplaced or misaligned"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        auto bad = good;
        put_be32(bad, c.field, c.value);
        expect_rejected(bad, c.what);
    }
}

TEST(FdtHostile, MemreserveOverlappingOtherBlocks)
{
    auto bad = fixture("qemu-virt.dtb");
    bad[0x28 + 7] = 1; // the terminator's address becomes 1: the walk enters the struct block
    expect_rejected(bad, "memory reservation block");

    // Struct block moved into the (entry + terminator) reservation list.
    auto blob = FdtBuilder().reserve(0x1000, 0x2000).begin_node("").end_node().end().build();
    ASSERT_TRUE(parse(blob).is_ok());
    put_be32(blob, k_hdr_off_struct, 48);
    expect_rejected(blob, "memory reservation block overlaps another block");
}

TEST(FdtHostile, PropertyFieldsOutsideTheirBlocks)
{
    const auto good = fixture("qemu-virt.dtb");
    const u32 off_struct = get_be32(good, k_hdr_off_struct);
    // The root node "" takes 8 bytes; its first property (#address-cells) follows.
    const usize prop = off_struct + 8;
    ASSERT_EQ(get_be32(good, prop), 3u);
    const u32 size_struct = get_be32(good, k_hdr_size_struct);

    auto bad = good;
    put_be32(bad, prop + 4, 0xfffffff0);
    expect_rejected(bad, "property value runs past the structure block");
    bad = good;
    put_be32(bad, prop + 4, size_struct - 8 - 12 + 1); // one byte past the block
    expect_rejected(bad, "property value runs past the structure block");
    bad = good;
    put_be32(bad, prop + 8, get_be32(good, k_hdr_size_strings));
    expect_rejected(bad, "property name offset outside the strings block");
    bad = good;
    put_be32(bad, prop + 8, 0xffffffff);
    expect_rejected(bad, "property name offset outside the strings block");
    // The last string loses its NUL: a property naming it runs off the block.
    bad = good;
    put_be32(bad, k_hdr_size_strings, get_be32(good, k_hdr_size_strings) - 1);
    expect_rejected(bad, "not NUL-terminated inside the strings block");
}

TEST(FdtHostile, BadStructureTokens)
{
    struct Case {
        std::vector<u8> blob;
        const char* what;
    } cases[] = {
        {FdtBuilder().begin_node("").begin_node("abcd", false).build(), "node name not NUL-terminated"},
        {FdtBuilder().begin_node("").end_node().end_node().end().build(), "FDT_END_NODE without FDT_BEGIN_NODE"},
        {FdtBuilder().end_node().end().build(), "FDT_END_NODE without FDT_BEGIN_NODE"},
        {FdtBuilder().begin_node("").begin_node("a").end_node().end().build(), "FDT_END inside an unclosed node"},
        {FdtBuilder().begin_node("").end_node().build(), "ends without FDT_END"},
        {FdtBuilder().begin_node("").end_node().begin_node("x").end_node().end().build(), "node after the root node"},
        {FdtBuilder().prop_u32("p", 1).begin_node("").end_node().end().build(), "property outside any node"},
        {FdtBuilder().begin_node("").begin_node("a").end_node().prop_u32("p", 1).end_node().end().build(),
         "property after a child node"},
        {FdtBuilder().begin_node("").token(7).end_node().end().build(), "unknown structure block token"},
        {FdtBuilder().end().build(), "structure block has no root node"},
        {FdtBuilder().build(), "ends without FDT_END"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        expect_rejected(c.blob, c.what);
    }
    // A property header cut by the end of the block.
    auto cut = FdtBuilder().begin_node("").token(3).build();
    expect_rejected(cut, "FDT_PROP header runs past the structure block");
    // NOPs anywhere are fine.
    auto nops = FdtBuilder().token(4).begin_node("").token(4).prop_u32("p", 1).token(4).end_node().token(4).end().build();
    auto r = parse(nops);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    EXPECT_EQ(r->property(r->root(), "p")->u32_at(0).value_or(0), 1u);
}

TEST(FdtHostile, NestingDepthLimit)
{
    auto nested = [](u32 depth) {
        FdtBuilder b;
        for (u32 i = 0; i < depth; ++i)
            b.begin_node(i == 0 ? "" : "n");
        for (u32 i = 0; i < depth; ++i)
            b.end_node();
        return b.end().build();
    };
    auto ok = nested(k_max_depth);
    auto r = parse(ok);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    std::string path;
    for (u32 i = 1; i < k_max_depth; ++i)
        path += "/n";
    Node deepest = must_find(*r, path.c_str());
    auto up = r->parent(deepest);
    ASSERT_TRUE(up);
    EXPECT_EQ(*up, must_find(*r, path.substr(0, path.size() - 2).c_str()));
    expect_rejected(nested(k_max_depth + 1), "nested deeper than 32");
}

namespace {

// Runs the queries over every node; under ASan any read outside the blob
// aborts. Also checks that returned views lie inside the blob. The queries
// that walk the whole tree (reg, interrupts) run on every 8th node, offset by
// salt, to keep the fuzz loop fast.
void exercise(const Blob& b, const std::vector<u8>& bytes, usize salt)
{
    const u8* lo = bytes.data();
    const u8* hi = lo + bytes.size();
    auto inside = [&](const void* p, usize n) {
        auto q = static_cast<const u8*>(p);
        return n == 0 || (q >= lo && q <= hi && usize(hi - q) >= n);
    };
    int visited = 0;
    for (auto n = lib::Optional<Node>(b.root()); n && visited < 256; n = b.next_node(*n), ++visited) {
        StringView name = b.name(*n);
        ASSERT_TRUE(inside(name.data(), name.length()));
        (void)b.base_name(*n);
        (void)b.unit_address(*n);
        for (const Property& p : b.properties(*n)) {
            ASSERT_TRUE(inside(p.data(), p.size()));
            ASSERT_TRUE(inside(p.name().data(), p.name().length()));
            for (StringView s : p.strings())
                ASSERT_TRUE(inside(s.data(), s.length()));
            (void)p.as_number();
            (void)p.cells(1, 2);
        }
        (void)b.is_enabled(*n);
        (void)b.phandle(*n);
        (void)b.first_child(*n);
        if ((usize(visited) + salt) % 8 == 0) {
            (void)b.next_sibling(*n);
            (void)b.reg(*n, 0);
            (void)b.interrupt(*n, 0);
        }
    }
    Region regions[16];
    (void)b.memory_regions(regions, 16);
    ReservedRegion reserved[16];
    (void)b.reserved_memory(reserved, 16);
    for (usize i = 0; i < b.memreserve_count() && i < 8; ++i)
        (void)b.memreserve(i);
    Hart harts[8];
    (void)b.harts(harts, 8);
    (void)b.timebase_frequency();
    if (auto args = b.bootargs()) {
        ASSERT_TRUE(inside(args->data(), args->length()));
    }
    (void)b.initrd();
    (void)b.stdout_node();
    (void)b.find_path("serial0/x");
    if (auto plic = b.find_compatible("riscv,plic0"))
        (void)b.plic_s_context(*plic, salt % 4);
}

} // namespace

TEST(FdtHostile, TruncatedBlobsAreRejectedOrStayInBounds)
{
    for (const char* name : k_all_fixtures) {
        SCOPED_TRACE(name);
        const auto good = fixture(name);
        ASSERT_FALSE(good.empty());
        const u32 off_struct = get_be32(good, k_hdr_off_struct);
        const u32 off_strings = get_be32(good, k_hdr_off_strings);
        for (usize len = 0; len < good.size(); ++len) {
            // Exactly len bytes on the heap, so ASan sees any read past them.
            std::vector<u8> cut(good.begin(), good.begin() + len);
            EXPECT_TRUE(Blob::parse(cut.empty() ? nullptr : cut.data(), len).is_error()) << len;
            if (len < 40)
                continue;
            // The header lies about the size: deeper checks must catch it.
            put_be32(cut, k_hdr_totalsize, u32(len));
            EXPECT_TRUE(parse(cut).is_error()) << len;
            // Blocks clamped to fit: the token walk meets the cut.
            if (len > off_struct)
                put_be32(cut, k_hdr_size_struct, std::min<u32>(get_be32(good, k_hdr_size_struct), u32(len - off_struct)));
            if (len > off_strings)
                put_be32(cut, k_hdr_size_strings, std::min<u32>(get_be32(good, k_hdr_size_strings), u32(len - off_strings)));
            auto r = parse(cut);
            if (r.is_ok())
                exercise(*r, cut, len);
        }
    }
}

TEST(FdtHostile, ByteFlipFuzz)
{
    u64 state = 0x9e3779b97f4a7c15ull; // fixed seed: failures reproduce
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    int parsed = 0;
    for (const char* name : k_all_fixtures) {
        SCOPED_TRACE(name);
        const auto good = fixture(name);
        ASSERT_FALSE(good.empty());
        for (int iter = 0; iter < 750; ++iter) {
            auto bytes = good;
            int flips = 1 + int(next() % 4);
            for (int f = 0; f < flips; ++f) {
                // A quarter of the mutations hit the header, the rest anywhere.
                usize at = next() % 4 == 0 ? next() % 40 : next() % bytes.size();
                if (next() % 2)
                    bytes[at] ^= u8(1u << (next() % 8));
                else
                    bytes[at] = u8(next());
            }
            auto r = parse(bytes);
            if (r.is_ok()) {
                ++parsed;
                exercise(*r, bytes, usize(iter));
                if (HasFatalFailure())
                    FAIL() << "iteration " << iter;
            }
        }
    }
    // About a quarter of the mutants parse (flips in values and names): the
    // queries really ran on corrupted trees.
    EXPECT_GT(parsed, 400);
}

// Found by tests/fuzz/fdt_fuzz.cpp (seed tests/fuzz/seeds/fdt/phandle-zero.dtb):
// QEMU's tree with a node whose phandle is 0. phandle() reported 0, which
// find_by_phandle() can never find; both must agree that 0 is no phandle.
TEST(FdtFuzzFindings, PhandleZeroIsNoPhandle)
{
    std::ifstream in(std::string(MYRIAD_FIXTURES) + "/../fuzz/seeds/fdt/phandle-zero.dtb", std::ios::binary);
    std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(bytes.empty());
    auto parsed = Blob::parse(bytes.data(), bytes.size());
    ASSERT_TRUE(parsed.is_ok()) << parsed.error().what;
    const Blob& b = parsed.value();
    bool saw_zero = false;
    for (lib::Optional<Node> n = b.root(); n; n = b.next_node(*n)) {
        if (auto p = b.property(*n, "phandle"); p && p->size() == 4 && p->u32_at(0).value_or(1) == 0)
            saw_zero = true;
        auto h = b.phandle(*n);
        if (!h)
            continue;
        EXPECT_NE(*h, 0u);
        EXPECT_NE(*h, 0xffffffffu);
        EXPECT_TRUE(b.find_by_phandle(*h)) << "phandle " << *h;
    }
    EXPECT_TRUE(saw_zero);
}
