// The `files` group, part 5: bad inputs -- bad descriptors, bad
// pointers, names and paths too long, paths through a file or a missing
// directory, descriptor exhaustion, symlink loops, readlink of a non-link.
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using namespace ut;
using files_test::contents;
using files_test::put;
using files_test::scratch;

using Call = std::pair<const char*, std::function<long()>>;

// The calls that do not fail with `error`, each with what it did
// instead; empty when all of them do.
std::string not_failing_with(int error, std::span<const Call> calls)
{
    std::string wrong;
    for (const auto& [name, call] : calls) {
        errno = 0;
        long r = call();
        if (r != -1 || errno != error)
            wrong += std::string(wrong.empty() ? "" : ", ") + name + " returned " + std::to_string(r) + " (" +
                     errno_name(errno) + ")";
    }
    return wrong;
}

void bad_fd_ebadf(Test& t)
{
    int closed = open(".", O_RDONLY);
    ASSERT(closed >= 0);
    ASSERT_EQ(close(closed), 0);
    char buffer[64];
    struct stat st {};
    for (int fd : {-1, closed, 999, INT_MAX}) {
        const Call calls[] = {
            {"read", [&] { return syscall(SYS_read, fd, buffer, sizeof buffer); }},
            {"write", [&] { return syscall(SYS_write, fd, "x", 1); }},
            {"close", [&] { return syscall(SYS_close, fd); }},
            {"fstat", [&] { return syscall(SYS_fstat, fd, &st); }},
            {"lseek", [&] { return long(lseek(fd, 0, SEEK_SET)); }},
            {"dup", [&] { return syscall(SYS_dup, fd); }},
            {"fcntl F_GETFD", [&] { return syscall(SYS_fcntl, fd, F_GETFD); }},
            {"fcntl F_GETFL", [&] { return syscall(SYS_fcntl, fd, F_GETFL); }},
            {"pread", [&] { return long(pread(fd, buffer, 1, 0)); }},
            {"ftruncate", [&] { return long(ftruncate(fd, 0)); }},
            {"getdents64", [&] { return syscall(SYS_getdents64, fd, buffer, sizeof buffer); }},
        };
        std::string wrong = not_failing_with(EBADF, calls);
        if (!wrong.empty())
            t.fail(__FILE_NAME__, __LINE__, "fd " + std::to_string(fd) + ": " + wrong + " (expected EBADF)");
    }
}

void bad_pointers_efault(Test& t)
{
    ASSERT(put("f", std::string(8192, 'f')));
    int fd = open("f", O_RDWR);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    ASSERT(fd >= 0 && dir >= 0);
    const int next_fd = dup(fd);
    close(next_fd);
    auto* low = reinterpret_cast<char*>(1);
    auto* kernel = reinterpret_cast<char*>(0xffffffc000000000UL); // Sv39 upper half
    struct stat st {};
    for (char* bad : {low, kernel}) {
        const Call calls[] = {
            {"read", [&] { return syscall(SYS_read, fd, bad, 10); }},
            {"write", [&] { return syscall(SYS_write, fd, bad, 10); }},
            {"pread", [&] { return long(pread(fd, bad, 10, 0)); }},
            {"pwrite", [&] { return long(pwrite(fd, bad, 10, 0)); }},
            {"openat", [&] { return syscall(SYS_openat, AT_FDCWD, bad, O_RDONLY); }},
            {"openat O_CREAT", [&] { return syscall(SYS_openat, AT_FDCWD, bad, O_CREAT | O_WRONLY, 0644); }},
            {"mkdirat", [&] { return syscall(SYS_mkdirat, AT_FDCWD, bad, 0755); }},
            {"unlinkat", [&] { return syscall(SYS_unlinkat, AT_FDCWD, bad, 0); }},
            {"chdir", [&] { return syscall(SYS_chdir, bad); }},
            {"newfstatat path", [&] { return syscall(SYS_newfstatat, AT_FDCWD, bad, &st, 0); }},
            {"newfstatat buffer", [&] { return syscall(SYS_newfstatat, AT_FDCWD, "f", bad, 0); }},
            {"fstat", [&] { return syscall(SYS_fstat, fd, bad); }},
            {"getcwd", [&] { return syscall(SYS_getcwd, bad, 100); }},
            {"getdents64", [&] { return syscall(SYS_getdents64, dir, bad, 100); }},
        };
        std::string wrong = not_failing_with(EFAULT, calls);
        if (!wrong.empty())
            t.fail(__FILE_NAME__, __LINE__,
                   "pointer " + show(static_cast<void*>(bad)) + ": " + wrong + " (expected EFAULT)");
    }
    EXPECT_EQ(syscall(SYS_read, fd, low, 0), 0); // nothing to copy, nothing checked
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
    EXPECT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_size, 8192); // the failed writes wrote nothing
    EXPECT_EQ(dup(fd), next_fd); // the failed opens left no descriptors behind
    close(next_fd);
    // pipe2 makes its descriptors before it copies their numbers out;
    // Linux takes them back when the copy fails (qemu-user does not).
    EXPECT_ERRNO(syscall(SYS_pipe2, low, 0), EFAULT);
    EXPECT_ERRNO(syscall(SYS_pipe2, kernel, 0), EFAULT);
    if (platform().myriad)
        EXPECT_EQ(dup(fd), next_fd);

    // A buffer whose second page is unmapped: Linux copies the first page
    // and returns the short count; all-or-nothing EFAULT (qemu-user) is
    // allowed too.
    auto* pages = static_cast<char*>(mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT(pages != MAP_FAILED);
    ASSERT_EQ(munmap(pages + 4096, 4096), 0);
    long n = syscall(SYS_read, fd, pages, 8192);
    int error = errno;
    EXPECT(n == 4096 || (n == -1 && error == EFAULT));
    if (n == 4096)
        EXPECT_EQ(std::string(pages, 4096), std::string(4096, 'f'));
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), n == 4096 ? 4096 : 0);
    munmap(pages, 4096);
    close(fd);
    close(dir);
}

// A path of exactly `length` bytes ("./././f" or "./././ff").
std::string path_of_length(size_t length)
{
    std::string path;
    while (length - path.size() > 2)
        path += "./";
    return path + std::string(length - path.size(), 'f');
}

void names_too_long_enametoolong(Test& t)
{
    // NAME_MAX is 255 bytes per component.
    const std::string longest(255, 'n'), too_long(256, 'n');
    int fd = open(longest.c_str(), O_CREAT | O_WRONLY, 0644);
    EXPECT(fd >= 0);
    close(fd);
    EXPECT_EQ(unlink(longest.c_str()), 0);
    struct stat st {};
    EXPECT_ERRNO(open(too_long.c_str(), O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
    EXPECT_ERRNO(stat(too_long.c_str(), &st), ENAMETOOLONG);
    EXPECT_ERRNO(mkdir(too_long.c_str(), 0755), ENAMETOOLONG);
    EXPECT_ERRNO(stat((too_long + "/x").c_str(), &st), ENAMETOOLONG);
    // PATH_MAX is 4096 bytes with the NUL: 4095 characters resolve.
    ASSERT(put("f", "1"));
    ASSERT(put("ff", "2"));
    EXPECT_EQ(path_of_length(4095).size(), size_t(4095));
    EXPECT_EQ(contents(path_of_length(4095).c_str()), "1");
    EXPECT_EQ(contents(path_of_length(4094).c_str()), "2");
    for (size_t length : {4096, 4097, 10000}) {
        std::string path = path_of_length(length);
        EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY), ENAMETOOLONG);
        EXPECT_ERRNO(syscall(SYS_mkdirat, AT_FDCWD, path.c_str(), 0755), ENAMETOOLONG);
        EXPECT_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, path.c_str(), &st, 0), ENAMETOOLONG);
        EXPECT_ERRNO(syscall(SYS_chdir, path.c_str()), ENAMETOOLONG);
    }
}

void impossible_paths_enotdir_enoent(Test& t)
{
    ASSERT(put("f", ""));
    struct stat st {};
    EXPECT_ERRNO(open("f/x", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(open("f/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
    EXPECT_ERRNO(mkdir("f/x", 0755), ENOTDIR);
    EXPECT_ERRNO(unlink("f/x"), ENOTDIR);
    EXPECT_ERRNO(stat("f/", &st), ENOTDIR);
    EXPECT_ERRNO(stat("f/.", &st), ENOTDIR);
    EXPECT_ERRNO(rename("f/x", "y"), ENOTDIR);
    EXPECT_ERRNO(open("missing/x", O_CREAT | O_WRONLY, 0644), ENOENT);
    EXPECT_ERRNO(mkdir("missing/x", 0755), ENOENT);
    EXPECT_ERRNO(stat("missing/x", &st), ENOENT);
    EXPECT_ERRNO(unlink("missing/x"), ENOENT);
    EXPECT_ERRNO(open("missing", O_RDONLY), ENOENT);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "", O_RDONLY), ENOENT);
    EXPECT_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, "", &st, 0), ENOENT);
    EXPECT_ERRNO(syscall(SYS_unlinkat, AT_FDCWD, "", 0), ENOENT);
    EXPECT_ERRNO(syscall(SYS_chdir, ""), ENOENT);
    EXPECT_ERRNO(stat("x", &st), ENOENT); // nothing was created
    EXPECT_ERRNO(stat("missing", &st), ENOENT);
}

void descriptor_exhaustion_emfile(Test& t)
{
    rlimit limit {};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    limit.rlim_cur = 64;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
    std::vector<int> fds;
    int highest = -1, error = 0;
    for (;;) {
        int fd = open(".", O_RDONLY);
        if (fd < 0) {
            error = errno;
            break;
        }
        fds.push_back(fd);
        highest = std::max(highest, fd);
        ASSERT(fds.size() < 100);
    }
    EXPECT_EQ(errno_name(error), errno_name(EMFILE));
    EXPECT_EQ(highest, 63); // descriptors 0..63, and 64 would be too many
    ASSERT(!fds.empty());
    int p[2];
    EXPECT_ERRNO(dup(fds[0]), EMFILE);
    EXPECT_ERRNO(fcntl(fds[0], F_DUPFD, 0), EMFILE);
    EXPECT_ERRNO(pipe2(p, 0), EMFILE);
    EXPECT_ERRNO(syscall(SYS_dup3, fds[0], 64, 0), EBADF);       // at the limit
    EXPECT_ERRNO(syscall(SYS_fcntl, fds[0], F_DUPFD, 64), EINVAL); // likewise
    // One free slot: pipe2 needs two, fails, and leaves the slot free.
    const int freed = fds[fds.size() / 2];
    EXPECT_EQ(close(freed), 0);
    EXPECT_ERRNO(pipe2(p, 0), EMFILE);
    EXPECT_EQ(open(".", O_RDONLY), freed);
    for (int fd : fds)
        close(fd);
}

// Linux follows at most 40 symlinks in one lookup (MAXSYMLINKS,
// include/linux/namei.h).
void symlink_loops_eloop(Test& t)
{
    if (symlink("b", "a") != 0) {
        if (platform().myriad && (errno == ENOSYS || errno == EPERM))
            SKIP("no symlinks yet: symlink(2) says " + errno_name(errno));
        t.fail(__FILE_NAME__, __LINE__, "symlink(\"b\", \"a\"): " + errno_name(errno));
        return;
    }
    ASSERT_EQ(symlink("a", "b"), 0);
    ASSERT_EQ(symlink("self", "self"), 0);
    struct stat st {};
    EXPECT_ERRNO(open("a", O_RDONLY), ELOOP);
    EXPECT_ERRNO(stat("a", &st), ELOOP);
    EXPECT_ERRNO(open("a/x", O_RDONLY), ELOOP);
    EXPECT_ERRNO(open("self", O_CREAT | O_WRONLY, 0644), ELOOP);
    EXPECT_EQ(lstat("a", &st), 0);
    EXPECT(S_ISLNK(st.st_mode));
    EXPECT_ERRNO(symlink("x", "a"), EEXIST);
    // A trailing slash asks for a directory: a new symlink, hard link or
    // node is ENOENT there, an existing name still EEXIST.
    EXPECT_ERRNO(symlink("x", "new/"), ENOENT);
    EXPECT_ERRNO(symlink("x", "a/"), EEXIST);
    ASSERT(put("plain", "P"));
    EXPECT_ERRNO(link("plain", "hard/"), ENOENT);
    EXPECT_ERRNO(mknod("node/", S_IFIFO | 0600, 0), ENOENT);
    EXPECT_EQ(mkdir("dir/", 0755), 0);
    EXPECT_EQ(rmdir("dir"), 0);
    EXPECT_EQ(unlink("plain"), 0);

    ASSERT(put("target", "T"));
    ASSERT_EQ(symlink("target", "link0"), 0);
    for (int i = 1; i <= 40; ++i)
        ASSERT_EQ(symlink(("link" + std::to_string(i - 1)).c_str(), ("link" + std::to_string(i)).c_str()), 0);
    EXPECT_EQ(contents("link39"), "T"); // 40 links
    EXPECT_EQ(contents("link40"), "<open: ELOOP>");
    EXPECT_ERRNO(open("link0", O_RDONLY | O_NOFOLLOW), ELOOP);
    int fd = open("target", O_RDONLY | O_NOFOLLOW);
    EXPECT(fd >= 0);
    close(fd);
}

void readlink_non_link_einval(Test& t)
{
    ASSERT(put("f", ""));
    ASSERT_EQ(mkdir("d", 0755), 0);
    char buffer[64];
    EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, "f", buffer, sizeof buffer), EINVAL);
    EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, "d", buffer, sizeof buffer), EINVAL);
    EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, "missing", buffer, sizeof buffer), ENOENT);
    EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, "f", buffer, 0), EINVAL);
    if (symlink("target-name", "link") != 0) {
        EXPECT(platform().myriad && (errno == ENOSYS || errno == EPERM));
        return; // no symlinks yet: the non-links were the point
    }
    EXPECT_EQ(syscall(SYS_readlinkat, AT_FDCWD, "link", buffer, sizeof buffer), 11);
    EXPECT_EQ(std::string(buffer, 11), "target-name");
    std::memset(buffer, '#', sizeof buffer);
    EXPECT_EQ(syscall(SYS_readlinkat, AT_FDCWD, "link", buffer, 4), 4); // cut short, no NUL
    EXPECT_EQ(std::string(buffer, 5), "targ#");
    EXPECT_ERRNO(syscall(SYS_readlinkat, AT_FDCWD, "link", buffer, 0), EINVAL);
}

} // namespace

std::vector<ut::Case> bad_input_cases()
{
    return {
        {"bad_fd_ebadf", scratch<bad_fd_ebadf>},
        {"bad_pointers_efault", scratch<bad_pointers_efault>},
        {"names_too_long_enametoolong", scratch<names_too_long_enametoolong>},
        {"impossible_paths_enotdir_enoent", scratch<impossible_paths_enotdir_enoent>},
        {"descriptor_exhaustion_emfile", scratch<descriptor_exhaustion_emfile>},
        {"symlink_loops_eloop", scratch<symlink_loops_eloop>},
        {"readlink_non_link_einval", scratch<readlink_non_link_einval>},
    };
}
