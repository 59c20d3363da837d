// The small system calls every program leans on: brk, nanosleep,
// clock_gettime, uname, sysinfo -- and a C++ program using the standard
// library (static constructors, the heap, exceptions, TLS) as any would.
#include "groups.h"
#include "harness.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <grp.h>
#include <pwd.h>
#include <sys/klog.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

constexpr std::uintptr_t k_page = 4096;

char* page_align_up(void* p) { return reinterpret_cast<char*>((std::uintptr_t(p) + k_page - 1) & ~(k_page - 1)); }

long raw_brk(const void* address) { return syscall(SYS_brk, address); }

void brk_grows_and_shrinks(Test& t)
{
    char* start = static_cast<char*>(sbrk(0));
    ASSERT(start != reinterpret_cast<char*>(-1));
    EXPECT_EQ(raw_brk(nullptr), long(start)); // brk(0) asks for the break

    char* base = page_align_up(start);
    ASSERT_EQ(brk(base), 0);
    constexpr size_t k_grow = 1 << 20;
    ASSERT_EQ(brk(base + k_grow), 0);
    EXPECT_EQ(static_cast<void*>(sbrk(0)), static_cast<void*>(base + k_grow));
    // New heap memory reads as zero and is writable.
    size_t nonzero = 0;
    for (size_t i = 0; i < k_grow; i += 512)
        nonzero += base[i] != 0;
    EXPECT_EQ(nonzero, size_t(0));
    std::memset(base, 0x5a, k_grow);
    EXPECT_EQ(base[k_grow - 1], char(0x5a));

    // sbrk: increments return the old break.
    EXPECT_EQ(static_cast<void*>(sbrk(4 * k_page)), static_cast<void*>(base + k_grow));
    EXPECT_EQ(static_cast<void*>(sbrk(-long(4 * k_page))), static_cast<void*>(base + k_grow + 4 * k_page));

    ASSERT_EQ(brk(base), 0);
    EXPECT_EQ(static_cast<void*>(sbrk(0)), static_cast<void*>(base));

    // A request the kernel refuses leaves the break where it was (the raw
    // system call returns the current break; Linux mm/mmap.c brk).
    EXPECT_EQ(raw_brk(reinterpret_cast<void*>(1UL << 46)), long(base)); // beyond Sv39 user space
    EXPECT_EQ(raw_brk(reinterpret_cast<void*>(k_page)), long(base));    // below the program
    EXPECT_EQ(raw_brk(nullptr), long(base));
}

void brk_shrink_releases_memory(Test& t)
{
    if (!platform().myriad)
        SKIP("qemu-user keeps the pages when the break shrinks");
    char* base = page_align_up(sbrk(0));
    ASSERT_EQ(brk(base), 0);
    ASSERT_EQ(brk(base + 16 * k_page), 0);
    std::memset(base, 0x77, 16 * k_page);
    ASSERT_EQ(brk(base), 0);
    // The pages are gone: touching them faults...
    pid_t pid = spawn([base] {
        *reinterpret_cast<volatile char*>(base) = 1;
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), "killed by SIGSEGV");
    // ...and growing again gives fresh zeroed pages, not the old ones.
    ASSERT_EQ(brk(base + 16 * k_page), 0);
    EXPECT_EQ(int(base[0]), 0);
    EXPECT_EQ(int(base[16 * k_page - 1]), 0);
    EXPECT_EQ(brk(base), 0);
}

void nanosleep_sleeps(Test& t)
{
    const double before = monotonic_seconds();
    timespec request{0, 50'000'000};
    timespec remaining{1, 1};
    EXPECT_EQ(nanosleep(&request, &remaining), 0);
    const double slept = monotonic_seconds() - before;
    if (slept < 0.05 || slept > 5) // at least as asked, and woke up
        t.fail(__FILE_NAME__, __LINE__, "asked for 0.05 s, slept " + std::to_string(slept) + " s");

    timespec zero{0, 0};
    EXPECT_EQ(nanosleep(&zero, nullptr), 0);
    // Linux kernel/time/hrtimer.c: tv_nsec must be in [0, 1e9), tv_sec >= 0.
    timespec bad_nsec{0, 1'000'000'000};
    EXPECT_ERRNO(syscall(SYS_nanosleep, &bad_nsec, nullptr), EINVAL);
    timespec negative_nsec{0, -1};
    EXPECT_ERRNO(syscall(SYS_nanosleep, &negative_nsec, nullptr), EINVAL);
    timespec negative_sec{-1, 0};
    EXPECT_ERRNO(syscall(SYS_nanosleep, &negative_sec, nullptr), EINVAL);
}

double seconds_of(const timespec& ts) { return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9; }

void clock_monotonic_advances(Test& t)
{
    timespec a{}, b{};
    ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &a), 0);
    EXPECT(a.tv_nsec >= 0 && a.tv_nsec < 1'000'000'000);
    // It advances while we compute...
    const double deadline = seconds_of(a) + 2;
    do {
        ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &b), 0);
    } while (seconds_of(b) == seconds_of(a) && seconds_of(b) < deadline);
    EXPECT(seconds_of(b) > seconds_of(a));
    // ...and while we sleep, never backwards.
    sleep_seconds(0.02);
    timespec c{};
    ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &c), 0);
    EXPECT(seconds_of(c) - seconds_of(b) >= 0.02);

    timespec resolution{};
    EXPECT_EQ(clock_getres(CLOCK_MONOTONIC, &resolution), 0);
    EXPECT(seconds_of(resolution) > 0 && seconds_of(resolution) <= 0.01);
    timespec now{};
    EXPECT_EQ(clock_gettime(CLOCK_REALTIME, &now), 0);
    EXPECT_ERRNO(syscall(SYS_clock_gettime, 12345, &now), EINVAL);
}

void uname_works(Test& t)
{
    utsname u{};
    ASSERT_EQ(uname(&u), 0);
    // Linux for compatibility; Myriad says who it is in `version`.
    EXPECT_EQ(std::string(u.sysname), "Linux");
    EXPECT_EQ(std::string(u.machine), "riscv64");
    EXPECT(std::strlen(u.release) > 0);
    EXPECT(std::strlen(u.version) > 0);
    EXPECT(std::strlen(u.nodename) > 0);
    EXPECT_EQ(std::strstr(u.version, "Myriad") != nullptr, platform().myriad);
}

void sysinfo_works(Test& t)
{
    struct sysinfo info{};
    ASSERT_EQ(sysinfo(&info), 0);
    EXPECT(info.mem_unit >= 1);
    EXPECT(info.totalram > 0);
    EXPECT(info.freeram > 0);
    EXPECT(info.freeram <= info.totalram);
    EXPECT(info.procs >= 2); // at least the runner and this case
}

// syslog(2) through glibc's klogctl, as busybox's dmesg calls it: the
// ring's size, then everything kept, which holds the kernel's boot lines.
void syslog_reads_the_kernel_log(Test& t)
{
    constexpr int READ_ALL = 3, SIZE_BUFFER = 10, SIZE_UNREAD = 9;
    int size = klogctl(SIZE_BUFFER, nullptr, 0);
    if (size < 0 && (errno == EPERM || errno == ENOSYS))
        SKIP("the host restricts the kernel log (dmesg_restrict) or qemu-user lacks syslog");
    ASSERT(size > 0);
    std::string log(size_t(size), '\0');
    int n = klogctl(READ_ALL, log.data(), size);
    ASSERT(n > 0 && n <= size);
    log.resize(size_t(n));
    EXPECT(log.find('\n') != std::string::npos);
    if (platform().myriad) {
        EXPECT(log.find("scheduler:") != std::string::npos); // a line every boot prints
        EXPECT(log.find("] ") != std::string::npos);          // the time prefix
    }
    EXPECT_EQ(log.back(), '\n');
    // Reading everything does not consume it. A short read gets the newest
    // whole lines: none fits in 8 bytes.
    char last[8];
    EXPECT_EQ(klogctl(READ_ALL, last, sizeof last), 0);
    std::string tail(200, '\0');
    int m = klogctl(READ_ALL, tail.data(), int(tail.size()));
    EXPECT(m > 0 && m <= 200);
    tail.resize(size_t(m > 0 ? m : 0));
    EXPECT(!tail.empty() && tail.back() == '\n');
    EXPECT(klogctl(SIZE_UNREAD, nullptr, 0) >= 0);
    // qemu-user's syslog reads the length from the buffer's register
    // (linux-user/syscall.c: `int len = arg2`), so it answers these
    // differently from Linux: checked on Myriad only.
    if (!platform().myriad)
        return;
    // Bad arguments: EINVAL, a bad buffer EFAULT.
    errno = 0;
    EXPECT_EQ(klogctl(READ_ALL, nullptr, 16), -1);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(klogctl(READ_ALL, log.data(), -1), -1);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(klogctl(99, log.data(), 16), -1);
    EXPECT_EQ(errno, EINVAL);
    errno = 0;
    EXPECT_EQ(klogctl(READ_ALL, reinterpret_cast<char*>(0xffffffff80000000ull), 16), -1); // not user memory
    EXPECT_EQ(errno, EFAULT);
    errno = 0;
    EXPECT_EQ(klogctl(READ_ALL, reinterpret_cast<char*>(16), 4096), -1); // user, but unmapped
    EXPECT_EQ(errno, EFAULT);
}

// The image's /etc/passwd and /etc/group (Debian's names for 0 and
// 65534), read through glibc as ps and id read them; the Linux reference
// reads the host's, which has the same.
void users_and_groups_have_names(Test& t)
{
    const passwd* root = getpwuid(0);
    ASSERT(root != nullptr);
    EXPECT_EQ(std::string(root->pw_name), "root");
    EXPECT_EQ(root->pw_gid, gid_t(0));
    const passwd* nobody = getpwnam("nobody");
    ASSERT(nobody != nullptr);
    EXPECT_EQ(nobody->pw_uid, uid_t(65534));
    const group* wheel = getgrgid(0);
    ASSERT(wheel != nullptr);
    EXPECT_EQ(std::string(wheel->gr_name), "root");
    EXPECT(getpwnam("no-such-user-here") == nullptr);
}

thread_local int t_counter = 40;

struct Registered {
    Registered() { value = 7; }
    int value = 0;
};
Registered g_registered; // a global constructor ran before main

void cxx_runtime(Test& t)
{
    std::vector<std::string> words = {"wait", "fork", "exec", "exit"};
    std::sort(words.begin(), words.end());
    std::string joined = std::accumulate(std::next(words.begin()), words.end(), words.front(),
                                         [](std::string a, const std::string& b) { return a + "," + b; });
    EXPECT_EQ(joined, "exec,exit,fork,wait");
    std::printf("        # cxx: %s, %zu words, %s\n", joined.c_str(), words.size(), std::to_string(6 * 7).c_str());

    std::map<std::string, int> lengths;
    for (const auto& w : words)
        lengths[w] = int(w.size());
    EXPECT_EQ(lengths.size(), size_t(4));
    EXPECT_EQ(lengths["fork"], 4);

    auto owned = std::make_unique<std::vector<int>>(1000, 3);
    EXPECT_EQ(std::accumulate(owned->begin(), owned->end(), 0), 3000);

    // Exceptions unwind through the static binary's .eh_frame.
    std::string caught;
    try {
        throw std::runtime_error("thrown");
    } catch (const std::exception& e) {
        caught = e.what();
    }
    EXPECT_EQ(caught, "thrown");

    // Thread-local storage (tp-relative, set up by static glibc).
    t_counter += 2;
    EXPECT_EQ(t_counter, 42);
    EXPECT_EQ(g_registered.value, 7);

    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%d-%s-%.2f", 7, "x", 2.5);
    EXPECT_EQ(std::string(buffer), "7-x-2.50");
}

} // namespace

std::vector<ut::Case> basic_cases()
{
    return {
        {"brk_grows_and_shrinks", brk_grows_and_shrinks},
        {"brk_shrink_releases_memory", brk_shrink_releases_memory},
        {"nanosleep_sleeps", nanosleep_sleeps},
        {"clock_monotonic_advances", clock_monotonic_advances},
        {"uname_works", uname_works},
        {"sysinfo_works", sysinfo_works},
        {"syslog_reads_the_kernel_log", syslog_reads_the_kernel_log},
        {"users_and_groups_have_names", users_and_groups_have_names},
        {"cxx_runtime", cxx_runtime},
    };
}
