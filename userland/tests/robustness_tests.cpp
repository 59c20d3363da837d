// The `robustness` group: what a hostile program tried against the kernel
// (each case once crashed, corrupted or drained Myriad): symlink loops at
// every call that takes a path, links nested as deep as Linux allows,
// /proc refusing what Linux refuses, brk at the top of the address range.
// Every case must behave as under Linux (they also run under qemu-user).
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <csetjmp>
#include <csignal>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::put;
using files_test::scratch;

// `loop` names itself: every call that walks "loop/x", or follows "loop",
// gives ELOOP. Each of these once overflowed Myriad's kernel stack
// (resolution recursed with a path buffer per level).
void symlink_loop_is_eloop_everywhere(Test& t)
{
    ASSERT_EQ(symlink("loop", "loop"), 0);
    ASSERT_EQ(symlink("pong", "ping"), 0);
    ASSERT_EQ(symlink("ping", "pong"), 0);
    ASSERT(put("file", "f"));
    char buffer[100];
    struct stat st {};
    for (const char* bad : {"loop/x", "ping/x", "pong/x/y/z"}) {
        std::string p = bad;
        EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, p.c_str(), buffer, sizeof buffer), ELOOP);
        EXPECT_ERRNO(linkat(AT_FDCWD, p.c_str(), AT_FDCWD, "new", 0), ELOOP);
        EXPECT_ERRNO(linkat(AT_FDCWD, "file", AT_FDCWD, (p + "/new").c_str(), 0), ELOOP);
        EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, p.c_str(), AT_FDCWD, "y", 0), ELOOP);
        EXPECT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "file", AT_FDCWD, (p + "/y").c_str(), 0), ELOOP);
        EXPECT_ERRNO(symlinkat("target", AT_FDCWD, (p + "/new").c_str()), ELOOP);
        EXPECT_ERRNO(mkdirat(AT_FDCWD, (p + "/d").c_str(), 0755), ELOOP);
        EXPECT_ERRNO(unlinkat(AT_FDCWD, (p + "/d").c_str(), 0), ELOOP);
        EXPECT_ERRNO(openat(AT_FDCWD, p.c_str(), O_RDONLY), ELOOP);
        EXPECT_ERRNO(fstatat(AT_FDCWD, p.c_str(), &st, 0), ELOOP);
        EXPECT_ERRNO(chdir(p.c_str()), ELOOP);
        EXPECT_ERRNO(truncate(p.c_str(), 0), ELOOP);
        EXPECT_ERRNO(faccessat(AT_FDCWD, p.c_str(), R_OK, 0), ELOOP);
    }
    EXPECT_ERRNO(linkat(AT_FDCWD, "loop", AT_FDCWD, "new", AT_SYMLINK_FOLLOW), ELOOP);
    EXPECT_ERRNO(open("ping", O_RDONLY), ELOOP);
    EXPECT_ERRNO(open("loop/", O_RDONLY), ELOOP);
    // Not following the last link is fine.
    EXPECT_EQ(readlink("loop", buffer, sizeof buffer), 4);
    EXPECT_EQ(linkat(AT_FDCWD, "loop", AT_FDCWD, "hard", 0), 0);
    EXPECT_EQ(fstatat(AT_FDCWD, "ping", &st, AT_SYMLINK_NOFOLLOW), 0);
}

// n0 -> "dir"; nK -> "n(K-1)/." : following nK nests K more links inside
// it. 40 links in one lookup are allowed (Linux's MAXSYMLINKS), 41 not;
// a lookup through 40 nested links must not exhaust the kernel stack.
void nested_links_up_to_forty(Test& t)
{
    ASSERT_EQ(mkdir("dir", 0755), 0);
    ASSERT(put("dir/f", "deep"));
    ASSERT_EQ(symlink("dir", "n0"), 0);
    for (int k = 1; k <= 40; ++k) {
        std::string body = "n" + std::to_string(k - 1) + "/.";
        ASSERT_EQ(symlink(body.c_str(), ("n" + std::to_string(k)).c_str()), 0);
    }
    // n39/f follows n39, n38, ..., n0: 40 links.
    int fd = open("n39/f", O_RDONLY);
    EXPECT(fd >= 0);
    if (fd >= 0) {
        char text[8] = {};
        EXPECT_EQ(read(fd, text, sizeof text), 4);
        EXPECT_EQ(std::string(text), std::string("deep"));
        close(fd);
    }
    EXPECT_ERRNO(open("n40/f", O_RDONLY), ELOOP);
    // A chain of plain links: c0 -> "dir/f", cK -> c(K-1).
    ASSERT_EQ(symlink("dir/f", "c0"), 0);
    for (int k = 1; k <= 40; ++k)
        ASSERT_EQ(symlink(("c" + std::to_string(k - 1)).c_str(), ("c" + std::to_string(k)).c_str()), 0);
    struct stat st {};
    EXPECT_EQ(stat("c39", &st), 0);
    EXPECT_ERRNO(stat("c40", &st), ELOOP);
    // A link to a file used as a directory, or with a trailing slash.
    EXPECT_ERRNO(open("c0/", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(open("c3/x", O_RDONLY), ENOTDIR);
    EXPECT_EQ(stat("n5/", &st), 0);
    EXPECT(S_ISDIR(st.st_mode));
}

// /proc takes no new names, loses none, and nothing moves across its
// edge (as Linux, where it is a filesystem of its own; errors as for
// root, which everyone is under Myriad). Moving a directory tree into
// /proc once made it vanish without being freed.
void proc_refuses_changes(Test& t)
{
    if (geteuid() != 0)
        SKIP("the errors checked are root's (Myriad runs everything as root)");
    ASSERT_EQ(mkdir("q", 0755), 0);
    ASSERT(put("q/f", std::string(65536, 'q')));
    EXPECT_ERRNO(rename("q", "/proc/77777"), EXDEV);
    EXPECT_ERRNO(rename("q", "/proc/meminfo"), EXDEV);
    EXPECT_ERRNO(rename("/proc/meminfo", "m"), EXDEV);
    EXPECT_ERRNO(rename("/proc/meminfo", "/proc/meminfo2"), ENOENT);
    struct stat st {};
    EXPECT_ERRNO(stat("/proc/77777", &st), ENOENT);
    EXPECT_EQ(stat("q/f", &st), 0);
    EXPECT_EQ(st.st_size, 65536);
    EXPECT_ERRNO(unlink("/proc/meminfo"), EPERM);
    EXPECT_ERRNO(unlink("/proc/self"), EPERM);
    EXPECT_ERRNO(unlink("/proc/self/stat"), EPERM);
    EXPECT_ERRNO(rmdir("/proc/1"), EPERM);
    EXPECT_ERRNO(rmdir("/proc/self"), ENOTDIR);
    EXPECT_ERRNO(rmdir("/proc"), EBUSY);
    EXPECT_ERRNO(mkdir("/proc/newdir", 0755), ENOENT);
    EXPECT_ERRNO(mkdir("/proc/self/newdir", 0755), ENOENT);
    EXPECT_ERRNO(mkdir("/proc/meminfo", 0755), EEXIST);
    EXPECT_ERRNO(open("/proc/newfile", O_CREAT | O_WRONLY, 0644), ENOENT);
    EXPECT_ERRNO(open("/proc/self/newfile", O_CREAT | O_WRONLY, 0644), ENOENT);
    EXPECT_ERRNO(open("/proc/meminfo", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    EXPECT_ERRNO(symlink("x", "/proc/newlink"), ENOENT);
    EXPECT_ERRNO(link("/proc/meminfo", "/proc/ml"), ENOENT);
    EXPECT_ERRNO(link("/proc/meminfo", "ml"), EXDEV);
    EXPECT_ERRNO(link("q/f", "/proc/ml"), ENOENT);
    // Root may open a /proc file for writing and truncate it: nothing
    // changes, and writing is an I/O error.
    int fd = open("/proc/meminfo", O_RDWR | O_TRUNC);
    EXPECT(fd >= 0);
    if (fd >= 0) {
        EXPECT_ERRNO(write(fd, "x", 1), EIO);
        EXPECT_EQ(ftruncate(fd, 0), 0);
        char text[16] = {};
        EXPECT_EQ(read(fd, text, 9), 9);
        EXPECT_EQ(std::string(text), std::string("MemTotal:"));
        close(fd);
    }
    EXPECT_EQ(truncate("/proc/uptime", 0), 0);
    fd = open("/proc/uptime", O_RDONLY);
    char up[32] = {};
    EXPECT(fd >= 0 && read(fd, up, sizeof up - 1) > 3);
    close(fd);
    EXPECT_ERRNO(open("/proc", O_WRONLY), EISDIR);
}

// brk with an address at the top of the range (which once rounded up to 0
// and unmapped the caller's program) leaves the break where it is.
void brk_at_the_top_keeps_the_break(Test& t)
{
    long start = syscall(SYS_brk, 0);
    ASSERT(start > 0);
    for (unsigned long bad : {ULONG_MAX, ULONG_MAX - 4095, ULONG_MAX / 2, 1ul << 63, 0x4000000000ul, 1ul})
        EXPECT_EQ(syscall(SYS_brk, bad), start);
    // Still alive, the program and its heap intact. (qemu-user 7.2 keeps
    // a static program's break where it is: glibc then mallocs with mmap.)
    long grown = syscall(SYS_brk, start + 8192);
    if (platform().myriad)
        EXPECT_EQ(grown, start + 8192);
    if (grown == start + 8192) {
        static_cast<char*>(reinterpret_cast<void*>(start))[8191] = 1;
        EXPECT_EQ(syscall(SYS_brk, start), start);
    }
    void* p = std::malloc(1 << 20);
    EXPECT(p != nullptr);
    std::free(p);
}

// --- fork and the mmap family ------------------------------------------------

constexpr size_t k_page = 4096;
// Fixed places, each in 2 MiB blocks of its own (leaf tables are shared
// between forked spaces a block at a time).
const uintptr_t k_area = 0x2000000000;          // private, 8 MiB: children cut it up
const uintptr_t k_elsewhere = 0x2100000000;     // where children move pieces to
const uintptr_t k_shared = 0x2200000000;        // MAP_SHARED | MAP_ANONYMOUS, 4 pages
constexpr size_t k_area_pages = 2048;
constexpr size_t k_canary_words = k_page / sizeof(uint64_t);

uint64_t canary(uintptr_t address) { return address * 0x9e3779b97f4a7c15ull ^ 0x5a5a; }

sigjmp_buf g_fault_jump;
void on_fault(int) { siglongjmp(g_fault_jump, 1); }

// Writes that may fault (nothing mapped there, or not writable).
[[gnu::noinline]] void try_store(volatile uint64_t* p, uint64_t value)
{
    if (sigsetjmp(g_fault_jump, 1) == 0)
        *p = value;
}

[[gnu::noinline]] void try_write(volatile char* p, char value)
{
    if (sigsetjmp(g_fault_jump, 1) == 0)
        *p = value;
}

// One child's random walk over the mmap family on the area it inherited
// (and in a grandchild now and then), writing through whatever is mapped
// and into the first three pages of the shared block.
int mmap_family_walk(unsigned seed, int steps)
{
    std::mt19937_64 random(seed);
    auto pick = [&](size_t n) { return size_t(random() % n); };
    struct sigaction sa {};
    sa.sa_handler = on_fault;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    auto* shared = reinterpret_cast<volatile uint64_t*>(k_shared);
    const long heap_base = syscall(SYS_brk, 0);
    for (int step = 0; step < steps; ++step) {
        size_t first = pick(k_area_pages), count = 1 + pick(64);
        auto* at = reinterpret_cast<char*>(k_area + first * k_page);
        size_t length = count * k_page;
        auto* in_shared = reinterpret_cast<char*>(k_shared + pick(4) * k_page);
        size_t shared_length = (1 + pick(4)) * k_page;
        switch (pick(16)) {
        case 0:
            mmap(at, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            break;
        case 1: munmap(at, length); break;
        case 2: mprotect(at, length, int(pick(8)) & (PROT_READ | PROT_WRITE)); break;
        case 3: madvise(at, length, MADV_DONTNEED); break;
        case 4: mremap(at, length, length / 2 + k_page, 0); break;
        case 5: mremap(at, length, length * 2, MREMAP_MAYMOVE); break;
        case 6:
            mremap(at, length, length, MREMAP_MAYMOVE | MREMAP_FIXED,
                   reinterpret_cast<void*>(k_elsewhere + pick(k_area_pages) * k_page));
            break;
        case 7:
            if (pick(4) == 0) {
                pid_t pid = fork();
                if (pid == 0)
                    _exit(mmap_family_walk(unsigned(random()), 20));
                if (pid > 0 && pick(2))
                    waitpid(pid, nullptr, 0); // else it runs beside us until the end
            }
            break;
        case 8:
            mmap(at, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            break;
        case 9:
            mremap(in_shared, shared_length, shared_length * 2, MREMAP_MAYMOVE | MREMAP_FIXED,
                   reinterpret_cast<void*>(k_elsewhere + pick(k_area_pages) * k_page));
            break;
        case 10: mremap(in_shared, shared_length, k_page, 0); break;
        case 11: munmap(in_shared, shared_length); break;
        case 12: mprotect(in_shared, shared_length, int(pick(8)) & (PROT_READ | PROT_WRITE)); break;
        case 13: madvise(in_shared, shared_length, MADV_DONTNEED); break;
        case 14: // grow and shrink the heap above what malloc already uses
            syscall(SYS_brk, heap_base + long(pick(64) * k_page));
            break;
        default:
            try_store(&shared[pick(3 * k_canary_words)], random());
            break;
        }
        // Write a few pages wherever something writable is mapped.
        for (int i = 0; i < 4; ++i) {
            try_write(reinterpret_cast<volatile char*>(k_area + pick(k_area_pages) * k_page + pick(k_page)), char(step));
        }
    }
    // No orphans: they would end during a later case (the leak checks).
    while (wait(nullptr) > 0 || errno == EINTR) {
    }
    return 0;
}

// Sizes near 2^64 once wrapped inside mremap: a read-only or shared
// region "grew in place" to an end below its start, and fork, exit and
// the fault handler then worked on a broken region list (leaf tables
// shared with a child left pointing at freed pages). Linux refuses a new
// size beyond the user address range with EINVAL.
void mremap_huge_sizes_are_refused(Test& t)
{
    if (!platform().myriad)
        SKIP("qemu-user 7.2 crashes on these mremap calls (Linux itself says EINVAL)");
    auto* ro = static_cast<char*>(mmap(nullptr, 2 * k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    auto* sh = static_cast<char*>(mmap(nullptr, 2 * k_page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT(ro != MAP_FAILED && sh != MAP_FAILED);
    sh[0] = 's';
    for (char* p : {ro, sh}) {
        for (unsigned long size : {0xfffffffffffff000ul, 0xffffffffffffe000ul, 1ul << 63, 1ul << 40}) {
            EXPECT_ERRNO(mremap(p, 2 * k_page, size, 0), EINVAL);
            EXPECT_ERRNO(mremap(p, 2 * k_page, size, MREMAP_MAYMOVE), EINVAL);
            EXPECT_ERRNO(mremap(p, 2 * k_page, size, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void*>(k_elsewhere)),
                         EINVAL);
        }
    }
    // The fuzzer's first find: a moved region reaching past the top of
    // user space (the signal trampoline's tables are up there).
    EXPECT_ERRNO(mremap(ro, 2 * k_page, 2 * k_page, MREMAP_MAYMOVE | MREMAP_FIXED,
                        reinterpret_cast<void*>(0x3ffffff000ul)),
                 EINVAL);
    // The regions are as they were: a child forks, reads both, and exits.
    pid_t pid = spawn([&] { return ro[k_page] == 0 && sh[0] == 's' ? 0 : 1; });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), std::string("exited with status 0"));
    EXPECT_EQ(munmap(ro, 2 * k_page), 0);
    EXPECT_EQ(munmap(sh, 2 * k_page), 0);
}

// Children fork from a parent with canaries in private memory and in the
// last page of a shared block, then cut up, move, protect and discard
// their inherited copies of the area while writing everywhere they can.
// The parent's memory must not change under it: leaf tables shared by
// fork once kept pointing at pages a child had freed (the page was then
// someone else's), and a page a child wrote could show up in the parent.
void fork_and_the_mmap_family_keep_memory_private(Test& t)
{
    auto* area = static_cast<uint64_t*>(mmap(reinterpret_cast<void*>(k_area), k_area_pages * k_page,
                                             PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    ASSERT(area != MAP_FAILED);
    auto* shared = static_cast<uint64_t*>(mmap(reinterpret_cast<void*>(k_shared), 4 * k_page, PROT_READ | PROT_WRITE,
                                               MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    ASSERT(shared != MAP_FAILED);
    // Every other page of the area touched (the rest stays unmapped in
    // the parent's tables), a canary word at the start of each.
    for (size_t i = 0; i < k_area_pages; i += 2)
        area[i * k_canary_words] = canary(k_area + i * k_page);
    uint64_t* last = shared + 3 * k_canary_words;
    for (size_t w = 0; w < k_canary_words; ++w)
        last[w] = canary(uintptr_t(&last[w]));
    auto check = [&](int round) {
        for (size_t i = 0; i < k_area_pages; i += 2)
            if (area[i * k_canary_words] != canary(k_area + i * k_page))
                return t.fail(__FILE_NAME__, __LINE__, "round " + std::to_string(round) + ": private page " +
                                                           std::to_string(i) + " of the parent changed");
        for (size_t w = 0; w < k_canary_words; ++w)
            if (last[w] != canary(uintptr_t(&last[w])))
                return t.fail(__FILE_NAME__, __LINE__, "round " + std::to_string(round) + ": shared canary word " +
                                                           std::to_string(w) + " changed");
    };
    // qemu-user delivers each SIGSEGV slowly: a shorter walk there.
    const int rounds = platform().myriad ? 16 : 2, steps = platform().myriad ? 150 : 40;
    for (int round = 0; round < rounds && !t.failed(); ++round) {
        pid_t pid = spawn([&] { return mmap_family_walk(unsigned(round * 7919 + 1), steps); });
        ASSERT(pid > 0);
        std::string how = describe_status(wait_for(pid));
        EXPECT_EQ(how, std::string("exited with status 0"));
        check(round);
    }
    munmap(area, k_area_pages * k_page);
    munmap(shared, 4 * k_page);
}

} // namespace

std::vector<Case> robustness_cases()
{
    return {
        {"symlink_loop_is_eloop_everywhere", scratch<symlink_loop_is_eloop_everywhere>},
        {"nested_links_up_to_forty", scratch<nested_links_up_to_forty>},
        {"proc_refuses_changes", scratch<proc_refuses_changes>},
        {"brk_at_the_top_keeps_the_break", brk_at_the_top_keeps_the_break},
        {"mremap_huge_sizes_are_refused", mremap_huge_sizes_are_refused},
        {"fork_and_the_mmap_family_keep_memory_private", fork_and_the_mmap_family_keep_memory_private, 120},
    };
}
