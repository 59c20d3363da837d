// libFuzzer harness for lib/elf: whatever parse() accepts must keep the
// promises execve relies on (kernel/exec.cpp): loads sorted and
// non-overlapping, file bytes inside the file, p_filesz <= p_memsz, the
// entry in an executable load, and, once check_user_range() passed, every
// page-rounded segment end inside user space without wrapping.
#include "fuzz_support.hpp"
#include "lib/elf.hpp"

#include <cstdint>

using namespace lib;
using namespace lib::elf;

namespace {

constexpr u64 k_page = 4096;
// Sv39 user space and the stack-top limits kernel/exec.cpp tries.
constexpr u64 k_user_limit = 0x4000000000ull;
constexpr u64 k_limits[] = {k_user_limit, 0x40000000ull - (8ull << 20), 0};

void check_segment(const Segment& s, usize size)
{
    FUZZ_CHECK(s.filesz <= s.memsz);
    FUZZ_CHECK(s.offset <= size && s.filesz <= size - s.offset);
    FUZZ_CHECK(s.vaddr + s.memsz >= s.vaddr);
    FUZZ_CHECK(s.align <= 1 || (s.align & (s.align - 1)) == 0);
}

usize index_of(const Image& image, u32 type)
{
    for (usize i = 0; i < image.phnum(); ++i)
        if (image.program_header(i).type == type)
            return i;
    return image.phnum();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = parse(data, size);
    if (parsed.is_error()) {
        FUZZ_CHECK(parsed.code() == Errno::enoexec);
        FUZZ_CHECK(parsed.error().what != nullptr);
        return 0;
    }
    const Image& image = parsed.value();
    FUZZ_CHECK(image.phnum() >= 1 && image.phnum() <= k_max_phnum);
    for (usize i = 0; i <= image.phnum(); ++i)
        (void)image.program_header(i);
    FUZZ_CHECK(image.load_count() >= 1 && image.load_count() <= k_max_load_segments);
    bool entry_found = false;
    for (usize i = 0; i < image.load_count(); ++i) {
        const Segment& s = image.load(i);
        check_segment(s, size);
        FUZZ_CHECK(s.memsz > 0);
        if (i > 0)
            FUZZ_CHECK(image.load(i - 1).end() <= s.vaddr);
        fuzz_touch(data + s.offset, s.filesz);
        if (s.executable() && image.entry() >= s.vaddr && image.entry() < s.end())
            entry_found = true;
    }
    FUZZ_CHECK(entry_found);
    // The loads are exactly the PT_LOAD headers that map something, in order.
    usize next_load = 0;
    for (usize i = 0; i < image.phnum(); ++i) {
        ProgramHeader ph = image.program_header(i);
        if (ph.type != k_pt_load || ph.memsz == 0)
            continue;
        FUZZ_CHECK(next_load < image.load_count());
        const Segment& s = image.load(next_load++);
        FUZZ_CHECK(s.vaddr == ph.vaddr && s.memsz == ph.memsz && s.offset == ph.offset && s.filesz == ph.filesz);
    }
    FUZZ_CHECK(next_load == image.load_count());
    // AT_PHDR, when known from a PT_LOAD, points into that load's file bytes.
    if (image.has_phdr_vaddr() && index_of(image, k_pt_phdr) == image.phnum()) {
        bool inside = false;
        for (usize i = 0; i < image.load_count(); ++i) {
            const Segment& s = image.load(i);
            inside = inside || (image.phdr_vaddr() >= s.vaddr && image.phdr_vaddr() - s.vaddr < s.filesz);
        }
        FUZZ_CHECK(inside);
    }
    FUZZ_CHECK(image.min_vaddr() <= image.max_vaddr());
    if (image.has_interp()) {
        FUZZ_CHECK(fuzz_inside(image.interp().data(), image.interp().length() + 1, data, size));
        FUZZ_CHECK(image.interp().find('\0') == image.interp().length());
    }
    if (image.has_tls())
        check_segment(image.tls(), size);
    (void)image.stack_executable();
    (void)image.has_phdr_vaddr();

    for (u64 limit : k_limits) {
        for (u64 bias : {u64(0), image.max_align(), u64(1) << 30, ~u64(0) & ~(image.max_align() - 1)}) {
            auto fits = image.check_user_range(limit, bias);
            if (fits.is_error())
                continue;
            FUZZ_CHECK(bias == 0 || image.is_position_independent());
            // What kernel/exec.cpp's load_segments() computes: page-rounded
            // ends that must neither wrap nor leave user space.
            for (usize i = 0; i < image.load_count(); ++i) {
                const Segment& s = image.load(i);
                u64 end = s.end() + bias;
                FUZZ_CHECK(end >= s.end() && end <= limit);
                u64 rounded = (end + k_page - 1) & ~(k_page - 1);
                FUZZ_CHECK(rounded >= end);
            }
        }
    }
    return 0;
}
