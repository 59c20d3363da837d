// ELF64 executable reader: parse() checks the header, then every program
// header, before it fills in an Image ("check everything, then commit").
// Every read goes through read_le() below a bound that was checked first,
// and every offset + size sum is checked for overflow before comparing it
// with the file size.
#include "lib/elf.hpp"

namespace lib::elf {

namespace {

// Little-endian unsigned of n bytes at p (ELFDATA2LSB: gABI "Data Encoding").
u64 read_le(const u8* p, usize n)
{
    u64 v = 0;
    for (usize i = n; i > 0; --i)
        v = (v << 8) | p[i - 1];
    return v;
}

// One header field, located by the gABI struct layout above.
#define MYRIAD_FIELD(base, Struct, field) read_le((base) + offsetof(Struct, field), sizeof(Struct::field))

ProgramHeader decode_phdr(const u8* p)
{
    ProgramHeader ph;
    ph.type = u32(MYRIAD_FIELD(p, Elf64_Phdr, p_type));
    ph.flags = u32(MYRIAD_FIELD(p, Elf64_Phdr, p_flags));
    ph.offset = MYRIAD_FIELD(p, Elf64_Phdr, p_offset);
    ph.vaddr = MYRIAD_FIELD(p, Elf64_Phdr, p_vaddr);
    ph.paddr = MYRIAD_FIELD(p, Elf64_Phdr, p_paddr);
    ph.filesz = MYRIAD_FIELD(p, Elf64_Phdr, p_filesz);
    ph.memsz = MYRIAD_FIELD(p, Elf64_Phdr, p_memsz);
    ph.align = MYRIAD_FIELD(p, Elf64_Phdr, p_align);
    return ph;
}

Error no_exec(const char* what) { return make_error(Errno::enoexec, what); }

// [offset, offset + length) lies inside a file of size bytes.
bool inside_file(u64 offset, u64 length, usize size)
{
    u64 end;
    return !__builtin_add_overflow(offset, length, &end) && end <= size;
}

bool is_power_of_two(u64 v) { return v != 0 && (v & (v - 1)) == 0; }

// The checks PT_LOAD and PT_TLS share (gABI "Program Header": p_filesz may
// not exceed p_memsz; p_align is 0/1 or a power of two with p_vaddr
// congruent to p_offset modulo it).
Result<Segment> check_segment(const ProgramHeader& ph, usize size)
{
    if (ph.filesz > ph.memsz)
        return no_exec("segment p_filesz exceeds p_memsz");
    if (!inside_file(ph.offset, ph.filesz, size))
        return no_exec("segment extends past the end of the file");
    u64 end;
    if (__builtin_add_overflow(ph.vaddr, ph.memsz, &end))
        return no_exec("segment wraps around the address space");
    if (ph.align > 1) {
        if (!is_power_of_two(ph.align))
            return no_exec("segment p_align is not a power of two");
        if ((ph.vaddr & (ph.align - 1)) != (ph.offset & (ph.align - 1)))
            return no_exec("segment p_vaddr and p_offset disagree modulo p_align");
    }
    Segment s;
    s.vaddr = ph.vaddr;
    s.memsz = ph.memsz;
    s.offset = ph.offset;
    s.filesz = ph.filesz;
    s.align = ph.align;
    s.flags = ph.flags & (k_pf_r | k_pf_w | k_pf_x);
    return s;
}

Result<void> check_header(const u8* p, usize size)
{
    if (size < sizeof(Elf64_Ehdr))
        return no_exec(size >= 4 && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F'
                           ? "file too short for an ELF header"
                           : "not an ELF file");
    if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
        return no_exec("not an ELF file");
    if (p[k_ei_class] != k_elfclass64)
        return no_exec("not a 64-bit (ELFCLASS64) ELF file");
    if (p[k_ei_data] != k_elfdata2lsb)
        return no_exec("not a little-endian (ELFDATA2LSB) ELF file");
    if (p[k_ei_version] != k_ev_current || MYRIAD_FIELD(p, Elf64_Ehdr, e_version) != k_ev_current)
        return no_exec("unsupported ELF version");
    switch (FileType(MYRIAD_FIELD(p, Elf64_Ehdr, e_type))) {
    case FileType::exec:
    case FileType::dyn:
        break;
    case FileType::rel:
        return no_exec("relocatable object (ET_REL), not an executable");
    case FileType::core:
        return no_exec("core dump (ET_CORE), not an executable");
    default:
        return no_exec("unsupported ELF type");
    }
    if (MYRIAD_FIELD(p, Elf64_Ehdr, e_machine) != k_em_riscv)
        return no_exec("not a RISC-V (EM_RISCV) ELF file");
    if (MYRIAD_FIELD(p, Elf64_Ehdr, e_phentsize) != sizeof(Elf64_Phdr))
        return no_exec("e_phentsize is not sizeof(Elf64_Phdr)");
    u64 phnum = MYRIAD_FIELD(p, Elf64_Ehdr, e_phnum);
    if (phnum == 0)
        return no_exec("no program headers");
    if (phnum > k_max_phnum)
        return no_exec("too many program headers");
    if (!inside_file(MYRIAD_FIELD(p, Elf64_Ehdr, e_phoff), phnum * sizeof(Elf64_Phdr), size))
        return no_exec("program header table extends past the end of the file");
    return {};
}

} // namespace

ProgramHeader Image::program_header(usize index) const
{
    if (index >= m_phnum)
        return {};
    return decode_phdr(m_data + m_phoff + index * sizeof(Elf64_Phdr));
}

Result<Image> parse(const void* data, usize size)
{
    auto p = static_cast<const u8*>(data);
    TRY(check_header(p, size));

    Image image;
    image.m_data = p;
    image.m_size = size;
    image.m_type = FileType(MYRIAD_FIELD(p, Elf64_Ehdr, e_type));
    image.m_entry = MYRIAD_FIELD(p, Elf64_Ehdr, e_entry);
    image.m_flags = u32(MYRIAD_FIELD(p, Elf64_Ehdr, e_flags));
    image.m_phoff = MYRIAD_FIELD(p, Elf64_Ehdr, e_phoff);
    image.m_phnum = u16(MYRIAD_FIELD(p, Elf64_Ehdr, e_phnum));
    const u64 table_size = u64(image.m_phnum) * sizeof(Elf64_Phdr);

    bool has_phdr = false;
    for (usize i = 0; i < image.m_phnum; ++i) {
        ProgramHeader ph = image.program_header(i);
        switch (ph.type) {
        case k_pt_load: {
            Segment s = TRY(check_segment(ph, size));
            if (s.memsz == 0)
                break; // maps nothing
            if (image.m_load_count == k_max_load_segments)
                return no_exec("too many PT_LOAD segments");
            // gABI "Program Header": loadable entries are sorted on p_vaddr;
            // we also refuse overlap, which would make the mapping ambiguous.
            if (image.m_load_count > 0 && s.vaddr < image.m_loads[image.m_load_count - 1].end())
                return no_exec("PT_LOAD segments unsorted or overlapping");
            image.m_loads[image.m_load_count++] = s;
            if (s.align > image.m_max_align)
                image.m_max_align = s.align;
            // Linux (fs/binfmt_elf.c) takes AT_PHDR from the first PT_LOAD
            // whose file bytes contain the table, when there is no PT_PHDR.
            if (!has_phdr && !image.m_has_phdr_vaddr && ph.offset <= image.m_phoff &&
                image.m_phoff + table_size <= ph.offset + ph.filesz) {
                image.m_has_phdr_vaddr = true;
                image.m_phdr_vaddr = s.vaddr + (image.m_phoff - ph.offset);
            }
            break;
        }
        case k_pt_interp: {
            if (image.m_has_interp)
                return no_exec("more than one PT_INTERP");
            if (ph.filesz < 2 || ph.filesz > k_max_interp_size || !inside_file(ph.offset, ph.filesz, size))
                return no_exec("bad PT_INTERP size or offset");
            // Linux's rule: the segment's last byte is a NUL; the path is
            // what comes before the first one (padding may follow it).
            auto path = reinterpret_cast<const char*>(p + ph.offset);
            if (path[ph.filesz - 1] != '\0')
                return no_exec("PT_INTERP path is not NUL-terminated");
            StringView view(path, usize(ph.filesz) - 1);
            view = StringView(path, view.find('\0'));
            if (view.is_empty())
                return no_exec("PT_INTERP path is empty");
            image.m_has_interp = true;
            image.m_interp = view;
            break;
        }
        case k_pt_phdr:
            // gABI: PT_PHDR may occur at most once and must precede every
            // loadable segment entry.
            if (has_phdr)
                return no_exec("more than one PT_PHDR");
            if (image.m_load_count > 0)
                return no_exec("PT_PHDR after a PT_LOAD");
            has_phdr = true;
            image.m_has_phdr_vaddr = true;
            image.m_phdr_vaddr = ph.vaddr;
            break;
        case k_pt_gnu_stack:
            if (image.m_has_gnu_stack)
                return no_exec("more than one PT_GNU_STACK");
            image.m_has_gnu_stack = true;
            image.m_stack_flags = ph.flags & (k_pf_r | k_pf_w | k_pf_x);
            break;
        case k_pt_tls:
            if (image.m_has_tls)
                return no_exec("more than one PT_TLS");
            image.m_tls = TRY(check_segment(ph, size));
            image.m_has_tls = true;
            break;
        default:
            break; // PT_DYNAMIC, PT_NOTE, PT_GNU_RELRO...: nothing for the kernel
        }
    }

    if (image.m_load_count == 0)
        return no_exec("no PT_LOAD segments");
    bool entry_ok = false;
    for (usize i = 0; i < image.m_load_count; ++i) {
        const Segment& s = image.m_loads[i];
        if (s.executable() && image.m_entry >= s.vaddr && image.m_entry < s.end())
            entry_ok = true;
    }
    if (!entry_ok)
        return no_exec("entry point is not in an executable PT_LOAD segment");
    return image;
}

Result<void> Image::check_user_range(u64 limit, u64 bias) const
{
    if (bias != 0 && !is_position_independent())
        return make_error(Errno::einval, "load bias for a fixed-address (ET_EXEC) image");
    if ((bias & (m_max_align - 1)) != 0)
        return make_error(Errno::einval, "load bias is not a multiple of the segments' p_align");
    // Segments are sorted and non-overlapping, so checking the span's ends
    // checks every one of them.
    u64 end;
    if (__builtin_add_overflow(max_vaddr(), bias, &end) || end > limit)
        return no_exec("executable does not fit below the user address limit");
    return {};
}

} // namespace lib::elf

#undef MYRIAD_FIELD
