// The file-mapping sequence (see sequences.h).
#include "sequences.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fuzz {

long recorded_call(WorkerContext& ctx, Where where, long number, std::uint64_t a0, std::uint64_t a1, std::uint64_t a2,
                   std::uint64_t a3, std::uint64_t a4, std::uint64_t a5)
{
    const std::uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    CallRecord& record = ring_begin(*ctx.ring, where, number, args, ctx.who);
    std::uint32_t seq = record.seq;
    long r = syscall(number, a0, a1, a2, a3, a4, a5);
    r = r == -1 ? -errno : r;
    if (!(number == SYS_clone && r == 0)) // the record is shared: a fork's child leaves it to the parent
        ring_end(record, seq, r);
    return r;
}

namespace {

constexpr std::uint64_t k_page_size = 4096;

// What the child does with the mapping: reads and writes in and past the
// file's end (SIGBUS past it is the child's death, as on Linux), and
// changes to the mapping of its own.
[[noreturn]] void child_part(WorkerContext& ctx, std::uint8_t* map, std::uint64_t length, std::uint64_t file_size)
{
    Rng& rng = ctx.rng;
    Where c = Where::fork_child;
    for (int step = 0; step < 6; ++step) {
        std::uint64_t offset = rng.below(length);
        switch (rng.below(6)) {
        case 0: map[offset] = std::uint8_t(step); break; // may be past the end of the file
        case 1: static_cast<void>(*static_cast<volatile std::uint8_t*>(map + offset)); break;
        case 2: recorded_call(ctx, c, SYS_madvise, std::uint64_t(map), length, MADV_DONTNEED); break;
        case 3: recorded_call(ctx, c, SYS_mprotect, std::uint64_t(map), length, PROT_READ); break;
        case 4: recorded_call(ctx, c, SYS_munmap, std::uint64_t(map) + k_page_size, k_page_size); break;
        default:
            if (offset < file_size)
                map[offset] ^= 0x5a;
            break;
        }
    }
    _exit(0);
}

} // namespace

void run_file_mapping_sequence(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    Where w = Where::worker;
    std::string path = ctx.dir + "/seq";
    long fd = recorded_call(ctx, w, SYS_openat, std::uint64_t(AT_FDCWD), std::uint64_t(path.c_str()),
                            O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0)
        return;
    std::uint64_t pages = 1 + rng.below(8);
    std::uint64_t file_size = pages * k_page_size - (rng.chance(30) ? rng.below(k_page_size) : 0);
    recorded_call(ctx, w, SYS_ftruncate, std::uint64_t(fd), file_size);
    // The mapping may be longer than the file: the pages past its end are
    // there to fault (SIGBUS), in the child only.
    std::uint64_t length = (pages + rng.below(3)) * k_page_size;
    bool shared = rng.chance(60);
    long map = recorded_call(ctx, w, SYS_mmap, 0, length, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE,
                             std::uint64_t(fd), 0);
    if (map < 0 && map > -4096) {
        recorded_call(ctx, w, SYS_close, std::uint64_t(fd));
        return;
    }
    auto* bytes = reinterpret_cast<std::uint8_t*>(map);
    for (std::uint64_t off = 0; off < file_size; off += k_page_size)
        bytes[off] = std::uint8_t(off >> 12); // only inside the file: the worker must survive

    long child = recorded_call(ctx, w, SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child == 0)
        child_part(ctx, bytes, length, file_size);

    // Meanwhile the parent changes the file and the mapping under it.
    std::uint64_t smaller = rng.below(file_size + 1);
    switch (rng.below(5)) {
    case 0: recorded_call(ctx, w, SYS_ftruncate, std::uint64_t(fd), smaller); break;
    case 1: recorded_call(ctx, w, SYS_madvise, std::uint64_t(map), length, MADV_DONTNEED); break;
    case 2:
        map = recorded_call(ctx, w, SYS_mremap, std::uint64_t(map), length, length * 2, MREMAP_MAYMOVE);
        if (map < 0 && map > -4096)
            map = reinterpret_cast<long>(bytes); // not moved: still there
        else
            length *= 2;
        break;
    case 3: recorded_call(ctx, w, SYS_msync, std::uint64_t(map), length, MS_SYNC | MS_INVALIDATE); break;
    default: recorded_call(ctx, w, SYS_pwrite64, std::uint64_t(fd), std::uint64_t(path.c_str()), path.size(), 0); break;
    }
    if (child > 0) {
        int status = 0;
        while (waitpid(pid_t(child), &status, 0) < 0 && errno == EINTR) {
        }
    }
    recorded_call(ctx, w, SYS_munmap, std::uint64_t(map), length);
    recorded_call(ctx, w, SYS_close, std::uint64_t(fd));
    recorded_call(ctx, w, SYS_unlinkat, std::uint64_t(AT_FDCWD), std::uint64_t(path.c_str()), 0);
}

} // namespace fuzz
