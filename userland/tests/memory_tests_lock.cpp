// mlock(2) and its family (kernel/syscall/memory.cpp): what is locked,
// as VmLck in /proc/self/status shows it, under Myriad and the Linux
// reference alike. A case of the `memory` group (memory_tests.cpp).
#include "groups.h"
#include "harness.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;

// A field of /proc/self/status in kB ("VmLck"), or -1.
long status_kib(const char* field)
{
    std::ifstream in("/proc/self/status");
    std::string line, key = std::string(field) + ":";
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0)
            return std::strtol(line.c_str() + key.size(), nullptr, 10);
    return -1;
}

// mlock family: the range rounds out to whole pages, VmLck counts what is
// locked, munlock and munlockall give it back, MAP_LOCKED locks at mmap,
// a fork's child inherits no locks; ENOMEM over unmapped pages, EINVAL
// for bad flags. (Under qemu-user the host's mlock does the same to the
// guest's pages, and its VmLck moves by the same amounts.)
} // namespace

void mlock_family(ut::Test& t)
{
    long base = status_kib("VmLck");
    ASSERT(base >= 0);
    auto* p = static_cast<char*>(mmap(nullptr, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    ASSERT(p != MAP_FAILED);
    EXPECT_EQ(mlock(p + 100, 4096), 0); // reaches into the second page
    EXPECT_EQ(status_kib("VmLck"), base + 8);
    EXPECT_EQ(p[4096 + 5], 0); // locked pages are there, zero-filled
    // qemu-user (8.x) has no mlock2: ENOSYS there; plain mlock stands in.
    bool has_mlock2 = mlock2(p + 3 * 4096, 4096, MLOCK_ONFAULT) == 0;
    if (!has_mlock2) {
        EXPECT(!platform().myriad && errno == ENOSYS);
        EXPECT_EQ(mlock(p + 3 * 4096, 4096), 0);
    }
    EXPECT_EQ(status_kib("VmLck"), base + 12);
    EXPECT_EQ(munlock(p, 4 * 4096), 0);
    EXPECT_EQ(status_kib("VmLck"), base);
    EXPECT_EQ(mlock(p, 0), 0);
    if (has_mlock2)
        EXPECT_ERRNO(mlock2(p, 4096, 0x100), EINVAL);
    EXPECT_ERRNO(mlockall(0), EINVAL);
    EXPECT_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
    ASSERT_EQ(munmap(p + 2 * 4096, 4096), 0);
    // A hole in the range: the pages before it are locked, then ENOMEM.
    EXPECT_ERRNO(mlock(p, 4 * 4096), ENOMEM);
    EXPECT_EQ(status_kib("VmLck"), base + 8);
    EXPECT_ERRNO(munlock(p, 4 * 4096), ENOMEM);
    EXPECT_EQ(status_kib("VmLck"), base);
    EXPECT_ERRNO(mlock(p + 2 * 4096, 4096), ENOMEM); // all hole: nothing
    EXPECT_EQ(status_kib("VmLck"), base);

    // Locks are not inherited; mlockall and munlockall in a child.
    ASSERT_EQ(mlock(p, 4096), 0);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        if (status_kib("VmLck") != 0)
            _exit(1);
        if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0 || status_kib("VmLck") <= 0)
            _exit(2);
        long all = status_kib("VmLck");
        void* later = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); // MCL_FUTURE
        // Exactly one page more; under qemu-user at least that (its own
        // mappings made meanwhile are locked too).
        const long now = status_kib("VmLck");
        if (later == MAP_FAILED || now < all + 4 || (platform().myriad && now != all + 4))
            _exit(3);
        if (munlockall() != 0 || status_kib("VmLck") != 0)
            _exit(4);
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_EQ(describe_status(status), describe_status(0));
    EXPECT_EQ(munlock(p, 4096), 0);

    // MAP_LOCKED locks at mmap; unmapping gives it back.
    void* locked = mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    ASSERT(locked != MAP_FAILED);
    EXPECT_EQ(status_kib("VmLck"), base + 8);
    EXPECT_EQ(munmap(locked, 2 * 4096), 0);
    EXPECT_EQ(status_kib("VmLck"), base);
    munmap(p, 2 * 4096);
    munmap(p + 3 * 4096, 4096);
}

