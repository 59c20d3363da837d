// ELF64 executable reader for execve: parse() validates the ELF header and
// every program header of a RISC-V executable once, and the resulting Image
// answers what the loader needs (PT_LOAD segments, entry, where the program
// headers sit in memory for AT_PHDR, PT_INTERP, PT_GNU_STACK, PT_TLS) as
// plain fields and views into the caller's buffer, without allocating.
// Formats: "ELF-64 Object File Format" version 1.5 (System V gABI layout),
// RISC-V ELF psABI ("ELF Object Files": EM_RISCV, e_flags), and the GNU
// extensions PT_GNU_STACK / PT_GNU_RELRO.
#pragma once

#include "lib/result.hpp"
#include "lib/string_view.hpp"
#include "lib/types.hpp"

namespace lib::elf {

// gABI "ELF Identification": e_ident indexes and the values we accept.
inline constexpr usize k_ei_nident = 16;
inline constexpr usize k_ei_class = 4;
inline constexpr usize k_ei_data = 5;
inline constexpr usize k_ei_version = 6;
inline constexpr u8 k_elfclass64 = 2;
inline constexpr u8 k_elfdata2lsb = 1;
inline constexpr u32 k_ev_current = 1;
// RISC-V psABI: e_machine of every RISC-V object (rv32 and rv64 alike).
inline constexpr u16 k_em_riscv = 243;

// gABI Figure 2, "ELF-64 Header". Decoded field by field from little-endian
// bytes (offsetof), so the file need not be aligned.
struct Elf64_Ehdr {
    u8 e_ident[k_ei_nident];
    u16 e_type;
    u16 e_machine;
    u32 e_version;
    u64 e_entry;
    u64 e_phoff;
    u64 e_shoff;
    u32 e_flags;
    u16 e_ehsize;
    u16 e_phentsize;
    u16 e_phnum;
    u16 e_shentsize;
    u16 e_shnum;
    u16 e_shstrndx;
};
static_assert(sizeof(Elf64_Ehdr) == 64);

// gABI Figure 11, "ELF-64 Program Header Table Entry".
struct Elf64_Phdr {
    u32 p_type;
    u32 p_flags;
    u64 p_offset;
    u64 p_vaddr;
    u64 p_paddr;
    u64 p_filesz;
    u64 p_memsz;
    u64 p_align;
};
static_assert(sizeof(Elf64_Phdr) == 56);

// gABI e_type values.
enum class FileType : u16 {
    none = 0,
    rel = 1,  // relocatable object (.o): rejected
    exec = 2, // fixed-address executable
    dyn = 3,  // shared object or position-independent executable (PIE)
    core = 4, // core dump: rejected
};

// gABI Table 12 and GNU extensions: p_type values.
inline constexpr u32 k_pt_null = 0;
inline constexpr u32 k_pt_load = 1;
inline constexpr u32 k_pt_dynamic = 2;
inline constexpr u32 k_pt_interp = 3;
inline constexpr u32 k_pt_note = 4;
inline constexpr u32 k_pt_phdr = 6;
inline constexpr u32 k_pt_tls = 7;
inline constexpr u32 k_pt_gnu_stack = 0x6474e551;
inline constexpr u32 k_pt_gnu_relro = 0x6474e552;
inline constexpr u32 k_pt_riscv_attributes = 0x70000003; // psABI

// gABI Table 13: p_flags permission bits.
inline constexpr u32 k_pf_x = 0x1;
inline constexpr u32 k_pf_w = 0x2;
inline constexpr u32 k_pf_r = 0x4;

// Linux fs/binfmt_elf.c load_elf_phdrs(): the whole program header table
// must fit in one 4 KiB page, so at most 73 entries.
inline constexpr usize k_max_phnum = 4096 / sizeof(Elf64_Phdr);
// PT_LOAD segments kept in an Image (glibc's static binaries have 2, the
// linker's default scripts at most 4; anything past this is refused).
inline constexpr usize k_max_load_segments = 16;
// Longest PT_INTERP path accepted, including its NUL (Linux: PATH_MAX).
inline constexpr usize k_max_interp_size = 4096;

// One program header as stored (only the count is validated: use this for
// types the Image does not interpret).
struct ProgramHeader {
    u32 type = 0;
    u32 flags = 0;
    u64 offset = 0;
    u64 vaddr = 0;
    u64 paddr = 0;
    u64 filesz = 0;
    u64 memsz = 0;
    u64 align = 0;
};

// A validated PT_LOAD (or PT_TLS) segment: memory [vaddr, vaddr + memsz)
// holds file bytes [offset, offset + filesz) followed by zeros. For a PIE
// every address is relative to the load bias the kernel picks.
struct Segment {
    u64 vaddr = 0;
    u64 memsz = 0;
    u64 offset = 0;
    u64 filesz = 0;
    u64 align = 0; // 0 or 1: none; otherwise a power of two
    u32 flags = 0; // k_pf_r | k_pf_w | k_pf_x
    u64 end() const { return vaddr + memsz; }
    bool readable() const { return flags & k_pf_r; }
    bool writable() const { return flags & k_pf_w; }
    bool executable() const { return flags & k_pf_x; }
};

// A parsed executable: a view into the caller's buffer, which must outlive
// it. Everything here was checked by parse().
class Image {
public:
    FileType type() const { return m_type; }
    // ET_DYN (static-pie): the kernel must pick a load bias and add it to
    // every address below (entry, segments, phdr_vaddr).
    bool is_position_independent() const { return m_type == FileType::dyn; }
    u64 entry() const { return m_entry; }
    u32 flags() const { return m_flags; } // e_flags: RVC, float ABI (psABI)

    // The program header table (AT_PHNUM, AT_PHENT) and raw access to it.
    u16 phnum() const { return m_phnum; }
    u16 phentsize() const { return sizeof(Elf64_Phdr); }
    ProgramHeader program_header(usize index) const; // index < phnum()

    // PT_LOAD segments with p_memsz != 0, in file order, which parse()
    // checked is ascending by vaddr and non-overlapping. Adjacent segments
    // may still share a page; the loader merges their permissions there.
    usize load_count() const { return m_load_count; }
    const Segment& load(usize index) const { return m_loads[index]; }
    // The address span of all loads: [min_vaddr, max_vaddr), unaligned,
    // and the largest p_align among them (a PIE's bias must be a multiple).
    u64 min_vaddr() const { return m_loads[0].vaddr; }
    u64 max_vaddr() const { return m_loads[m_load_count - 1].end(); }
    u64 max_align() const { return m_max_align; }

    // PT_INTERP: the dynamic loader's path (without its NUL). The kernel
    // runs only static executables and refuses these with ENOEXEC.
    bool has_interp() const { return m_has_interp; }
    StringView interp() const { return m_interp; }

    // Where the program header table is in memory, for AT_PHDR: PT_PHDR's
    // p_vaddr, else computed from the first PT_LOAD whose file bytes hold
    // the whole table (as Linux does). Unbiased; absent when neither exists.
    bool has_phdr_vaddr() const { return m_has_phdr_vaddr; }
    u64 phdr_vaddr() const { return m_phdr_vaddr; }

    // PT_GNU_STACK: its p_flags. Without one, the traditional default is an
    // executable stack.
    bool has_gnu_stack() const { return m_has_gnu_stack; }
    u32 stack_flags() const { return m_stack_flags; }
    bool stack_executable() const { return !m_has_gnu_stack || (m_stack_flags & k_pf_x); }

    // PT_TLS: the initialization image of thread-local storage (the C
    // library sets it up itself, finding it through AT_PHDR).
    bool has_tls() const { return m_has_tls; }
    const Segment& tls() const { return m_tls; }

    // Check that every load, moved by bias, lies in [0, limit) (Sv39 user
    // space: limit 0x4000000000). ENOEXEC when it does not fit; EINVAL when
    // the bias itself is wrong (nonzero for ET_EXEC, or not a multiple of
    // max_align()).
    Result<void> check_user_range(u64 limit, u64 bias = 0) const;

    const u8* data() const { return m_data; }
    usize size() const { return m_size; }

private:
    friend Result<Image> parse(const void* data, usize size);
    Image() = default;

    const u8* m_data = nullptr;
    usize m_size = 0;
    FileType m_type = FileType::none;
    u64 m_entry = 0;
    u32 m_flags = 0;
    u64 m_phoff = 0;
    u16 m_phnum = 0;
    Segment m_loads[k_max_load_segments];
    usize m_load_count = 0;
    u64 m_max_align = 1;
    bool m_has_interp = false;
    StringView m_interp;
    bool m_has_phdr_vaddr = false;
    u64 m_phdr_vaddr = 0;
    bool m_has_gnu_stack = false;
    u32 m_stack_flags = 0;
    bool m_has_tls = false;
    Segment m_tls;
};

// Validates an ELF64 RISC-V executable of size bytes at data. Anything that
// is not one (not ELF, 32-bit, big-endian, another machine, an object file
// or core dump, a malformed header or segment) is ENOEXEC with a message.
// Never reads outside [data, data + size).
Result<Image> parse(const void* data, usize size);

} // namespace lib::elf
