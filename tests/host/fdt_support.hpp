// What the devicetree host tests share (fdt_test.cpp: the real blobs and
// the feature fixture; fdt_hostile_test.cpp: hostile blobs): reading
// fixtures, patching headers, a byte-by-byte blob builder, fixtures for
// gtest.
#pragma once

#include "lib/cmdline.hpp"
#include "lib/fdt.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fdt_test {

using lib::StringView;
using namespace lib::fdt;

// Section 5.2 header field offsets, for patching blobs.
constexpr usize k_hdr_totalsize = 4;
constexpr usize k_hdr_off_struct = 8;
constexpr usize k_hdr_off_strings = 12;
constexpr usize k_hdr_off_rsvmap = 16;
constexpr usize k_hdr_version = 20;
constexpr usize k_hdr_last_comp = 24;
constexpr usize k_hdr_size_strings = 32;
constexpr usize k_hdr_size_struct = 36;

inline std::string str(StringView s) { return std::string(s.data(), s.length()); }

inline std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

inline std::vector<u8> fixture(const std::string& name)
{
    // *.dtb from QEMU live in the source tree; *.dts are compiled by the build.
    if (name.ends_with(".dts"))
        return read_file(std::string(MYRIAD_HOST_BUILD) + "/fixtures/" + name.substr(0, name.size() - 4) + ".dtb");
    return read_file(std::string(MYRIAD_FIXTURES) + "/" + name);
}

const char* const k_all_fixtures[] = {"qemu-virt.dtb", "qemu-virt-smp4-2g.dtb", "qemu-sifive_u.dtb",
                                      "fdt-features.dts"};

inline u32 get_be32(const std::vector<u8>& b, usize at)
{
    return (u32(b[at]) << 24) | (u32(b[at + 1]) << 16) | (u32(b[at + 2]) << 8) | b[at + 3];
}

inline void put_be32(std::vector<u8>& b, usize at, u32 v)
{
    b[at] = u8(v >> 24);
    b[at + 1] = u8(v >> 16);
    b[at + 2] = u8(v >> 8);
    b[at + 3] = u8(v);
}

inline Result<Blob> parse(const std::vector<u8>& bytes) { return Blob::parse(bytes.data(), bytes.size()); }

// Parse must fail with EINVAL and a message containing `what`.
inline void expect_rejected(const std::vector<u8>& bytes, const char* what)
{
    auto r = parse(bytes);
    ASSERT_TRUE(r.is_error()) << "accepted, expected: " << what;
    EXPECT_EQ(r.code(), Errno::einval);
    ASSERT_NE(r.error().what, nullptr);
    EXPECT_NE(std::string(r.error().what).find(what), std::string::npos) << "got: " << r.error().what;
}

inline Node must_find(const Blob& blob, const char* path)
{
    auto n = blob.find_path(path);
    if (!n) {
        ADD_FAILURE() << "no node " << path;
        return Node();
    }
    return *n;
}

// Builds blobs token by token (sections 5.1-5.5) for inputs dtc refuses to write.
class FdtBuilder {
public:
    FdtBuilder& begin_node(std::string_view name, bool terminate = true)
    {
        put(1);
        m_struct.insert(m_struct.end(), name.begin(), name.end());
        if (terminate)
            m_struct.push_back(0);
        pad();
        return *this;
    }
    FdtBuilder& end_node() { return token(2); }
    FdtBuilder& prop(std::string_view name, const std::vector<u8>& value)
    {
        put(3);
        put(u32(value.size()));
        put(string_offset(name));
        m_struct.insert(m_struct.end(), value.begin(), value.end());
        pad();
        return *this;
    }
    FdtBuilder& prop_u32(std::string_view name, u32 v) { return prop(name, be32(v)); }
    FdtBuilder& prop_cells(std::string_view name, std::initializer_list<u32> cells)
    {
        std::vector<u8> v;
        for (u32 c : cells)
            for (u8 b : be32(c))
                v.push_back(b);
        return prop(name, v);
    }
    FdtBuilder& prop_string(std::string_view name, std::string_view s)
    {
        std::vector<u8> v(s.begin(), s.end());
        v.push_back(0);
        return prop(name, v);
    }
    FdtBuilder& token(u32 t)
    {
        put(t);
        return *this;
    }
    FdtBuilder& end() { return token(9); }
    FdtBuilder& reserve(u64 base, u64 size)
    {
        m_reserved.push_back({base, size});
        return *this;
    }

    std::vector<u8> build() const
    {
        std::vector<u8> out(40, 0);
        for (auto [base, size] : m_reserved) {
            for (u8 b : be64(base))
                out.push_back(b);
            for (u8 b : be64(size))
                out.push_back(b);
        }
        out.resize(out.size() + 16, 0);
        u32 off_struct = u32(out.size());
        out.insert(out.end(), m_struct.begin(), m_struct.end());
        u32 off_strings = u32(out.size());
        out.insert(out.end(), m_strings.begin(), m_strings.end());
        put_be32(out, 0, 0xd00dfeed);
        put_be32(out, k_hdr_totalsize, u32(out.size()));
        put_be32(out, k_hdr_off_struct, off_struct);
        put_be32(out, k_hdr_off_strings, off_strings);
        put_be32(out, k_hdr_off_rsvmap, 40);
        put_be32(out, k_hdr_version, 17);
        put_be32(out, k_hdr_last_comp, 16);
        put_be32(out, k_hdr_size_strings, u32(m_strings.size()));
        put_be32(out, k_hdr_size_struct, u32(m_struct.size()));
        return out;
    }

private:
    static std::vector<u8> be32(u32 v) { return {u8(v >> 24), u8(v >> 16), u8(v >> 8), u8(v)}; }
    static std::vector<u8> be64(u64 v)
    {
        auto hi = be32(u32(v >> 32)), lo = be32(u32(v));
        hi.insert(hi.end(), lo.begin(), lo.end());
        return hi;
    }
    void put(u32 v)
    {
        for (u8 b : be32(v))
            m_struct.push_back(b);
    }
    void pad()
    {
        while (m_struct.size() % 4)
            m_struct.push_back(0);
    }
    u32 string_offset(std::string_view name)
    {
        std::string_view all(m_strings.data(), m_strings.size());
        for (usize at = 0; at < all.size(); at += std::char_traits<char>::length(all.data() + at) + 1)
            if (all.substr(at, name.size()) == name && at + name.size() < all.size() && all[at + name.size()] == 0)
                return u32(at);
        u32 at = u32(m_strings.size());
        m_strings.insert(m_strings.end(), name.begin(), name.end());
        m_strings.push_back(0);
        return at;
    }

    std::vector<u8> m_struct;
    std::vector<char> m_strings;
    std::vector<std::pair<u64, u64>> m_reserved;
};

// A parsed fixture kept alive with its bytes.
class FdtFixture : public ::testing::Test {
protected:
    void load(const char* name)
    {
        m_bytes = fixture(name);
        ASSERT_FALSE(m_bytes.empty()) << "missing fixture " << name;
        auto r = parse(m_bytes);
        ASSERT_TRUE(r.is_ok()) << name << ": " << r.error().what;
        m_blob.emplace(r.release_value());
    }
    const Blob& blob() const { return *m_blob; }
    Node node(const char* path) const { return must_find(*m_blob, path); }

    std::vector<u8> m_bytes;
    std::optional<Blob> m_blob;
};

class FdtVirt : public FdtFixture {
    void SetUp() override { load("qemu-virt.dtb"); }
};
class FdtSmp4 : public FdtFixture {
    void SetUp() override { load("qemu-virt-smp4-2g.dtb"); }
};
class FdtSifiveU : public FdtFixture {
    void SetUp() override { load("qemu-sifive_u.dtb"); }
};
class FdtFeatures : public FdtFixture {
    void SetUp() override { load("fdt-features.dts"); }
};

} // namespace fdt_test
