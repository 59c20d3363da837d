// Files and /proc as Linux defines them, where the Linux Test Project found
// gaps: statfs/fstatfs, fsync/fdatasync/syncfs, fallocate (the
// `conformance_files` group), /proc/mounts, /proc/sys/kernel and
// /proc/self/fd (`conformance_proc`).
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::scratch;

std::string read_text(const std::string& path)
{
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f)
        return "<" + errno_name(errno) + ">";
    std::string text;
    char buffer[512];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
        text.append(buffer, n);
    std::fclose(f);
    return text;
}

bool common_statfs_fields_sane(Test& t, const struct statfs& s)
{
    bool ok = EXPECT_EQ(s.f_bsize, long(4096));
    ok &= EXPECT_EQ(s.f_frsize, long(4096));
    ok &= EXPECT_EQ(s.f_namelen, long(255));
    ok &= EXPECT(s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_blocks && s.f_ffree <= s.f_files);
    return ok;
}

void statfs_pseudo_filesystems(Test& t)
{
    struct statfs s = {};
    ASSERT_EQ(statfs("/proc", &s), 0);
    EXPECT_EQ(s.f_type, long(PROC_SUPER_MAGIC));
    common_statfs_fields_sane(t, s);
    EXPECT_EQ(s.f_blocks, 0UL);
    ASSERT_EQ(statfs("/proc/self/status", &s), 0); // through the symlink
    EXPECT_EQ(s.f_type, long(PROC_SUPER_MAGIC));
    ASSERT_EQ(statfs("/sys/devices/system/cpu/online", &s), 0);
    EXPECT_EQ(s.f_type, long(SYSFS_MAGIC));
    common_statfs_fields_sane(t, s);
    ASSERT_EQ(statfs("/dev/null", &s), 0);
    EXPECT_EQ(s.f_type, long(TMPFS_MAGIC)); // devtmpfs says tmpfs
    common_statfs_fields_sane(t, s);

    // status, not stat: qemu-user serves /proc/self/stat from a file of its own.
    int fd = open("/proc/self/status", O_RDONLY);
    ASSERT(fd >= 0);
    ASSERT_EQ(fstatfs(fd, &s), 0);
    EXPECT_EQ(s.f_type, long(PROC_SUPER_MAGIC));
    close(fd);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(fstatfs(fds[0], &s), 0);
    EXPECT_EQ(s.f_type, long(PIPEFS_MAGIC));
    EXPECT_EQ(s.f_bsize, long(4096));
    close(fds[0]);
    close(fds[1]);

    EXPECT_ERRNO(statfs("/no/such/path", &s), ENOENT);
    EXPECT_ERRNO(statfs("/proc", reinterpret_cast<struct statfs*>(8)), EFAULT);
    EXPECT_ERRNO(fstatfs(-1, &s), EBADF);
    EXPECT_ERRNO(fstatfs(9999, &s), EBADF);
}

void statfs_ram_filesystem(Test& t)
{
    struct statfs s = {};
    ASSERT_EQ(statfs(".", &s), 0);
    EXPECT_EQ(s.f_namelen, long(255));
    EXPECT(s.f_bsize > 0);
    EXPECT(s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_blocks && s.f_ffree <= s.f_files);
    if (platform().myriad) {
        // The root is the RAM filesystem: tmpfs's magic and real counts.
        EXPECT_EQ(s.f_type, long(TMPFS_MAGIC));
        common_statfs_fields_sane(t, s);
        EXPECT(s.f_blocks > 0 && s.f_files > 0 && s.f_ffree < s.f_files);
    } else {
        std::printf("# the scratch directory is on the host's disk: its type is the host's\n");
    }
    ASSERT(files_test::put("file", "data"));
    int fd = open("file", O_RDONLY);
    ASSERT(fd >= 0);
    struct statfs by_fd = {};
    ASSERT_EQ(fstatfs(fd, &by_fd), 0);
    EXPECT_EQ(by_fd.f_type, s.f_type);
    EXPECT_EQ(by_fd.f_blocks, s.f_blocks);
    close(fd);
}

void fsync_family(Test& t)
{
    ASSERT(files_test::put("file", "data"));
    int fd = open("file", O_RDONLY); // read-only is enough
    ASSERT(fd >= 0);
    EXPECT_EQ(fsync(fd), 0);
    EXPECT_EQ(fdatasync(fd), 0);
    EXPECT_EQ(syncfs(fd), 0);
    close(fd);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    ASSERT(dir >= 0);
    EXPECT_EQ(fsync(dir), 0);
    close(dir);
    // No fsync on a pipe (Linux: EINVAL); syncfs works on any descriptor.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    EXPECT_ERRNO(fsync(fds[0]), EINVAL);
    EXPECT_ERRNO(fdatasync(fds[1]), EINVAL);
    EXPECT_EQ(syncfs(fds[0]), 0);
    close(fds[0]);
    close(fds[1]);
    int null = open("/dev/null", O_WRONLY);
    ASSERT(null >= 0);
    EXPECT_ERRNO(fsync(null), EINVAL);
    close(null);
    for (int bad : {-1, 9999}) {
        EXPECT_ERRNO(fsync(bad), EBADF);
        EXPECT_ERRNO(fdatasync(bad), EBADF);
        EXPECT_ERRNO(syncfs(bad), EBADF);
    }
}

void fallocate_grows_and_checks(Test& t)
{
    int fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "abc", 3), 3L);
    // Mode 0 grows the file with zeros.
    ASSERT_EQ(fallocate(fd, 0, 0, 8192), 0);
    struct stat st = {};
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_size, long(8192));
    char buffer[8] = {};
    EXPECT_EQ(pread(fd, buffer, sizeof buffer, 0), 8L);
    EXPECT_EQ(std::string(buffer, 4), std::string("abc\0", 4));
    // Inside the file: no change. KEEP_SIZE: the size stays.
    ASSERT_EQ(fallocate(fd, 0, 100, 100), 0);
    ASSERT_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536), 0);
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_size, long(8192));
    // A punched hole reads as zeros, the size stays.
    ASSERT_EQ(pwrite(fd, "xyz", 3, 4096), 3L);
    ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 2), 0);
    EXPECT_EQ(pread(fd, buffer, 3, 4096), 3L);
    EXPECT_EQ(std::string(buffer, 3), std::string("\0\0z", 3));
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(st.st_size, long(8192));

    // Linux's checks, in vfs_fallocate's order.
    EXPECT_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
    EXPECT_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
    EXPECT_ERRNO(fallocate(fd, 0, 0, -5), EINVAL);
    EXPECT_ERRNO(fallocate(fd, 0x100, 0, 10), EOPNOTSUPP);             // an unknown mode
    EXPECT_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP); // without KEEP_SIZE
    // One mode at a time (Linux 6.13 on; earlier kernels said EINVAL here).
    EXPECT_ERRNO(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096), EOPNOTSUPP);
    EXPECT_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10),
                 EOPNOTSUPP);
    EXPECT_ERRNO(fallocate(fd, 0, 0x7fffffffffffff00, 0x1000), EFBIG);
    close(fd);

    fd = open("file", O_RDONLY);
    ASSERT(fd >= 0);
    EXPECT_ERRNO(fallocate(fd, 0, 0, 10), EBADF); // not open for writing
    close(fd);
    EXPECT_ERRNO(fallocate(-1, 0, 0, 10), EBADF);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    EXPECT_ERRNO(fallocate(fds[1], 0, 0, 10), ESPIPE);
    EXPECT_ERRNO(fallocate(fds[0], 0, 0, 10), EBADF); // the read end
    close(fds[0]);
    close(fds[1]);
    int null = open("/dev/null", O_WRONLY);
    ASSERT(null >= 0);
    EXPECT_ERRNO(fallocate(null, 0, 0, 10), ENODEV);
    close(null);
}

// ---- conformance_proc -----------------------------------------------------

std::vector<std::vector<std::string>> mount_lines(const std::string& text)
{
    std::vector<std::vector<std::string>> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        std::string field;
        while (fields >> field)
            f.push_back(field);
        lines.push_back(f);
    }
    return lines;
}

void proc_mounts_format(Test& t)
{
    std::string mounts = read_text("/proc/mounts");
    std::string self = read_text("/proc/self/mounts");
    ASSERT_EQ(mounts.substr(0, 1) == "<" ? mounts : std::string("readable"), std::string("readable"));
    EXPECT_EQ(self, mounts);
    char target[64] = {};
    EXPECT_EQ(readlink("/proc/mounts", target, sizeof target - 1), 11L);
    EXPECT_EQ(std::string(target), std::string("self/mounts"));
    bool proc_seen = false, root_seen = false;
    for (const auto& f : mount_lines(mounts)) {
        // SOURCE MOUNTPOINT TYPE OPTIONS 0 0
        if (!EXPECT_EQ(f.size(), size_t(6)))
            continue;
        EXPECT_EQ(f[4], std::string("0"));
        EXPECT_EQ(f[5], std::string("0"));
        EXPECT(f[3].rfind("rw", 0) == 0 || f[3].rfind("ro", 0) == 0);
        proc_seen |= f[1] == "/proc" && f[2] == "proc";
        root_seen |= f[1] == "/";
    }
    EXPECT(proc_seen);
    EXPECT(root_seen);
}

void proc_sys_kernel_files(Test& t)
{
    EXPECT_EQ(read_text("/proc/sys/kernel/tainted"), std::string("0\n"));
    std::string pattern = read_text("/proc/sys/kernel/core_pattern");
    if (platform().myriad)
        EXPECT_EQ(pattern, std::string("core\n"));
    else
        std::printf("# core_pattern is the host's: %s", pattern.c_str());
    std::string max_text = read_text("/proc/sys/kernel/pid_max");
    long max = std::strtol(max_text.c_str(), nullptr, 10);
    EXPECT(max >= 301 && max <= 4194304);
    EXPECT(max_text.size() > 1 && max_text.back() == '\n');
    EXPECT(getpid() < max);
    if (!platform().myriad) {
        std::printf("# pid_max is not written: it is the host's\n");
        return;
    }
    // Root writes it; new pids stay below it; out-of-range values are EINVAL.
    auto write_text = [](const char* text) {
        int fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
        if (fd < 0)
            return -errno;
        long n = write(fd, text, std::strlen(text));
        int error = errno;
        close(fd);
        return n < 0 ? -error : int(n);
    };
    EXPECT_EQ(write_text("300\n"), -EINVAL);
    EXPECT_EQ(write_text("4194305\n"), -EINVAL);
    EXPECT_EQ(write_text("12abc\n"), -EINVAL);
    long lowered = std::max(long(getpid()) + 64, 301L);
    std::string text = std::to_string(lowered) + "\n";
    ASSERT_EQ(write_text(text.c_str()), int(text.size()));
    EXPECT_EQ(read_text("/proc/sys/kernel/pid_max"), text);
    bool below = true;
    for (int i = 0; i < 80; ++i) { // enough forks to wrap
        pid_t pid = spawn([] { return 0; });
        if (pid < 0)
            break;
        below &= pid < lowered;
        wait_for(pid);
    }
    EXPECT(below);
    EXPECT_EQ(write_text(max_text.c_str()), int(max_text.size()));
    EXPECT_EQ(read_text("/proc/sys/kernel/pid_max"), max_text);
}

std::string link_of(const std::string& path)
{
    char target[4096];
    ssize_t n = readlink(path.c_str(), target, sizeof target);
    return n < 0 ? "<" + errno_name(errno) + ">" : std::string(target, size_t(n));
}

void proc_self_fd_links(Test& t)
{
    ASSERT(files_test::put("named", "contents"));
    std::string path = files_test::scratch_path() + "/named";
    int fd = open("named", O_RDONLY);
    ASSERT(fd >= 0);
    std::string fd_path = "/proc/self/fd/" + std::to_string(fd);
    EXPECT_EQ(link_of(fd_path), path);
    struct stat st = {};
    ASSERT_EQ(lstat(fd_path.c_str(), &st), 0);
    EXPECT(S_ISLNK(st.st_mode));
    // Opening the link opens the file itself.
    int again = open(fd_path.c_str(), O_RDONLY);
    ASSERT(again >= 0);
    char buffer[16] = {};
    EXPECT_EQ(read(again, buffer, sizeof buffer), 8L);
    EXPECT_EQ(std::string(buffer), std::string("contents"));
    close(again);

    int dir = open(".", O_RDONLY | O_DIRECTORY);
    ASSERT(dir >= 0);
    EXPECT_EQ(link_of("/proc/self/fd/" + std::to_string(dir)), files_test::scratch_path());
    close(dir);

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(fstat(fds[0], &st), 0);
    std::string pipe_name = "pipe:[" + std::to_string(st.st_ino) + "]";
    EXPECT_EQ(link_of("/proc/self/fd/" + std::to_string(fds[0])), pipe_name);
    EXPECT_EQ(link_of("/proc/self/fd/" + std::to_string(fds[1])), pipe_name);

    int null = open("/dev/null", O_RDONLY);
    ASSERT(null >= 0);
    EXPECT_EQ(link_of("/proc/self/fd/" + std::to_string(null)), std::string("/dev/null"));

    // The directory lists exactly the open descriptors.
    std::vector<int> listed;
    if (DIR* d = opendir("/proc/self/fd")) {
        int own = dirfd(d);
        while (struct dirent* e = readdir(d)) {
            if (e->d_name[0] == '.')
                continue;
            int n = std::atoi(e->d_name);
            if (n != own)
                listed.push_back(n);
            EXPECT_EQ(int(e->d_type), int(DT_LNK));
        }
        closedir(d);
    } else {
        t.fail(__FILE_NAME__, __LINE__, "opendir /proc/self/fd: " + errno_name(errno));
    }
    for (int open_fd : {fd, fds[0], fds[1], null})
        EXPECT(std::find(listed.begin(), listed.end(), open_fd) != listed.end());
    for (int n : listed)
        EXPECT(fcntl(n, F_GETFD) >= 0);
    close(null);
    close(fds[0]);
    close(fds[1]);
    close(fd);
    EXPECT_EQ(link_of(fd_path), std::string("<ENOENT>"));
}

// /dev/full (1,7): reads give zeros, every write fails with ENOSPC, as a
// full disk would (busybox's testsuite: dd must report the write error).
void dev_full(Test& t)
{
    int fd = open("/dev/full", O_RDWR);
    ASSERT(fd >= 0);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT(S_ISCHR(st.st_mode));
    EXPECT_EQ(major(st.st_rdev), 1u);
    EXPECT_EQ(minor(st.st_rdev), 7u);
    std::string buffer(5000, 'x');
    EXPECT_EQ(read(fd, buffer.data(), buffer.size()), 5000);
    EXPECT(buffer == std::string(5000, '\0'));
    EXPECT_ERRNO(write(fd, buffer.data(), 1), ENOSPC);
    EXPECT_ERRNO(pwrite(fd, buffer.data(), 10, 0), ENOSPC);
    EXPECT_ERRNO(write(fd, buffer.data(), 0), ENOSPC); // Linux's write_full: even for 0 bytes
    close(fd);
}

} // namespace

std::vector<ut::Case> conformance_files_cases()
{
    return {
        {"statfs_pseudo_filesystems", statfs_pseudo_filesystems},
        {"statfs_ram_filesystem", scratch<statfs_ram_filesystem>},
        {"fsync_family", scratch<fsync_family>},
        {"fallocate_grows_and_checks", scratch<fallocate_grows_and_checks>},
        {"dev_full", dev_full},
    };
}

std::vector<ut::Case> conformance_proc_cases()
{
    return {
        {"proc_mounts_format", proc_mounts_format},
        {"proc_sys_kernel_files", proc_sys_kernel_files},
        {"proc_self_fd_links", scratch<proc_self_fd_links>},
    };
}
