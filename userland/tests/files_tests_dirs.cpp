// The `files` group, part 2: directories (mkdir, readdir and raw
// getdents64, rmdir, unlink, rename), the working directory, path
// resolution (".", "..", dirfds, O_DIRECTORY).
#include "groups.h"
#include "files_tests.h"
#include "harness.h"

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::contents;
using files_test::put;
using files_test::scratch;
using files_test::scratch_path;

ino_t inode_of(const char* path)
{
    struct stat st {};
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

bool is_directory(const char* path)
{
    struct stat st {};
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const char* path)
{
    struct stat st {};
    return lstat(path, &st) == 0;
}

std::string current_directory()
{
    char buffer[PATH_MAX];
    return getcwd(buffer, sizeof buffer) ? buffer : "<getcwd: " + errno_name(errno) + ">";
}

void mkdir_and_eexist(Test& t)
{
    ASSERT(put("f", ""));
    EXPECT_EQ(mkdir("d", 0755), 0);
    EXPECT(is_directory("d"));
    EXPECT_ERRNO(mkdir("d", 0755), EEXIST);
    EXPECT_ERRNO(mkdir("f", 0755), EEXIST);
    EXPECT_ERRNO(mkdir(".", 0755), EEXIST);
    EXPECT_ERRNO(mkdir("missing/d", 0755), ENOENT);
    EXPECT_ERRNO(mkdir("f/d", 0755), ENOTDIR);
    EXPECT_ERRNO(mkdir("", 0755), ENOENT);
    EXPECT_EQ(mkdir("trailing/", 0755), 0);
    EXPECT(is_directory("trailing"));
    EXPECT_EQ(mkdir("d/inner", 0755), 0);
    EXPECT(is_directory("d/inner"));
}

// Every entry of `path` by name, with its d_type, from readdir(3).
std::multimap<std::string, int> read_directory(const char* path)
{
    std::multimap<std::string, int> entries;
    DIR* dir = opendir(path);
    if (!dir)
        return {{"<opendir: " + errno_name(errno) + ">", 0}};
    while (dirent* entry = readdir(dir))
        entries.emplace(entry->d_name, entry->d_type);
    closedir(dir);
    return entries;
}

std::string show_entries(const std::multimap<std::string, int>& entries)
{
    std::string s;
    for (const auto& [name, type] : entries)
        s += name + ":" + std::to_string(type) + " ";
    return s;
}

void readdir_lists_entries(Test& t)
{
    ASSERT_EQ(mkdir("d", 0755), 0);
    EXPECT_EQ(show_entries(read_directory("d")), show_entries({{".", DT_DIR}, {"..", DT_DIR}}));
    ASSERT(put("d/a_file", "x"));
    ASSERT_EQ(mkdir("d/b_dir", 0755), 0);
    ASSERT(put("d/c", ""));
    EXPECT_EQ(show_entries(read_directory("d")),
              show_entries({{".", DT_DIR}, {"..", DT_DIR}, {"a_file", DT_REG}, {"b_dir", DT_DIR}, {"c", DT_REG}}));
    ASSERT_EQ(unlink("d/c"), 0);
    ASSERT(put("d/e", ""));
    EXPECT_EQ(show_entries(read_directory("d")),
              show_entries({{".", DT_DIR}, {"..", DT_DIR}, {"a_file", DT_REG}, {"b_dir", DT_DIR}, {"e", DT_REG}}));

    // d_ino is the inode stat reports; rewinddir starts over.
    DIR* dir = opendir("d");
    ASSERT(dir);
    int first_pass = 0, second_pass = 0;
    while (dirent* entry = readdir(dir)) {
        ++first_pass;
        if (std::string_view(entry->d_name) == "a_file")
            EXPECT_EQ(entry->d_ino, inode_of("d/a_file"));
    }
    rewinddir(dir);
    while (readdir(dir))
        ++second_pass;
    closedir(dir);
    EXPECT_EQ(first_pass, 5);
    EXPECT_EQ(second_pass, 5);
}

// Raw getdents64 with a buffer for about two entries, so that listing the
// directory takes many calls that must resume where the last one stopped.
void getdents64_small_buffer(Test& t)
{
    constexpr int k_files = 30;
    std::multimap<std::string, int> expected = {{".", DT_DIR}, {"..", DT_DIR}};
    ASSERT_EQ(mkdir("d", 0755), 0);
    for (int i = 0; i < k_files; ++i) {
        std::string name = "entry_" + std::to_string(i) + "_with_a_longer_name";
        if (i % 5 == 0) {
            ASSERT_EQ(mkdir(("d/" + name).c_str(), 0755), 0);
            expected.emplace(name, DT_DIR);
        } else {
            ASSERT(put(("d/" + name).c_str(), ""));
            expected.emplace(name, DT_REG);
        }
    }
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    ASSERT(fd >= 0);
    alignas(8) char buffer[128];
    // Too small for even one entry (a header is 19 bytes): EINVAL.
    EXPECT_ERRNO(syscall(SYS_getdents64, fd, buffer, 8), EINVAL);
    std::multimap<std::string, int> seen;
    int calls = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
        ASSERT(n >= 0);
        if (n == 0)
            break;
        ASSERT(++calls < 1000);
        // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen,
        // u8 d_type, char d_name[] (include/linux/dirent.h).
        for (long at = 0; at < n;) {
            dirent64 entry {};
            std::memcpy(&entry, buffer + at, offsetof(dirent64, d_name));
            const char* name = buffer + at + offsetof(dirent64, d_name);
            size_t length = strnlen(name, size_t(n - at) - offsetof(dirent64, d_name));
            ASSERT(entry.d_reclen % 8 == 0 && entry.d_reclen >= offsetof(dirent64, d_name) + length + 1);
            ASSERT(at + entry.d_reclen <= n);
            seen.emplace(std::string(name, length), entry.d_type);
            at += entry.d_reclen;
        }
    }
    EXPECT(calls >= k_files / 2);
    EXPECT_EQ(show_entries(seen), show_entries(expected));
    EXPECT_EQ(syscall(SYS_getdents64, fd, buffer, sizeof buffer), 0); // stays at the end
    // lseek to 0 starts over.
    EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
    EXPECT(syscall(SYS_getdents64, fd, buffer, sizeof buffer) > 0);
    close(fd);

    ASSERT(put("f", ""));
    int file = open("f", O_RDONLY);
    EXPECT_ERRNO(syscall(SYS_getdents64, file, buffer, sizeof buffer), ENOTDIR);
    close(file);
    EXPECT_ERRNO(syscall(SYS_getdents64, -1, buffer, sizeof buffer), EBADF);
}

void rmdir_and_unlink_errors(Test& t)
{
    ASSERT_EQ(mkdir("d", 0755), 0);
    ASSERT(put("d/f", ""));
    ASSERT(put("f", ""));
    EXPECT_ERRNO(rmdir("d"), ENOTEMPTY);
    EXPECT_ERRNO(syscall(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR), ENOTEMPTY);
    EXPECT_ERRNO(rmdir("f"), ENOTDIR);
    EXPECT_ERRNO(syscall(SYS_unlinkat, AT_FDCWD, "f", AT_REMOVEDIR), ENOTDIR);
    EXPECT_ERRNO(rmdir("missing"), ENOENT);
    EXPECT_ERRNO(rmdir("."), EINVAL);   // Linux: the last component is "."
    EXPECT_ERRNO(rmdir("d/."), EINVAL);
    EXPECT_ERRNO(rmdir("d/.."), ENOTEMPTY); // ... or ".."
    EXPECT_ERRNO(syscall(SYS_unlinkat, AT_FDCWD, "d", 0), EISDIR); // Linux, not POSIX's EPERM
    EXPECT_ERRNO(unlink("d"), EISDIR);
    EXPECT_ERRNO(syscall(SYS_unlinkat, AT_FDCWD, "f", 0x1), EINVAL); // unknown flag
    EXPECT(exists("d/f") && exists("f"));

    EXPECT_EQ(unlink("d/f"), 0);
    EXPECT_EQ(syscall(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR), 0);
    EXPECT(!exists("d"));
    ASSERT_EQ(mkdir("e", 0755), 0);
    EXPECT_EQ(rmdir("e/"), 0);
    EXPECT(!exists("e"));
    EXPECT_EQ(unlink("f"), 0);
}

void rename_files(Test& t)
{
    ASSERT(put("a", "A"));
    ASSERT(put("c", "C"));
    ASSERT_EQ(mkdir("dir", 0755), 0);
    const ino_t a = inode_of("a");
    EXPECT_EQ(rename("a", "b"), 0);
    EXPECT(!exists("a"));
    EXPECT_EQ(inode_of("b"), a);
    EXPECT_EQ(contents("b"), "A");
    // Replacing an existing file; an open descriptor keeps the old one.
    int old_c = open("c", O_RDONLY);
    EXPECT_EQ(rename("b", "c"), 0);
    EXPECT(!exists("b"));
    EXPECT_EQ(inode_of("c"), a);
    EXPECT_EQ(contents("c"), "A");
    char byte = 0;
    EXPECT_EQ(read(old_c, &byte, 1), 1);
    EXPECT_EQ(byte, 'C');
    close(old_c);
    EXPECT_EQ(rename("c", "c"), 0); // to itself: nothing happens
    EXPECT_EQ(contents("c"), "A");

    EXPECT_ERRNO(rename("missing", "x"), ENOENT);
    EXPECT_ERRNO(rename("c", "nodir/x"), ENOENT);
    EXPECT_ERRNO(rename("c", "dir"), EISDIR);  // a file over a directory
    EXPECT_ERRNO(rename("dir", "c"), ENOTDIR); // a directory over a file
    EXPECT_EQ(contents("c"), "A");

    // renameat between two directory descriptors.
    ASSERT_EQ(mkdir("other", 0755), 0);
    int from = open("dir", O_RDONLY | O_DIRECTORY), to = open("other", O_RDONLY | O_DIRECTORY);
    ASSERT(from >= 0 && to >= 0);
    ASSERT(put("dir/moving", "M"));
    EXPECT_EQ(renameat(from, "moving", to, "moved"), 0);
    EXPECT_EQ(contents("other/moved"), "M");
    EXPECT(!exists("dir/moving"));
    close(from);
    close(to);
}

void rename_directories(Test& t)
{
    ASSERT_EQ(mkdir("d", 0755), 0);
    ASSERT(put("d/f", "F"));
    ASSERT_EQ(mkdir("p", 0755), 0);
    EXPECT_EQ(rename("d", "e"), 0);
    EXPECT(!exists("d"));
    EXPECT_EQ(contents("e/f"), "F");
    // Moved into another directory, its ".." follows.
    EXPECT_EQ(rename("e", "p/e"), 0);
    EXPECT_EQ(inode_of("p/e/.."), inode_of("p"));
    EXPECT_EQ(contents("p/e/f"), "F");
    // Over an empty directory: replaced. Over a non-empty one: refused.
    ASSERT_EQ(mkdir("empty", 0755), 0);
    EXPECT_EQ(rename("p/e", "empty"), 0);
    EXPECT_EQ(contents("empty/f"), "F");
    EXPECT_ERRNO(rename("p", "empty"), ENOTEMPTY);
    // Into itself or below itself: EINVAL.
    ASSERT_EQ(mkdir("empty/sub", 0755), 0);
    EXPECT_ERRNO(rename("empty", "empty/inside"), EINVAL);
    EXPECT_ERRNO(rename("empty", "empty/sub/deeper"), EINVAL);
    EXPECT_EQ(rename("empty", "empty"), 0);
    // "." and ".." cannot be renamed or replaced.
    EXPECT_ERRNO(rename(".", "x"), EBUSY);
    EXPECT_ERRNO(rename("p", "empty/.."), EBUSY);
    EXPECT(is_directory("p") && is_directory("empty/sub"));
}

void chdir_getcwd_round_trip(Test& t)
{
    const std::string& top = scratch_path();
    EXPECT_EQ(current_directory(), top);
    ASSERT_EQ(mkdir("sub", 0755), 0);
    ASSERT_EQ(mkdir("sub/inner", 0755), 0);
    ASSERT(put("f", ""));
    EXPECT_EQ(chdir("sub"), 0);
    EXPECT_EQ(current_directory(), top + "/sub");
    EXPECT_EQ(chdir("inner"), 0);
    EXPECT_EQ(current_directory(), top + "/sub/inner");
    EXPECT_EQ(chdir(".."), 0);
    EXPECT_EQ(current_directory(), top + "/sub");
    EXPECT_EQ(chdir("../sub/./inner/.."), 0);
    EXPECT_EQ(current_directory(), top + "/sub");
    int fd = open(top.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT(fd >= 0);
    EXPECT_EQ(fchdir(fd), 0);
    EXPECT_EQ(current_directory(), top);
    close(fd);

    EXPECT_ERRNO(chdir("f"), ENOTDIR);
    EXPECT_ERRNO(chdir("missing"), ENOENT);
    int file = open("f", O_RDONLY);
    EXPECT_ERRNO(fchdir(file), ENOTDIR);
    close(file);
    EXPECT_ERRNO(fchdir(-1), EBADF);
    EXPECT_EQ(current_directory(), top);

    // The raw getcwd returns the length with the NUL; too small: ERANGE.
    char buffer[PATH_MAX];
    EXPECT_EQ(syscall(SYS_getcwd, buffer, sizeof buffer), long(top.size() + 1));
    EXPECT_ERRNO(syscall(SYS_getcwd, buffer, top.size()), ERANGE);
    EXPECT_ERRNO(syscall(SYS_getcwd, buffer, 1), ERANGE);

    // The working directory is the directory, not its name.
    EXPECT_EQ(chdir("sub/inner"), 0);
    EXPECT_EQ(rename((top + "/sub").c_str(), (top + "/moved").c_str()), 0);
    EXPECT_EQ(current_directory(), top + "/moved/inner");
    ASSERT(put("here", "h"));
    EXPECT_EQ(contents((top + "/moved/inner/here").c_str()), "h");
    EXPECT_EQ(unlink("here"), 0);
    // Removed while we are in it: Linux's getcwd says ENOENT.
    EXPECT_EQ(rmdir((top + "/moved/inner").c_str()), 0);
    EXPECT_ERRNO(syscall(SYS_getcwd, buffer, sizeof buffer), ENOENT);
    EXPECT_ERRNO(open("new", O_CREAT | O_WRONLY, 0644), ENOENT);
}

void relative_paths_dot_dotdot(Test& t)
{
    ASSERT_EQ(mkdir("a", 0755), 0);
    ASSERT_EQ(mkdir("a/b", 0755), 0);
    ASSERT(put("a/b/f", "x"));
    EXPECT_EQ(contents("a/./b/../b/f"), "x");
    EXPECT_EQ(contents("./a/b/f"), "x");
    EXPECT_EQ(contents("a//b///f"), "x");
    EXPECT_EQ(contents((scratch_path() + "/a/../a/b/f").c_str()), "x");
    EXPECT_EQ(inode_of("a/b/."), inode_of("a/b"));
    EXPECT_EQ(inode_of("a/b/.."), inode_of("a"));
    EXPECT_EQ(inode_of("a/b/../.."), inode_of("."));
    EXPECT_EQ(inode_of("/.."), inode_of("/")); // ".." of the root is the root
    EXPECT_EQ(inode_of("/../../.."), inode_of("/"));
    // ".." is looked up, not removed by text: each step must exist.
    EXPECT_EQ(contents("a/missing/../b/f"), "<open: ENOENT>");
    EXPECT_EQ(contents("a/b/f/../f"), "<open: ENOTDIR>");
    EXPECT_EQ(contents("a/b/f/"), "<open: ENOTDIR>");
}

void at_functions_with_dirfd(Test& t)
{
    ASSERT_EQ(mkdir("d", 0755), 0);
    int dir = open("d", O_RDONLY | O_DIRECTORY);
    ASSERT(dir >= 0);
    int fd = openat(dir, "f", O_CREAT | O_RDWR, 0644);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "in d", 4), 4);
    close(fd);
    EXPECT_EQ(contents("d/f"), "in d");
    EXPECT_EQ(mkdirat(dir, "sub", 0755), 0);
    EXPECT(is_directory("d/sub"));
    struct stat st {};
    EXPECT_EQ(fstatat(dir, "f", &st, 0), 0);
    EXPECT_EQ(st.st_size, 4);
    EXPECT_EQ(fstatat(dir, "..", &st, 0), 0);
    EXPECT_EQ(st.st_ino, inode_of("."));
    EXPECT_EQ(unlinkat(dir, "f", 0), 0);
    EXPECT_EQ(unlinkat(dir, "sub", AT_REMOVEDIR), 0);
    EXPECT(!exists("d/f") && !exists("d/sub"));

    // An absolute path ignores the dirfd, even a bad one.
    ASSERT(put("top", "T"));
    fd = openat(-1, (scratch_path() + "/top").c_str(), O_RDONLY);
    EXPECT(fd >= 0);
    close(fd);
    EXPECT_ERRNO(syscall(SYS_openat, -1, "top", O_RDONLY), EBADF);
    EXPECT_ERRNO(syscall(SYS_openat, 9999, "top", O_RDONLY), EBADF);
    int file = open("top", O_RDONLY);
    EXPECT_ERRNO(syscall(SYS_openat, file, "x", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(syscall(SYS_mkdirat, file, "x", 0755), ENOTDIR);
    close(file);

    // The descriptor follows the directory when it is renamed.
    EXPECT_EQ(rename("d", "d2"), 0);
    fd = openat(dir, "g", O_CREAT | O_WRONLY, 0644);
    EXPECT(fd >= 0);
    close(fd);
    EXPECT(exists("d2/g"));
    close(dir);
}

void o_directory_and_eisdir(Test& t)
{
    ASSERT(put("f", "x"));
    ASSERT_EQ(mkdir("d", 0755), 0);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "missing", O_RDONLY | O_DIRECTORY), ENOENT);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "f/", O_RDONLY), ENOTDIR);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "d", O_WRONLY), EISDIR);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "d", O_RDWR), EISDIR);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "d", O_RDWR | O_CREAT, 0644), EISDIR);
    EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, "new/", O_WRONLY | O_CREAT, 0644), EISDIR);
    EXPECT(!exists("new"));
    int dir = open("d", O_RDONLY | O_DIRECTORY);
    ASSERT(dir >= 0);
    char buffer[16];
    EXPECT_ERRNO(read(dir, buffer, sizeof buffer), EISDIR);
    EXPECT_ERRNO(write(dir, "x", 1), EBADF); // opened read-only
    close(dir);
    dir = open("d", O_RDONLY); // O_DIRECTORY is not needed to open one
    EXPECT(dir >= 0);
    close(dir);
}

} // namespace

std::vector<ut::Case> directory_cases()
{
    return {
        {"mkdir_and_eexist", scratch<mkdir_and_eexist>},
        {"readdir_lists_entries", scratch<readdir_lists_entries>},
        {"getdents64_small_buffer", scratch<getdents64_small_buffer>},
        {"rmdir_and_unlink_errors", scratch<rmdir_and_unlink_errors>},
        {"rename_files", scratch<rename_files>},
        {"rename_directories", scratch<rename_directories>},
        {"chdir_getcwd_round_trip", scratch<chdir_getcwd_round_trip>},
        {"relative_paths_dot_dotdot", scratch<relative_paths_dot_dotdot>},
        {"at_functions_with_dirfd", scratch<at_functions_with_dirfd>},
        {"o_directory_and_eisdir", scratch<o_directory_and_eisdir>},
    };
}
