// Host tests for lib/elf: executables built at build time by the real
// riscv64 Linux toolchain (tests/host/fixtures.cmake: static, static-pie,
// dynamic, rv64/rv32 objects, a host x86-64 binary) compared field by field
// with `readelf -lhW` of the same files; hostile inputs (truncation at every
// length of the header and program header table, every header field
// corrupted, crafted program header tables) and a deterministic byte-flip
// fuzz loop that must never read outside the file (run under ASan/UBSan).
#include "lib/elf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace lib::elf;

namespace {

std::string str(lib::StringView s) { return std::string(s.data(), s.length()); }

std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

std::string fixture_path(const std::string& name) { return std::string(MYRIAD_HOST_BUILD) + "/fixtures/elf/" + name; }

std::vector<u8> fixture(const std::string& name)
{
    auto bytes = read_file(fixture_path(name));
    EXPECT_FALSE(bytes.empty()) << "missing fixture " << fixture_path(name) << " (built by tests/host/fixtures.cmake)";
    return bytes;
}

// --- What readelf says: the facts the parser must agree with.

struct ReadelfPhdr {
    std::string type; // readelf's name: LOAD, PHDR, INTERP, GNU_STACK...
    u64 offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
    u32 flags = 0;
    std::string interp; // "[Requesting program interpreter: ...]"
};

struct Readelf {
    std::string type;    // EXEC, DYN, REL
    std::string machine; // "RISC-V"
    u64 entry = 0, phoff = 0, flags = 0;
    u32 phnum = 0;
    std::vector<ReadelfPhdr> phdrs;
    std::vector<ReadelfPhdr> of_type(const std::string& t) const
    {
        std::vector<ReadelfPhdr> out;
        for (auto& p : phdrs)
            if (p.type == t)
                out.push_back(p);
        return out;
    }
};

std::string after_colon(const std::string& line)
{
    auto at = line.find(':');
    auto value = line.substr(at + 1);
    value.erase(0, value.find_first_not_of(' '));
    return value;
}

Readelf readelf(const std::string& name)
{
    std::ifstream in(fixture_path(name) + ".readelf");
    EXPECT_TRUE(in.good()) << "missing " << fixture_path(name) << ".readelf";
    Readelf r;
    std::string line;
    bool in_table = false;
    while (std::getline(in, line)) {
        if (line.rfind("  Type:", 0) == 0)
            r.type = after_colon(line).substr(0, after_colon(line).find(' '));
        else if (line.rfind("  Machine:", 0) == 0)
            r.machine = after_colon(line);
        else if (line.rfind("  Entry point address:", 0) == 0)
            r.entry = std::stoull(after_colon(line), nullptr, 16);
        else if (line.rfind("  Flags:", 0) == 0)
            r.flags = std::stoull(after_colon(line), nullptr, 16);
        else if (line.rfind("  Start of program headers:", 0) == 0)
            r.phoff = std::stoull(after_colon(line));
        else if (line.rfind("  Number of program headers:", 0) == 0)
            r.phnum = u32(std::stoul(after_colon(line)));
        else if (line.rfind("  Type           Offset", 0) == 0)
            in_table = true;
        else if (in_table && line.empty())
            in_table = false;
        else if (in_table && line.find("[Requesting program interpreter: ") != std::string::npos) {
            auto at = line.find(": ") + 2;
            r.phdrs.back().interp = line.substr(at, line.rfind(']') - at);
        } else if (in_table) {
            // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg... Align, where
            // Flg is one to three words ("R E", "RW", "RWE").
            std::istringstream words(line);
            std::vector<std::string> w{std::istream_iterator<std::string>(words), {}};
            EXPECT_GE(w.size(), 8u) << line;
            if (w.size() < 8)
                continue;
            ReadelfPhdr p;
            p.type = w[0];
            p.offset = std::stoull(w[1], nullptr, 16);
            p.vaddr = std::stoull(w[2], nullptr, 16);
            p.paddr = std::stoull(w[3], nullptr, 16);
            p.filesz = std::stoull(w[4], nullptr, 16);
            p.memsz = std::stoull(w[5], nullptr, 16);
            p.align = std::stoull(w.back(), nullptr, 16);
            for (size_t i = 6; i + 1 < w.size(); ++i)
                for (char c : w[i])
                    p.flags |= c == 'R' ? k_pf_r : c == 'W' ? k_pf_w : c == 'E' ? k_pf_x : 0;
            r.phdrs.push_back(p);
        }
    }
    return r;
}

// p_type numbers of the readelf names we meet (gABI Table 12, GNU, psABI).
const std::map<std::string, u32> k_readelf_types = {
    {"NULL", k_pt_null}, {"LOAD", k_pt_load}, {"DYNAMIC", k_pt_dynamic}, {"INTERP", k_pt_interp},
    {"NOTE", k_pt_note}, {"PHDR", k_pt_phdr}, {"TLS", k_pt_tls}, {"GNU_STACK", k_pt_gnu_stack},
    {"GNU_RELRO", k_pt_gnu_relro}, {"RISCV_ATTRIBUT", k_pt_riscv_attributes}, {"GNU_EH_FRAME", 0x6474e550},
    {"GNU_PROPERTY", 0x6474e553},
};

void expect_segment(const Segment& s, const ReadelfPhdr& p)
{
    EXPECT_EQ(s.vaddr, p.vaddr);
    EXPECT_EQ(s.memsz, p.memsz);
    EXPECT_EQ(s.offset, p.offset);
    EXPECT_EQ(s.filesz, p.filesz);
    EXPECT_EQ(s.align, p.align);
    EXPECT_EQ(s.flags, p.flags);
}

// Everything the Image says about a fixture, checked against readelf.
std::optional<Image> expect_matches_readelf(const std::string& name, const std::vector<u8>& bytes)
{
    Readelf re = readelf(name);
    auto r = parse(bytes.data(), bytes.size());
    EXPECT_TRUE(r.is_ok()) << name << ": " << (r.is_error() && r.error().what ? r.error().what : "");
    if (r.is_error() || re.phdrs.empty())
        return std::nullopt;
    const Image& image = r.value();

    EXPECT_EQ(image.type(), re.type == "EXEC" ? FileType::exec : FileType::dyn) << re.type;
    EXPECT_EQ(image.is_position_independent(), re.type == "DYN");
    EXPECT_EQ(re.machine, "RISC-V");
    EXPECT_EQ(image.entry(), re.entry);
    EXPECT_EQ(image.flags(), re.flags);
    EXPECT_EQ(image.phnum(), re.phnum);
    EXPECT_EQ(image.phentsize(), 56);
    EXPECT_EQ(re.phdrs.size(), re.phnum);

    // Raw program headers, one by one.
    for (size_t i = 0; i < re.phdrs.size(); ++i) {
        const ReadelfPhdr& p = re.phdrs[i];
        ProgramHeader ph = image.program_header(i);
        EXPECT_TRUE(k_readelf_types.count(p.type)) << "unknown readelf type " << p.type;
        if (k_readelf_types.count(p.type)) {
            EXPECT_EQ(ph.type, k_readelf_types.at(p.type)) << i;
        }
        EXPECT_EQ(ph.offset, p.offset) << i;
        EXPECT_EQ(ph.vaddr, p.vaddr) << i;
        EXPECT_EQ(ph.paddr, p.paddr) << i;
        EXPECT_EQ(ph.filesz, p.filesz) << i;
        EXPECT_EQ(ph.memsz, p.memsz) << i;
        EXPECT_EQ(ph.align, p.align) << i;
        EXPECT_EQ(ph.flags, p.flags) << i;
    }

    auto loads = re.of_type("LOAD");
    EXPECT_EQ(image.load_count(), loads.size());
    for (size_t i = 0; i < loads.size() && i < image.load_count(); ++i)
        expect_segment(image.load(i), loads[i]);
    EXPECT_EQ(image.min_vaddr(), loads.front().vaddr);
    EXPECT_EQ(image.max_vaddr(), loads.back().vaddr + loads.back().memsz);

    auto interps = re.of_type("INTERP");
    EXPECT_EQ(image.has_interp(), !interps.empty());
    if (!interps.empty()) {
        EXPECT_EQ(str(image.interp()), interps[0].interp);
    }

    // AT_PHDR: PT_PHDR, else the first PT_LOAD holding the table in the file.
    auto phdrs = re.of_type("PHDR");
    if (!phdrs.empty()) {
        EXPECT_TRUE(image.has_phdr_vaddr());
        EXPECT_EQ(image.phdr_vaddr(), phdrs[0].vaddr);
    } else {
        const ReadelfPhdr* covering = nullptr;
        for (auto& l : loads)
            if (!covering && l.offset <= re.phoff && re.phoff + 56 * re.phnum <= l.offset + l.filesz)
                covering = &l;
        EXPECT_EQ(image.has_phdr_vaddr(), covering != nullptr);
        if (covering) {
            EXPECT_EQ(image.phdr_vaddr(), covering->vaddr + re.phoff - covering->offset);
        }
    }

    auto stacks = re.of_type("GNU_STACK");
    EXPECT_EQ(image.has_gnu_stack(), !stacks.empty());
    if (!stacks.empty()) {
        EXPECT_EQ(image.stack_flags(), stacks[0].flags);
        EXPECT_EQ(image.stack_executable(), (stacks[0].flags & k_pf_x) != 0);
    }

    auto tls = re.of_type("TLS");
    EXPECT_EQ(image.has_tls(), !tls.empty());
    if (!tls.empty()) {
        expect_segment(image.tls(), tls[0]);
    }
    return image;
}

template <typename T> void expect_enoexec(const Result<T>& r, const char* what)
{
    ASSERT_TRUE(r.is_error()) << "accepted, expected: " << what;
    EXPECT_EQ(r.code(), Errno::enoexec);
    ASSERT_NE(r.error().what, nullptr);
    EXPECT_NE(std::string(r.error().what).find(what), std::string::npos) << "got: " << r.error().what;
}

// Parse a copy of exactly these bytes, so ASan sees any read past the end.
Result<Image> parse_exact(const std::vector<u8>& bytes, size_t n)
{
    static std::vector<u8> copy;
    copy = std::vector<u8>(bytes.begin(), bytes.begin() + ptrdiff_t(n));
    copy.shrink_to_fit();
    return parse(copy.data(), copy.size());
}

void expect_rejected(const std::vector<u8>& bytes, const char* what)
{
    expect_enoexec(parse_exact(bytes, bytes.size()), what);
}

// --- Patching

u64 get_le(const std::vector<u8>& b, size_t at, size_t n)
{
    u64 v = 0;
    for (size_t i = n; i > 0; --i)
        v = (v << 8) | b[at + i - 1];
    return v;
}

void put_le(std::vector<u8>& b, size_t at, u64 v, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        b[at + i] = u8(v >> (8 * i));
}

#define EHDR(field) offsetof(Elf64_Ehdr, field), sizeof(Elf64_Ehdr::field)
#define PHDR(field) offsetof(Elf64_Phdr, field), sizeof(Elf64_Phdr::field)

void put_ehdr(std::vector<u8>& b, size_t off, size_t n, u64 v) { put_le(b, off, v, n); }
u64 get_ehdr(const std::vector<u8>& b, size_t off, size_t n) { return get_le(b, off, n); }

size_t phdr_at(const std::vector<u8>& b, size_t index) { return get_ehdr(b, EHDR(e_phoff)) + 56 * index; }
u64 get_phdr(const std::vector<u8>& b, size_t index, size_t off, size_t n) { return get_le(b, phdr_at(b, index) + off, n); }
void put_phdr(std::vector<u8>& b, size_t index, size_t off, size_t n, u64 v) { put_le(b, phdr_at(b, index) + off, v, n); }

// Index of the nth program header of this type, or -1.
int find_phdr(const std::vector<u8>& b, u32 type, int nth = 0)
{
    size_t phnum = get_ehdr(b, EHDR(e_phnum));
    for (size_t i = 0; i < phnum; ++i)
        if (get_phdr(b, i, PHDR(p_type)) == type && nth-- == 0)
            return int(i);
    return -1;
}

// A small executable written from scratch, for tables the toolchain would
// never produce. Default: a text and a data PT_LOAD and a PT_GNU_STACK.
struct Builder {
    u16 type = 2; // ET_EXEC
    u64 entry = 0x10100;
    std::vector<ProgramHeader> phdrs = {
        {k_pt_load, k_pf_r | k_pf_x, 0, 0x10000, 0x10000, 0x1000, 0x1000, 0x1000},
        {k_pt_load, k_pf_r | k_pf_w, 0x1000, 0x11000, 0x11000, 0x100, 0x2000, 0x1000},
        {k_pt_gnu_stack, k_pf_r | k_pf_w, 0, 0, 0, 0, 0, 16},
    };
    size_t file_size = 0x2000;

    std::vector<u8> build() const
    {
        std::vector<u8> b(std::max(file_size, 64 + 56 * phdrs.size()), 0);
        b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F', b[4] = 2, b[5] = 1, b[6] = 1;
        put_ehdr(b, EHDR(e_type), type);
        put_ehdr(b, EHDR(e_machine), k_em_riscv);
        put_ehdr(b, EHDR(e_version), 1);
        put_ehdr(b, EHDR(e_entry), entry);
        put_ehdr(b, EHDR(e_phoff), 64);
        put_ehdr(b, EHDR(e_flags), 5);
        put_ehdr(b, EHDR(e_ehsize), 64);
        put_ehdr(b, EHDR(e_phentsize), 56);
        put_ehdr(b, EHDR(e_phnum), phdrs.size());
        for (size_t i = 0; i < phdrs.size(); ++i) {
            const ProgramHeader& p = phdrs[i];
            put_phdr(b, i, PHDR(p_type), p.type);
            put_phdr(b, i, PHDR(p_flags), p.flags);
            put_phdr(b, i, PHDR(p_offset), p.offset);
            put_phdr(b, i, PHDR(p_vaddr), p.vaddr);
            put_phdr(b, i, PHDR(p_paddr), p.paddr);
            put_phdr(b, i, PHDR(p_filesz), p.filesz);
            put_phdr(b, i, PHDR(p_memsz), p.memsz);
            put_phdr(b, i, PHDR(p_align), p.align);
        }
        return b;
    }
};

// Builds and parses; the bytes live as long as the Image that views them.
struct Built {
    std::vector<u8> bytes;
    Result<Image> result;
    explicit Built(const Builder& b) : bytes(b.build()), result(parse(bytes.data(), bytes.size())) {}
};

const char* const k_executables[] = {"static", "static-pie", "dynamic"};

// End of the bytes parse() must see: the header, the table and the file
// part of every PT_LOAD, PT_TLS and PT_INTERP.
size_t required_size(const std::vector<u8>& b)
{
    size_t phnum = get_ehdr(b, EHDR(e_phnum));
    size_t end = phdr_at(b, phnum);
    for (size_t i = 0; i < phnum; ++i) {
        u64 t = get_phdr(b, i, PHDR(p_type));
        if (t == k_pt_load || t == k_pt_tls || t == k_pt_interp)
            end = std::max<size_t>(end, get_phdr(b, i, PHDR(p_offset)) + get_phdr(b, i, PHDR(p_filesz)));
    }
    return end;
}

} // namespace

// ---------------------------------------------------------------- real files

TEST(ElfFixtures, StaticExecutableMatchesReadelf)
{
    auto bytes = fixture("static");
    ASSERT_FALSE(bytes.empty());
    auto r = parse(bytes.data(), bytes.size());
    ASSERT_TRUE(r.is_ok()) << r.error().what;
    auto checked = expect_matches_readelf("static", bytes);
    ASSERT_TRUE(checked);
    const Image& image = *checked;
    EXPECT_EQ(image.type(), FileType::exec);
    EXPECT_FALSE(image.is_position_independent());
    EXPECT_FALSE(image.has_interp());
    EXPECT_EQ(image.load_count(), 2u);
    EXPECT_TRUE(image.load(0).executable());
    EXPECT_FALSE(image.load(0).writable());
    EXPECT_TRUE(image.load(1).writable());
    EXPECT_GT(image.load(1).memsz, image.load(1).filesz); // .bss
    // No PT_PHDR in glibc's static link: AT_PHDR comes from the text PT_LOAD.
    EXPECT_EQ(find_phdr(bytes, k_pt_phdr), -1);
    EXPECT_TRUE(image.has_phdr_vaddr());
    EXPECT_EQ(image.phdr_vaddr(), image.load(0).vaddr + 64);
    EXPECT_TRUE(image.has_gnu_stack());
    EXPECT_FALSE(image.stack_executable());
    EXPECT_TRUE(image.has_tls());
    EXPECT_EQ(image.data(), bytes.data());
    EXPECT_EQ(image.size(), bytes.size());
}

TEST(ElfFixtures, StaticPieMatchesReadelf)
{
    auto bytes = fixture("static-pie");
    ASSERT_FALSE(bytes.empty());
    ASSERT_TRUE(parse(bytes.data(), bytes.size()).is_ok());
    auto checked = expect_matches_readelf("static-pie", bytes);
    ASSERT_TRUE(checked);
    const Image& image = *checked;
    EXPECT_EQ(image.type(), FileType::dyn);
    EXPECT_TRUE(image.is_position_independent());
    EXPECT_FALSE(image.has_interp());
    EXPECT_EQ(image.min_vaddr(), 0u);
    EXPECT_EQ(image.max_align(), 0x1000u);
    EXPECT_LT(image.entry(), image.max_vaddr());
    EXPECT_TRUE(image.has_phdr_vaddr());
    EXPECT_EQ(image.phdr_vaddr(), 64u);
}

TEST(ElfFixtures, DynamicExecutableHasInterp)
{
    auto bytes = fixture("dynamic");
    ASSERT_FALSE(bytes.empty());
    ASSERT_TRUE(parse(bytes.data(), bytes.size()).is_ok());
    auto checked = expect_matches_readelf("dynamic", bytes);
    ASSERT_TRUE(checked);
    const Image& image = *checked;
    EXPECT_TRUE(image.has_interp());
    EXPECT_EQ(str(image.interp()), "/lib/ld-linux-riscv64-lp64d.so.1");
    EXPECT_NE(find_phdr(bytes, k_pt_phdr), -1);
    EXPECT_EQ(image.phdr_vaddr(), get_phdr(bytes, size_t(find_phdr(bytes, k_pt_phdr)), PHDR(p_vaddr)));
}

TEST(ElfFixtures, ObjectFileRejected)
{
    auto bytes = fixture("object.o");
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(readelf("object.o").type, "REL");
    EXPECT_EQ(readelf("object.o").machine, "RISC-V");
    expect_rejected(bytes, "ET_REL");
}

TEST(ElfFixtures, Rv32ObjectRejected)
{
    auto bytes = fixture("object32.o");
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes[4], 1); // ELFCLASS32
    expect_rejected(bytes, "64-bit");
}

TEST(ElfFixtures, HostBinaryRejected)
{
    auto bytes = fixture("host");
    ASSERT_FALSE(bytes.empty());
    Readelf re = readelf("host");
    EXPECT_NE(re.machine, "RISC-V");
    EXPECT_FALSE(re.of_type("LOAD").empty());
    expect_rejected(bytes, "RISC-V");
}

TEST(ElfFixtures, UserRangeCheck)
{
    constexpr u64 k_sv39_user_limit = 0x4000000000;
    auto st = fixture("static");
    auto pie = fixture("static-pie");
    ASSERT_FALSE(st.empty());
    ASSERT_FALSE(pie.empty());
    auto s = parse(st.data(), st.size());
    auto p = parse(pie.data(), pie.size());
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE(p.is_ok());

    EXPECT_TRUE(s->check_user_range(k_sv39_user_limit).is_ok());
    EXPECT_TRUE(s->check_user_range(s->max_vaddr()).is_ok());
    expect_enoexec(s->check_user_range(s->max_vaddr() - 1), "user address limit");
    auto fixed_bias = s->check_user_range(k_sv39_user_limit, 0x1000);
    ASSERT_TRUE(fixed_bias.is_error());
    EXPECT_EQ(fixed_bias.code(), Errno::einval);

    EXPECT_TRUE(p->check_user_range(k_sv39_user_limit, 0x2aaaaaa000).is_ok());
    EXPECT_TRUE(p->check_user_range(k_sv39_user_limit, k_sv39_user_limit - lib::align_up(p->max_vaddr(), 0x1000)).is_ok());
    expect_enoexec(p->check_user_range(k_sv39_user_limit, k_sv39_user_limit), "user address limit");
    expect_enoexec(p->check_user_range(~u64(0), ~u64(0xfff)), "user address limit"); // bias + end wraps
    auto misaligned = p->check_user_range(k_sv39_user_limit, 0x800);
    ASSERT_TRUE(misaligned.is_error());
    EXPECT_EQ(misaligned.code(), Errno::einval);
}

// ---------------------------------------------------------------- hostile

TEST(ElfHostile, TruncatedAtEveryLength)
{
    for (const char* name : k_executables) {
        auto bytes = fixture(name);
        ASSERT_FALSE(bytes.empty());
        const size_t table_end = phdr_at(bytes, get_ehdr(bytes, EHDR(e_phnum)));
        const size_t needed = required_size(bytes);
        ASSERT_LE(needed, bytes.size());
        // Every length through the header and the table, a bit beyond it,
        // then every length around the end of the segments.
        for (size_t n = 0; n <= table_end + 64; ++n) {
            auto r = parse_exact(bytes, n);
            EXPECT_EQ(r.is_ok(), n >= needed) << name << " cut at " << n;
            if (n < 64) {
                EXPECT_EQ(r.code(), Errno::enoexec);
            } else if (n < table_end) {
                expect_enoexec(r, "program header table extends past the end");
            }
        }
        for (size_t n = needed > 256 ? needed - 256 : 0; n <= bytes.size(); n += (n < needed + 256 ? 1 : 4096)) {
            auto r = parse_exact(bytes, n);
            EXPECT_EQ(r.is_ok(), n >= needed) << name << " cut at " << n;
        }
    }
    expect_enoexec(parse(nullptr, 0), "not an ELF file");
    expect_enoexec(parse_exact(fixture("static"), 20), "too short");
}

TEST(ElfHostile, CorruptedHeaderFields)
{
    const auto good = fixture("static");
    ASSERT_FALSE(good.empty());
    auto with = [&](auto patch, const char* what) {
        auto b = good;
        patch(b);
        expect_rejected(b, what);
    };
    for (size_t i = 0; i < 4; ++i)
        with([&](auto& b) { b[i] ^= 0x20; }, "not an ELF file");
    with([](auto& b) { b[k_ei_class] = 1; }, "64-bit");
    with([](auto& b) { b[k_ei_class] = 0; }, "64-bit");
    with([](auto& b) { b[k_ei_class] = 3; }, "64-bit");
    with([](auto& b) { b[k_ei_data] = 2; }, "little-endian");
    with([](auto& b) { b[k_ei_data] = 0; }, "little-endian");
    with([](auto& b) { b[k_ei_version] = 0; }, "version");
    with([](auto& b) { put_ehdr(b, EHDR(e_version), 2); }, "version");
    with([](auto& b) { put_ehdr(b, EHDR(e_type), 1); }, "ET_REL");
    with([](auto& b) { put_ehdr(b, EHDR(e_type), 4); }, "core dump");
    with([](auto& b) { put_ehdr(b, EHDR(e_type), 0); }, "unsupported ELF type");
    with([](auto& b) { put_ehdr(b, EHDR(e_type), 0xfe00); }, "unsupported ELF type");
    with([](auto& b) { put_ehdr(b, EHDR(e_machine), 62); }, "RISC-V");  // EM_X86_64
    with([](auto& b) { put_ehdr(b, EHDR(e_machine), 183); }, "RISC-V"); // EM_AARCH64
    with([](auto& b) { put_ehdr(b, EHDR(e_phentsize), 0); }, "e_phentsize");
    with([](auto& b) { put_ehdr(b, EHDR(e_phentsize), 32); }, "e_phentsize");
    with([](auto& b) { put_ehdr(b, EHDR(e_phentsize), 64); }, "e_phentsize");
    with([](auto& b) { put_ehdr(b, EHDR(e_phnum), 0); }, "no program headers");
    with([](auto& b) { put_ehdr(b, EHDR(e_phnum), 74); }, "too many program headers");
    with([](auto& b) { put_ehdr(b, EHDR(e_phnum), 0xffff); }, "too many program headers"); // PN_XNUM
    with([](auto& b) { put_ehdr(b, EHDR(e_phoff), ~u64(0) - 63); }, "program header table extends");
    with([](auto& b) { put_ehdr(b, EHDR(e_phoff), b.size() - 100); }, "program header table extends");
    with([](auto& b) { put_ehdr(b, EHDR(e_phoff), b.size()); }, "program header table extends");
    with([](auto& b) { put_ehdr(b, EHDR(e_entry), 0); }, "entry point");
    with([](auto& b) { put_ehdr(b, EHDR(e_entry), ~u64(0)); }, "entry point");
    // Entry in the data segment (readable, writable, not executable).
    with([](auto& b) { put_ehdr(b, EHDR(e_entry), get_phdr(b, size_t(find_phdr(b, k_pt_load, 1)), PHDR(p_vaddr))); },
         "entry point");

    // Fields the kernel does not use stay free: OS ABI, section headers.
    auto b = good;
    b[7] = 3; // ELFOSABI_GNU
    put_ehdr(b, EHDR(e_shoff), ~u64(0));
    put_ehdr(b, EHDR(e_shnum), 0xffff);
    EXPECT_TRUE(parse(b.data(), b.size()).is_ok());
}

TEST(ElfHostile, CorruptedProgramHeaders)
{
    const auto good = fixture("static");
    const auto dyn = fixture("dynamic");
    ASSERT_FALSE(good.empty());
    ASSERT_FALSE(dyn.empty());
    const size_t text = size_t(find_phdr(good, k_pt_load, 0));
    const size_t data = size_t(find_phdr(good, k_pt_load, 1));
    const size_t tls = size_t(find_phdr(good, k_pt_tls));
    const size_t stack = size_t(find_phdr(good, k_pt_gnu_stack));
    auto with = [](std::vector<u8> b, auto patch, const char* what) {
        patch(b);
        expect_rejected(b, what);
    };
    const u64 data_memsz = get_phdr(good, data, PHDR(p_memsz));
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_filesz), data_memsz + 1); }, "p_filesz exceeds p_memsz");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_offset), b.size()); }, "past the end of the file");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_offset), ~u64(0) - 5); }, "past the end of the file");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_filesz), ~u64(0)); put_phdr(b, data, PHDR(p_memsz), ~u64(0)); },
         "past the end of the file");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_memsz), ~u64(0)); }, "wraps around");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_align), 0x1001); }, "not a power of two");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_align), 0x100000); }, "disagree modulo p_align");
    with(good, [&](auto& b) { put_phdr(b, data, PHDR(p_vaddr), get_phdr(b, data, PHDR(p_vaddr)) + 8); },
         "disagree modulo p_align");
    // Text moved above data: unsorted. Data moved onto the text: overlap.
    with(good, [&](auto& b) { put_phdr(b, text, PHDR(p_vaddr), 0x40000000); }, "unsorted or overlapping");
    with(good, [&](auto& b) {
        // Onto the text, keeping p_vaddr congruent to p_offset.
        u64 align = get_phdr(b, data, PHDR(p_align));
        put_phdr(b, data, PHDR(p_vaddr), get_phdr(b, text, PHDR(p_vaddr)) + align + get_phdr(b, data, PHDR(p_offset)) % align);
    }, "unsorted or overlapping");
    with(good, [&](auto& b) { put_phdr(b, text, PHDR(p_type), k_pt_note); put_phdr(b, data, PHDR(p_type), k_pt_note); },
         "no PT_LOAD");
    with(good, [&](auto& b) { put_phdr(b, text, PHDR(p_flags), k_pf_r); }, "entry point");
    with(good, [&](auto& b) { put_phdr(b, tls, PHDR(p_filesz), get_phdr(b, tls, PHDR(p_memsz)) + 1); },
         "p_filesz exceeds p_memsz");
    with(good, [&](auto& b) { put_phdr(b, tls, PHDR(p_offset), ~u64(0)); }, "past the end");
    with(good, [&](auto& b) { put_phdr(b, stack, PHDR(p_type), k_pt_tls); }, "more than one PT_TLS");
    with(good, [&](auto& b) { put_phdr(b, tls, PHDR(p_type), k_pt_gnu_stack); }, "more than one PT_GNU_STACK");

    // PT_INTERP and PT_PHDR, on the dynamic executable.
    const size_t interp = size_t(find_phdr(dyn, k_pt_interp));
    const size_t phdr = size_t(find_phdr(dyn, k_pt_phdr));
    const u64 interp_off = get_phdr(dyn, interp, PHDR(p_offset));
    const u64 interp_len = get_phdr(dyn, interp, PHDR(p_filesz));
    with(dyn, [&](auto& b) { put_phdr(b, interp, PHDR(p_filesz), 0); }, "PT_INTERP size or offset");
    with(dyn, [&](auto& b) { put_phdr(b, interp, PHDR(p_filesz), 1); }, "PT_INTERP size or offset");
    with(dyn, [&](auto& b) { put_phdr(b, interp, PHDR(p_filesz), 5000); }, "PT_INTERP size or offset");
    with(dyn, [&](auto& b) { put_phdr(b, interp, PHDR(p_offset), ~u64(0) - 2); }, "PT_INTERP size or offset");
    with(dyn, [&](auto& b) { b[interp_off + interp_len - 1] = 'x'; }, "NUL-terminated");
    with(dyn, [&](auto& b) { b[interp_off] = 0; }, "PT_INTERP path is empty");
    {
        // Linux's rule: the path ends at the first NUL; NUL padding may follow.
        auto padded = dyn;
        for (u64 i = 4; i < interp_len; ++i)
            padded[interp_off + i] = 0;
        auto image = lib::elf::parse(padded.data(), padded.size());
        ASSERT_TRUE(image.is_ok());
        EXPECT_EQ(str(image.value().interp()), std::string(reinterpret_cast<const char*>(&dyn[interp_off]), 4));
    }
    with(dyn, [&](auto& b) { put_phdr(b, size_t(find_phdr(b, k_pt_note)), PHDR(p_type), k_pt_interp); },
         "more than one PT_INTERP");
    with(dyn, [&](auto& b) { put_phdr(b, interp, PHDR(p_type), k_pt_phdr); }, "more than one PT_PHDR");
    with(dyn, [&](auto& b) { put_phdr(b, size_t(find_phdr(b, k_pt_note)), PHDR(p_type), k_pt_phdr); },
         "more than one PT_PHDR");
    // A PT_PHDR after a PT_LOAD breaks the gABI ordering rule.
    with(dyn, [&](auto& b) {
        put_phdr(b, phdr, PHDR(p_type), k_pt_null);
        put_phdr(b, size_t(find_phdr(b, k_pt_dynamic)), PHDR(p_type), k_pt_phdr);
    }, "PT_PHDR after a PT_LOAD");
}

TEST(ElfHostile, CraftedTables)
{
    // The builder's default is valid.
    Built ok{Builder{}};
    ASSERT_TRUE(ok.result.is_ok()) << ok.result.error().what;
    EXPECT_EQ(ok.result->load_count(), 2u);
    EXPECT_FALSE(ok.result->has_tls());
    EXPECT_TRUE(ok.result->has_phdr_vaddr()); // covered by the text PT_LOAD at offset 0
    EXPECT_EQ(ok.result->phdr_vaddr(), 0x10040u);

    // No PT_GNU_STACK: traditional executable stack. No load holds the
    // table: no AT_PHDR.
    Builder bare;
    bare.phdrs.pop_back();
    bare.phdrs[0].offset = 0x1000 - 0x100;
    bare.phdrs[0].vaddr = 0x10f00;
    bare.phdrs[0].filesz = bare.phdrs[0].memsz = 0x100;
    bare.entry = 0x10f00;
    Built bare_built{bare};
    ASSERT_TRUE(bare_built.result.is_ok()) << bare_built.result.error().what;
    EXPECT_FALSE(bare_built.result->has_gnu_stack());
    EXPECT_TRUE(bare_built.result->stack_executable());
    EXPECT_FALSE(bare_built.result->has_phdr_vaddr());

    // A PT_LOAD with p_memsz 0 maps nothing and is skipped; align 0 and 1 mean none.
    Builder empty_load;
    empty_load.phdrs.insert(empty_load.phdrs.begin() + 1, {k_pt_load, k_pf_r, 0x1fff, 0x5, 0x5, 0, 0, 0});
    empty_load.phdrs[2].align = 1;
    Built empty_built{empty_load};
    ASSERT_TRUE(empty_built.result.is_ok()) << empty_built.result.error().what;
    EXPECT_EQ(empty_built.result->load_count(), 2u);
    EXPECT_EQ(empty_built.result->program_header(1).type, k_pt_load);
    EXPECT_EQ(empty_built.result->program_header(99).type, k_pt_null); // out of range reads as nothing

    // Exactly k_max_load_segments loads fit; one more does not.
    Builder many;
    many.phdrs.clear();
    many.entry = 0x10000;
    for (u64 i = 0; i < k_max_load_segments + 1; ++i)
        many.phdrs.push_back({k_pt_load, k_pf_r | k_pf_x, 0, 0x10000 + 0x1000 * i, 0, 0x100, 0x100, 0x1000});
    expect_rejected(many.build(), "too many PT_LOAD");
    many.phdrs.pop_back();
    Built many_built{many};
    ASSERT_TRUE(many_built.result.is_ok()) << many_built.result.error().what;
    EXPECT_EQ(many_built.result->load_count(), k_max_load_segments);

    // The most program headers allowed, all of them ignorable but one.
    Builder big_table;
    big_table.phdrs.clear();
    big_table.phdrs.resize(k_max_phnum, ProgramHeader{k_pt_note, 0, 0, 0, 0, 0, 0, 0});
    big_table.phdrs[k_max_phnum - 1] = {k_pt_load, k_pf_r | k_pf_x, 0, 0x10000, 0, 0x2000, 0x2000, 0x1000};
    Built big_built{big_table};
    ASSERT_TRUE(big_built.result.is_ok()) << big_built.result.error().what;
    EXPECT_EQ(big_built.result->phnum(), k_max_phnum);

    // Exactly adjacent is fine; overlap by one byte is not.
    Builder touching;
    touching.phdrs[0].memsz = 0x1000;
    EXPECT_TRUE(Built{touching}.result.is_ok());
    Builder overlapping;
    overlapping.phdrs[0].memsz = 0x1001;
    expect_rejected(overlapping.build(), "unsorted or overlapping");

    // A segment whose end does not fit in 64 bits.
    Builder top;
    top.phdrs[1] = {k_pt_load, k_pf_r | k_pf_w, 0x1000, ~u64(0) - 0xfff, 0, 0x100, 0x1001, 0x1000};
    expect_rejected(top.build(), "wraps around");

    // Position-independent: ET_DYN.
    Builder pie;
    pie.type = 3;
    Built pie_built{pie};
    ASSERT_TRUE(pie_built.result.is_ok());
    EXPECT_TRUE(pie_built.result->is_position_independent());
}

// ---------------------------------------------------------------- fuzz

namespace {

u64 g_rng = 0x9e3779b97f4a7c15;
u64 next_random()
{
    // xorshift64*: deterministic, so a failure reproduces.
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1d;
}

// Everything a loader would touch, so ASan sees any bad view.
void use_image(const Image& image, const u8* base, size_t size)
{
    volatile u64 sink = 0;
    for (size_t i = 0; i < image.phnum(); ++i)
        sink = sink + image.program_header(i).vaddr;
    u64 prev_end = 0;
    for (size_t i = 0; i < image.load_count(); ++i) {
        const Segment& s = image.load(i);
        ASSERT_LE(s.filesz, s.memsz);
        ASSERT_LE(s.offset + s.filesz, size);
        ASSERT_GE(s.offset + s.filesz, s.offset);
        ASSERT_GE(s.end(), s.vaddr);
        if (i > 0) {
            ASSERT_GE(s.vaddr, prev_end);
        }
        prev_end = s.end();
        for (u64 off = 0; off < s.filesz; off += 4096)
            sink = sink + base[s.offset + off];
    }
    if (image.has_interp()) {
        ASSERT_GE(reinterpret_cast<const u8*>(image.interp().data()), base);
        ASSERT_LE(reinterpret_cast<const u8*>(image.interp().data()) + image.interp().length(), base + size);
        for (size_t i = 0; i < image.interp().length(); ++i)
            sink = sink + u8(image.interp()[i]);
    }
    if (image.has_tls()) {
        ASSERT_LE(image.tls().offset + image.tls().filesz, size);
    }
    (void)image.check_user_range(0x4000000000, image.is_position_independent() ? 0x10000000 : 0);
}

} // namespace

TEST(ElfHostile, ByteFlipFuzz)
{
    size_t accepted = 0, rejected = 0;
    for (const char* name : k_executables) {
        auto bytes = fixture(name);
        ASSERT_FALSE(bytes.empty());
        // Most flips hit the header and the table, where they matter.
        const size_t hot = phdr_at(bytes, get_ehdr(bytes, EHDR(e_phnum)));
        for (int iteration = 0; iteration < 3000; ++iteration) {
            size_t flips = 1 + next_random() % 4;
            std::vector<std::pair<size_t, u8>> saved;
            for (size_t f = 0; f < flips; ++f) {
                size_t at = next_random() % 8 ? next_random() % hot : next_random() % bytes.size();
                saved.push_back({at, bytes[at]});
                switch (next_random() % 3) {
                case 0: bytes[at] ^= u8(1u << (next_random() % 8)); break;
                case 1: bytes[at] = u8(next_random()); break;
                default: bytes[at] = (next_random() & 1) ? 0xff : 0x00; break;
                }
            }
            auto r = parse(bytes.data(), bytes.size());
            if (r.is_ok()) {
                ++accepted;
                use_image(r.value(), bytes.data(), bytes.size());
            } else {
                ++rejected;
                EXPECT_EQ(r.code(), Errno::enoexec);
                EXPECT_NE(r.error().what, nullptr);
            }
            for (auto it = saved.rbegin(); it != saved.rend(); ++it)
                bytes[it->first] = it->second;
        }
    }
    // Both outcomes happen, or the loop tests nothing.
    EXPECT_GT(accepted, 100u);
    EXPECT_GT(rejected, 100u);
}
