// The `fuzz_regressions` group: what the syscall fuzzer (userland/fuzz)
// found outside the issues already filed, one case per finding, each
// failing on the kernel the fuzzer found it in. They also run under
// qemu-user: every expectation is what Linux does.
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string>
#include <unistd.h>

namespace {

using namespace ut;
using files_test::put;
using files_test::scratch;

// lseek's new position is base + offset; when that sum does not fit in
// an off_t, Linux says EINVAL (vfs_setpos) and the position stays. Myriad
// formed the sum before checking it: signed overflow, which the test
// kernel's UBSan reports as a panic (fuzzer: lseek(fd, 0x7ffffffffffff000,
// SEEK_END) on a 4 KiB file).
void lseek_past_the_largest_offset_is_einval(Test& t)
{
    ASSERT(put("f", std::string(4096, 'x')));
    int fd = open("f", O_RDONLY);
    ASSERT(fd >= 0);
    EXPECT_ERRNO(lseek(fd, LLONG_MAX - 4095, SEEK_END), EINVAL);
    EXPECT_ERRNO(lseek(fd, LLONG_MAX, SEEK_END), EINVAL);
    EXPECT_ERRNO(lseek(fd, LLONG_MIN, SEEK_END), EINVAL);
    EXPECT_EQ(lseek(fd, 1, SEEK_SET), off_t(1));
    EXPECT_ERRNO(lseek(fd, LLONG_MAX, SEEK_CUR), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), off_t(1)); // unchanged by the failures
    close(fd);
}

// The same for a /proc file (Linux: seq_lseek, EINVAL for SEEK_END and
// for a position that wraps).
void lseek_in_proc_past_the_largest_offset_is_einval(Test& t)
{
    int fd = open("/proc/self/stat", O_RDONLY);
    ASSERT(fd >= 0);
    char c;
    ASSERT_EQ(read(fd, &c, 1), ssize_t(1));
    EXPECT_ERRNO(lseek(fd, LLONG_MAX, SEEK_CUR), EINVAL);
    EXPECT_ERRNO(lseek(fd, LLONG_MAX, SEEK_END), EINVAL);
    EXPECT_EQ(lseek(fd, 0, SEEK_CUR), off_t(1));
    close(fd);
}

// execve with an empty argv (argc 0: Linux allows it) left the kernel
// copying the command line for /proc from a null argument block: memcpy
// from nullptr, which the test kernel's UBSan reports as a panic (fuzzer:
// a throwaway child's execve of a #! script with an empty vector).
constexpr int k_exec_failed = 99;

void execve_with_an_empty_argv(Test& t)
{
    REQUIRE_EXEC();
    const std::string path = image_path("bin/true");
    for (int variant = 0; variant < 2; ++variant) {
        pid_t pid = spawn([&] {
            char* empty[] = {nullptr};
            char* env[] = {nullptr};
            int null_fd = open("/dev/null", O_WRONLY); // true(1) without a name prints its usage
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            // The system call itself: glibc declares argv non-null.
            syscall(SYS_execve, path.c_str(), variant == 0 ? empty : nullptr, env);
            return k_exec_failed;
        });
        ASSERT(pid > 0);
        int status = wait_for(pid);
        // Whatever the program makes of argc 0, the exec happened and the
        // kernel is still here to report how the program ended.
        EXPECT(WIFEXITED(status) || WIFSIGNALED(status));
        if (WIFEXITED(status))
            EXPECT(WEXITSTATUS(status) != k_exec_failed);
    }
}

// Seed 92 (4 harts): mlock of a range far past the user half made the
// kernel walk 2^35 pages, bringing in what it had not locked, without
// ever looking for a SIGKILL. A hole at the start is ENOMEM at once.
void mlock_of_a_huge_unmapped_range_returns(Test& t)
{
    errno = 0;
    EXPECT_EQ(syscall(SYS_mlock, 0x7ffffffff000ul, 0x7ffffffff000ul), -1);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    EXPECT_EQ(syscall(SYS_mlock, 0x1000ul, ~0ul - 0x2000), -1); // from page 1 nearly to the top
    EXPECT_EQ(errno, ENOMEM);
}

} // namespace

std::vector<Case> fuzz_regression_cases()
{
    return {
        {"lseek_past_the_largest_offset_is_einval", scratch<lseek_past_the_largest_offset_is_einval>},
        {"lseek_in_proc_past_the_largest_offset_is_einval", lseek_in_proc_past_the_largest_offset_is_einval},
        {"execve_with_an_empty_argv", execve_with_an_empty_argv},
        {"mlock_of_a_huge_unmapped_range_returns", mlock_of_a_huge_unmapped_range_returns},
    };
}
