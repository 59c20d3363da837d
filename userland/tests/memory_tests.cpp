// Memory: each process's memory is its own after fork (copy on
// write), MAP_SHARED memory is not, protections hold, the mmap family
// splits, moves and discards exactly as Linux does, fresh pages are
// zero, the stack grows to its limit and no further, and a program's text
// is one copy however many processes run it. Runs under Myriad and under
// qemu-riscv64-static (Linux); the page-counting cases are Myriad's.
#include "groups.h"
#include "harness.h"

#include <csetjmp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;

constexpr size_t k_page = 4096;

int g_data = 42;  // .data
int g_bss;        // .bss

void* map_anon(size_t length, int prot = PROT_READ | PROT_WRITE, int flags = MAP_PRIVATE)
{
    return mmap(nullptr, length, prot, flags | MAP_ANONYMOUS, -1, 0);
}

// One byte through a pipe: "go on".
void signal_pipe(int fd) { (void)!write(fd, "x", 1); }
bool await_pipe(int fd)
{
    char c;
    return read(fd, &c, 1) == 1;
}

void fork_isolates_private_memory(Test& t)
{
    int stack_value = 7;
    auto* heap = static_cast<int*>(std::malloc(64 * 1024));
    ASSERT(heap != nullptr);
    heap[0] = heap[16383] = 5;
    auto* mapped = static_cast<int*>(map_anon(4 * k_page));
    ASSERT(mapped != MAP_FAILED);
    mapped[0] = 9;
    g_data = 42;
    g_bss = 0;
    int to_child[2], to_parent[2];
    ASSERT(pipe(to_child) == 0 && pipe(to_parent) == 0);
    volatile int* stack_pointer = &stack_value;
    pid_t pid = spawn([&] {
        // The child writes everywhere, then checks the parent's writes
        // made after the fork did not reach it.
        *stack_pointer = 70;
        heap[0] = heap[16383] = 50;
        mapped[0] = 90;
        g_data = 420;
        g_bss = 1;
        signal_pipe(to_parent[1]);
        CHILD_CHECK(await_pipe(to_child[0]));
        CHILD_CHECK(*stack_pointer == 70 && heap[0] == 50 && heap[16383] == 50);
        CHILD_CHECK(mapped[0] == 90 && g_data == 420 && g_bss == 1);
        return 0;
    });
    ASSERT(pid > 0);
    ASSERT(await_pipe(to_parent[0]));
    // The child has written: none of it is visible here.
    EXPECT_EQ(*stack_pointer, 7);
    EXPECT_EQ(heap[0], 5);
    EXPECT_EQ(heap[16383], 5);
    EXPECT_EQ(mapped[0], 9);
    EXPECT_EQ(g_data, 42);
    EXPECT_EQ(g_bss, 0);
    *stack_pointer = 8;
    heap[0] = 6;
    mapped[0] = 10;
    g_data = 43;
    g_bss = 2;
    signal_pipe(to_child[1]);
    EXPECT_EQ(describe_status(wait_for(pid)), "exited with status 0");
    EXPECT_EQ(heap[0] + g_data + g_bss + mapped[0], 6 + 43 + 2 + 10);
    for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]})
        close(fd);
    munmap(mapped, 4 * k_page);
    std::free(heap);
}

void shared_anonymous_is_shared_across_fork(Test& t)
{
    auto* shared = static_cast<volatile int*>(map_anon(2 * k_page, PROT_READ | PROT_WRITE, MAP_SHARED));
    ASSERT(shared != MAP_FAILED);
    EXPECT_EQ(shared[0], 0);
    shared[0] = 1;
    pid_t pid = spawn([&] {
        CHILD_CHECK(shared[0] == 1); // written before the fork
        shared[0] = 2;
        shared[1024] = 3; // the second page, untouched so far
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), "exited with status 0");
    EXPECT_EQ(shared[0], 2);
    EXPECT_EQ(shared[1024], 3);
    // A private mapping next to it is not shared.
    auto* mine = static_cast<volatile int*>(map_anon(k_page));
    ASSERT(mine != MAP_FAILED);
    pid = spawn([&] {
        mine[0] = 5;
        return 0;
    });
    ASSERT(pid > 0);
    wait_for(pid);
    EXPECT_EQ(mine[0], 0);
    munmap(const_cast<int*>(shared), 2 * k_page);
    munmap(const_cast<int*>(mine), k_page);
}

void read_only_mapping_write_is_sigsegv(Test& t)
{
    auto* page = static_cast<volatile char*>(map_anon(k_page, PROT_READ));
    ASSERT(page != MAP_FAILED);
    EXPECT_EQ(page[0], 0); // readable
    EXPECT_DEATH(SIGSEGV, page[0] = 1);
    auto* none = static_cast<volatile char*>(map_anon(k_page, PROT_NONE));
    ASSERT(none != MAP_FAILED);
    EXPECT_DEATH(SIGSEGV, (void)none[0]);
}

sigjmp_buf g_jump;
volatile void* g_fault_address;
volatile int g_fault_code;
void on_segv(int, siginfo_t* info, void*)
{
    g_fault_address = info->si_addr;
    g_fault_code = info->si_code;
    siglongjmp(g_jump, 1);
}

void mprotect_read_only_write_is_caught(Test& t)
{
    auto* page = static_cast<volatile char*>(map_anon(3 * k_page));
    ASSERT(page != MAP_FAILED);
    page[k_page] = 1;
    ASSERT(mprotect(const_cast<char*>(page) + k_page, k_page, PROT_READ) == 0);
    struct sigaction action{}, old{};
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    ASSERT(sigaction(SIGSEGV, &action, &old) == 0);
    g_fault_address = nullptr;
    bool faulted = false;
    if (sigsetjmp(g_jump, 1) == 0)
        page[k_page + 8] = 2;
    else
        faulted = true;
    sigaction(SIGSEGV, &old, nullptr);
    EXPECT(faulted);
    EXPECT_EQ(g_fault_address, static_cast<volatile void*>(page + k_page + 8));
    EXPECT_EQ(int(g_fault_code), SEGV_ACCERR); // mapped, but not writable
    EXPECT_EQ(page[k_page], 1); // the contents survive the protection change
    page[0] = 3; // the neighbours stay writable
    page[2 * k_page] = 3;
    ASSERT(mprotect(const_cast<char*>(page) + k_page, k_page, PROT_READ | PROT_WRITE) == 0);
    page[k_page] = 4;
    EXPECT_EQ(page[k_page], 4);
    munmap(const_cast<char*>(page), 3 * k_page);
}

void munmap_middle_page_leaves_both_ends(Test& t)
{
    auto* area = static_cast<volatile char*>(map_anon(3 * k_page));
    ASSERT(area != MAP_FAILED);
    area[0] = 1;
    area[k_page] = 2;
    area[2 * k_page] = 3;
    ASSERT(munmap(const_cast<char*>(area) + k_page, k_page) == 0);
    EXPECT_EQ(area[0], 1);
    EXPECT_EQ(area[2 * k_page], 3);
    area[0] = 4;
    area[2 * k_page] = 4;
    EXPECT_DEATH(SIGSEGV, (void)area[k_page]);
    // The hole can be mapped again, exactly there, and is fresh.
    void* again = mmap(const_cast<char*>(area) + k_page, k_page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    EXPECT_EQ(again, static_cast<void*>(const_cast<char*>(area) + k_page));
    EXPECT_EQ(area[k_page], 0);
    munmap(const_cast<char*>(area), 3 * k_page);
}

void fresh_pages_are_zero(Test& t)
{
    // Another process dirties (and frees) a lot of memory first.
    constexpr size_t k_size = 4 << 20;
    pid_t pid = spawn([&] {
        auto* dirty = static_cast<unsigned char*>(map_anon(k_size));
        CHILD_CHECK(dirty != MAP_FAILED);
        std::memset(dirty, 0xa5, k_size);
        void* top = sbrk(0);
        CHILD_CHECK(sbrk(1 << 20) == top);
        std::memset(top, 0x5a, 1 << 20);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), "exited with status 0");
    auto* fresh = static_cast<unsigned char*>(map_anon(k_size));
    ASSERT(fresh != MAP_FAILED);
    size_t nonzero = 0;
    for (size_t i = 0; i < k_size; ++i)
        nonzero += fresh[i] != 0;
    EXPECT_EQ(nonzero, size_t(0));
    auto* top = static_cast<unsigned char*>(sbrk(0));
    ASSERT(sbrk(256 * 1024) == top);
    for (size_t i = 0; i < 256 * 1024; ++i)
        nonzero += top[i] != 0;
    EXPECT_EQ(nonzero, size_t(0));
    sbrk(-256 * 1024);
    munmap(fresh, k_size);
}

// Recursion with a big frame: depth * ~4 KiB of stack.
__attribute__((noinline)) int recurse(int depth)
{
    volatile char frame[4000];
    frame[0] = char(depth);
    frame[3999] = char(depth);
    if (depth == 0)
        return frame[0];
    return recurse(depth - 1) + frame[3999];
}

void stack_grows_to_4mib_and_overflow_is_sigsegv(Test& t)
{
    int expected = 0;
    for (int depth = 1; depth <= 1024; ++depth)
        expected += char(depth);
    pid_t pid = spawn([&] { return recurse(1024) == expected ? 0 : 1; }); // ~4 MiB deep
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), "exited with status 0");
    // Past RLIMIT_STACK (8 MiB): SIGSEGV, not a corrupted neighbour.
    EXPECT_DEATH(SIGSEGV, (void)recurse(1 << 30));
}

// A scratch file with `pages` pages: page i is filled with byte 'a' + i.
std::string make_file(Test& t, int pages)
{
    char path[] = "/tmp/ut-mmap-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        t.fail(__FILE_NAME__, __LINE__, "mkstemp: " + errno_name(errno));
        return {};
    }
    std::string contents;
    for (int i = 0; i < pages; ++i)
        contents.append(k_page, char('a' + i));
    if (write(fd, contents.data(), contents.size()) != ssize_t(contents.size()))
        t.fail(__FILE_NAME__, __LINE__, "write: " + errno_name(errno));
    close(fd);
    return path;
}

void private_file_mapping_copies_on_write(Test& t)
{
    std::string path = make_file(t, 3);
    ASSERT(!path.empty());
    int fd = open(path.c_str(), O_RDWR);
    ASSERT(fd >= 0);
    auto* map = static_cast<char*>(mmap(nullptr, 2 * k_page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, k_page));
    ASSERT(map != MAP_FAILED);
    EXPECT_EQ(map[0], 'b'); // offset one page in
    EXPECT_EQ(map[k_page], 'c');
    map[0] = 'X';
    char byte = 0;
    EXPECT_EQ(pread(fd, &byte, 1, k_page), 1);
    EXPECT_EQ(byte, 'b'); // the file does not see a private write
    // A write through the file shows in the page not yet copied.
    EXPECT_EQ(pwrite(fd, "Y", 1, 2 * k_page), 1);
    EXPECT_EQ(map[k_page], 'Y');
    EXPECT_EQ(map[0], 'X');
    // A read-only private mapping: writing is SIGSEGV.
    auto* ro = static_cast<volatile char*>(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, fd, 0));
    ASSERT(ro != MAP_FAILED);
    EXPECT_EQ(ro[0], 'a');
    EXPECT_DEATH(SIGSEGV, ro[0] = 'Z');
    munmap(map, 2 * k_page);
    munmap(const_cast<char*>(ro), k_page);
    close(fd);
    unlink(path.c_str());
}

void shared_file_mapping_reaches_the_file(Test& t)
{
    std::string path = make_file(t, 2);
    ASSERT(!path.empty());
    int fd = open(path.c_str(), O_RDWR);
    ASSERT(fd >= 0);
    auto* map = static_cast<volatile char*>(mmap(nullptr, 2 * k_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    ASSERT(map != MAP_FAILED);
    map[5] = 'Q';
    // Across fork too: the child writes the second page.
    pid_t pid = spawn([&] {
        map[k_page + 1] = 'R';
        return 0;
    });
    ASSERT(pid > 0);
    wait_for(pid);
    ASSERT(msync(const_cast<char*>(map), 2 * k_page, MS_SYNC) == 0);
    char bytes[2] = {};
    EXPECT_EQ(pread(fd, &bytes[0], 1, 5), 1);
    EXPECT_EQ(pread(fd, &bytes[1], 1, k_page + 1), 1);
    EXPECT_EQ(bytes[0], 'Q');
    EXPECT_EQ(bytes[1], 'R');
    EXPECT_EQ(pwrite(fd, "S", 1, 6), 1);
    EXPECT_EQ(map[6], 'S');
    munmap(const_cast<char*>(map), 2 * k_page);
    close(fd);
    // A file opened read-only maps shared only without PROT_WRITE.
    fd = open(path.c_str(), O_RDONLY);
    ASSERT(fd >= 0);
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
    void* ro = mmap(nullptr, k_page, PROT_READ, MAP_SHARED, fd, 0);
    ASSERT(ro != MAP_FAILED);
    EXPECT_ERRNO(mprotect(ro, k_page, PROT_READ | PROT_WRITE), EACCES);
    munmap(ro, k_page);
    close(fd);
    unlink(path.c_str());
}

void mapping_past_end_of_file_is_sigbus(Test& t)
{
    std::string path = make_file(t, 1);
    ASSERT(!path.empty());
    int fd = open(path.c_str(), O_RDONLY);
    ASSERT(fd >= 0);
    // Two pages of a one-page file: the second has no file behind it.
    auto* map = static_cast<volatile char*>(mmap(nullptr, 2 * k_page, PROT_READ, MAP_PRIVATE, fd, 0));
    ASSERT(map != MAP_FAILED);
    EXPECT_EQ(map[k_page - 1], 'a');
    EXPECT_DEATH(SIGBUS, (void)map[k_page]);
    munmap(const_cast<char*>(map), 2 * k_page);
    close(fd);
    unlink(path.c_str());
}

void mapping_errors_match_linux(Test& t)
{
    EXPECT_ERRNO(mmap(nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    EXPECT_ERRNO(mmap(reinterpret_cast<void*>(0x10000001), k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0),
                 EINVAL);
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL); // neither private nor shared
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
    EXPECT_ERRNO(mmap(nullptr, size_t(1) << 60, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    int fds[2];
    ASSERT(pipe(fds) == 0);
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, fds[0], 0), ENODEV);
    close(fds[0]);
    close(fds[1]);
    std::string path = make_file(t, 1);
    ASSERT(!path.empty());
    int wronly = open(path.c_str(), O_WRONLY);
    ASSERT(wronly >= 0);
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, wronly, 0), EACCES);
    EXPECT_ERRNO(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, wronly, 100), EINVAL); // unaligned offset
    close(wronly);
    unlink(path.c_str());

    void* area = map_anon(2 * k_page);
    ASSERT(area != MAP_FAILED);
    if (platform().myriad) {
        EXPECT_ERRNO(mmap(area, k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
    } else {
        // Linux says EEXIST; qemu-user 7.2's mmap treats the flag as a
        // hint and maps elsewhere. Either way the old mapping stays.
        errno = 0;
        void* r = mmap(area, k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        EXPECT(r == MAP_FAILED ? errno == EEXIST : r != area);
        if (r != MAP_FAILED)
            munmap(r, k_page);
    }
    EXPECT_ERRNO(munmap(static_cast<char*>(area) + 1, k_page), EINVAL);
    EXPECT_ERRNO(munmap(area, 0), EINVAL);
    EXPECT_ERRNO(mprotect(static_cast<char*>(area) + 1, k_page, PROT_READ), EINVAL);
    ASSERT(munmap(area, 2 * k_page) == 0);
    EXPECT_ERRNO(mprotect(area, k_page, PROT_READ), ENOMEM); // nothing mapped there now
    EXPECT_EQ(munmap(area, k_page), 0);                      // unmapping a hole is fine
    // MAP_FIXED replaces what was there.
    auto* fixed = static_cast<volatile char*>(map_anon(k_page));
    ASSERT(fixed != MAP_FAILED);
    fixed[0] = 1;
    void* replaced = mmap(const_cast<char*>(fixed), k_page, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    EXPECT_EQ(replaced, static_cast<void*>(const_cast<char*>(fixed)));
    EXPECT_EQ(fixed[0], 0);
    munmap(const_cast<char*>(fixed), k_page);
}

void mremap_grows_moves_and_shrinks(Test& t)
{
    auto* area = static_cast<char*>(map_anon(2 * k_page));
    ASSERT(area != MAP_FAILED);
    area[0] = 'a';
    area[k_page] = 'b';
    // Something right after it, so growing must move.
    void* blocker = mmap(area + 2 * k_page, k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    ASSERT(blocker == area + 2 * k_page);
    EXPECT_ERRNO(mremap(area, 2 * k_page, 8 * k_page, 0), ENOMEM);
    auto* moved = static_cast<char*>(mremap(area, 2 * k_page, 8 * k_page, MREMAP_MAYMOVE));
    ASSERT(moved != MAP_FAILED);
    EXPECT(moved != area);
    EXPECT_EQ(moved[0], 'a');
    EXPECT_EQ(moved[k_page], 'b');
    EXPECT_EQ(moved[7 * k_page], 0); // the new part is fresh
    moved[7 * k_page] = 'c';
    EXPECT_DEATH(SIGSEGV, (void)*static_cast<volatile char*>(area)); // the old place is gone
    // Shrinking keeps the address.
    EXPECT_EQ(mremap(moved, 8 * k_page, k_page, 0), static_cast<void*>(moved));
    EXPECT_EQ(moved[0], 'a');
    EXPECT_DEATH(SIGSEGV, (void)*static_cast<volatile char*>(moved + k_page));
    EXPECT_ERRNO(mremap(moved + 1, k_page, 2 * k_page, MREMAP_MAYMOVE), EINVAL);
    munmap(moved, k_page);
    munmap(blocker, k_page);
    // glibc's realloc of a big (mmapped) block uses mremap: contents survive.
    auto* big = static_cast<unsigned char*>(std::malloc(1 << 20));
    ASSERT(big != nullptr);
    for (size_t i = 0; i < (1 << 20); i += 4096)
        big[i] = static_cast<unsigned char>(i >> 12);
    auto* bigger = static_cast<unsigned char*>(std::realloc(big, 8 << 20));
    ASSERT(bigger != nullptr);
    size_t wrong = 0;
    for (size_t i = 0; i < (1 << 20); i += 4096)
        wrong += bigger[i] != static_cast<unsigned char>(i >> 12);
    EXPECT_EQ(wrong, size_t(0));
    std::free(bigger);
}

void madvise_dontneed_drops_pages(Test& t)
{
    auto* area = static_cast<volatile char*>(map_anon(2 * k_page));
    ASSERT(area != MAP_FAILED);
    area[0] = 1;
    area[k_page] = 2;
    ASSERT(madvise(const_cast<char*>(area), k_page, MADV_DONTNEED) == 0);
    EXPECT_EQ(area[0], 0); // private anonymous: zero again
    EXPECT_EQ(area[k_page], 2);
    EXPECT_ERRNO(madvise(const_cast<char*>(area) + 1, k_page, MADV_DONTNEED), EINVAL);
    munmap(const_cast<char*>(area), 2 * k_page);
    // Shared memory keeps its contents: only this mapping's pages go.
    auto* shared = static_cast<volatile char*>(map_anon(k_page, PROT_READ | PROT_WRITE, MAP_SHARED));
    ASSERT(shared != MAP_FAILED);
    shared[0] = 7;
    ASSERT(madvise(const_cast<char*>(shared), k_page, MADV_DONTNEED) == 0);
    EXPECT_EQ(shared[0], 7);
    munmap(const_cast<char*>(shared), k_page);
}

// --- Myriad's page counts --------------------------------------------------

unsigned long long free_bytes()
{
    struct sysinfo info{};
    return sysinfo(&info) == 0 ? static_cast<unsigned long long>(info.freeram) * info.mem_unit : 0;
}

// A field of /proc/PID/status, in kB (-1 if absent).
long status_kb(pid_t pid, const std::string& field)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    return -1;
}

void hundred_processes_share_one_text(Test& t)
{
    if (!platform().myriad)
        SKIP("counts Myriad's free pages (sysinfo); Linux's are the whole host's");
    REQUIRE_EXEC();
    const std::string path = image_path("bin/sleep");
    constexpr int k_count = 100;
    int ready[2];
    ASSERT(pipe(ready) == 0);
    auto start_one = [&] {
        return spawn([&] {
            close(ready[0]);
            signal_pipe(ready[1]); // about to exec
            char arg0[] = "sleep", arg1[] = "60";
            char* argv[] = {arg0, arg1, nullptr};
            execve(path.c_str(), argv, environ);
            return 100 + errno;
        });
    };
    // One copy first, so its text is in the page cache before counting.
    pid_t first = start_one();
    ASSERT(first > 0);
    ASSERT(await_pipe(ready[0]));
    sleep_seconds(0.3);
    const unsigned long long before = free_bytes();
    pid_t pids[k_count];
    int started = 0;
    for (; started < k_count; ++started) {
        pids[started] = start_one();
        if (pids[started] < 0 || !await_pipe(ready[0]))
            break;
    }
    sleep_seconds(1.0); // let every one reach its sleep
    const unsigned long long after = free_bytes();
    long text_kb = status_kb(pids[0], "RssFile");
    long anon_kb = status_kb(pids[0], "RssAnon");
    for (int i = 0; i < started; ++i)
        kill(pids[i], SIGKILL);
    kill(first, SIGKILL);
    for (int i = 0; i < started; ++i)
        wait_for(pids[i]);
    wait_for(first);
    close(ready[0]);
    close(ready[1]);
    ASSERT_EQ(started, k_count);
    long long per_process = (static_cast<long long>(before) - static_cast<long long>(after)) / k_count;
    std::printf("# %d copies of sleep: %lld bytes each (RssFile %ld kB shared, RssAnon %ld kB own)\n", k_count,
                per_process, text_kb, anon_kb);
    // Each copy maps over a hundred kB of the program's file pages...
    EXPECT(text_kb >= 100);
    // ...yet costs less than its resident set: the file pages are one
    // copy for all. What each pays is its own anonymous pages plus the
    // kernel's share (kernel stack, control block, page tables: < 64 KiB).
    EXPECT(per_process < (text_kb + anon_kb) * 1024);
    EXPECT(per_process < (anon_kb + 64) * 1024);
}

} // namespace

std::vector<ut::Case> memory_cases()
{
    return {
        {"fork_isolates_private_memory", fork_isolates_private_memory},
        {"shared_anonymous_is_shared_across_fork", shared_anonymous_is_shared_across_fork},
        {"read_only_mapping_write_is_sigsegv", read_only_mapping_write_is_sigsegv},
        {"mprotect_read_only_write_is_caught", mprotect_read_only_write_is_caught},
        {"munmap_middle_page_leaves_both_ends", munmap_middle_page_leaves_both_ends},
        {"fresh_pages_are_zero", fresh_pages_are_zero},
        {"stack_grows_to_4mib_and_overflow_is_sigsegv", stack_grows_to_4mib_and_overflow_is_sigsegv},
        {"private_file_mapping_copies_on_write", private_file_mapping_copies_on_write},
        {"shared_file_mapping_reaches_the_file", shared_file_mapping_reaches_the_file},
        {"mapping_past_end_of_file_is_sigbus", mapping_past_end_of_file_is_sigbus},
        {"mapping_errors_match_linux", mapping_errors_match_linux},
        {"mremap_grows_moves_and_shrinks", mremap_grows_moves_and_shrinks},
        {"madvise_dontneed_drops_pages", madvise_dontneed_drops_pages},
        {"mlock_family", mlock_family}, // memory_tests_lock.cpp
        {"hundred_processes_share_one_text", hundred_processes_share_one_text, 120},
    };
}
