// No leaks: after processes come and go, the kernel has exactly as much
// free memory as before (sysinfo(2) freeram). Myriad promises exact
// accounting; under Linux freeram is the whole machine's and moves on
// its own, so these cases skip there.
#include "elf_mutants.h"
#include "groups.h"
#include "harness.h"

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <fstream>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

struct Snapshot {
    unsigned long long free_bytes = 0;
    unsigned long procs = 0;
};

Snapshot snapshot()
{
    struct sysinfo info{};
    if (sysinfo(&info) != 0)
        return {};
    return {static_cast<unsigned long long>(info.freeram) * info.mem_unit, info.procs};
}

// Where the kernel's own memory is (/proc/meminfo's Slab, KernelStack,
// Cached), to say where a loss went when there is one.
std::string kernel_memory()
{
    std::ifstream in("/proc/meminfo");
    std::string line, out;
    while (std::getline(in, line))
        for (const char* key : {"Slab:", "KernelStack:", "Cached:"})
            if (line.rfind(key, 0) == 0) {
                std::string value = line.substr(std::string(key).size());
                value.erase(0, value.find_first_not_of(' '));
                out += std::string(out.empty() ? "" : ", ") + key + " " + value;
            }
    return "(" + out + ")";
}

// Runs `one` (which returns a failure description, empty if fine) in a
// driver process, `warm_ups` times and then `rounds` times between two
// snapshots of free memory. The driver has exited by each snapshot, so
// whatever its own heap and stack grew by is back; and since this process
// runs exactly the same code for the warm-up as for the measurement, its
// own first-time costs (a stack page, program pages faulted into the page
// cache) are paid before the baseline. What is left to see is what the
// kernel failed to give back. Everything that ends meanwhile is reaped
// here (orphans come to us when we are init).
template<typename One>
void expect_no_leak(Test& t, int rounds, One one, int warm_ups = 10, bool measure_twice = false)
{
    if (!platform().myriad)
        SKIP("sysinfo freeram is the whole Linux machine's; exact accounting is Myriad's promise");
    auto run_driver = [&](int count) -> std::string {
        const Snapshot start = snapshot();
        pid_t driver = spawn([&] {
            for (int i = 0; i < count; ++i) {
                if (std::string problem = one(); !problem.empty()) {
                    child_diagnostic(__FILE_NAME__, __LINE__, "round " + std::to_string(i) + ": " + problem);
                    return 1;
                }
            }
            return 0;
        });
        if (driver < 0)
            return "fork: " + errno_name(errno);
        int status = -1;
        for (;;) {
            pid_t done = waitpid(-1, &status, 0);
            if (done == driver)
                break;
            if (done < 0 && errno != EINTR)
                return "waitpid: " + errno_name(errno);
        }
        for (double give_up = monotonic_seconds() + 30; snapshot().procs > start.procs && monotonic_seconds() < give_up;) {
            while (waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            sleep_seconds(0.05);
        }
        return status == 0 ? "" : "the driver " + describe_status(status);
    };
    if (std::string problem = run_driver(warm_ups); !problem.empty())
        return t.fail(__FILE_NAME__, __LINE__, "warm-up: " + problem);
    for (int measurement = 1;; ++measurement) {
        const std::string kernel_before = kernel_memory();
        const Snapshot before = snapshot();
        if (std::string problem = run_driver(rounds); !problem.empty())
            return t.fail(__FILE_NAME__, __LINE__, problem);
        Snapshot after = snapshot();
        // The last frees of a reaped process can trail its reaping on
        // another hart (a dead thread's stack goes when that hart next
        // switches; an idle hart does so at its next tick): give them a
        // moment. A leak stays.
        for (double settle = monotonic_seconds() + 1; after.free_bytes != before.free_bytes && monotonic_seconds() < settle;) {
            sleep_seconds(0.02);
            after = snapshot();
        }
        const std::string kernel_after = kernel_memory();
        EXPECT(before.free_bytes > 0);
        EXPECT_EQ(after.procs, before.procs);
        if (after.free_bytes == before.free_bytes)
            return;
        long long delta = static_cast<long long>(before.free_bytes) - static_cast<long long>(after.free_bytes);
        std::string what = "free memory " + std::to_string(before.free_bytes) + " -> " +
                           std::to_string(after.free_bytes) + " bytes: " + std::to_string(delta) + " bytes (" +
                           std::to_string(delta / 4096) + " pages) lost over " + std::to_string(rounds) +
                           " rounds; kernel " + kernel_before + " -> " + kernel_after;
        if (measurement == 1 && measure_twice) {
            // A one-off growth of something the kernel keeps (it happened
            // about once in ten runs of the fork bomb under a loaded host,
            // cause not found yet) must not recur; a leak does.
            std::printf("# first measurement: %s; measuring again\n", what.c_str());
            continue;
        }
        return t.fail(__FILE_NAME__, __LINE__, what);
    }
}

void fork_exec_true_no_leak(Test& t)
{
    REQUIRE_EXEC();
    const std::string path = image_path("bin/true");
    expect_no_leak(t, 1000, [&]() -> std::string {
        pid_t pid = spawn([&] {
            char arg0[] = "true";
            char* argv[] = {arg0, nullptr};
            execve(path.c_str(), argv, environ);
            return 100 + errno;
        });
        if (pid < 0)
            return "fork: " + errno_name(errno);
        int status = wait_for(pid);
        return status == 0 ? "" : "/bin/true " + describe_status(status);
    });
}

// execve refused after the kernel built part of the new image (a segment
// it cannot map: the new address space is made, then dropped), for its
// size (E2BIG, after copying most of 2 MiB of arguments) and for a bad
// pointer (EFAULT): every round gives everything back.
void refused_exec_no_leak(Test& t)
{
    REQUIRE_EXEC();
    std::vector<unsigned char> bytes = elf_mutants::read_file(image_path("bin/exec_probe"));
    ASSERT(!bytes.empty());
    for (const elf_mutants::Mutant& m : elf_mutants::all())
        if (std::string(m.name) == "segment not mappable at a page offset")
            m.damage(bytes);
    const std::string mutant = "/tmp/leak-mutant", probe = image_path("bin/exec_probe");
    ASSERT(elf_mutants::write_file(mutant, bytes));
    std::string big(100000, 'b');
    std::vector<char*> too_many(24, big.data());
    too_many.push_back(nullptr);
    char arg0[] = "exec_probe";
    char* argv[] = {arg0, nullptr};
    char* bad[] = {arg0, reinterpret_cast<char*>(8), nullptr};
    expect_no_leak(t, 20, [&]() -> std::string {
        struct Try {
            const char* path;
            char* const* argv;
            int expected;
        };
        for (const Try& x : {Try{mutant.c_str(), argv, EINVAL}, Try{probe.c_str(), too_many.data(), E2BIG},
                             Try{probe.c_str(), bad, EFAULT}}) {
            pid_t pid = spawn([&] {
                execve(x.path, x.argv, environ);
                return errno == x.expected ? 0 : 1;
            });
            if (pid < 0)
                return "fork: " + errno_name(errno);
            if (int status = wait_for(pid); status != 0)
                return std::string(x.path) + " expecting " + errno_name(x.expected) + ": the child " +
                       describe_status(status);
        }
        return "";
    });
    unlink(mutant.c_str());
}

void fork_crash_no_leak(Test& t)
{
    // Children that grow their heap and stack, then die of a fault: the
    // kernel cleans up after a killed process as after an exiting one.
    expect_no_leak(t, 200, []() -> std::string {
        pid_t pid = spawn([] {
            std::vector<char> heap(64 * 1024, 1);
            volatile char stack[16 * 1024];
            stack[0] = heap[100];
            *reinterpret_cast<volatile int*>(0) = stack[0];
            return 0;
        });
        if (pid < 0)
            return "fork: " + errno_name(errno);
        std::string how = describe_status(wait_for(pid));
        return how == "killed by SIGSEGV" ? "" : "the child " + how;
    });
}

// Epoll sets, their items, eventfds and poll registrations come back
// whichever goes first: the watched files before the set, the set before
// the files, and a set inside another.
void epoll_eventfd_no_leak(Test& t)
{
    expect_no_leak(t, 100, []() -> std::string {
        int p[2], q[2];
        if (pipe(p) != 0 || pipe(q) != 0)
            return "pipe: " + errno_name(errno);
        int efd = eventfd(1, 0), ep = epoll_create1(0), outer = epoll_create1(0);
        if (efd < 0 || ep < 0 || outer < 0)
            return "eventfd/epoll_create1: " + errno_name(errno);
        epoll_event ev{EPOLLIN | EPOLLOUT, {}};
        for (int fd : {p[0], p[1], q[0], efd})
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
                return "epoll_ctl: " + errno_name(errno);
        if (epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev) != 0 || epoll_ctl(outer, EPOLL_CTL_ADD, q[1], &ev) != 0)
            return "epoll_ctl (outer): " + errno_name(errno);
        epoll_event out[8];
        if (epoll_wait(outer, out, 8, 0) != 2)
            return "epoll_wait: not both ready";
        pollfd fds[3] = {{p[0], POLLIN, 0}, {ep, POLLIN, 0}, {efd, POLLIN, 0}};
        if (poll(fds, 3, 1) != 2)
            return "poll: not two ready";
        close(p[0]); // a watched file before its set
        close(efd);
        close(outer); // a set before its files
        close(ep);
        close(p[1]);
        close(q[0]);
        close(q[1]);
        return "";
    });
}

void proc_rename_attempts_no_leak(Test& t)
{
    // A tree with 64 KiB in it, pushed at /proc: once it vanished there
    // without being freed (6.4 MB lost over 100 rounds). Now the rename
    // is EXDEV and the tree is removed here.
    expect_no_leak(t, 100, []() -> std::string {
        if (mkdir("/tmp/leak-q", 0755) != 0 || mkdir("/tmp/leak-q/sub", 0755) != 0)
            return "mkdir: " + errno_name(errno);
        int fd = open("/tmp/leak-q/sub/f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            return "open: " + errno_name(errno);
        static char block[65536];
        bool written = write(fd, block, sizeof block) == ssize_t(sizeof block);
        close(fd);
        if (!written)
            return "write failed";
        errno = 0;
        if (rename("/tmp/leak-q", "/proc/77777") == 0 || errno != EXDEV)
            return "rename into /proc: " + errno_name(errno);
        struct stat st {};
        if (stat("/proc/77777", &st) == 0)
            return "/proc/77777 exists";
        if (unlink("/tmp/leak-q/sub/f") != 0 || rmdir("/tmp/leak-q/sub") != 0 || rmdir("/tmp/leak-q") != 0)
            return "cleanup: " + errno_name(errno);
        return "";
    });
}

// --- Out of memory (the `oom` group, booted with --mem 64M) ------------------

constexpr size_t k_chunk = 1 << 20;

// In a child: allocate 1 MiB chunks with `grab` (which returns nullptr
// and sets errno on failure) and touch every page, until refused. The
// refusal must be ENOMEM, after a sensible amount, and never a kill.
template<typename Grab>
std::string exhaust(Grab grab)
{
    pid_t pid = spawn([&] {
        for (int chunks = 0; chunks < 100000; ++chunks) {
            errno = 0;
            auto* p = static_cast<char*>(grab());
            if (!p) {
                if (errno != ENOMEM) {
                    child_diagnostic(__FILE_NAME__, __LINE__, "refused with " + errno_name(errno));
                    return 2;
                }
                return chunks >= 8 ? 0 : 3; // 64 MiB holds at least 8 MiB for us
            }
            for (size_t i = 0; i < k_chunk; i += 4096)
                p[i] = 1;
        }
        return 4; // never refused
    });
    if (pid < 0)
        return "fork: " + errno_name(errno);
    std::string how = describe_status(wait_for(pid));
    return how == "exited with status 0" ? "" : "the allocating child " + how;
}

void mmap_until_enomem(Test& t)
{
    expect_no_leak(t, 1, [] {
        return exhaust([]() -> void* {
            void* p = mmap(nullptr, k_chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            return p == MAP_FAILED ? nullptr : p;
        });
    }, 2);
}

void brk_until_enomem(Test& t)
{
    expect_no_leak(t, 1, [] {
        return exhaust([]() -> void* {
            void* p = sbrk(k_chunk);
            return p == reinterpret_cast<void*>(-1) ? nullptr : p;
        });
    }, 2);
}

void malloc_until_null(Test& t)
{
    // glibc falls back from brk to mmap; both refused: malloc says NULL.
    expect_no_leak(t, 1, [] { return exhaust([] { return std::malloc(k_chunk); }); }, 2);
}

// Memory granted but not there when touched: the toucher is killed
// (SIGKILL, "out of memory" on the console), nothing else.
void fault_without_memory_kills_the_faulter(Test& t)
{
    expect_no_leak(t, 1, [] () -> std::string {
        int to_runner[2], to_toucher[2];
        if (pipe(to_runner) != 0 || pipe(to_toucher) != 0)
            return "pipe: " + errno_name(errno);
        struct sysinfo info{};
        sysinfo(&info);
        size_t size = static_cast<size_t>(info.freeram) * info.mem_unit / 10 * 6 & ~size_t(4095);
        pid_t toucher = spawn([&] {
            auto* p = static_cast<char*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
            CHILD_CHECK(p != MAP_FAILED); // granted: that much is free now
            (void)!write(to_runner[1], "m", 1);
            char c;
            CHILD_CHECK(read(to_toucher[0], &c, 1) == 1);
            for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
            return 0; // should not get here
        });
        char c;
        if (toucher < 0 || read(to_runner[0], &c, 1) != 1)
            return "the toucher did not map";
        // A hog takes everything else, then waits.
        pid_t hog = spawn([&] {
            for (;;) {
                void* p = mmap(nullptr, k_chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                    break;
                std::memset(p, 1, k_chunk);
            }
            (void)!write(to_runner[1], "h", 1);
            pause();
            return 0;
        });
        if (hog < 0 || read(to_runner[0], &c, 1) != 1)
            return "the hog did not fill memory";
        (void)!write(to_toucher[1], "g", 1);
        std::string toucher_end = describe_status(wait_for(toucher));
        kill(hog, SIGKILL);
        std::string hog_end = describe_status(wait_for(hog));
        for (int fd : {to_runner[0], to_runner[1], to_toucher[0], to_toucher[1]})
            close(fd);
        if (toucher_end != "killed by SIGKILL")
            return "the toucher " + toucher_end + ", expected killed by SIGKILL";
        return hog_end == "killed by SIGKILL" ? "" : "the hog " + hog_end;
    }, 2);
}

// Forking until refused gets EAGAIN (RLIMIT_NPROC) or ENOMEM, and killing
// the bomb gives every page back.
void fork_bomb_is_refused_and_cleaned_up(Test& t)
{
    expect_no_leak(t, 1, [] () -> std::string {
        const unsigned long procs_before = snapshot().procs;
        int report[2];
        if (pipe(report) != 0)
            return "pipe: " + errno_name(errno);
        pid_t leader = spawn([&] {
            setpgid(0, 0);
            int forked = 0;
            for (;;) {
                pid_t pid = fork();
                if (pid == 0) {
                    pause();
                    _exit(0);
                }
                if (pid < 0)
                    break;
                ++forked;
            }
            int result[2] = {forked, errno};
            (void)!write(report[1], result, sizeof result);
            pause();
            return 0;
        });
        int result[2] = {};
        bool reported = leader > 0 && read(report[0], result, sizeof result) == ssize_t(sizeof result);
        if (leader > 0)
            kill(-leader, SIGKILL);
        close(report[0]);
        close(report[1]);
        if (leader > 0)
            wait_for(leader);
        // The bomb's children were orphaned to init (this process, when
        // the suite is init): wait until every one is reaped.
        double deadline = monotonic_seconds() + 60;
        while (snapshot().procs > procs_before && monotonic_seconds() < deadline) {
            while (waitpid(-1, nullptr, WNOHANG) > 0) {
            }
            sleep_seconds(0.05);
        }
        if (!reported)
            return "the bomb did not report";
        std::printf("# fork bomb: %d processes, then %s\n", result[0], errno_name(result[1]).c_str());
        if (result[1] != EAGAIN && result[1] != ENOMEM)
            return "fork refused with " + errno_name(result[1]);
        return result[0] >= 50 ? "" : "only " + std::to_string(result[0]) + " forks";
    }, 3, /*measure_twice=*/true);
}

} // namespace

std::vector<ut::Case> oom_cases()
{
    return {
        {"mmap_until_enomem", mmap_until_enomem, 0},
        {"brk_until_enomem", brk_until_enomem, 0},
        {"malloc_until_null", malloc_until_null, 0},
        {"fault_without_memory_kills_the_faulter", fault_without_memory_kills_the_faulter, 0},
        {"fork_bomb_is_refused_and_cleaned_up", fork_bomb_is_refused_and_cleaned_up, 0, Isolation::runner_when_init},
    };
}

std::vector<ut::Case> leak_cases()
{
    return {
        // No timeout: a polling runner would sleep and wake meanwhile, and
        // its kernel timers could show up in the count.
        {"fork_exec_true_no_leak", fork_exec_true_no_leak, 0},
        {"fork_crash_no_leak", fork_crash_no_leak, 0},
        {"proc_rename_attempts_no_leak", proc_rename_attempts_no_leak, 0},
        {"epoll_eventfd_no_leak", epoll_eventfd_no_leak, 0},
        {"refused_exec_no_leak", refused_exec_no_leak, 0},
    };
}
