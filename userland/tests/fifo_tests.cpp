// The `fifos` group: named pipes made with mknod/mkfifo (fifo(7)) -- who
// waits at open and for whom, O_NONBLOCK's rules, O_RDWR, data and EOF
// between processes, unlink while open, poll and select -- and packet
// mode pipes (pipe2 or F_SETFL with O_DIRECT, pipe(7)). Each case runs in
// a scratch directory; a child that should block is checked to be still
// blocked after a few milliseconds, then released.
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::scratch;

constexpr double BLOCKED_FOR = 0.03; // long enough to see a child is stuck

// How a child ended; one still blocked after `seconds` is killed.
std::string finish(pid_t pid, double seconds = 5)
{
    int status = wait_for_at_most(pid, seconds);
    if (status != -1)
        return describe_status(status);
    kill(pid, SIGKILL);
    wait_for(pid);
    return "still blocked after " + show(seconds) + " s";
}

// Is the child still running (blocked) after a short while?
bool still_blocked(pid_t pid)
{
    int status = wait_for_at_most(pid, BLOCKED_FOR);
    return status == -1;
}

short revents(int fd, short events)
{
    pollfd p{fd, events, 0};
    return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

void mkfifo_makes_a_fifo(Test& t)
{
    mode_t old = umask(022);
    ASSERT_EQ(mkfifo("f", 0666), 0);
    umask(old);
    struct stat st {};
    ASSERT_EQ(stat("f", &st), 0);
    EXPECT(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0644u); // the umask applies
    EXPECT_EQ(st.st_size, 0);
    EXPECT_EQ(st.st_nlink, 1u);
    EXPECT_ERRNO(mkfifo("f", 0600), EEXIST);
    // readdir's type and an open end's fstat say FIFO too.
    bool listed = false;
    if (DIR* d = opendir(".")) {
        while (dirent* e = readdir(d))
            if (std::strcmp(e->d_name, "f") == 0)
                listed = e->d_type == DT_FIFO;
        closedir(d);
    }
    EXPECT(listed);
    int fd = open("f", O_RDWR);
    ASSERT(fd >= 0);
    struct stat fst {};
    EXPECT_EQ(fstat(fd, &fst), 0);
    EXPECT(S_ISFIFO(fst.st_mode));
    EXPECT_EQ(fst.st_ino, st.st_ino);
    EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), ESPIPE);
    EXPECT_ERRNO(fsync(fd), EINVAL);
    close(fd);
}

void mknodat_types_and_errors(Test& t)
{
    ASSERT_EQ(mkdir("dir", 0755), 0);
    int dfd = open("dir", O_RDONLY | O_DIRECTORY);
    ASSERT(dfd >= 0);
    struct stat st {};
    EXPECT_EQ(mknodat(dfd, "fifo", S_IFIFO | 0600, 0), 0);
    EXPECT(fstatat(dfd, "fifo", &st, 0) == 0 && S_ISFIFO(st.st_mode));
    // Mode 0 and S_IFREG make an empty regular file.
    EXPECT_EQ(mknodat(dfd, "plain", 0600, 0), 0);
    EXPECT(fstatat(dfd, "plain", &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
    EXPECT_EQ(mknod("dir/reg", S_IFREG | 0640, 0), 0);
    EXPECT(stat("dir/reg", &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640);
    // Errors, in Linux's order: the type first, then the name.
    EXPECT_ERRNO(mknod("d", S_IFDIR | 0755, 0), EPERM);
    EXPECT_ERRNO(mknod("dir/fifo", S_IFDIR | 0755, 0), EPERM);
    EXPECT_ERRNO(mknod("x", S_IFMT | 0644, 0), EINVAL);
    EXPECT_ERRNO(mknod("x", 0030000 | 0644, 0), EINVAL);
    EXPECT_ERRNO(mknod("dir/fifo", S_IFIFO | 0644, 0), EEXIST);
    EXPECT_ERRNO(mknod("dir", S_IFIFO | 0644, 0), EEXIST);
    EXPECT_ERRNO(mknod("missing/f", S_IFIFO | 0644, 0), ENOENT);
    EXPECT_ERRNO(mknod("dir/plain/f", S_IFIFO | 0644, 0), ENOTDIR);
    EXPECT_ERRNO(mknod("new/", S_IFIFO | 0644, 0), ENOENT);
    EXPECT_ERRNO(mknod("", S_IFIFO | 0644, 0), ENOENT);
    EXPECT_ERRNO(mknodat(99999, "f", S_IFIFO | 0644, 0), EBADF);
    EXPECT_ERRNO(mknodat(dfd, reinterpret_cast<const char*>(8), S_IFIFO | 0644, 0), EFAULT);
    close(dfd);
}

// Root (CAP_MKNOD) may make device nodes; the type and number stat back.
// Without CAP_MKNOD: EPERM, after the directory's permissions (EACCES).
void mknod_devices_need_cap_mknod(Test& t)
{
    if (geteuid() != 0)
        SKIP("needs root: the reference runs as uid " + std::to_string(geteuid()));
    ASSERT_EQ(mknod("c", S_IFCHR | 0600, makedev(1, 3)), 0);
    struct stat st {};
    EXPECT(stat("c", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
    ASSERT_EQ(mknod("b", S_IFBLK | 0600, makedev(7, 0)), 0);
    EXPECT(stat("b", &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 0));
    EXPECT(stat("c", &st) == 0 && st.st_size == 0);
    ASSERT_EQ(mkdir("open", 0777), 0);
    ASSERT_EQ(mkdir("closed", 0555), 0);
    ASSERT_EQ(chmod(".", 0755), 0); // mkdtemp's 0700 would keep nobody out
    ASSERT_EQ(chmod("open", 0777), 0); // past the umask
    pid_t pid = spawn([] {
        CHILD_CHECK(setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0);
        errno = 0;
        CHILD_CHECK(mknod("open/c", S_IFCHR | 0600, makedev(1, 3)) == -1 && errno == EPERM);
        errno = 0;
        CHILD_CHECK(mknod("closed/c", S_IFCHR | 0600, makedev(1, 3)) == -1 && errno == EACCES);
        errno = 0;
        CHILD_CHECK(mknod("closed/f", S_IFIFO | 0600, 0) == -1 && errno == EACCES);
        CHILD_CHECK(mknod("open/f", S_IFIFO | 0600, 0) == 0);
        struct stat st {};
        CHILD_CHECK(stat("open/f", &st) == 0 && st.st_uid == 65534 && S_ISFIFO(st.st_mode));
        return 0;
    });
    EXPECT_EQ(finish(pid), "exited with status 0");
}

// O_RDONLY waits for a writer; the writer's open does not wait, since a
// reader is there. The data goes through, then EOF.
void reader_open_waits_for_writer(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    pid_t pid = spawn([] {
        int fd = open("f", O_RDONLY);
        CHILD_CHECK(fd >= 0);
        char buffer[8] = {};
        CHILD_CHECK(read(fd, buffer, sizeof buffer) == 5 && std::memcmp(buffer, "hello", 5) == 0);
        CHILD_CHECK(read(fd, buffer, sizeof buffer) == 0); // EOF: the writer closed
        return 0;
    });
    EXPECT(still_blocked(pid));
    int fd = open("f", O_WRONLY);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "hello", 5), 5);
    close(fd);
    EXPECT_EQ(finish(pid), "exited with status 0");
}

// O_WRONLY waits for a reader.
void writer_open_waits_for_reader(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    pid_t pid = spawn([] {
        int fd = open("f", O_WRONLY);
        CHILD_CHECK(fd >= 0);
        CHILD_CHECK(write(fd, "abc", 3) == 3);
        return 0;
    });
    EXPECT(still_blocked(pid));
    int fd = open("f", O_RDONLY);
    ASSERT(fd >= 0);
    char buffer[8] = {};
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 3);
    EXPECT_EQ(std::string(buffer, 3), "abc");
    EXPECT_EQ(finish(pid), "exited with status 0");
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 0);
    close(fd);
}

void nonblocking_opens(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    // No reader: a non-blocking writer is refused.
    EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO);
    // A non-blocking reader opens at once; with no writer it reads EOF
    // and is not yet hung up (no writer has been there).
    int r = open("f", O_RDONLY | O_NONBLOCK);
    ASSERT(r >= 0);
    char c;
    EXPECT_EQ(read(r, &c, 1), 0);
    EXPECT_EQ(revents(r, POLLIN), 0);
    // Now there is a reader: a non-blocking writer opens.
    int w = open("f", O_WRONLY | O_NONBLOCK);
    ASSERT(w >= 0);
    EXPECT_ERRNO(read(r, &c, 1), EAGAIN); // a writer, no data
    EXPECT_EQ(write(w, "z", 1), 1);
    EXPECT_EQ(revents(r, POLLIN), POLLIN);
    EXPECT_EQ(read(r, &c, 1), 1);
    close(w);
    EXPECT_EQ(revents(r, POLLIN), POLLHUP); // the writer came and went
    EXPECT_EQ(read(r, &c, 1), 0);
    close(r);
    EXPECT_ERRNO(open("f", O_WRONLY | O_NONBLOCK), ENXIO); // the reader is gone again
}

// O_RDWR never waits, reads and writes the one pipe, and holds both ends.
void read_write_open(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    int fd = open("f", O_RDWR);
    ASSERT(fd >= 0);
    EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    EXPECT_EQ(write(fd, "xy", 2), 2);
    char buffer[4] = {};
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 2);
    EXPECT_EQ(std::string(buffer, 2), "xy");
    // It is a reader: a non-blocking writer may open, and a blocking
    // reader finds a writer.
    int w = open("f", O_WRONLY | O_NONBLOCK);
    EXPECT(w >= 0);
    int r = open("f", O_RDONLY);
    EXPECT(r >= 0);
    EXPECT_EQ(write(w, "q", 1), 1);
    EXPECT_EQ(read(r, buffer, 1), 1);
    EXPECT_EQ(buffer[0], 'q');
    close(w);
    close(r);
    close(fd);
}

// More than the pipe holds, from one process to another, then EOF.
void data_between_processes(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    constexpr int total = 200 * 1024;
    pid_t pid = spawn([] {
        int fd = open("f", O_WRONLY);
        CHILD_CHECK(fd >= 0);
        char block[4096];
        for (int done = 0; done < total; done += int(sizeof block)) {
            for (int i = 0; i < int(sizeof block); ++i)
                block[i] = char((done + i) * 7);
            CHILD_CHECK(write(fd, block, sizeof block) == ssize_t(sizeof block));
        }
        return 0;
    });
    int fd = open("f", O_RDONLY);
    ASSERT(fd >= 0);
    int got = 0;
    bool same = true;
    char block[3000];
    for (;;) {
        ssize_t n = read(fd, block, sizeof block);
        if (n <= 0) {
            EXPECT_EQ(n, 0);
            break;
        }
        for (ssize_t i = 0; i < n; ++i)
            same = same && block[i] == char((got + i) * 7);
        got += int(n);
    }
    EXPECT_EQ(got, total);
    EXPECT(same);
    EXPECT_EQ(finish(pid), "exited with status 0");
    close(fd);
}

// The name goes; the open ends keep working. The data goes with the
// last close: a FIFO opened again starts empty.
void unlink_while_open(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    int r = open("f", O_RDONLY | O_NONBLOCK);
    ASSERT(r >= 0);
    int w = open("f", O_WRONLY);
    ASSERT(w >= 0);
    ASSERT_EQ(unlink("f"), 0);
    struct stat st {};
    EXPECT_ERRNO(stat("f", &st), ENOENT);
    EXPECT(fstat(w, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_nlink == 0);
    EXPECT_EQ(write(w, "after", 5), 5);
    char buffer[8] = {};
    EXPECT_EQ(read(r, buffer, sizeof buffer), 5);
    EXPECT_EQ(std::string(buffer, 5), "after");
    close(w);
    EXPECT_EQ(read(r, buffer, sizeof buffer), 0);
    close(r);

    ASSERT_EQ(mkfifo("g", 0600), 0);
    int fd = open("g", O_RDWR | O_NONBLOCK);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "lost", 4), 4);
    close(fd);
    fd = open("g", O_RDWR | O_NONBLOCK);
    ASSERT(fd >= 0);
    EXPECT_ERRNO(read(fd, buffer, sizeof buffer), EAGAIN);
    close(fd);
}

void open_wait_is_interruptible(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    pid_t pid = spawn([] {
        struct sigaction sa {};
        sa.sa_handler = [](int) {};
        CHILD_CHECK(sigaction(SIGALRM, &sa, nullptr) == 0); // no SA_RESTART
        itimerval timer{{0, 0}, {0, 20000}};
        CHILD_CHECK(setitimer(ITIMER_REAL, &timer, nullptr) == 0);
        errno = 0;
        CHILD_CHECK(open("f", O_RDONLY) == -1 && errno == EINTR);
        CHILD_CHECK(setitimer(ITIMER_REAL, &timer, nullptr) == 0);
        errno = 0;
        CHILD_CHECK(open("f", O_WRONLY) == -1 && errno == EINTR);
        // The interrupted opens left no end behind.
        errno = 0;
        CHILD_CHECK(open("f", O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO);
        return 0;
    });
    EXPECT_EQ(finish(pid), "exited with status 0");
}

// poll and select on a FIFO's ends, as on a pipe's.
void poll_and_select(Test& t)
{
    ASSERT_EQ(mkfifo("f", 0600), 0);
    int r = open("f", O_RDONLY | O_NONBLOCK);
    ASSERT(r >= 0);
    int w = open("f", O_WRONLY);
    ASSERT(w >= 0);
    EXPECT_EQ(revents(r, POLLIN), 0);
    EXPECT_EQ(revents(w, POLLOUT), POLLOUT);
    // A writer in another process wakes a poll that waits.
    pid_t pid = spawn([&] {
        usleep(10000);
        return write(w, "p", 1) == 1 ? 0 : 1;
    });
    pollfd p{r, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 5000), 1);
    EXPECT_EQ(p.revents, POLLIN);
    EXPECT_EQ(finish(pid), "exited with status 0");
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(r, &readable);
    timeval zero{0, 0};
    EXPECT_EQ(select(r + 1, &readable, nullptr, nullptr, &zero), 1);
    char c;
    EXPECT_EQ(read(r, &c, 1), 1);
    // The last writer leaves: hung up. The last reader leaves: error.
    close(w);
    EXPECT_EQ(revents(r, POLLIN), POLLHUP);
    int w2 = open("f", O_WRONLY | O_NONBLOCK);
    ASSERT(w2 >= 0);
    EXPECT_EQ(revents(r, POLLIN), 0); // a writer again
    close(r);
    EXPECT_EQ(revents(w2, POLLOUT), POLLOUT | POLLERR);
    close(w2);
}

// --- Packet mode (pipe2/F_SETFL O_DIRECT) ---------------------------------

void packet_mode_pipe2(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_DIRECT | O_NONBLOCK), 0);
    EXPECT(fcntl(p[1], F_GETFL) & O_DIRECT);
    EXPECT(!(fcntl(p[0], F_GETFL) & O_DIRECT)); // the write end only, as Linux
    EXPECT_EQ(write(p[1], "abc", 3), 3);
    EXPECT_EQ(write(p[1], "defgh", 5), 5);
    EXPECT_EQ(write(p[1], "", 0), 0); // no empty packet
    EXPECT_EQ(write(p[1], "ij", 2), 2);
    char buffer[16] = {};
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 3); // one packet a read
    EXPECT_EQ(std::string(buffer, 3), "abc");
    EXPECT_EQ(read(p[0], buffer, 2), 2); // short: the rest of the packet goes
    EXPECT_EQ(std::string(buffer, 2), "de");
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 2);
    EXPECT_EQ(std::string(buffer, 2), "ij");
    EXPECT_ERRNO(read(p[0], buffer, sizeof buffer), EAGAIN);
    // A write past PIPE_BUF is cut into packets of PIPE_BUF bytes.
    static char big[5000];
    for (int i = 0; i < int(sizeof big); ++i)
        big[i] = char(i);
    EXPECT_EQ(write(p[1], big, sizeof big), ssize_t(sizeof big));
    static char in[8192];
    EXPECT_EQ(read(p[0], in, sizeof in), 4096);
    EXPECT_EQ(read(p[0], in + 4096, sizeof in - 4096), 5000 - 4096);
    EXPECT_EQ(std::memcmp(in, big, sizeof big), 0);
    close(p[0]);
    close(p[1]);
}

void packet_mode_by_fcntl(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_NONBLOCK), 0);
    char buffer[16] = {};
    // A stream first: writes run together.
    EXPECT_EQ(write(p[1], "ab", 2), 2);
    EXPECT_EQ(write(p[1], "cd", 2), 2);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 4);
    ASSERT_EQ(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_DIRECT), 0);
    EXPECT(fcntl(p[1], F_GETFL) & O_DIRECT);
    EXPECT_EQ(write(p[1], "ef", 2), 2);
    EXPECT_EQ(write(p[1], "gh", 2), 2);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 2);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 2);
    EXPECT_EQ(std::string(buffer, 2), "gh");
    ASSERT_EQ(fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) & ~O_DIRECT), 0);
    EXPECT(!(fcntl(p[1], F_GETFL) & O_DIRECT));
    EXPECT_EQ(write(p[1], "ij", 2), 2);
    EXPECT_EQ(write(p[1], "kl", 2), 2);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 4);
    close(p[0]);
    close(p[1]);

    // A FIFO's writer too.
    ASSERT_EQ(mkfifo("f", 0600), 0);
    int fd = open("f", O_RDWR | O_NONBLOCK);
    ASSERT(fd >= 0);
    ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT), 0);
    EXPECT_EQ(write(fd, "12", 2), 2);
    EXPECT_EQ(write(fd, "34", 2), 2);
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 2);
    EXPECT_EQ(std::string(buffer, 2), "12");
    close(fd);
}

} // namespace

std::vector<Case> fifo_cases()
{
    return {
        {"mkfifo_makes_a_fifo", scratch<mkfifo_makes_a_fifo>},
        {"mknodat_types_and_errors", scratch<mknodat_types_and_errors>},
        {"mknod_devices_need_cap_mknod", scratch<mknod_devices_need_cap_mknod>},
        {"reader_open_waits_for_writer", scratch<reader_open_waits_for_writer>},
        {"writer_open_waits_for_reader", scratch<writer_open_waits_for_reader>},
        {"nonblocking_opens", scratch<nonblocking_opens>},
        {"read_write_open", scratch<read_write_open>},
        {"data_between_processes", scratch<data_between_processes>},
        {"unlink_while_open", scratch<unlink_while_open>},
        {"open_wait_is_interruptible", scratch<open_wait_is_interruptible>},
        {"poll_and_select", scratch<poll_and_select>},
        {"packet_mode_pipe2", packet_mode_pipe2},
        {"packet_mode_by_fcntl", scratch<packet_mode_by_fcntl>},
    };
}
