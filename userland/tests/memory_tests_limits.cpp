// The region limit (vm.max_map_count), mprotect against a file's open
// mode, and System V shared memory (group sysv_shm).
#include "groups.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <grp.h>
#include <string>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t k_page = 4096;

long read_number(const char* path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    char text[32] = {};
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    return n > 0 ? strtol(text, nullptr, 10) : -1;
}

bool write_number(const char* path, long value)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return false;
    std::string text = std::to_string(value) + "\n";
    bool ok = write(fd, text.data(), text.size()) == ssize_t(text.size());
    close(fd);
    return ok;
}

// Regions as the kernel counts them: the lines of /proc/self/maps, less
// Myriad's [vdso] line (its trampoline page is in no region; Linux's vdso
// and vvar are areas of their own).
long region_count()
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return -1;
    char buffer[4096];
    long lines = 0;
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0)
        for (ssize_t i = 0; i < n; ++i)
            lines += buffer[i] == '\n';
    close(fd);
    return lines - (ut::platform().myriad ? 1 : 0);
}

void region_limit_is_max_map_count(ut::Test& t)
{
    const char* sysctl = "/proc/sys/vm/max_map_count";
    long original = read_number(sysctl);
    ASSERT(original > 0);
    if (ut::platform().myriad)
        EXPECT_EQ(original, 65530); // Linux's default (DEFAULT_MAX_MAP_COUNT)
    // Under qemu-user the host process's count includes qemu's own
    // mappings, and the sysctl is the host's: lowering it would lower it
    // for every process on the machine.
    if (!ut::platform().myriad)
        SKIP("vm.max_map_count is the host's, and qemu-user's own mappings count against it");
    // A 3-page region to split at the limit (and a page that keeps it
    // apart from its neighbour above).
    char* victim = static_cast<char*>(mmap(nullptr, 4 * k_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT(victim != MAP_FAILED);
    EXPECT_EQ(mprotect(victim + 3 * k_page, k_page, PROT_READ), 0);
    std::vector<void*> pages;
    pages.reserve(400);
    long base = region_count();
    long limit = base + 150;
    // 65 530 single-page mmaps would take seconds: lower the limit (root
    // only) to just above what the process has, and restore it after.
    if (!write_number(sysctl, limit))
        SKIP(std::string("cannot lower vm.max_map_count here: ") + strerror(errno));
    EXPECT_EQ(read_number(sysctl), limit);
    int failure = 0;
    for (int i = 0; i < 400; ++i) {
        // Alternating protections keep neighbours from merging.
        void* p = mmap(nullptr, k_page, i % 2 ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            failure = errno;
            break;
        }
        pages.push_back(p);
    }
    long full = region_count();
    // mmap is refused once the count is above the limit (Linux's do_mmap),
    // so the last one that succeeded took it one past.
    EXPECT_EQ(failure, ENOMEM);
    EXPECT_EQ(full, limit + 1);
    // Splits at the limit: ENOMEM, and nothing changed.
    EXPECT_ERRNO(munmap(victim + k_page, k_page), ENOMEM); // a hole: one region more
    EXPECT_ERRNO(mprotect(victim, k_page, PROT_READ), ENOMEM);
    EXPECT_ERRNO(mprotect(victim + k_page, k_page, PROT_NONE), ENOMEM);
    victim[0] = 1; // still mapped and writable
    EXPECT_EQ(region_count(), full);
    // Cutting an end off needs no new region.
    EXPECT_EQ(munmap(victim, k_page), 0);
    EXPECT_EQ(region_count(), full);
    // Every whole-region munmap succeeds when full.
    int refused = 0;
    for (void* p : pages)
        refused += munmap(p, k_page) != 0;
    EXPECT_EQ(refused, 0);
    EXPECT(region_count() < full - 100);
    // Below the limit a split works again.
    EXPECT_EQ(mprotect(victim + k_page, k_page, PROT_READ), 0);
    EXPECT_EQ(write_number(sysctl, original), true);
    EXPECT_EQ(read_number(sysctl), original);
    munmap(victim, 4 * k_page);
}

// At the default limit: 65 530 regions fit (the region array grows to
// hold them), the next mmap is ENOMEM, and they all go again.
void default_limit_fits_65530_regions(ut::Test& t)
{
    if (!ut::platform().myriad)
        SKIP("qemu-user's own mappings count against the host process's limit");
    ASSERT_EQ(read_number("/proc/sys/vm/max_map_count"), 65530);
    long base = region_count();
    // Ascending fixed addresses far below the other mappings: each new
    // region goes in near the end of the array, so filling it stays
    // linear (top-down placement would shift the whole array each time).
    char* const from = reinterpret_cast<char*>(0x1000000000ul);
    long n = 0;
    int failure = 0;
    for (; n < 70000; ++n) {
        void* p = mmap(from + n * k_page, k_page, n % 2 ? PROT_READ | PROT_WRITE : PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            failure = errno;
            break;
        }
    }
    EXPECT_EQ(failure, ENOMEM);
    EXPECT_EQ(base + n, 65531L); // one past, as Linux's do_mmap allows
    long refused = 0;
    for (long i = n; i-- > 0;)
        refused += munmap(from + i * k_page, k_page) != 0;
    EXPECT_EQ(refused, 0L);
    EXPECT_EQ(region_count(), base);
}

void mprotect_honours_the_open_mode(ut::Test& t)
{
    std::string path = "/tmp/mprotect_mode_" + std::to_string(getpid());
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(ftruncate(fd, k_page), 0);
    close(fd);
    fd = open(path.c_str(), O_RDONLY);
    ASSERT(fd >= 0);
    // Shared: the file would be written, which the open mode forbids.
    void* shared = mmap(nullptr, k_page, PROT_READ, MAP_SHARED, fd, 0);
    ASSERT(shared != MAP_FAILED);
    EXPECT_ERRNO(mprotect(shared, k_page, PROT_READ | PROT_WRITE), EACCES);
    EXPECT_ERRNO(mprotect(shared, k_page, PROT_WRITE), EACCES);
    EXPECT_EQ(mprotect(shared, k_page, PROT_NONE), 0);
    EXPECT_EQ(mprotect(shared, k_page, PROT_READ | PROT_EXEC), 0);
    // Private: writes go to a copy, so any open mode will do.
    char* priv = static_cast<char*>(mmap(nullptr, k_page, PROT_READ, MAP_PRIVATE, fd, 0));
    ASSERT(priv != MAP_FAILED);
    EXPECT_EQ(mprotect(priv, k_page, PROT_READ | PROT_WRITE), 0);
    priv[0] = 'x';
    EXPECT_EQ(priv[0], 'x');
    munmap(shared, k_page);
    munmap(priv, k_page);
    close(fd);
    unlink(path.c_str());
}

// --- System V shared memory ------------------------------------------------

key_t test_key(int n) { return key_t(0x4d790000 + (getpid() & 0xfff) * 16 + n); }

shmid_ds stat_of(int id)
{
    shmid_ds ds{};
    shmctl(id, IPC_STAT, &ds);
    return ds;
}

void shm_shared_across_fork_and_attaches(ut::Test& t)
{
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    ASSERT(id >= 0);
    char* p = static_cast<char*>(shmat(id, nullptr, 0));
    ASSERT(p != reinterpret_cast<char*>(-1));
    EXPECT_EQ(p[0], 0); // zeros
    EXPECT_EQ(p[9999], 0);
    strcpy(p, "parent");
    EXPECT_EQ(stat_of(id).shm_nattch, 1ul);
    // A second attach in the same process is the same memory.
    char* q = static_cast<char*>(shmat(id, nullptr, 0));
    ASSERT(q != reinterpret_cast<char*>(-1));
    EXPECT(q != p);
    EXPECT_EQ(std::string(q), "parent");
    EXPECT_EQ(stat_of(id).shm_nattch, 2ul);
    EXPECT_EQ(shmdt(q), 0);
    EXPECT_EQ(stat_of(id).shm_nattch, 1ul);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        // The attach is inherited (one more attach), and shared, not copied.
        if (stat_of(id).shm_nattch != 2 || strcmp(p, "parent") != 0)
            _exit(1);
        strcpy(p + 100, "child");
        char* own = static_cast<char*>(shmat(id, nullptr, SHM_RDONLY));
        if (own == reinterpret_cast<char*>(-1) || strcmp(own + 100, "child") != 0 || stat_of(id).shm_nattch != 3)
            _exit(2);
        _exit(0); // exit detaches both
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(ut::describe_status(status), ut::describe_status(0));
    EXPECT_EQ(std::string(p + 100), "child");
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 1ul);
    EXPECT_EQ(ds.shm_lpid, pid); // the child's exit detached last
    EXPECT_EQ(shmdt(p), 0);
    EXPECT_EQ(stat_of(id).shm_nattch, 0ul);
    EXPECT_EQ(shmctl(id, IPC_RMID, nullptr), 0);
}

void shm_removed_with_the_last_detach(ut::Test& t)
{
    key_t key = test_key(1);
    int id = shmget(key, 2 * k_page, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT(id >= 0);
    EXPECT_EQ(shmget(key, k_page, 0), id);
    char* p = static_cast<char*>(shmat(id, nullptr, 0));
    ASSERT(p != reinterpret_cast<char*>(-1));
    p[5000] = 42;
    EXPECT_EQ(shmctl(id, IPC_RMID, nullptr), 0);
    // Still there while attached: marked, its key free again.
    EXPECT_EQ(p[5000], 42);
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_nattch, 1ul);
    EXPECT_EQ(ds.shm_perm.mode & 01000, 01000u); // SHM_DEST
    EXPECT_EQ(ds.shm_perm.__key, 0);
    EXPECT_ERRNO(shmget(key, k_page, 0), ENOENT);
    // A fork's attach keeps it alive after the parent detaches.
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        usleep(20000);
        _exit(p[5000] == 42 && stat_of(id).shm_nattch == 1 ? 0 : 1);
    }
    EXPECT_EQ(shmdt(p), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(ut::describe_status(status), ut::describe_status(0));
    // The child's exit was the last detach: the segment is gone.
    shmid_ds gone{};
    EXPECT_ERRNO(shmctl(id, IPC_STAT, &gone), EINVAL);
    EXPECT_ERRNO(shmat(id, nullptr, 0) == reinterpret_cast<void*>(-1) ? -1 : 0, EINVAL);
    // Without attaches IPC_RMID destroys at once.
    int other = shmget(IPC_PRIVATE, k_page, 0600);
    ASSERT(other >= 0);
    EXPECT_EQ(shmctl(other, IPC_RMID, nullptr), 0);
    EXPECT_ERRNO(shmctl(other, IPC_STAT, &gone), EINVAL);
    EXPECT_ERRNO(shmctl(other, IPC_RMID, nullptr), EINVAL);
}

void shm_stat_and_set(ut::Test& t)
{
    time_t before = time(nullptr);
    int id = shmget(test_key(2), 10000, IPC_CREAT | 0640);
    ASSERT(id >= 0);
    shmid_ds ds = stat_of(id);
    EXPECT_EQ(ds.shm_segsz, 10000ul);
    EXPECT_EQ(ds.shm_perm.__key, test_key(2));
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0640u);
    EXPECT_EQ(ds.shm_perm.uid, geteuid());
    EXPECT_EQ(ds.shm_perm.cuid, geteuid());
    EXPECT_EQ(ds.shm_perm.gid, getegid());
    EXPECT_EQ(ds.shm_perm.cgid, getegid());
    EXPECT_EQ(ds.shm_cpid, getpid());
    EXPECT_EQ(ds.shm_lpid, 0);
    EXPECT_EQ(ds.shm_nattch, 0ul);
    EXPECT_EQ(ds.shm_atime, 0);
    EXPECT_EQ(ds.shm_dtime, 0);
    EXPECT(ds.shm_ctime >= before && ds.shm_ctime <= time(nullptr));
    void* p = shmat(id, nullptr, 0);
    ASSERT(p != reinterpret_cast<void*>(-1));
    ds = stat_of(id);
    EXPECT_EQ(ds.shm_lpid, getpid());
    EXPECT(ds.shm_atime >= before);
    EXPECT_EQ(ds.shm_dtime, 0);
    EXPECT_EQ(shmdt(p), 0);
    ds = stat_of(id);
    EXPECT(ds.shm_dtime >= before);
    // IPC_SET: the mode's permission bits (and owner) change.
    ds.shm_perm.mode = 0604;
    EXPECT_EQ(shmctl(id, IPC_SET, &ds), 0);
    EXPECT_EQ(stat_of(id).shm_perm.mode & 0777, 0604u);
    EXPECT_EQ(stat_of(id).shm_segsz, 10000ul);
    // /proc/sysvipc/shm lists it, in Linux's columns.
    int fd = open("/proc/sysvipc/shm", O_RDONLY);
    ASSERT(fd >= 0);
    std::string text;
    char buffer[1024];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0)
        text.append(buffer, size_t(n));
    close(fd);
    EXPECT_EQ(text.substr(0, text.find('\n')),
              std::string("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      "
                          "atime      dtime      ctime                   rss                  swap"));
    char line_start[128];
    snprintf(line_start, sizeof(line_start), "%10d %10d   604                 10000 %5d %5d      0", test_key(2), id,
             getpid(), getpid());
    EXPECT(text.find(line_start) != std::string::npos);
    EXPECT_EQ(shmctl(id, IPC_RMID, nullptr), 0);
}

void shm_errors_match_linux(ut::Test& t)
{
    key_t key = test_key(3);
    EXPECT_ERRNO(shmget(key, k_page, 0600), ENOENT);
    EXPECT_ERRNO(shmget(key, 0, IPC_CREAT | 0600), EINVAL);   // below SHMMIN
    EXPECT_ERRNO(shmget(key, ~size_t(0), IPC_CREAT | 0600), EINVAL); // above SHMMAX
    int id = shmget(key, k_page, IPC_CREAT | 0600);
    ASSERT(id >= 0);
    EXPECT_ERRNO(shmget(key, k_page, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    EXPECT_EQ(shmget(key, k_page, IPC_CREAT | 0600), id);
    EXPECT_ERRNO(shmget(key, 2 * k_page, 0600), EINVAL); // bigger than the segment
    EXPECT_EQ(shmget(key, 100, 0), id);
    // shmat
    auto failed = [](void* p) { return p == reinterpret_cast<void*>(-1) ? -1 : 0; };
    EXPECT_ERRNO(failed(shmat(id + 12345 * 32768, nullptr, 0)), EINVAL);
    EXPECT_ERRNO(failed(shmat(-1, nullptr, 0)), EINVAL);
    char* spot = static_cast<char*>(mmap(nullptr, 4 * k_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT(spot != MAP_FAILED);
    EXPECT_ERRNO(failed(shmat(id, spot + 1, 0)), EINVAL);   // unaligned, no SHM_RND
    EXPECT_ERRNO(failed(shmat(id, spot, 0)), EINVAL);       // taken, no SHM_REMAP
    munmap(spot, 4 * k_page);
    char* rounded = static_cast<char*>(shmat(id, spot + k_page + 123, SHM_RND));
    EXPECT_EQ(rounded, spot + k_page);
    if (rounded != reinterpret_cast<char*>(-1))
        EXPECT_EQ(shmdt(rounded), 0);
    // shmdt: only where an attach starts.
    char* p = static_cast<char*>(shmat(id, nullptr, 0));
    ASSERT(p != reinterpret_cast<char*>(-1));
    EXPECT_ERRNO(shmdt(p + k_page), EINVAL);
    EXPECT_ERRNO(shmdt(p + 1), EINVAL);
    EXPECT_EQ(shmdt(p), 0);
    EXPECT_ERRNO(shmdt(p), EINVAL);
    // A read-only attach faults on writes.
    char* ro = static_cast<char*>(shmat(id, nullptr, SHM_RDONLY));
    ASSERT(ro != reinterpret_cast<char*>(-1));
    EXPECT_ERRNO(mprotect(ro, k_page, PROT_READ | PROT_WRITE), EACCES);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        ro[0] = 1;
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
    EXPECT_EQ(shmdt(ro), 0);
    // shmctl
    shmid_ds ds{};
    EXPECT_ERRNO(shmctl(id, 9999, &ds), EINVAL);
    EXPECT_ERRNO(shmctl(-1, IPC_STAT, &ds), EINVAL);
    EXPECT_ERRNO(shmctl(id, IPC_STAT, reinterpret_cast<shmid_ds*>(8)), EFAULT);
    EXPECT_ERRNO(shmctl(id, IPC_SET, reinterpret_cast<shmid_ds*>(8)), EFAULT);
    EXPECT_EQ(shmctl(id, IPC_RMID, nullptr), 0);
}

void shm_permissions(ut::Test& t)
{
    if (geteuid() != 0)
        SKIP("needs root: the reference runs as uid " + std::to_string(geteuid()));
    key_t key = test_key(4);
    int id = shmget(key, k_page, IPC_CREAT | 0640);
    ASSERT(id >= 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        // Another user in the group: read only; a stranger: nothing.
        if (setgroups(0, nullptr) != 0 || setgid(0) != 0 || setuid(1000) != 0)
            _exit(10);
        if (shmget(key, k_page, 0640) != -1 || errno != EACCES)
            _exit(1);
        if (shmget(key, k_page, 0040) != id)
            _exit(2);
        if (shmat(id, nullptr, 0) != reinterpret_cast<void*>(-1) || errno != EACCES)
            _exit(3);
        void* ro = shmat(id, nullptr, SHM_RDONLY);
        if (ro == reinterpret_cast<void*>(-1) || shmdt(ro) != 0)
            _exit(4);
        shmid_ds ds{};
        if (shmctl(id, IPC_STAT, &ds) != 0 || shmctl(id, IPC_RMID, nullptr) != -1 || errno != EPERM)
            _exit(5);
        if (shmctl(id, IPC_SET, &ds) != -1 || errno != EPERM)
            _exit(6);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(ut::describe_status(status), ut::describe_status(0));
    pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, nullptr) != 0 || setgid(1000) != 0 || setuid(1000) != 0)
            _exit(10);
        void* ro = shmat(id, nullptr, SHM_RDONLY);
        shmid_ds ds{};
        _exit(ro == reinterpret_cast<void*>(-1) && errno == EACCES && shmctl(id, IPC_STAT, &ds) == -1 && errno == EACCES ? 0 : 1);
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(ut::describe_status(status), ut::describe_status(0));
    EXPECT_EQ(shmctl(id, IPC_RMID, nullptr), 0);
}

} // namespace

std::vector<ut::Case> memory_limit_cases()
{
    return {
        {"region_limit_is_max_map_count", region_limit_is_max_map_count},
        {"default_limit_fits_65530_regions", default_limit_fits_65530_regions},
        {"mprotect_honours_the_open_mode", mprotect_honours_the_open_mode},
    };
}

std::vector<ut::Case> sysv_shm_cases()
{
    return {
        {"shm_shared_across_fork_and_attaches", shm_shared_across_fork_and_attaches},
        {"shm_removed_with_the_last_detach", shm_removed_with_the_last_detach},
        {"shm_stat_and_set", shm_stat_and_set},
        {"shm_errors_match_linux", shm_errors_match_linux},
        {"shm_permissions", shm_permissions},
    };
}
