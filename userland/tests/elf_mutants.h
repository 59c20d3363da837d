// Malformed executables made from a real one (bin/exec_probe, a static
// glibc program): one damage per mutant, each a class of bad ELF that
// execve must refuse before it touches the caller (exec_tests_bad.cpp, and
// the refused-exec leak case in leak_tests.cpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

namespace elf_mutants {

struct Mutant {
    const char* name;
    int expected_errno;
    std::function<void(std::vector<unsigned char>&)> damage;
};

inline Elf64_Ehdr& header(std::vector<unsigned char>& f) { return *reinterpret_cast<Elf64_Ehdr*>(f.data()); }

inline Elf64_Phdr& phdr(std::vector<unsigned char>& f, int index)
{
    return reinterpret_cast<Elf64_Phdr*>(f.data() + header(f).e_phoff)[index];
}

// Index of the first (which = 0) or last (which = -1) PT_LOAD.
inline int load_index(std::vector<unsigned char>& f, int which)
{
    int found = -1;
    for (int i = 0; i < header(f).e_phnum; ++i) {
        if (phdr(f, i).p_type != PT_LOAD)
            continue;
        found = i;
        if (which == 0)
            break;
    }
    return found;
}

inline int index_of_type(std::vector<unsigned char>& f, uint32_t type)
{
    for (int i = 0; i < header(f).e_phnum; ++i)
        if (phdr(f, i).p_type == type)
            return i;
    return -1;
}

// Sv39: user space ends at 256 GiB; the kernel half starts at 0xffffffc0'00000000.
constexpr uint64_t k_user_end = 0x4000000000ull;
constexpr uint64_t k_kernel_half = 0xffffffc000000000ull;

inline std::vector<Mutant> all()
{
    using F = std::vector<unsigned char>;
    auto last = [](F& f) -> Elf64_Phdr& { return phdr(f, load_index(f, -1)); };
    auto first = [](F& f) -> Elf64_Phdr& { return phdr(f, load_index(f, 0)); };
    return {
        {"empty file", ENOEXEC, [](F& f) { f.clear(); }},
        {"bad magic", ENOEXEC, [](F& f) { f[EI_MAG1] = 'X'; }},
        {"ELFCLASS32", ENOEXEC, [](F& f) { f[EI_CLASS] = ELFCLASS32; }},
        {"big-endian", ENOEXEC, [](F& f) { f[EI_DATA] = ELFDATA2MSB; }},
        {"e_version 2", ENOEXEC, [](F& f) { header(f).e_version = 2; }},
        {"ET_REL", ENOEXEC, [](F& f) { header(f).e_type = ET_REL; }},
        {"ET_CORE", ENOEXEC, [](F& f) { header(f).e_type = ET_CORE; }},
        {"EM_X86_64", ENOEXEC, [](F& f) { header(f).e_machine = EM_X86_64; }},
        {"e_phentsize 32", ENOEXEC, [](F& f) { header(f).e_phentsize = 32; }},
        {"e_phnum 0", ENOEXEC, [](F& f) { header(f).e_phnum = 0; }},
        {"e_phnum 0xffff", ENOEXEC, [](F& f) { header(f).e_phnum = 0xffff; }},
        {"e_phoff past EOF", ENOEXEC, [](F& f) { header(f).e_phoff = f.size(); }},
        {"e_phoff wraps", ENOEXEC, [](F& f) { header(f).e_phoff = ~uint64_t(0) - 8; }},
        {"truncated in the program headers", ENOEXEC, [](F& f) { f.resize(header(f).e_phoff + 20); }},
        {"truncated in a segment", ENOEXEC, [last](F& f) { f.resize(last(f).p_offset + last(f).p_filesz / 2); }},
        {"p_filesz > p_memsz", ENOEXEC, [first](F& f) { first(f).p_filesz = first(f).p_memsz + 1; }},
        {"p_offset past EOF", ENOEXEC,
         [last](F& f) { last(f).p_offset += (f.size() + 0x10000) & ~uint64_t(0xffff); }},
        {"p_filesz near 2^64", ENOEXEC, [last](F& f) { last(f).p_filesz = ~uint64_t(0) - 4095; }},
        {"segment in the kernel half", ENOEXEC,
         [last](F& f) { last(f).p_vaddr = k_kernel_half + (last(f).p_vaddr & 0xfff); }},
        {"segment across the end of user space", ENOEXEC,
         [last](F& f) {
             last(f).p_vaddr = k_user_end - 0x1000 + (last(f).p_vaddr & 0xfff);
             last(f).p_memsz = 0x10000;
         }},
        {"segment wraps the address space", ENOEXEC,
         [last](F& f) {
             last(f).p_vaddr = 0xfffffffffffff000ull + (last(f).p_vaddr & 0xfff);
             last(f).p_memsz = 0x10000;
         }},
        {"p_align not a power of two", ENOEXEC, [first](F& f) { first(f).p_align = 0x3000; }},
        {"p_vaddr and p_offset disagree modulo p_align", ENOEXEC, [first](F& f) { first(f).p_vaddr += 8; }},
        {"overlapping PT_LOADs", ENOEXEC, [first, last](F& f) { last(f).p_vaddr = first(f).p_vaddr; }},
        {"entry outside every executable segment", ENOEXEC, [](F& f) { header(f).e_entry = 0; }},
        // Linux reads the path up to the first NUL ("\177ELF\2\1\1" here)
        // and looks that file up: ENOENT.
        {"PT_INTERP that is not a path", ENOENT,
         [](F& f) {
             Elf64_Phdr& p = phdr(f, index_of_type(f, PT_GNU_STACK));
             p.p_type = PT_INTERP;
             p.p_offset = 0;
             p.p_filesz = 16; // e_ident: NULs inside, the last byte one
         }},
        // Valid to the ELF parser, but its file offset is not page-aligned
        // with its address, so it cannot be mapped: EINVAL, as Linux's
        // mmap of the segment (which Linux hits past the point of no return
        // and kills the caller).
        {"segment not mappable at a page offset", EINVAL,
         [last](F& f) {
             last(f).p_align = 1;
             last(f).p_vaddr += 8;
         }},
    };
}

// The bytes of a file, or empty.
inline std::vector<unsigned char> read_file(const std::string& path)
{
    std::vector<unsigned char> out;
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0)
        return out;
    unsigned char chunk[65536];
    for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) > 0;)
        out.insert(out.end(), chunk, chunk + n);
    close(fd);
    return out;
}

// Writes an executable file (mode 0755); false on failure.
inline bool write_file(const std::string& path, const std::vector<unsigned char>& bytes)
{
    unlink(path.c_str());
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0)
        return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0)
            break;
        done += size_t(n);
    }
    close(fd);
    return done == bytes.size();
}

} // namespace elf_mutants
