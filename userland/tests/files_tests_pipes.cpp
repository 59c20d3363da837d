// The `files` group, part 4: pipes (blocking, EOF, EPIPE, capacity,
// atomic PIPE_BUF writes, a mebibyte with a checksum) and the devices
// /dev/null, /dev/zero, /dev/console and /dev/tty.
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <fcntl.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::put;
using files_test::scratch;

// --- Pipes -----------------------------------------------------------------

// How a child ended; one still blocked after `seconds` is killed, so
// that a pipe that never wakes its waiters fails the case instead of
// leaving the child behind.
std::string finish(pid_t pid, double seconds = 5)
{
    int status = wait_for_at_most(pid, seconds);
    if (status != -1)
        return describe_status(status);
    kill(pid, SIGKILL);
    wait_for(pid);
    return "still blocked after " + show(seconds) + " s";
}

void pipe2_basics(Test& t)
{
    int p[2] = {-1, -1};
    ASSERT_EQ(pipe2(p, 0), 0);
    struct stat st {};
    EXPECT_EQ(fstat(p[0], &st), 0);
    EXPECT(S_ISFIFO(st.st_mode));
    EXPECT_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
    EXPECT_EQ(write(p[1], "abc", 3), 3);
    EXPECT_EQ(write(p[1], "defg", 4), 4);
    char buffer[16] = {};
    EXPECT_EQ(read(p[0], buffer, 2), 2); // a short read leaves the rest
    EXPECT_EQ(read(p[0], buffer + 2, sizeof buffer - 2), 5); // returns what there is
    EXPECT_EQ(std::string(buffer, 7), "abcdefg");
    EXPECT_ERRNO(write(p[0], "x", 1), EBADF);
    EXPECT_ERRNO(read(p[1], buffer, 1), EBADF);
    close(p[0]);
    close(p[1]);

    ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    EXPECT(fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    EXPECT((fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
    EXPECT_ERRNO(syscall(SYS_pipe2, p, O_TRUNC), EINVAL);
}

void pipe_eof_after_all_writers_close(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    // The child's inherited write end keeps the pipe open until it exits.
    pid_t pid = spawn([&] {
        close(p[0]);
        CHILD_CHECK(write(p[1], "bye", 3) == 3);
        sleep_seconds(0.2);
        return 0;
    });
    ASSERT(pid > 0);
    close(p[1]);
    const double start = monotonic_seconds();
    char buffer[8];
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 3);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 0);
    EXPECT(monotonic_seconds() - start >= 0.1);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 0); // and stays at the end
    EXPECT_EQ(finish(pid), describe_status(0));
    close(p[0]);
}

void pipe_read_blocks_until_data(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = spawn([&] {
        sleep_seconds(0.2);
        CHILD_CHECK(write(p[1], "data", 4) == 4);
        return 0;
    });
    ASSERT(pid > 0);
    const double start = monotonic_seconds();
    char buffer[8];
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 4);
    EXPECT(monotonic_seconds() - start >= 0.15);
    EXPECT_EQ(std::string(buffer, 4), "data");
    EXPECT_EQ(finish(pid), describe_status(0));
    close(p[0]);
    close(p[1]);
}

// A read returns everything the pipe holds, up to its count (Linux's
// pipe_read), not one chunk of it; never more than the count, and what
// is left stays for the next read.
void pipe_read_takes_all_available(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    std::string sent(5000, '\0');
    for (size_t i = 0; i < sent.size(); ++i)
        sent[i] = char('a' + i % 26);
    ASSERT_EQ(write(p[1], sent.data(), sent.size()), ssize_t(sent.size()));
    std::string got(8192, '\0');
    EXPECT_EQ(read(p[0], got.data(), 4096), 4096);
    EXPECT_EQ(read(p[0], got.data() + 4096, 4096), 904); // the rest, without waiting for more
    got.resize(5000);
    EXPECT(got == sent);
    close(p[0]);
    close(p[1]);
}

// F_GETPIPE_SZ / F_SETPIPE_SZ: 64 KiB by default; a new size rounds up to
// a power-of-two number of pages, holds exactly that much, keeps what is
// buffered, and cannot go below it (EBUSY); not a pipe: EBADF.
void pipe_size_get_and_set(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_NONBLOCK), 0);
    EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
    EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 100000), 131072);
    EXPECT_EQ(fcntl(p[0], F_GETPIPE_SZ), 131072); // one pipe, both ends
    std::string data(140000, 'x');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = char(i * 7);
    // Whole pages: Linux's ring of page slots and Myriad's byte ring then
    // take the same amount.
    EXPECT_EQ(write(p[1], data.data(), 98304), 98304);
    EXPECT_EQ(write(p[1], data.data() + 98304, 40000), 32768); // exactly full
    EXPECT_ERRNO(write(p[1], data.data(), 1), EAGAIN);
    EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 65536), EBUSY);
    std::string got(131072, '\0');
    EXPECT_EQ(read(p[0], got.data(), 65536), 65536);
    // Shrinking to what is left keeps it, in order.
    EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
    EXPECT_EQ(read(p[0], got.data() + 65536, 65536), 65536);
    EXPECT(got == data.substr(0, 131072));
    EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096); // at least a page
    EXPECT_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
    EXPECT_EQ(write(p[1], data.data(), 8192), 4096);
    EXPECT_ERRNO(fcntl(p[1], F_SETPIPE_SZ, -1), EINVAL); // above 2^31 as an unsigned int
    int file = open(".", O_RDONLY | O_DIRECTORY);
    EXPECT_ERRNO(fcntl(file, F_GETPIPE_SZ), EBADF);
    close(file);
    close(p[0]);
    close(p[1]);
}

void pipe_full_nonblocking_and_blocking(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe2(p, O_NONBLOCK), 0);
    char buffer[1024] = {};
    EXPECT_ERRNO(read(p[0], buffer, sizeof buffer), EAGAIN); // empty, writer open
    size_t capacity = 0;
    ssize_t n = 0;
    constexpr size_t k_sane = 64 << 20; // stop filling a bottomless pipe
    while (capacity < k_sane && (n = write(p[1], buffer, sizeof buffer)) > 0)
        capacity += size_t(n);
    while (capacity < k_sane && (n = write(p[1], buffer, 1)) > 0)
        capacity += size_t(n);
    const int error = errno;
    ASSERT(capacity < k_sane);
    EXPECT_EQ(n, -1);
    EXPECT_EQ(errno_name(error), errno_name(EAGAIN));
    EXPECT(capacity >= 4096); // Linux: 65536
    // Now a blocking writer waits until there is room.
    ASSERT_EQ(fcntl(p[1], F_SETFL, 0), 0);
    pid_t pid = spawn([&] { return write(p[1], "z", 1) == 1 ? 0 : 1; });
    ASSERT(pid > 0);
    sleep_seconds(0.2);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0);
    size_t drained = 0;
    const double deadline = monotonic_seconds() + 5;
    while (drained < capacity + 1 && monotonic_seconds() < deadline) {
        if ((n = read(p[0], buffer, sizeof buffer)) > 0)
            drained += size_t(n);
    }
    EXPECT_EQ(drained, capacity + 1);
    EXPECT_EQ(finish(pid), describe_status(0));
    // With the writers gone, an empty pipe reads as the end even non-blocking.
    close(p[1]);
    EXPECT_EQ(read(p[0], buffer, sizeof buffer), 0);
    close(p[0]);
}

void pipe_epipe_without_readers(Test& t)
{
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        if (platform().myriad && errno == ENOSYS)
            SKIP("no signals yet: rt_sigaction says ENOSYS");
        t.fail(__FILE_NAME__, __LINE__, "signal(SIGPIPE, SIG_IGN): " + errno_name(errno));
        return;
    }
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    close(p[0]);
    EXPECT_ERRNO(write(p[1], "x", 1), EPIPE);
    // With the default action, SIGPIPE ends the writer.
    pid_t pid = spawn([&] {
        signal(SIGPIPE, SIG_DFL);
        return write(p[1], "x", 1) == -1 && errno == EPIPE ? 2 : 1;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(finish(pid), "killed by SIGPIPE");
    close(p[1]);

    // A writer blocked on a full pipe wakes with EPIPE when the last
    // reader goes.
    ASSERT_EQ(pipe(p), 0);
    ASSERT_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    char buffer[1024] = {};
    while (write(p[1], buffer, sizeof buffer) > 0) {
    }
    ASSERT_EQ(fcntl(p[1], F_SETFL, 0), 0);
    pid = spawn([&] {
        close(p[0]);
        CHILD_CHECK(write(p[1], buffer, sizeof buffer) == -1 && errno == EPIPE);
        return 0;
    });
    ASSERT(pid > 0);
    sleep_seconds(0.2);
    close(p[0]);
    EXPECT_EQ(finish(pid), describe_status(0));
    close(p[1]);
}

// Writes of up to PIPE_BUF (4096) bytes are atomic: four writers' records
// arrive whole, never interleaved.
void pipe_buf_writes_atomic(Test& t)
{
    constexpr int k_writers = 4, k_records = 32;
    constexpr size_t k_record = 4096;
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pids[k_writers];
    for (int i = 0; i < k_writers; ++i) {
        pids[i] = spawn([&, i] {
            close(p[0]);
            std::string record(k_record, char('a' + i));
            for (int r = 0; r < k_records; ++r)
                CHILD_CHECK(write(p[1], record.data(), k_record) == ssize_t(k_record));
            return 0;
        });
        ASSERT(pids[i] > 0);
    }
    close(p[1]);
    std::string stream;
    char buffer[1000]; // not a divisor of the record size
    ssize_t n;
    while ((n = read(p[0], buffer, sizeof buffer)) > 0)
        stream.append(buffer, size_t(n));
    close(p[0]);
    ASSERT_EQ(stream.size(), k_writers * k_records * k_record);
    int counts[k_writers] = {}, mixed = 0;
    for (size_t at = 0; at < stream.size(); at += k_record) {
        char letter = stream[at];
        mixed += stream.find_first_not_of(letter, at) < at + k_record || letter < 'a' || letter >= 'a' + k_writers;
        if (letter >= 'a' && letter < 'a' + k_writers)
            ++counts[letter - 'a'];
    }
    EXPECT_EQ(mixed, 0);
    for (int i = 0; i < k_writers; ++i) {
        EXPECT_EQ(counts[i], k_records);
        EXPECT_EQ(finish(pids[i]), describe_status(0));
    }
}

// FNV-1a, 64 bits (http://www.isthe.com/chongo/tech/comp/fnv/).
std::uint64_t fnv1a(std::uint64_t hash, const char* data, size_t size)
{
    for (size_t i = 0; i < size; ++i)
        hash = (hash ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ULL;
    return hash;
}
constexpr std::uint64_t k_fnv_offset = 0xcbf29ce484222325ULL;

void pipe_one_mebibyte_checksum(Test& t)
{
    constexpr size_t k_total = 1 << 20;
    std::string data(k_total, '\0');
    std::uint64_t x = 88172645463325252ULL; // xorshift64
    for (auto& byte : data) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        byte = char(x);
    }
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    pid_t pid = spawn([&] {
        close(p[0]);
        for (size_t done = 0, chunk = 1; done < k_total; chunk = chunk * 5 % 70001 + 1) {
            ssize_t n = write(p[1], data.data() + done, std::min(chunk, k_total - done));
            CHILD_CHECK(n > 0);
            done += size_t(n);
        }
        return 0;
    });
    ASSERT(pid > 0);
    close(p[1]);
    std::uint64_t hash = k_fnv_offset;
    size_t received = 0;
    static char buffer[20000];
    ssize_t n;
    for (size_t chunk = 3; (n = read(p[0], buffer, chunk)) > 0; chunk = chunk * 7 % sizeof buffer + 1) {
        hash = fnv1a(hash, buffer, size_t(n));
        received += size_t(n);
    }
    EXPECT_EQ(n, 0);
    close(p[0]);
    EXPECT_EQ(received, k_total);
    EXPECT_EQ(hash, fnv1a(k_fnv_offset, data.data(), data.size()));
    EXPECT_EQ(finish(pid), describe_status(0));
}

void pipe_not_seekable(Test& t)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    char byte = 0;
    EXPECT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
    EXPECT_ERRNO(lseek(p[1], 0, SEEK_SET), ESPIPE);
    EXPECT_ERRNO(pread(p[0], &byte, 1, 0), ESPIPE);
    EXPECT_ERRNO(pwrite(p[1], &byte, 1, 0), ESPIPE);
    close(p[0]);
    close(p[1]);
}

// --- Devices ---------------------------------------------------------------

// Linux's numbers (Documentation/admin-guide/devices.txt).
void check_char_device(Test& t, int fd, unsigned major_number, unsigned minor_number)
{
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT(S_ISCHR(st.st_mode));
    EXPECT_EQ(major(st.st_rdev), major_number);
    EXPECT_EQ(minor(st.st_rdev), minor_number);
}

void dev_null(Test& t)
{
    int fd = open("/dev/null", O_RDWR);
    ASSERT(fd >= 0);
    check_char_device(t, fd, 1, 3);
    char buffer[100] = {};
    EXPECT_EQ(write(fd, buffer, sizeof buffer), 100);
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 0);
    close(fd);
}

// /dev/rtc0: RTC_RD_TIME gives UTC fields consistent with each other and,
// on Myriad, with the system clock (it is the system clock there).
void dev_rtc0_reads_the_time(Test& t)
{
    int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !platform().myriad)
        SKIP("the reference host has no /dev/rtc0 to open");
    ASSERT(fd >= 0);
    struct stat st{};
    EXPECT_EQ(fstat(fd, &st), 0);
    EXPECT(S_ISCHR(st.st_mode));
    struct rtc_time tm{};
    ASSERT_EQ(ioctl(fd, RTC_RD_TIME, &tm), 0);
    EXPECT(tm.tm_sec >= 0 && tm.tm_sec <= 60 && tm.tm_min >= 0 && tm.tm_min < 60 && tm.tm_hour >= 0 &&
           tm.tm_hour < 24 && tm.tm_mday >= 1 && tm.tm_mday <= 31 && tm.tm_mon >= 0 && tm.tm_mon < 12 &&
           tm.tm_year >= 70);
    struct tm fields{};
    fields.tm_sec = tm.tm_sec, fields.tm_min = tm.tm_min, fields.tm_hour = tm.tm_hour;
    fields.tm_mday = tm.tm_mday, fields.tm_mon = tm.tm_mon, fields.tm_year = tm.tm_year;
    time_t rtc = timegm(&fields); // also computes the weekday and day of the year
    EXPECT_EQ(tm.tm_wday, fields.tm_wday);
    EXPECT_EQ(tm.tm_yday, fields.tm_yday);
    // A host's RTC may keep local time or drift from its NTP-set clock.
    if (platform().myriad)
        EXPECT(rtc >= time(nullptr) - 2 && rtc <= time(nullptr) + 1);
    errno = 0;
    EXPECT_EQ(ioctl(fd, 0x7fff, nullptr), -1);
    EXPECT_EQ(errno, ENOTTY);
    close(fd);
}

void dev_zero(Test& t)
{
    int fd = open("/dev/zero", O_RDWR);
    ASSERT(fd >= 0);
    check_char_device(t, fd, 1, 5);
    std::string buffer(10000, 'x');
    EXPECT_EQ(read(fd, buffer.data(), buffer.size()), 10000);
    EXPECT(buffer == std::string(10000, '\0'));
    EXPECT_EQ(write(fd, buffer.data(), 123), 123);
    close(fd);
}

void dev_console_and_tty(Test& t)
{
    if (!platform().myriad)
        SKIP("the host's console and terminal are not ours to open");
    int console = open("/dev/console", O_RDWR);
    ASSERT(console >= 0);
    check_char_device(t, console, 5, 1);
    EXPECT(isatty(console));
    close(console);
    int tty = open("/dev/tty", O_RDWR);
    ASSERT(tty >= 0);
    check_char_device(t, tty, 5, 0);
    EXPECT(isatty(tty));
    close(tty);
}

void isatty_false_for_non_terminals(Test& t)
{
    ASSERT(put("f", "x"));
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    for (const char* path : {"f", ".", "/dev/null"}) {
        int fd = open(path, O_RDONLY);
        EXPECT(fd >= 0);
        EXPECT_ERRNO(isatty(fd) ? 1 : -1, ENOTTY);
        close(fd);
    }
    EXPECT_ERRNO(isatty(p[0]) ? 1 : -1, ENOTTY);
    EXPECT_ERRNO(isatty(p[1]) ? 1 : -1, ENOTTY);
    EXPECT_ERRNO(isatty(-1) ? 1 : -1, EBADF);
    close(p[0]);
    close(p[1]);
}

} // namespace

std::vector<ut::Case> pipe_device_cases()
{
    return {
        {"pipe2_basics", scratch<pipe2_basics>},
        {"pipe_eof_after_all_writers_close", scratch<pipe_eof_after_all_writers_close>},
        {"pipe_read_blocks_until_data", scratch<pipe_read_blocks_until_data>},
        {"pipe_read_takes_all_available", scratch<pipe_read_takes_all_available>},
        {"pipe_size_get_and_set", scratch<pipe_size_get_and_set>},
        {"pipe_full_nonblocking_and_blocking", scratch<pipe_full_nonblocking_and_blocking>},
        {"pipe_epipe_without_readers", scratch<pipe_epipe_without_readers>},
        {"pipe_buf_writes_atomic", scratch<pipe_buf_writes_atomic>},
        {"pipe_one_mebibyte_checksum", scratch<pipe_one_mebibyte_checksum>},
        {"pipe_not_seekable", scratch<pipe_not_seekable>},
        {"dev_null", scratch<dev_null>},
        {"dev_zero", scratch<dev_zero>},
        {"dev_rtc0_reads_the_time", scratch<dev_rtc0_reads_the_time>},
        {"dev_console_and_tty", scratch<dev_console_and_tty>},
        {"isatty_false_for_non_terminals", scratch<isatty_false_for_non_terminals>},
    };
}
