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
#include <fcntl.h>
#include <string>
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

} // namespace

std::vector<Case> robustness_cases()
{
    return {
        {"symlink_loop_is_eloop_everywhere", scratch<symlink_loop_is_eloop_everywhere>},
        {"nested_links_up_to_forty", scratch<nested_links_up_to_forty>},
        {"proc_refuses_changes", scratch<proc_refuses_changes>},
        {"brk_at_the_top_keeps_the_break", brk_at_the_top_keeps_the_break},
    };
}
