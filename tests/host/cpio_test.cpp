// Host tests for lib/cpio: archives written at build time by GNU cpio
// (tests/fixtures/cpio/make_archives.py via tests/host/fixtures.cmake) from
// a tree whose every field is known, checked entry by entry against that
// tree and the manifest lstat() gave when archiving; concatenated archives
// as the kernel sees them; hostile archives (truncated at every length, bad
// magic, non-hex digits, huge sizes, no trailer) and a byte-flip fuzz loop
// that must never read outside the buffer (run under ASan/UBSan).
#include "lib/cpio.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace lib::cpio;

namespace {

std::string str(lib::StringView s) { return std::string(s.data(), s.length()); }

std::string fixture_path(const std::string& name) { return std::string(MYRIAD_HOST_BUILD) + "/fixtures/cpio/" + name; }

std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

std::vector<u8> fixture(const std::string& name)
{
    auto bytes = read_file(fixture_path(name));
    EXPECT_FALSE(bytes.empty()) << "missing fixture " << fixture_path(name) << " (built by tests/host/fixtures.cmake)";
    return bytes;
}

// An entry copied out of the buffer, so it outlives the parse.
struct Copied {
    Entry entry;
    std::string name;
    std::string data;
};

// Every entry of bytes (parsed from an exactly-sized copy, for ASan), or
// the error.
Result<std::vector<Copied>> read_all(const std::vector<u8>& bytes, size_t n)
{
    std::vector<u8> exact(bytes.begin(), bytes.begin() + ptrdiff_t(n));
    exact.shrink_to_fit();
    std::vector<Copied> out;
    Reader reader(exact.data(), exact.size());
    Entry e;
    while (TRY(reader.next(e)))
        out.push_back({e, str(e.name), std::string(reinterpret_cast<const char*>(e.data), e.filesize)});
    // Done means done: no more entries, no error.
    auto again = reader.next(e);
    EXPECT_TRUE(again.is_ok() && !again.value());
    return out;
}

Result<std::vector<Copied>> read_all(const std::vector<u8>& bytes) { return read_all(bytes, bytes.size()); }

void expect_einval(const std::vector<u8>& bytes, const char* what)
{
    auto r = read_all(bytes);
    ASSERT_TRUE(r.is_error()) << "accepted, expected: " << what;
    EXPECT_EQ(r.code(), Errno::einval);
    ASSERT_NE(r.error().what, nullptr);
    EXPECT_NE(std::string(r.error().what).find(what), std::string::npos) << "got: " << r.error().what;
    auto v = validate(bytes.data(), bytes.size());
    ASSERT_TRUE(v.is_error());
    EXPECT_EQ(v.code(), Errno::einval);
}

// What make_archives.py put in the tree: name, file type, permissions, data.
struct Expected {
    const char* name;
    u32 type;
    u32 permissions;
    std::string data;
};

std::string pattern(size_t size, unsigned seed)
{
    std::string s(size, '\0');
    for (size_t i = 0; i < size; ++i)
        s[i] = char((i * 31 + seed) % 251);
    return s;
}

const std::vector<Expected>& expected_tree()
{
    static const std::vector<Expected> tree = {
        {".", k_s_ifdir, 0755, ""},
        {"a", k_s_ifreg, 0644, ""},
        {"bb", k_s_ifreg, 0644, "0"},
        {"ccc", k_s_ifreg, 0600, "01"},
        {"dddd", k_s_ifreg, 0644, "012"},
        {"eeeee", k_s_ifreg, 0644, "0123"},
        {"ffffff", k_s_ifreg, 0644, "01234"},
        {"ggggggg", k_s_ifreg, 0644, "012345"},
        {"hhhhhhhh", k_s_ifreg, 0644, "0123456"},
        {"big", k_s_ifreg, 0644, pattern(5000, 7)},
        {"bin", k_s_ifdir, 0755, ""},
        {"bin/tool", k_s_ifreg, 0755, "#!/bin/sh\necho tool\n"},
        {"dir", k_s_ifdir, 0755, ""},
        {"dir/sub", k_s_ifdir, 0750, ""},
        {"dir/sub/deep", k_s_ifdir, 0755, ""},
        {"dir/sub/deep/file", k_s_ifreg, 0644, "deep\n"},
        {"link", k_s_iflnk, 0777, "dir/sub/deep/file"},
        {"hard1", k_s_ifreg, 0640, "shared by two names\n"},
        {"dir/hard2", k_s_ifreg, 0640, "shared by two names\n"},
        {"empty_dir", k_s_ifdir, 0700, ""},
    };
    return tree;
}

// manifest.txt: lstat() of each archived path when it was archived.
struct ManifestLine {
    u32 mode = 0, uid = 0, gid = 0, nlink = 0, mtime = 0, ino = 0, dev_major = 0, dev_minor = 0, size = 0;
};

std::map<std::string, ManifestLine> manifest()
{
    std::map<std::string, ManifestLine> m;
    std::ifstream in(fixture_path("manifest.txt"));
    std::string name, mode;
    ManifestLine l;
    while (in >> name >> mode >> l.uid >> l.gid >> l.nlink >> l.mtime >> l.ino >> l.dev_major >> l.dev_minor >> l.size) {
        l.mode = u32(std::stoul(mode, nullptr, 8));
        m[name == "." ? "." : name.substr(2)] = l; // "./a" -> "a"
    }
    return m;
}

// The tree archive must hold exactly the expected entries, every field
// right; hard-linked data only on the last link.
void expect_tree(const std::vector<Copied>& entries, bool crc)
{
    const auto m = manifest();
    ASSERT_EQ(m.size(), expected_tree().size());
    ASSERT_EQ(entries.size(), expected_tree().size());
    std::set<std::string> seen;
    for (const Expected& want : expected_tree()) {
        SCOPED_TRACE(want.name);
        const Copied* got = nullptr;
        for (auto& c : entries)
            if (c.name == want.name)
                got = &c;
        ASSERT_NE(got, nullptr);
        const Entry& e = got->entry;
        const ManifestLine& lst = m.at(want.name);
        seen.insert(want.name);
        EXPECT_EQ(e.file_type(), want.type);
        EXPECT_EQ(e.permissions(), want.permissions);
        EXPECT_EQ(e.mode, want.type | want.permissions);
        EXPECT_EQ(e.mode, lst.mode);
        EXPECT_EQ(e.uid, 1234u);
        EXPECT_EQ(e.gid, 5678u);
        EXPECT_EQ(e.nlink, lst.nlink);
        EXPECT_EQ(e.mtime, lst.mtime);
        EXPECT_EQ(e.ino, lst.ino);
        EXPECT_EQ(e.dev_major, lst.dev_major);
        EXPECT_EQ(e.dev_minor, lst.dev_minor);
        EXPECT_EQ(e.rdev_major, 0u);
        EXPECT_EQ(e.rdev_minor, 0u);
        EXPECT_EQ(e.archive, 0u);
        EXPECT_EQ(e.is_regular(), want.type == k_s_ifreg);
        EXPECT_EQ(e.is_directory(), want.type == k_s_ifdir);
        EXPECT_EQ(e.is_symlink(), want.type == k_s_iflnk);
        EXPECT_FALSE(e.is_char_device() || e.is_block_device() || e.is_fifo() || e.is_socket());
        if (e.is_symlink()) {
            EXPECT_EQ(got->data, want.data); // the target
        }
        if (!crc) {
            EXPECT_EQ(e.check, 0u);
        }
        if (e.may_be_hard_link()) {
            // GNU cpio: every link but the last has no data.
            EXPECT_EQ(e.nlink, 2u);
            EXPECT_TRUE(got->data.empty() || got->data == want.data);
        } else {
            EXPECT_EQ(e.filesize, want.data.size());
            EXPECT_EQ(lst.size, want.data.size());
            EXPECT_EQ(got->data, want.data);
            // The data is what is on disk.
            if (e.is_regular()) {
                EXPECT_EQ(read_file(fixture_path("tree/") + want.name), std::vector<u8>(want.data.begin(), want.data.end()));
            }
        }
    }
    EXPECT_EQ(seen.size(), entries.size());

    // The hard-link pair: one inode, data on the later entry only.
    const Copied *first = nullptr, *second = nullptr;
    for (auto& c : entries)
        if (c.entry.may_be_hard_link())
            (first ? second : first) = &c;
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_TRUE(first->entry.same_inode(second->entry));
    EXPECT_LT(first->entry.offset, second->entry.offset);
    EXPECT_EQ(first->entry.filesize, 0u);
    EXPECT_EQ(second->data, "shared by two names\n");
    // No other pair shares an inode.
    for (auto& a : entries)
        for (auto& b : entries)
            if (&a != &b && a.entry.same_inode(b.entry)) {
                EXPECT_TRUE(a.entry.may_be_hard_link()) << a.name << " " << b.name;
            }
}

// Offset of the first header named name (raw, as stored), or npos.
size_t header_of(const std::vector<u8>& bytes, const std::string& raw_name)
{
    std::string needle = raw_name + '\0';
    for (size_t at = 0; at + k_header_size + needle.size() <= bytes.size(); at += 4)
        if ((std::memcmp(&bytes[at], "070701", 6) == 0 || std::memcmp(&bytes[at], "070702", 6) == 0) &&
            std::memcmp(&bytes[at + k_header_size], needle.data(), needle.size()) == 0)
            return at;
    return std::string::npos;
}

// Header field i (0 = c_ino ... 12 = c_check) of the header at `at`.
void put_field(std::vector<u8>& bytes, size_t at, size_t field, u32 v)
{
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08X", v);
    std::memcpy(&bytes[at + 6 + 8 * field], hex, 8);
}
constexpr size_t k_filesize = 6, k_namesize = 11, k_check = 12;

// A hand-made newc entry (for cases GNU cpio never writes).
std::vector<u8> make_entry(const std::string& name, const std::string& data, u32 mode = 0100644,
                           const char* magic = "070701", u32 check = 0)
{
    char header[k_header_size + 1];
    std::snprintf(header, sizeof header, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, 1u, mode, 0u,
                  0u, 1u, 0u, u32(data.size()), 0u, 0u, 0u, 0u, u32(name.size() + 1), check);
    std::vector<u8> out(header, header + k_header_size);
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(0);
    while (out.size() % 4)
        out.push_back(0);
    out.insert(out.end(), data.begin(), data.end());
    while (out.size() % 4)
        out.push_back(0);
    return out;
}

std::vector<u8> cat(std::initializer_list<std::vector<u8>> parts)
{
    std::vector<u8> out;
    for (auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<u8> trailer() { return make_entry("TRAILER!!!", ""); }

} // namespace

// ---------------------------------------------------------------- real archives

TEST(CpioFixtures, NewcTreeMatchesWhatWasPutIn)
{
    auto bytes = fixture("tree.cpio");
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.size() % 512, 0u); // cpio pads to its block size with zeros
    auto r = read_all(bytes);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    expect_tree(r.value(), false);
    auto count = validate(bytes.data(), bytes.size());
    ASSERT_TRUE(count.is_ok());
    EXPECT_EQ(count.value(), expected_tree().size());
}

TEST(CpioFixtures, CrcTreeMatchesAndChecksumsVerify)
{
    auto bytes = fixture("tree-crc.cpio");
    ASSERT_FALSE(bytes.empty());
    ASSERT_EQ(std::memcmp(bytes.data(), "070702", 6), 0);
    auto r = read_all(bytes);
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    expect_tree(r.value(), true);
    // Regular files carry the sum of their bytes; GNU cpio writes 0 for
    // everything else, symlinks included.
    for (auto& c : r.value()) {
        u32 sum = 0;
        for (unsigned char ch : c.data)
            sum += ch;
        EXPECT_EQ(c.entry.check, c.entry.is_regular() ? sum : 0) << c.name;
    }
    // A wrong checksum is caught.
    size_t big = header_of(bytes, "big");
    ASSERT_NE(big, std::string::npos);
    u32 big_sum = 0;
    for (unsigned char ch : expected_tree()[9].data)
        big_sum += ch;
    put_field(bytes, big, k_check, big_sum + 1);
    expect_einval(bytes, "checksum mismatch");
}

TEST(CpioFixtures, NamesLoseTheirDotSlash)
{
    auto bytes = fixture("tree.cpio");
    ASSERT_FALSE(bytes.empty());
    // GNU cpio itself drops "./" (given "./a" by find, it stores "a"), and
    // names the root ".".
    EXPECT_NE(header_of(bytes, "dir/sub/deep/file"), std::string::npos);
    EXPECT_NE(header_of(bytes, "."), std::string::npos);
    auto r = read_all(bytes);
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r.value()[0].name, ".");
    // Other writers keep it (bsdcpio, hand-made lists): "./x", "././x", "./".
    auto hand = cat({make_entry("./x", "1"), make_entry("././y/./z", "1"), make_entry("./", "", 040755),
                     make_entry(".hidden", ""), make_entry("..", "", 040755), trailer()});
    auto h = read_all(hand);
    ASSERT_TRUE(h.is_ok()) << h.error().what;
    ASSERT_EQ(h.value().size(), 5u);
    EXPECT_EQ(h.value()[0].name, "x");
    EXPECT_EQ(h.value()[1].name, "y/./z"); // only leading "./" goes
    EXPECT_EQ(h.value()[2].name, ".");
    EXPECT_EQ(h.value()[3].name, ".hidden");
    EXPECT_EQ(h.value()[4].name, ".."); // for the caller to refuse
}

TEST(CpioFixtures, ConcatenatedArchives)
{
    auto tree = fixture("tree.cpio");
    auto extra = fixture("extra.cpio");
    ASSERT_FALSE(tree.empty());
    ASSERT_FALSE(extra.empty());

    // As the kernel sees it: built-in archive, then an external initrd;
    // also with extra zero padding between and around them.
    for (auto bytes : {cat({tree, extra}), cat({std::vector<u8>(16, 0), tree, std::vector<u8>(1024, 0), extra,
                                                std::vector<u8>(100, 0)})}) {
        auto r = read_all(bytes);
        ASSERT_TRUE(r.is_ok()) << r.error().what;
        auto& all = r.value();
        ASSERT_EQ(all.size(), expected_tree().size() + 3);
        std::vector<Copied> first(all.begin(), all.begin() + ptrdiff_t(expected_tree().size()));
        expect_tree(first, false);
        EXPECT_EQ(all[all.size() - 3].name, "etc");
        EXPECT_EQ(all[all.size() - 2].name, "etc/motd");
        EXPECT_EQ(all[all.size() - 2].data, "from the second archive\n");
        EXPECT_EQ(all[all.size() - 1].name, "x");
        for (size_t i = expected_tree().size(); i < all.size(); ++i) {
            EXPECT_EQ(all[i].entry.archive, 1u);
            // Inode numbers are per archive: never the same inode as the first's.
            for (auto& f : first) {
                EXPECT_FALSE(all[i].entry.same_inode(f.entry));
            }
        }
    }
    // Three archives, the last one hand-made right after the trailer.
    auto r = read_all(cat({extra, tree, make_entry("z", "zz"), trailer()}));
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    EXPECT_EQ(r.value().back().name, "z");
    EXPECT_EQ(r.value().back().entry.archive, 2u);

    // Another archive must start 4-aligned; junk after a trailer is bad magic.
    expect_einval(cat({extra, std::vector<u8>(2, 0), make_entry("z", ""), trailer()}), "4-byte boundary");
    expect_einval(cat({extra, std::vector<u8>{'j', 'u', 'n', 'k'}}), "bad cpio magic");
    expect_einval(cat({tree, make_entry("z", "")}), "without TRAILER");
}

TEST(CpioFixtures, VisitorAndEmptyInput)
{
    auto bytes = fixture("tree.cpio");
    ASSERT_FALSE(bytes.empty());
    size_t regular = 0;
    auto r = for_each(bytes.data(), bytes.size(), [&](const Entry& e) { regular += e.is_regular(); });
    EXPECT_TRUE(r.is_ok());
    EXPECT_EQ(regular, 13u);
    // A visitor's error stops the walk and comes back.
    size_t visited = 0;
    auto stop = for_each(bytes.data(), bytes.size(), [&](const Entry& e) -> Result<void> {
        ++visited;
        if (e.filesize > 4096)
            return lib::make_error(Errno::efbig, "too big for this visitor");
        return {};
    });
    ASSERT_TRUE(stop.is_error());
    EXPECT_EQ(stop.code(), Errno::efbig);
    EXPECT_EQ(visited, 4u); // ".", "a", "bb", "big"

    // Nothing, or only zeros: no archive, no entries, no error (as Linux).
    EXPECT_EQ(validate(nullptr, 0).value_or(99), 0u);
    std::vector<u8> zeros(64, 0);
    EXPECT_EQ(validate(zeros.data(), zeros.size()).value_or(99), 0u);
    auto only_trailer = trailer();
    EXPECT_EQ(validate(only_trailer.data(), only_trailer.size()).value_or(99), 0u);
}

TEST(CpioFixtures, HandMadeEntries)
{
    // Lower-case hex, device numbers, an unpadded trailer at the very end.
    auto dev = make_entry("dev/console", "", 020644);
    std::string rdev = "0000000500000001"; // rdevmajor 5, rdevminor 1
    std::memcpy(&dev[6 + 8 * 9], rdev.data(), rdev.size());
    std::memcpy(&dev[6 + 8 * 1], "000021a4", 8); // mode 020644, lower-case hex
    auto t = trailer();
    t.resize(k_header_size + 11); // "TRAILER!!!\0" without its padding
    auto r = read_all(cat({dev, t}));
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    ASSERT_EQ(r.value().size(), 1u);
    const Entry& e = r.value()[0].entry;
    EXPECT_EQ(e.mode, 020644u);
    EXPECT_TRUE(e.is_char_device());
    EXPECT_EQ(r.value()[0].name, "dev/console");
    EXPECT_EQ(e.rdev_major, 5u);
    EXPECT_EQ(e.rdev_minor, 1u);
    EXPECT_EQ(e.offset, 0u);
}

// ---------------------------------------------------------------- hostile

TEST(CpioHostile, TruncatedAtEveryLength)
{
    for (const char* name : {"tree.cpio", "tree-crc.cpio", "extra.cpio"}) {
        auto bytes = fixture(name);
        ASSERT_FALSE(bytes.empty());
        auto full = read_all(bytes);
        ASSERT_TRUE(full.is_ok());
        // Complete once the trailer's name is in; cut before that, an error.
        const size_t trailer_at = header_of(bytes, "TRAILER!!!");
        ASSERT_NE(trailer_at, std::string::npos);
        const size_t complete = trailer_at + k_header_size + 11;
        for (size_t n = 0; n < bytes.size(); ++n) {
            auto r = read_all(bytes, n);
            if (n == 0) {
                EXPECT_TRUE(r.is_ok()); // an empty buffer holds no archive
            } else if (n < complete) {
                ASSERT_TRUE(r.is_error()) << name << " cut at " << n;
                EXPECT_EQ(r.code(), Errno::einval);
                EXPECT_NE(r.error().what, nullptr);
            } else {
                ASSERT_TRUE(r.is_ok()) << name << " cut at " << n << ": " << r.error().what;
                EXPECT_EQ(r.value().size(), full.value().size());
            }
        }
    }
}

TEST(CpioHostile, CorruptedHeaders)
{
    const auto good = fixture("tree.cpio");
    ASSERT_FALSE(good.empty());
    const size_t big = header_of(good, "big");
    const size_t last = header_of(good, "TRAILER!!!");
    ASSERT_NE(big, std::string::npos);
    auto with = [&](auto patch, const char* what) {
        auto b = good;
        patch(b);
        expect_einval(b, what);
    };
    with([](auto& b) { b[0] = '1'; }, "bad cpio magic");
    with([](auto& b) { std::memcpy(&b[0], "070707", 6); }, "bad cpio magic"); // odc, not newc
    with([&](auto& b) { b[big + 5] = '3'; }, "bad cpio magic");
    for (size_t field = 0; field < 13; ++field)
        for (char c : {'g', 'G', ' ', 'x', '\0', '-'})
            with([&](auto& b) { b[big + 6 + 8 * field + (field % 8)] = u8(c); }, "non-hex digit");
    with([&](auto& b) { put_field(b, big, k_namesize, 0); }, "name size is 0");
    with([&](auto& b) { put_field(b, big, k_namesize, 1); }, "not NUL-terminated"); // 'b' where '\0' belongs
    with([&](auto& b) { put_field(b, big, k_namesize, 0xffffffff); }, "name runs past the end");
    with([&](auto& b) { put_field(b, last, k_namesize, u32(b.size() - last - k_header_size + 1)); },
         "name runs past the end");
    with([&](auto& b) { put_field(b, big, k_namesize, 3); }, "not NUL-terminated"); // "bi" + 'g'
    with([&](auto& b) { b[big + k_header_size + 1] = 0; }, "NUL inside a cpio name");
    with([&](auto& b) { put_field(b, big, k_filesize, 0xffffffff); }, "data runs past the end");
    with([&](auto& b) { put_field(b, big, k_filesize, u32(b.size())); }, "data runs past the end");
    // Shorter data makes the next header land inside the data.
    with([&](auto& b) { put_field(b, big, k_filesize, 4000); }, "bad cpio magic");
    // No trailer: cut right before it; renamed, the zero padding after it
    // is not a header (Linux too wants a header until the trailer).
    with([&](auto& b) { b[last + k_header_size] = 'X'; }, "bad cpio magic");
    expect_einval(std::vector<u8>(good.begin(), good.begin() + ptrdiff_t(last)), "without TRAILER");

    expect_einval(cat({make_entry("", "x"), trailer()}), "empty cpio name");
    expect_einval(cat({make_entry("f", "abc", 0100644, "070702", 1), trailer()}), "checksum mismatch");
    auto ok = read_all(cat({make_entry("f", "abc", 0100644, "070702", 'a' + 'b' + 'c'), trailer()}));
    EXPECT_TRUE(ok.is_ok());
}

TEST(CpioHostile, ErrorsAreSticky)
{
    auto b = fixture("tree.cpio");
    ASSERT_FALSE(b.empty());
    b[header_of(b, "big")] = 'x';
    Reader reader(b.data(), b.size());
    Entry e;
    size_t entries = 0;
    for (;;) {
        auto step = reader.next(e);
        if (step.is_error()) {
            EXPECT_STREQ(step.error().what, "bad cpio magic (not newc 070701/070702)");
            break;
        }
        ASSERT_TRUE(step.value());
        ++entries;
    }
    EXPECT_EQ(entries, 3u); // ".", "a", "bb"
    for (int i = 0; i < 3; ++i) {
        auto again = reader.next(e);
        ASSERT_TRUE(again.is_error());
        EXPECT_STREQ(again.error().what, "bad cpio magic (not newc 070701/070702)");
    }
}

TEST(CpioHostile, ByteFlipFuzz)
{
    u64 rng = 0x243f6a8885a308d3;
    auto next = [&] {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return rng * 0x2545f4914f6cdd1d;
    };
    size_t accepted = 0, rejected = 0;
    for (const char* name : {"tree.cpio", "tree-crc.cpio"}) {
        auto src = fixture(name);
        ASSERT_FALSE(src.empty());
        // Only the archive proper (not cpio's block padding), exactly sized.
        const size_t end = header_of(src, "TRAILER!!!") + k_header_size + 12;
        std::vector<u8> bytes(src.begin(), src.begin() + ptrdiff_t(end));
        bytes.shrink_to_fit();
        for (int iteration = 0; iteration < 2500; ++iteration) {
            size_t flips = 1 + next() % 3;
            std::vector<std::pair<size_t, u8>> saved;
            for (size_t f = 0; f < flips; ++f) {
                size_t at = next() % bytes.size();
                saved.push_back({at, bytes[at]});
                switch (next() % 4) {
                case 0: bytes[at] ^= u8(1u << (next() % 8)); break;
                case 1: bytes[at] = u8(next()); break;
                case 2: bytes[at] = "0123456789abcdefF"[next() % 17]; break; // stays hex, changes a size
                default: bytes[at] = 0; break;
                }
            }
            Reader reader(bytes.data(), bytes.size());
            Entry e;
            volatile u32 sink = 0;
            bool failed = false;
            for (;;) {
                auto step = reader.next(e);
                if (step.is_error()) {
                    failed = true;
                    EXPECT_EQ(step.code(), Errno::einval);
                    EXPECT_NE(step.error().what, nullptr);
                    break;
                }
                if (!step.value())
                    break;
                ASSERT_GE(e.data, bytes.data());
                ASSERT_LE(e.data + e.filesize, bytes.data() + bytes.size());
                for (size_t i = 0; i < e.name.length(); ++i)
                    sink = sink + u8(e.name[i]);
                for (size_t i = 0; i < e.filesize; i += 61)
                    sink = sink + e.data[i];
            }
            ++(failed ? rejected : accepted);
            for (auto it = saved.rbegin(); it != saved.rend(); ++it)
                bytes[it->first] = it->second;
        }
    }
    EXPECT_GT(accepted, 100u);
    EXPECT_GT(rejected, 100u);
}
