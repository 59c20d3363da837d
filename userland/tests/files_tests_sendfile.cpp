// The `files` group, sendfile: a file to a pipe, to another file, with
// and without an offset, the counts and Linux's errors (busybox's cat
// tries sendfile first).
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace ut;
using namespace files_test;

// 10 000 bytes, more than two pages, no two neighbours alike.
std::string sample()
{
    std::string s;
    for (int i = 0; i < 10000; ++i)
        s += char('a' + (i * 7 + i / 26) % 26);
    return s;
}

std::string read_all(int fd)
{
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;)
        out.append(buffer, size_t(n));
    return out;
}

void sendfile_file_to_pipe_and_file(Test& t)
{
    const std::string data = sample();
    ASSERT(put("in", data));
    int in = open("in", O_RDONLY);
    ASSERT(in >= 0);
    // From the file position, which moves on: 6000 bytes into a pipe.
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    ASSERT_EQ(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
    EXPECT_EQ(sendfile(p[1], in, nullptr, 6000), ssize_t(6000));
    EXPECT_EQ(lseek(in, 0, SEEK_CUR), off_t(6000));
    close(p[1]);
    EXPECT(read_all(p[0]) == data.substr(0, 6000));
    close(p[0]);
    // The rest, asked for more than there is: what is left, then 0 at the end.
    int out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(out >= 0);
    EXPECT_EQ(sendfile(out, in, nullptr, 100000), ssize_t(4000));
    EXPECT_EQ(sendfile(out, in, nullptr, 100000), ssize_t(0));
    EXPECT_EQ(lseek(out, 0, SEEK_CUR), off_t(4000));
    close(out);
    EXPECT(contents("out") == data.substr(6000));
    // With an offset: it moves on, the file position does not.
    ASSERT_EQ(lseek(in, 123, SEEK_SET), off_t(123));
    out = open("out2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT(out >= 0);
    off_t offset = 5000;
    EXPECT_EQ(sendfile(out, in, &offset, 4500), ssize_t(4500));
    EXPECT_EQ(offset, off_t(9500));
    EXPECT_EQ(lseek(in, 0, SEEK_CUR), off_t(123));
    offset = 9900;
    EXPECT_EQ(sendfile(out, in, &offset, 1000), ssize_t(100));
    EXPECT_EQ(offset, off_t(10000));
    offset = 20000;
    EXPECT_EQ(sendfile(out, in, &offset, 1000), ssize_t(0));
    EXPECT_EQ(offset, off_t(20000));
    EXPECT_EQ(sendfile(out, in, nullptr, 0), ssize_t(0));
    close(out);
    EXPECT(contents("out2") == data.substr(5000, 4500) + data.substr(9900));
    close(in);
}

void sendfile_errors(Test& t)
{
    ASSERT(put("in", "some bytes"));
    int in = open("in", O_RDONLY);
    int out = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int appending = open("appended", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int write_only = open("in", O_WRONLY);
    ASSERT(in >= 0 && out >= 0 && appending >= 0 && write_only >= 0);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    EXPECT_ERRNO(sendfile(out, 999, nullptr, 4), EBADF);
    EXPECT_ERRNO(sendfile(999, in, nullptr, 4), EBADF);
    EXPECT_ERRNO(sendfile(out, write_only, nullptr, 4), EBADF); // in not readable
    EXPECT_ERRNO(sendfile(in, in, nullptr, 4), EBADF);          // out not writable
    EXPECT_ERRNO(sendfile(appending, in, nullptr, 4), EINVAL);
    EXPECT_EQ(write(p[1], "abcd", 4), 4);
    EXPECT_ERRNO(sendfile(out, p[0], nullptr, 4), EINVAL); // a pipe cannot be read from
    off_t offset = 0;
    EXPECT_ERRNO(sendfile(out, p[0], &offset, 4), ESPIPE);
    offset = -1;
    EXPECT_ERRNO(sendfile(out, in, &offset, 4), EINVAL);
    EXPECT_ERRNO(sendfile(out, in, reinterpret_cast<off_t*>(16), 4), EFAULT);
    // Nothing was taken from the pipe or written to the file.
    char got[4];
    EXPECT_EQ(read(p[0], got, 4), 4);
    struct stat st{};
    EXPECT_EQ(fstat(out, &st), 0);
    EXPECT_EQ(st.st_size, off_t(0));
    for (int fd : {in, out, appending, write_only, p[0], p[1]})
        close(fd);
}

} // namespace

std::vector<ut::Case> sendfile_cases()
{
    return {
        {"sendfile_file_to_pipe_and_file", scratch<sendfile_file_to_pipe_and_file>},
        {"sendfile_errors", scratch<sendfile_errors>},
    };
}
