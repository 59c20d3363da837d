// The `files` group, part 3: file descriptors -- inheritance across fork,
// close-on-exec, dup/dup2/dup3 and fcntl.
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using files_test::contents;
using files_test::put;
using files_test::scratch;

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

ino_t inode_of_fd(int fd)
{
    struct stat st {};
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

void fds_inherited_by_child(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "p", 1), 1);
    const int next_fd = dup(fd); // the number the child's next open gets
    close(next_fd);
    pid_t pid = spawn([fd, next_fd] {
        // The same open file: the offset and the status flags are shared.
        CHILD_CHECK(write(fd, "child", 5) == 5);
        CHILD_CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0);
        // The descriptor table is a copy: these do not reach the parent.
        CHILD_CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0);
        CHILD_CHECK(open("f", O_RDONLY) == next_fd);
        CHILD_CHECK(close(fd) == 0);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 6);
    EXPECT((fcntl(fd, F_GETFL) & O_APPEND) != 0);
    EXPECT_EQ(fcntl(fd, F_GETFD), 0);
    EXPECT(!is_open(next_fd));
    EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
    EXPECT_EQ(write(fd, "!", 1), 1); // O_APPEND, set by the child
    close(fd);
    EXPECT_EQ(contents("f"), "pchild!");
}

// /bin/echo writes to fd 1, and exits with 1 when it cannot: so it tells
// whether fd 1 survived the exec. A child opens fd 1 on the file "out" in
// the way `how` says, then execs `echo hello` (status 100: exec failed).
enum class Stdout { plain, o_cloexec, fd_cloexec, fd_cloexec_cleared, dup3_cloexec, dupfd_cloexec };

int echo_with_stdout(Stdout how)
{
    pid_t pid = spawn([how] {
        int fd = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHILD_CHECK(fd > 1);
        switch (how) {
        case Stdout::plain:
            CHILD_CHECK(dup2(fd, 1) == 1);
            break;
        case Stdout::o_cloexec:
            close(fd);
            close(1);
            CHILD_CHECK(open("out", O_WRONLY | O_CLOEXEC) == 1);
            break;
        case Stdout::fd_cloexec:
            CHILD_CHECK(dup2(fd, 1) == 1 && fcntl(1, F_SETFD, FD_CLOEXEC) == 0);
            break;
        case Stdout::fd_cloexec_cleared:
            CHILD_CHECK(dup2(fd, 1) == 1 && fcntl(1, F_SETFD, FD_CLOEXEC) == 0 && fcntl(1, F_SETFD, 0) == 0);
            break;
        case Stdout::dup3_cloexec:
            CHILD_CHECK(dup3(fd, 1, O_CLOEXEC) == 1);
            break;
        case Stdout::dupfd_cloexec:
            close(1);
            CHILD_CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 0) == 1);
            break;
        }
        if (how != Stdout::o_cloexec)
            close(fd);
        std::string echo = image_path("bin/echo");
        char arg0[] = "echo", arg1[] = "hello";
        char* argv[] = {arg0, arg1, nullptr};
        execve(echo.c_str(), argv, environ);
        return 100;
    });
    return wait_for(pid);
}

void cloexec_closes_on_exec(Test& t)
{
    REQUIRE_EXEC();
    struct {
        Stdout how;
        const char* name;
        bool survives;
    } const cases[] = {
        {Stdout::plain, "plain", true},
        {Stdout::o_cloexec, "O_CLOEXEC", false},
        {Stdout::fd_cloexec, "F_SETFD FD_CLOEXEC", false},
        {Stdout::fd_cloexec_cleared, "FD_CLOEXEC set and cleared", true},
        {Stdout::dup3_cloexec, "dup3 O_CLOEXEC", false},
        {Stdout::dupfd_cloexec, "F_DUPFD_CLOEXEC", false},
    };
    for (const auto& c : cases) {
        std::string expected_status = describe_status(c.survives ? 0 : 1 << 8);
        std::string status = describe_status(echo_with_stdout(c.how));
        if (status != expected_status)
            t.fail(__FILE_NAME__, __LINE__,
                   std::string(c.name) + ": echo " + status + ", expected " + expected_status);
        EXPECT_EQ(contents("out"), std::string(c.survives ? "hello\n" : ""));
    }
}

void dup_lowest_free_shared_offset(Test& t)
{
    int a = open("a", O_CREAT | O_RDWR, 0644);
    int b = open("b", O_CREAT | O_RDWR, 0644);
    ASSERT(a >= 0 && b >= 0);
    EXPECT_EQ(close(a), 0);
    int d = dup(b);
    EXPECT_EQ(d, a); // the lowest free number
    EXPECT_EQ(inode_of_fd(d), inode_of_fd(b));
    EXPECT_EQ(write(b, "abc", 3), 3);
    EXPECT_EQ(lseek(d, 0, SEEK_CUR), 3); // one offset
    EXPECT_EQ(lseek(d, 1, SEEK_SET), 1);
    char buffer[4] = {};
    EXPECT_EQ(read(b, buffer, sizeof buffer), 2);
    EXPECT_EQ(std::string(buffer, 2), "bc");
    EXPECT_EQ(fcntl(d, F_SETFL, O_APPEND), 0); // status flags are shared
    EXPECT((fcntl(b, F_GETFL) & O_APPEND) != 0);
    EXPECT_EQ(fcntl(d, F_SETFD, FD_CLOEXEC), 0); // descriptor flags are not
    EXPECT_EQ(fcntl(b, F_GETFD), 0);
    EXPECT_EQ(close(b), 0);
    EXPECT_EQ(write(d, "d", 1), 1); // the file stays open through d
    EXPECT_EQ(close(d), 0);
    EXPECT_EQ(contents("b"), "abcd");
    EXPECT_ERRNO(dup(-1), EBADF);
    EXPECT_ERRNO(dup(d), EBADF);
}

void dup2_dup3_semantics(Test& t)
{
    int a = open("a", O_CREAT | O_RDWR, 0644);
    int c = open("c", O_CREAT | O_RDWR, 0644);
    ASSERT(a >= 0 && c >= 0);
    // glibc's dup2 is dup3 (riscv64 has no dup2 system call) except for
    // dup2(fd, fd), which checks fd with fcntl and returns it.
    EXPECT_EQ(dup2(a, a), a);
    EXPECT_ERRNO(dup2(99, 99), EBADF);
    EXPECT_ERRNO(syscall(SYS_dup3, a, a, 0), EINVAL);
    // Onto an open descriptor: it is replaced, FD_CLOEXEC cleared.
    EXPECT_EQ(fcntl(c, F_SETFD, FD_CLOEXEC), 0);
    EXPECT_EQ(dup2(a, c), c);
    EXPECT_EQ(inode_of_fd(c), inode_of_fd(a));
    EXPECT_EQ(fcntl(c, F_GETFD), 0);
    EXPECT_EQ(syscall(SYS_dup3, a, 100, 0), 100); // any free number
    EXPECT_EQ(inode_of_fd(100), inode_of_fd(a));
    EXPECT_EQ(syscall(SYS_dup3, a, 101, O_CLOEXEC), 101);
    EXPECT_EQ(fcntl(101, F_GETFD), FD_CLOEXEC);
    EXPECT_ERRNO(syscall(SYS_dup3, a, 102, O_APPEND), EINVAL); // only O_CLOEXEC
    EXPECT(!is_open(102));
    EXPECT_ERRNO(syscall(SYS_dup3, -1, 102, 0), EBADF);
    EXPECT_ERRNO(syscall(SYS_dup3, 102, 103, 0), EBADF);
    EXPECT_ERRNO(syscall(SYS_dup3, a, -1, 0), EBADF);
    rlimit limit {};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    EXPECT_ERRNO(syscall(SYS_dup3, a, limit.rlim_cur, 0), EBADF); // beyond RLIMIT_NOFILE
    EXPECT_EQ(write(100, "x", 1), 1);
    EXPECT_EQ(lseek(a, 0, SEEK_CUR), 1);
}

void fcntl_dupfd_and_fd_flags(Test& t)
{
    int a = open("a", O_CREAT | O_RDWR, 0644);
    ASSERT(a >= 0);
    EXPECT_EQ(fcntl(a, F_DUPFD, 50), 50);
    EXPECT_EQ(fcntl(a, F_DUPFD, 50), 51); // the lowest free at or above 50
    EXPECT_EQ(fcntl(51, F_GETFD), 0);
    EXPECT_EQ(fcntl(a, F_DUPFD_CLOEXEC, 60), 60);
    EXPECT_EQ(fcntl(60, F_GETFD), FD_CLOEXEC);
    const int lowest = dup(a);
    close(lowest);
    EXPECT_EQ(fcntl(a, F_DUPFD, 0), lowest);
    EXPECT_ERRNO(fcntl(a, F_DUPFD, -1), EINVAL);
    rlimit limit {};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    EXPECT_ERRNO(syscall(SYS_fcntl, a, F_DUPFD, limit.rlim_cur), EINVAL); // beyond RLIMIT_NOFILE

    EXPECT_EQ(fcntl(a, F_GETFD), 0);
    EXPECT_EQ(fcntl(a, F_SETFD, FD_CLOEXEC), 0);
    EXPECT_EQ(fcntl(a, F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(fcntl(a, F_SETFD, 0), 0);
    EXPECT_EQ(fcntl(a, F_GETFD), 0);
    EXPECT_ERRNO(syscall(SYS_fcntl, -1, F_GETFD), EBADF);
    EXPECT_ERRNO(syscall(SYS_fcntl, 70, F_SETFD, FD_CLOEXEC), EBADF);
    EXPECT_ERRNO(syscall(SYS_fcntl, a, 12345, 0), EINVAL); // no such command
}

void fcntl_status_flags(Test& t)
{
    ASSERT(put("f", "0123"));
    int rw = open("f", O_RDWR), ro = open("f", O_RDONLY), wo = open("f", O_WRONLY | O_APPEND);
    ASSERT(rw >= 0 && ro >= 0 && wo >= 0);
    EXPECT_EQ(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
    EXPECT_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(fcntl(wo, F_GETFL) & O_ACCMODE, O_WRONLY);
    EXPECT((fcntl(wo, F_GETFL) & O_APPEND) != 0);
    EXPECT_EQ(fcntl(rw, F_GETFL) & (O_APPEND | O_NONBLOCK | O_CREAT | O_TRUNC), 0);

    EXPECT_EQ(fcntl(rw, F_SETFL, O_APPEND), 0);
    EXPECT_EQ(fcntl(rw, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDWR | O_APPEND);
    EXPECT_EQ(write(rw, "4", 1), 1); // at the end, though the offset was 0
    EXPECT_EQ(fcntl(rw, F_SETFL, O_NONBLOCK), 0); // replaces: O_APPEND goes
    EXPECT_EQ(fcntl(rw, F_GETFL) & (O_APPEND | O_NONBLOCK), O_NONBLOCK);
    EXPECT_EQ(fcntl(wo, F_SETFL, 0), 0);
    EXPECT_EQ(fcntl(wo, F_GETFL) & O_APPEND, 0);
    // The access mode and the open-time flags cannot be changed.
    EXPECT_EQ(fcntl(ro, F_SETFL, O_RDWR | O_TRUNC | O_CREAT), 0);
    EXPECT_EQ(fcntl(ro, F_GETFL) & (O_ACCMODE | O_TRUNC | O_CREAT), O_RDONLY);
    EXPECT_ERRNO(write(ro, "x", 1), EBADF);
    EXPECT_EQ(contents("f"), "01234");
    close(rw);
    close(ro);
    close(wo);
}

} // namespace

// O_PATH (open(2)): a descriptor that names a file without opening it.
// fstat, fchdir, dup, the descriptor fcntls and use as a dirfd work;
// reading, writing, seeking, fchmod, mmap, fsync and status-flag fcntls
// are EBADF, poll says POLLNVAL; every flag but O_CLOEXEC, O_DIRECTORY
// and O_NOFOLLOW is ignored; with O_NOFOLLOW it names a symlink itself.
void o_path_descriptors(Test& t)
{
    ASSERT(put("named", "contents"));
    int fd = open("named", O_PATH | O_RDWR | O_TRUNC);
    ASSERT(fd >= 0);
    EXPECT_EQ(contents("named"), "contents"); // O_TRUNC ignored
    char byte;
    EXPECT_ERRNO(read(fd, &byte, 1), EBADF);
    EXPECT_ERRNO(write(fd, "x", 1), EBADF);
    EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
    EXPECT_ERRNO(fchmod(fd, 0600), EBADF);
    EXPECT_ERRNO(fsync(fd), EBADF);
    EXPECT_ERRNO(fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
    errno = 0;
    EXPECT(mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED);
    EXPECT_EQ(errno, EBADF);
    struct stat st{};
    EXPECT_EQ(fstat(fd, &st), 0);
    EXPECT(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, 8);
    EXPECT_EQ(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
    EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
    int copy = dup(fd);
    EXPECT(copy >= 0);
    close(copy);
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 0), 1);
    EXPECT_EQ(p.revents, short(POLLNVAL));
    close(fd);

    // A folder as a dirfd, and as fchdir's target.
    ASSERT_EQ(mkdir("sub", 0755), 0);
    ASSERT(put("sub/inner", "x"));
    int dir = open("sub", O_PATH | O_DIRECTORY);
    ASSERT(dir >= 0);
    int inner = openat(dir, "inner", O_RDONLY);
    EXPECT(inner >= 0);
    EXPECT_EQ(read(inner, &byte, 1), 1);
    close(inner);
    int here = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_EQ(fchdir(dir), 0);
    EXPECT_EQ(contents("inner"), "x");
    EXPECT_EQ(fchdir(here), 0);
    close(here);
    close(dir);

    // With O_NOFOLLOW, a symlink itself.
    ASSERT_EQ(symlink("named", "link"), 0);
    int link = open("link", O_PATH | O_NOFOLLOW);
    EXPECT(link >= 0);
    EXPECT_EQ(fstat(link, &st), 0);
    EXPECT(S_ISLNK(st.st_mode));
    close(link);
    // O_CREAT is ignored too: no file is made.
    EXPECT_ERRNO(open("absent", O_PATH | O_CREAT, 0644), ENOENT);
}

std::vector<ut::Case> descriptor_cases()
{
    return {
        {"fds_inherited_by_child", scratch<fds_inherited_by_child>},
        {"cloexec_closes_on_exec", scratch<cloexec_closes_on_exec>},
        {"dup_lowest_free_shared_offset", scratch<dup_lowest_free_shared_offset>},
        {"dup2_dup3_semantics", scratch<dup2_dup3_semantics>},
        {"fcntl_dupfd_and_fd_flags", scratch<fcntl_dupfd_and_fd_flags>},
        {"fcntl_status_flags", scratch<fcntl_status_flags>},
        {"o_path_descriptors", scratch<o_path_descriptors>},
    };
}
