// Pointer arguments and the structs they point at (see args.h). The
// valid ones point into the worker's scratch area, which holds nothing the
// worker needs, so whatever the kernel writes there is harmless.
#include "args.h"

#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/mman.h>

namespace fuzz {

namespace {

// Sv39: user addresses end at 0x4000000000; the kernel half starts at
// 0xffffffc000000000; everything between is non-canonical (privileged
// spec, "Sv39: Page-Based 39-bit Virtual-Memory System").
constexpr std::uint64_t k_user_top = 0x4000000000;
constexpr std::uint64_t k_kernel_addresses[] = {
    0xffffffc000000000, 0xffffffd800000000, 0xffffffff80000000, 0xffffffff80200000, 0xfffffffffffff000,
    0xffffffffffffffff, 0x8000000000000000, k_user_top, 0x0000004000001000, 0x00007ffffffff000,
};
// The last bytes below the top of user space, so that a buffer crosses
// into the non-canonical hole; and the top of the mmap area.
constexpr std::uint64_t k_crossing[] = {
    k_user_top - 1, k_user_top - 8, k_user_top - 64, k_user_top - 4096, k_user_top - 4097,
    0x3fc0000000 - 8, 0x3fc0000000 - 1, 0x3fbffff000,
};

const char k_read_only_string[] = "a string in .rodata";

std::uint64_t scratch_pointer(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    std::size_t offset;
    unsigned roll = unsigned(rng.below(100));
    if (roll < 50)
        offset = rng.below(ctx.scratch_size);
    else if (roll < 80) // near a page end: small buffers cross into the next page
        offset = (rng.below(ctx.scratch_size / k_page) + 1) * k_page - 1 - rng.below(64);
    else // near the end of scratch: lengths run into the guard page
        offset = ctx.scratch_size - 1 - rng.below(256);
    return reinterpret_cast<std::uint64_t>(ctx.scratch + offset);
}

std::uint64_t unmapped_pointer(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::uint64_t values[] = {8, 0xfff, 0x1000, 0x3fc0001000, 0x1000000000};
    if (rng.chance(50))
        return rng.pick(values);
    // Some page in the lower half, but never in the shared regions.
    std::uint64_t p = (rng.below(k_user_top / k_page)) * k_page;
    return overlaps_forbidden(p, k_page) ? 0x1000 : p;
}

std::uint64_t mapping_pointer(WorkerContext& ctx)
{
    if (ctx.mappings.empty())
        return scratch_pointer(ctx);
    const Mapping& m = ctx.rng.pick(ctx.mappings);
    return m.start + ctx.rng.below(m.length + 1);
}

std::uint64_t string_pointer(WorkerContext& ctx, std::size_t length)
{
    std::uint8_t* p = scratch_bytes(ctx, length + 1);
    for (std::size_t i = 0; i < length; ++i)
        p[i] = std::uint8_t('a' + ctx.rng.below(26));
    p[length] = 0;
    return reinterpret_cast<std::uint64_t>(p);
}

std::uint64_t fill_words(WorkerContext& ctx, std::size_t words)
{
    auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, words * 8));
    for (std::size_t i = 0; i < words; ++i)
        p[i] = interesting_integer(ctx);
    return reinterpret_cast<std::uint64_t>(p);
}

std::uint64_t sigset_value(WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    constexpr std::uint64_t values[] = {0, ~0ull, 1ull << (SIGUSR1 - 1), 1ull << (SIGCHLD - 1), 1ull << (SIGKILL - 1)};
    std::uint64_t set = rng.chance(50) ? rng.pick(values) : rng.next();
    // SIGALRM is what interrupts the worker's blocking calls: keep it
    // deliverable nearly always (else the worker sleeps to its deadline;
    // now and then it should, so that SIGKILL is tried on a sleeper).
    if (!rng.one_in(500))
        set &= ~(1ull << (SIGALRM - 1));
    return set;
}

// Points at a fresh struct most of the time, else at something bad.
template<typename Fill>
std::uint64_t struct_or_bad(WorkerContext& ctx, bool kernel_writes, Fill fill)
{
    if (ctx.rng.chance(80))
        return fill();
    return bad_pointer(ctx, kernel_writes);
}

void empty_handler(int) {}

// An argv or envp far past ARG_MAX: the first half of scratch holds up to
// 4 096 pointers, all to one string of up to 32 KiB in the second half
// (up to 128 MiB of arguments). execve must say E2BIG, not run out of
// kernel memory or stack.
std::uint64_t huge_vector(WorkerContext& ctx)
{
    std::size_t half = ctx.scratch_size / 2;
    std::size_t length = 1 + ctx.rng.below(half - 1);
    std::memset(ctx.scratch + half, 'v', length);
    ctx.scratch[half + length] = 0;
    auto* vector = reinterpret_cast<std::uint64_t*>(ctx.scratch);
    std::size_t count = 1 + ctx.rng.below(half / 8 - 1);
    for (std::size_t i = 0; i < count; ++i)
        vector[i] = reinterpret_cast<std::uint64_t>(ctx.scratch + half);
    vector[count] = 0;
    return reinterpret_cast<std::uint64_t>(vector);
}

} // namespace

std::uint8_t* scratch_bytes(WorkerContext& ctx, std::size_t size)
{
    if (size >= ctx.scratch_size)
        size = ctx.scratch_size;
    std::size_t offset = ctx.rng.below(ctx.scratch_size - size + 1);
    if (ctx.rng.chance(60))
        offset &= ~std::size_t(7);
    return ctx.scratch + offset;
}

std::uint64_t bad_pointer(WorkerContext& ctx, bool kernel_writes)
{
    Rng& rng = ctx.rng;
    switch (rng.below(kernel_writes ? 6 : 5)) {
    case 0: return 0;
    case 1: return unmapped_pointer(ctx);
    case 2: return rng.pick(k_kernel_addresses) + (rng.chance(20) ? rng.below(4096) : 0);
    case 3: return rng.pick(k_crossing);
    case 4: return scratch_pointer(ctx) | 1 | rng.below(8); // misaligned
    default: // read-only: the program's text and rodata
        return rng.chance(50) ? reinterpret_cast<std::uint64_t>(&empty_handler)
                              : reinterpret_cast<std::uint64_t>(k_read_only_string);
    }
}

std::uint64_t any_pointer(WorkerContext& ctx, bool kernel_writes)
{
    unsigned roll = unsigned(ctx.rng.below(100));
    if (roll < 62)
        return scratch_pointer(ctx);
    if (roll < 70)
        return mapping_pointer(ctx);
    return bad_pointer(ctx, kernel_writes);
}

std::uint64_t generate_pointer(Arg kind, WorkerContext& ctx)
{
    Rng& rng = ctx.rng;
    switch (kind) {
    case Arg::path: return generate_path(ctx);
    case Arg::buf_in:
        if (rng.chance(30)) { // something the kernel would parse: printable, terminated
            std::uint64_t p = string_pointer(ctx, rng.below(64));
            return p;
        }
        return any_pointer(ctx, false);
    case Arg::buf_out: return any_pointer(ctx, true);
    case Arg::struct_in: return struct_or_bad(ctx, false, [&] { return fill_words(ctx, 16); });
    case Arg::sigset:
        return struct_or_bad(ctx, false, [&] {
            auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, 16));
            p[0] = sigset_value(ctx);
            p[1] = rng.next();
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::sigaction:
        return struct_or_bad(ctx, false, [&] {
            // The kernel's struct sigaction on riscv64 (no sa_restorer):
            // handler, flags, mask.
            auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, 24));
            const std::uint64_t handlers[] = {0 /* SIG_DFL */, 1 /* SIG_IGN */,
                                              reinterpret_cast<std::uint64_t>(&empty_handler),
                                              reinterpret_cast<std::uint64_t>(&empty_handler),
                                              bad_pointer(ctx, false), 2};
            p[0] = rng.pick(handlers);
            const std::uint64_t flags[] = {0, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_SIGINFO, SA_ONSTACK,
                                           SA_NOCLDSTOP, SA_NOCLDWAIT, 0x04000000 /* SA_RESTORER */, ~0ull};
            p[1] = rng.pick(flags) | (rng.chance(30) ? rng.pick(flags) : 0);
            p[2] = sigset_value(ctx);
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::timespec:
        return struct_or_bad(ctx, false, [&] {
            auto* p = reinterpret_cast<std::int64_t*>(scratch_bytes(ctx, 16));
            constexpr std::int64_t seconds[] = {0, 0, 0, 1, -1, 0x7fffffffffffffff, INT64_MIN, 0x100000000};
            constexpr std::int64_t nanos[] = {0, 1, 1000, 10000000, 999999999, 1000000000, -1, 0x7fffffffffffffff};
            p[0] = rng.pick(seconds);
            p[1] = rng.pick(nanos);
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::itimerval:
        return struct_or_bad(ctx, false, [&] {
            auto* p = reinterpret_cast<std::int64_t*>(scratch_bytes(ctx, 32));
            constexpr std::int64_t seconds[] = {0, 0, 0, 1, -1, 0x7fffffffffffffff};
            constexpr std::int64_t micros[] = {0, 1, 1000, 20000, 999999, 1000000, -1};
            for (int i = 0; i < 4; ++i)
                p[i] = i % 2 == 0 ? rng.pick(seconds) : rng.pick(micros);
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::iovec:
        return struct_or_bad(ctx, false, [&] {
            std::size_t count = 1 + rng.below(8);
            auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, count * 16));
            for (std::size_t i = 0; i < count; ++i) {
                std::uint64_t base = any_pointer(ctx, true);
                std::uint64_t length = rng.chance(70) ? rng.below(4097) : length_value(ctx);
                p[2 * i] = base; // written before the length: p may alias what any_pointer filled
                p[2 * i + 1] = length;
            }
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::rlimit:
        return struct_or_bad(ctx, false, [&] {
            auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, 16));
            constexpr std::uint64_t values[] = {0, 1, 3, 64, 4096, 1 << 20, 8 << 20, ~0ull /* RLIM_INFINITY */};
            p[0] = rng.pick(values);
            p[1] = rng.chance(70) ? ~0ull : rng.pick(values);
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::argv:
        if (rng.one_in(20))
            return huge_vector(ctx);
        return struct_or_bad(ctx, false, [&] {
            std::size_t count = rng.below(6);
            auto* p = reinterpret_cast<std::uint64_t*>(scratch_bytes(ctx, (count + 1) * 8));
            for (std::size_t i = 0; i < count; ++i)
                p[i] = rng.chance(80) ? string_pointer(ctx, rng.chance(90) ? rng.below(16) : rng.below(5000))
                                      : bad_pointer(ctx, false);
            p[count] = rng.chance(95) ? 0 : rng.next(); // sometimes no terminator
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::pollfds:
        return struct_or_bad(ctx, true, [&] {
            std::size_t count = 1 + rng.below(8);
            auto* p = reinterpret_cast<pollfd*>(scratch_bytes(ctx, count * sizeof(pollfd)));
            for (std::size_t i = 0; i < count; ++i) {
                p[i].fd = int(generate_scalar(Arg::fd, ctx));
                p[i].events = short(rng.chance(80) ? (POLLIN | POLLOUT | POLLPRI) & rng.next() : rng.next());
                p[i].revents = short(rng.next());
            }
            return reinterpret_cast<std::uint64_t>(p);
        });
    case Arg::fdset:
        return rng.chance(20) ? 0 : struct_or_bad(ctx, true, [&] { return fill_words(ctx, 16); });
    case Arg::map_addr: {
        unsigned roll = unsigned(rng.below(100));
        std::uint64_t a;
        if (roll < 40 && !ctx.mappings.empty()) {
            const Mapping& m = rng.pick(ctx.mappings);
            a = m.start + (rng.chance(70) ? rng.below(m.length / k_page + 1) * k_page : rng.below(m.length + 1));
        } else if (roll < 60)
            a = 0;
        else if (roll < 79)
            a = unmapped_pointer(ctx) & ~0xfffull;
        else if (roll < 80 && rng.one_in(4)) // our own text: mprotect/munmap here ends the worker, as it should
            a = reinterpret_cast<std::uint64_t>(&empty_handler) & ~0xfffull;
        else if (roll < 88)
            a = rng.pick(k_crossing) & (rng.chance(80) ? ~0xfffull : ~0ull);
        else if (roll < 94)
            a = rng.pick(k_kernel_addresses);
        else
            a = unmapped_pointer(ctx) + 1 + rng.below(4095);
        return overlaps_forbidden(a, k_page) ? 0 : a;
    }
    case Arg::cpumask: return cpumask(ctx);
    case Arg::futex_word: return futex_word(ctx);
    case Arg::robust_head: return robust_list(ctx);
    case Arg::clone3_args: return clone3_struct(ctx);
    case Arg::map_len: {
        constexpr std::uint64_t values[] = {0, 1, 4095, 4097, 1 << 20, 1 << 21, 64 << 20, 1ull << 30,
                                            1ull << 40, ~0ull - 4095, ~0ull, 0x7ffffffff000};
        return rng.chance(70) ? (1 + rng.below(16)) * k_page : rng.pick(values);
    }
    default: return interesting_integer(ctx);
    }
}

} // namespace fuzz
