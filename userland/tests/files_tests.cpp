// The `files` group, part 1: regular files -- create, read, write, seek,
// holes, pread/pwrite, truncate, O_APPEND/O_TRUNC/O_EXCL, stat and umask,
// unlinking an open file -- and the scratch directory every case of the
// group runs in. Directories and paths are in files_tests_dirs.cpp,
// descriptors in files_tests_fds.cpp, pipes and devices in
// files_tests_pipes.cpp, bad inputs in files_tests_errors.cpp.
//
// Linux semantics throughout; raw syscall(2) where glibc could hide the
// kernel's errno (glibc's dup2, for one, is not a system call on riscv64).
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace files_test {

namespace {

std::string g_scratch;

} // namespace

const std::string& scratch_path() { return g_scratch; }

// Runs `body` with umask 022 in a fresh directory, its working directory,
// and removes the directory and everything in it afterwards. Under Myriad
// the root is a RAM filesystem with a writable /tmp; under qemu-user,
// CTest starts usertests in a scratch directory of its own.
void in_scratch_dir(ut::Test& t, void (*body)(ut::Test&))
{
    umask(022);
    std::error_code error;
    std::string base = ut::platform().myriad ? "/tmp" : std::filesystem::current_path(error).string();
    std::string path = base + "/ut.XXXXXX";
    if (error || !mkdtemp(path.data())) {
        t.fail(__FILE_NAME__, __LINE__, "mkdtemp " + path + ": " + ut::errno_name(errno));
        return;
    }
    g_scratch = path;
    if (chdir(path.c_str()) != 0) {
        t.fail(__FILE_NAME__, __LINE__, "chdir " + path + ": " + ut::errno_name(errno));
    } else {
        body(t);
        // Leave the directory before removing it.
        if (chdir("/") != 0)
            t.fail(__FILE_NAME__, __LINE__, "chdir /: " + ut::errno_name(errno));
    }
    std::filesystem::remove_all(path, error);
    if (error)
        t.fail(__FILE_NAME__, __LINE__, "removing the scratch directory " + path + ": " + error.message());
}

// Creates or replaces the file `path` (mode 0644) holding `contents`.
bool put(const char* path, std::string_view contents)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    bool ok = write(fd, contents.data(), contents.size()) == ssize_t(contents.size());
    return close(fd) == 0 && ok;
}

// The contents of the file `path`, or "<open: ENOENT>" and the like.
std::string contents(const char* path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return "<open: " + ut::errno_name(errno) + ">";
    std::string all;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0)
        all.append(buffer, size_t(n));
    if (n < 0)
        all += "<read: " + ut::errno_name(errno) + ">";
    close(fd);
    return all;
}

} // namespace files_test

namespace {

using namespace ut;
using files_test::contents;
using files_test::put;
using files_test::scratch;

// Up to `length` bytes at `offset`, or "<pread: EBADF>" and the like.
std::string pread_string(int fd, size_t length, off_t offset)
{
    std::string s(length, '\0');
    ssize_t n = pread(fd, s.data(), length, offset);
    if (n < 0)
        return "<pread: " + errno_name(errno) + ">";
    s.resize(size_t(n));
    return s;
}

off_t size_of(int fd)
{
    struct stat st {};
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

mode_t permissions_of(const char* path)
{
    struct stat st {};
    return stat(path, &st) == 0 ? st.st_mode & 07777 : mode_t(-1);
}

void create_write_read(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "hello, world", 12), 12);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 12);
    char buffer[32] = {};
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 0); // at the end
    EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 12); // returns what there is
    EXPECT_EQ(std::string(buffer, 12), "hello, world");
    EXPECT_EQ(lseek(fd, 7, SEEK_SET), 7);
    EXPECT_EQ(write(fd, "WORLD!", 6), 6); // overwrites, then extends
    EXPECT_EQ(size_of(fd), 13);
    EXPECT_EQ(close(fd), 0);
    EXPECT_EQ(contents("f"), "hello, WORLD!");

    // Two opens are two offsets.
    int a = open("f", O_RDONLY), b = open("f", O_RDONLY);
    ASSERT(a >= 0 && b >= 0);
    EXPECT_EQ(read(a, buffer, 5), 5);
    EXPECT_EQ(read(b, buffer, 3), 3);
    EXPECT_EQ(std::string(buffer, 3), "hel");
    EXPECT_EQ(lseek(a, 0, SEEK_CUR), 5);
    close(a);
    close(b);
}

// 300 KiB in writes of odd sizes, read back at odd offsets: pages of the
// file's storage are crossed everywhere.
void large_file_round_trip(Test& t)
{
    constexpr size_t k_size = 300 * 1024;
    std::string data(k_size, '\0');
    for (size_t i = 0; i < k_size; ++i)
        data[i] = char(i * 7 + i / 4096);
    int fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    for (size_t done = 0, chunk = 777; done < k_size; done += chunk, chunk = chunk * 3 % 9001 + 1) {
        size_t n = std::min(chunk, k_size - done);
        ASSERT_EQ(write(fd, data.data() + done, n), ssize_t(n));
    }
    EXPECT_EQ(size_of(fd), off_t(k_size));
    size_t mismatches = 0;
    for (size_t offset = 0; offset < k_size; offset += 4093)
        mismatches += pread_string(fd, 5000, off_t(offset)) != data.substr(offset, 5000);
    EXPECT_EQ(mismatches, size_t(0));
    close(fd);
    EXPECT(contents("big") == data);
}

void lseek_whence_and_holes(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "0123456789", 10), 10);
    EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
    EXPECT_EQ(lseek(fd, 2, SEEK_CUR), 5);
    EXPECT_EQ(pread_string(fd, 1, lseek(fd, 0, SEEK_CUR)), "5");
    EXPECT_EQ(lseek(fd, -2, SEEK_END), 8);
    char buffer[16];
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 2);
    EXPECT_EQ(lseek(fd, -3, SEEK_CUR), 7);
    // A negative result, or an unknown whence: EINVAL, offset unchanged.
    EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
    EXPECT_ERRNO(lseek(fd, -11, SEEK_END), EINVAL);
    EXPECT_ERRNO(lseek(fd, -8, SEEK_CUR), EINVAL);
    EXPECT_ERRNO(lseek(fd, 0, 42), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
    // Past 2^63 - 1 (the sum overflowed in the kernel: UBSan's find).
    EXPECT_ERRNO(lseek(fd, INT64_MAX, SEEK_CUR), EINVAL);
    EXPECT_ERRNO(lseek(fd, INT64_MAX - 5, SEEK_END), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
    int proc = open("/proc/uptime", O_RDONLY); // the same for a /proc file
    ASSERT(proc >= 0);
    EXPECT_ERRNO(lseek(proc, INT64_MAX, SEEK_END), EINVAL);
    close(proc);

    // Seeking past the end does not grow the file; writing there does,
    // and the gap (a hole, several pages long) reads back as zeros.
    constexpr off_t k_far = 3 * 4096 + 100;
    EXPECT_EQ(lseek(fd, k_far, SEEK_SET), k_far);
    EXPECT_EQ(size_of(fd), 10);
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 0);
    EXPECT_EQ(write(fd, "end", 3), 3);
    EXPECT_EQ(size_of(fd), k_far + 3);
    EXPECT_EQ(lseek(fd, 0, SEEK_END), k_far + 3);
    EXPECT_EQ(pread_string(fd, 20, 0), std::string("0123456789") + std::string(10, '\0'));
    EXPECT(pread_string(fd, size_t(k_far - 10), 10) == std::string(size_t(k_far - 10), '\0'));
    EXPECT_EQ(pread_string(fd, 10, k_far), "end");
    close(fd);
}

void pread_pwrite_keep_offset(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "abcdefgh", 8), 8);
    ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
    char buffer[16] = {};
    EXPECT_EQ(pread(fd, buffer, 3, 4), 3);
    EXPECT_EQ(std::string(buffer, 3), "efg");
    EXPECT_EQ(pwrite(fd, "XY", 2, 6), 2);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
    EXPECT_EQ(pwrite(fd, "Z", 1, 20), 1); // past the end: a hole
    EXPECT_EQ(size_of(fd), 21);
    EXPECT_EQ(pread(fd, buffer, 4, 21), 0);
    EXPECT_EQ(pread(fd, buffer, 4, 1000), 0);
    EXPECT_ERRNO(pread(fd, buffer, 1, -1), EINVAL);
    EXPECT_ERRNO(pwrite(fd, "x", 1, -1), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
    EXPECT_EQ(read(fd, buffer, 4), 4); // from the untouched offset
    EXPECT_EQ(std::string(buffer, 4), "cdef");
    close(fd);
    EXPECT_EQ(contents("f"), std::string("abcdefXY") + std::string(12, '\0') + "Z");
}

void ftruncate_shrink_grow(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "0123456789", 10), 10);
    EXPECT_EQ(ftruncate(fd, 4), 0);
    EXPECT_EQ(size_of(fd), 4);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 10); // the offset stays
    char buffer[16];
    EXPECT_EQ(read(fd, buffer, sizeof buffer), 0);
    EXPECT_EQ(pread_string(fd, 16, 0), "0123");
    // Growing again: the cut bytes must not come back.
    EXPECT_EQ(ftruncate(fd, 10), 0);
    EXPECT_EQ(pread_string(fd, 16, 0), std::string("0123") + std::string(6, '\0'));
    EXPECT_EQ(ftruncate(fd, 2 * 4096 + 3), 0);
    EXPECT_EQ(size_of(fd), 2 * 4096 + 3);
    EXPECT(pread_string(fd, 2 * 4096, 4) == std::string(2 * 4096 - 1, '\0'));
    EXPECT_EQ(truncate("f", 2), 0);
    EXPECT_EQ(size_of(fd), 2);
    EXPECT_ERRNO(ftruncate(fd, -1), EINVAL);
    EXPECT_ERRNO(truncate("missing", 0), ENOENT);
    int read_only = open("f", O_RDONLY);
    EXPECT_ERRNO(ftruncate(read_only, 0), EINVAL); // not open for writing
    EXPECT_EQ(size_of(fd), 2);
    close(read_only);
    close(fd);
}

void o_append_writes_at_end(Test& t)
{
    ASSERT(put("f", "abc"));
    int fd = open("f", O_RDWR | O_APPEND);
    int other = open("f", O_WRONLY);
    ASSERT(fd >= 0 && other >= 0);
    EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
    EXPECT_EQ(write(fd, "de", 2), 2);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
    EXPECT_EQ(pwrite(other, "fgh", 3, 5), 3); // someone else extends the file
    EXPECT_EQ(write(fd, "i", 1), 1);           // still lands at the (new) end
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 9);
    // Reading is not affected.
    EXPECT_EQ(pread_string(fd, 2, 0), "ab");
    // Linux: pwrite on an O_APPEND descriptor appends, whatever the
    // offset (pwrite(2), BUGS).
    EXPECT_EQ(pwrite(fd, "j", 1, 0), 1);
    close(other);
    close(fd);
    EXPECT_EQ(contents("f"), "abcdefghij");
}

void o_trunc_empties(Test& t)
{
    ASSERT(put("f", "some data"));
    struct stat before {}, after {};
    ASSERT_EQ(stat("f", &before), 0);
    int fd = open("f", O_WRONLY | O_TRUNC);
    ASSERT(fd >= 0);
    EXPECT_EQ(size_of(fd), 0);
    EXPECT_EQ(write(fd, "x", 1), 1);
    close(fd);
    ASSERT_EQ(stat("f", &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino); // the same file, emptied
    EXPECT_EQ(contents("f"), "x");
    // O_CREAT of an existing file opens it: contents and mode stay.
    fd = open("f", O_RDWR | O_CREAT, 0600);
    ASSERT(fd >= 0);
    close(fd);
    EXPECT_EQ(contents("f"), "x");
    EXPECT_EQ(permissions_of("f"), mode_t(0644));
    fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
    close(fd);
    EXPECT_EQ(contents("f"), "");
    EXPECT_EQ(permissions_of("f"), mode_t(0644));
}

void stat_sizes_and_modes(Test& t)
{
    ASSERT(put("f", "12345"));
    int fd = open("f", O_RDONLY);
    ASSERT(fd >= 0);
    struct stat by_path {}, by_fd {};
    ASSERT_EQ(stat("f", &by_path), 0);
    ASSERT_EQ(fstat(fd, &by_fd), 0);
    EXPECT_EQ(by_path.st_mode, mode_t(S_IFREG | 0644)); // umask 022
    EXPECT_EQ(by_path.st_size, 5);
    EXPECT_EQ(by_path.st_nlink, nlink_t(1));
    EXPECT(by_path.st_blksize > 0);
    EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
    EXPECT_EQ(by_fd.st_dev, by_path.st_dev);
    EXPECT_EQ(by_fd.st_mode, by_path.st_mode);
    EXPECT_EQ(by_fd.st_size, by_path.st_size);
    close(fd);
    struct stat directory {};
    ASSERT_EQ(stat(".", &directory), 0);
    EXPECT(S_ISDIR(directory.st_mode));
    EXPECT(directory.st_ino != by_path.st_ino);
    EXPECT_ERRNO(stat("missing", &directory), ENOENT);

    // umask takes bits away from the mode given at creation.
    EXPECT_EQ(umask(077), mode_t(022)); // returns the old mask
    ASSERT(close(open("private", O_CREAT | O_WRONLY, 0666)) == 0);
    EXPECT_EQ(permissions_of("private"), mode_t(0600));
    ASSERT_EQ(mkdir("private_dir", 0777), 0);
    EXPECT_EQ(permissions_of("private_dir"), mode_t(0700));
    EXPECT_EQ(umask(0), mode_t(077));
    ASSERT(close(open("open", O_CREAT | O_WRONLY, 0666)) == 0);
    EXPECT_EQ(permissions_of("open"), mode_t(0666));
    umask(022);
    ASSERT(close(open("exec", O_CREAT | O_WRONLY, 0777)) == 0);
    EXPECT_EQ(permissions_of("exec"), mode_t(0755));
}

void access_mode_enforced(Test& t)
{
    ASSERT(put("f", "data"));
    char buffer[8];
    int read_only = open("f", O_RDONLY);
    int write_only = open("f", O_WRONLY);
    ASSERT(read_only >= 0 && write_only >= 0);
    EXPECT_ERRNO(write(read_only, "x", 1), EBADF);
    EXPECT_ERRNO(read(write_only, buffer, sizeof buffer), EBADF);
    EXPECT_ERRNO(pread(write_only, buffer, 1, 0), EBADF);
    EXPECT_ERRNO(pwrite(read_only, "x", 1, 0), EBADF);
    close(read_only);
    close(write_only);
    EXPECT_EQ(contents("f"), "data");
}

void unlinked_open_file_stays_usable(Test& t)
{
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    int second = open("f", O_RDONLY);
    ASSERT(fd >= 0 && second >= 0);
    ASSERT_EQ(write(fd, "before", 6), 6);
    EXPECT_EQ(unlink("f"), 0);
    struct stat st {};
    EXPECT_ERRNO(stat("f", &st), ENOENT);
    EXPECT_ERRNO(open("f", O_RDONLY), ENOENT);
    EXPECT_ERRNO(unlink("f"), ENOENT);
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_nlink, nlink_t(0));
    EXPECT_EQ(st.st_size, 6);
    // Still readable and writable through both descriptors.
    EXPECT_EQ(write(fd, "+after", 6), 6);
    EXPECT_EQ(pread_string(second, 20, 0), "before+after");
    // A new file of the same name is another file.
    ASSERT(put("f", "new"));
    EXPECT_EQ(pread_string(fd, 20, 0), "before+after");
    EXPECT_EQ(contents("f"), "new");
    EXPECT_EQ(close(fd), 0);
    EXPECT_EQ(pread_string(second, 6, 0), "before");
    EXPECT_EQ(close(second), 0);
}

void o_excl_existing_eexist(Test& t)
{
    int fd = open("f", O_CREAT | O_EXCL | O_WRONLY, 0644);
    ASSERT(fd >= 0);
    close(fd);
    EXPECT_ERRNO(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    EXPECT_ERRNO(open("f", O_CREAT | O_EXCL | O_RDONLY, 0644), EEXIST);
    ASSERT_EQ(mkdir("d", 0755), 0);
    EXPECT_ERRNO(open("d", O_CREAT | O_EXCL | O_RDONLY, 0644), EEXIST);
    EXPECT_ERRNO(open(".", O_CREAT | O_EXCL | O_RDONLY, 0644), EEXIST);
}

// Four children race to create the same 40 names with O_CREAT|O_EXCL;
// each name must have exactly one winner, who writes its number into it.
void o_excl_race_one_winner(Test& t)
{
    constexpr int k_children = 4, k_names = 40;
    const double start = monotonic_seconds() + 0.1;
    pid_t pids[k_children];
    for (int child = 0; child < k_children; ++child) {
        pids[child] = spawn([=] {
            while (monotonic_seconds() < start) {
            }
            int wins = 0;
            for (int i = 0; i < k_names; ++i) {
                std::string name = "race" + std::to_string(i);
                int fd = open(name.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
                if (fd < 0) {
                    CHILD_CHECK(errno == EEXIST);
                    continue;
                }
                char mark = char('0' + child);
                CHILD_CHECK(write(fd, &mark, 1) == 1);
                CHILD_CHECK(close(fd) == 0);
                ++wins;
            }
            return 10 + wins;
        });
        ASSERT(pids[child] > 0);
    }
    int wins[k_children] = {};
    int total = 0;
    for (int child = 0; child < k_children; ++child) {
        int status = wait_for(pids[child]);
        ASSERT(WIFEXITED(status) && WEXITSTATUS(status) >= 10);
        wins[child] = WEXITSTATUS(status) - 10;
        total += wins[child];
    }
    EXPECT_EQ(total, k_names);
    int marked[k_children] = {};
    for (int i = 0; i < k_names; ++i) {
        std::string mark = contents(("race" + std::to_string(i)).c_str());
        if (EXPECT(mark.size() == 1 && mark[0] >= '0' && mark[0] < '0' + k_children))
            ++marked[mark[0] - '0'];
    }
    for (int child = 0; child < k_children; ++child)
        EXPECT_EQ(marked[child], wins[child]);
}

} // namespace

std::vector<ut::Case> file_io_cases()
{
    return {
        {"create_write_read", scratch<create_write_read>},
        {"large_file_round_trip", scratch<large_file_round_trip>},
        {"lseek_whence_and_holes", scratch<lseek_whence_and_holes>},
        {"pread_pwrite_keep_offset", scratch<pread_pwrite_keep_offset>},
        {"ftruncate_shrink_grow", scratch<ftruncate_shrink_grow>},
        {"o_append_writes_at_end", scratch<o_append_writes_at_end>},
        {"o_trunc_empties", scratch<o_trunc_empties>},
        {"stat_sizes_and_modes", scratch<stat_sizes_and_modes>},
        {"access_mode_enforced", scratch<access_mode_enforced>},
        {"unlinked_open_file_stays_usable", scratch<unlinked_open_file_stays_usable>},
        {"o_excl_existing_eexist", scratch<o_excl_existing_eexist>},
        {"o_excl_race_one_winner", scratch<o_excl_race_one_winner>},
    };
}
