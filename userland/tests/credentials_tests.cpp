// The security context (the `credentials` group): the set*id family,
// supplementary groups and capabilities with Linux's permission rules,
// file permission checks (mode bits, owner, group, sticky and
// set-group-ID directories), chown and chmod, and kill and setpriority
// across users. Every change of identity happens in a forked child, so
// the suite's own process stays root. The cases need root: where the
// reference (qemu-user runs as the host user) is not root, they say so
// and skip.
#include "files_tests.h"
#include "groups.h"
#include "harness.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <atomic>
#include <filesystem>
#include <thread>
#include <grp.h>
#include <string>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using files_test::scratch;

constexpr uid_t NOBODY = 65534;
constexpr gid_t NOGROUP = 65534;

// include/uapi/linux/capability.h
constexpr unsigned CAP_V1 = 0x19980330, CAP_V3 = 0x20080522;
constexpr int CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7, CAP_SYS_NICE = 23;
struct CapHeader {
    unsigned version;
    int pid;
};
struct CapData {
    unsigned effective, permitted, inheritable;
};
struct Caps {
    unsigned long long effective = 0, permitted = 0, inheritable = 0;
};

long capget_raw(CapHeader* header, CapData* data) { return syscall(SYS_capget, header, data); }
long capset_raw(CapHeader* header, const CapData* data) { return syscall(SYS_capset, header, data); }

Caps caps_of(int pid = 0)
{
    CapHeader h{CAP_V3, pid};
    CapData d[2] = {};
    Caps c;
    if (capget_raw(&h, d) != 0)
        return c;
    c.effective = d[0].effective | (unsigned long long)d[1].effective << 32;
    c.permitted = d[0].permitted | (unsigned long long)d[1].permitted << 32;
    c.inheritable = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
    return c;
}

bool has(unsigned long long set, int cap) { return set & (1ull << cap); }

#define REQUIRE_ROOT()                                                                                 \
    do {                                                                                               \
        if (geteuid() != 0)                                                                            \
            SKIP("needs root: the reference runs as uid " + std::to_string(geteuid()));                \
    } while (0)

// Runs body in a child (which changes its identity as it likes) and
// expects it to exit 0.
template <typename Body> void in_child(Test& t, int line, Body body)
{
    pid_t pid = spawn(body);
    if (pid < 0)
        return t.fail(__FILE_NAME__, line, "fork: " + errno_name(errno));
    int status = wait_for(pid);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        t.fail(__FILE_NAME__, line, "the child " + describe_status(status));
}
#define IN_CHILD(...) in_child(t, __LINE__, __VA_ARGS__)

// Becomes `uid`/`gid` with no supplementary groups, as su does.
bool become(uid_t uid, gid_t gid, std::vector<gid_t> groups = {})
{
    return setgroups(groups.size(), groups.data()) == 0 && setresgid(gid, gid, gid) == 0 &&
           setresuid(uid, uid, uid) == 0;
}

bool resuid_is(uid_t r, uid_t e, uid_t s)
{
    uid_t a, b, c;
    return getresuid(&a, &b, &c) == 0 && a == r && b == e && c == s;
}

bool resgid_is(gid_t r, gid_t e, gid_t s)
{
    gid_t a, b, c;
    return getresgid(&a, &b, &c) == 0 && a == r && b == e && c == s;
}

// Creates `path` with `contents`, then gives it `mode` and `uid`:`gid`.
bool make_file(const char* path, mode_t mode, uid_t uid = 0, gid_t gid = 0, const char* contents = "secret")
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return false;
    bool ok = write(fd, contents, strlen(contents)) == ssize_t(strlen(contents));
    ok &= fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0;
    return close(fd) == 0 && ok;
}

bool make_dir(const char* path, mode_t mode, uid_t uid = 0, gid_t gid = 0)
{
    return mkdir(path, 0700) == 0 && chown(path, uid, gid) == 0 && chmod(path, mode) == 0;
}

// The line of /proc/self/status that starts with `key` (without it).
std::string status_line(const char* key)
{
    FILE* f = fopen("/proc/self/status", "r");
    if (!f)
        return "<no /proc/self/status>";
    char line[512];
    std::string found = "<no " + std::string(key) + ">";
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0) {
            found = line + strlen(key);
            break;
        }
    fclose(f);
    return found;
}

void root_to_start_with(Test& t)
{
    REQUIRE_ROOT();
    EXPECT_EQ(getuid(), 0u);
    EXPECT_EQ(getgid(), 0u);
    EXPECT_EQ(getegid(), 0u);
    EXPECT(resuid_is(0, 0, 0));
    EXPECT(resgid_is(0, 0, 0));
    Caps c = caps_of();
    for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_KILL, CAP_SETGID, CAP_SETUID})
        EXPECT(has(c.effective, cap) && has(c.permitted, cap));
}

// The test: a process that dropped to nobody cannot read a
// root-only file, cannot signal root's processes and cannot raise its
// priority.
void nobody_is_powerless(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_file("root_only", 0600));
    pid_t root_pid = getpid();
    int nice_now = getpriority(PRIO_PROCESS, 0);
    IN_CHILD([&] {
        CHILD_CHECK(become(NOBODY, NOGROUP));
        CHILD_CHECK(getuid() == NOBODY && geteuid() == NOBODY && getgid() == NOGROUP);
        errno = 0;
        CHILD_CHECK(open("root_only", O_RDONLY) == -1 && errno == EACCES);
        CHILD_CHECK(open("root_only", O_WRONLY) == -1 && errno == EACCES);
        CHILD_CHECK(access("root_only", R_OK) == -1 && errno == EACCES);
        CHILD_CHECK(kill(root_pid, SIGTERM) == -1 && errno == EPERM);
        CHILD_CHECK(kill(root_pid, 0) == -1 && errno == EPERM);
        CHILD_CHECK(kill(1, 0) == -1 && errno == EPERM); // init, root's
        CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_now - 1) == -1 && errno == EACCES);
        CHILD_CHECK(setpriority(PRIO_PROCESS, root_pid, nice_now + 1) == -1 && errno == EPERM);
        CHILD_CHECK(Caps{}.effective == caps_of().effective && caps_of().permitted == 0);
        CHILD_CHECK(setuid(0) == -1 && errno == EPERM);
        return 0;
    });
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), nice_now);
}

void setuid_rules(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] { // root: every id
        CHILD_CHECK(setuid(1000) == 0 && resuid_is(1000, 1000, 1000));
        CHILD_CHECK(setuid(0) == -1 && errno == EPERM);
        CHILD_CHECK(setuid(1000) == 0);
        return 0;
    });
    IN_CHILD([] { // unprivileged: the effective id, to the real or the saved one
        CHILD_CHECK(setresuid(1000, 1001, 1002) == 0);
        CHILD_CHECK(setuid(1002) == 0 && resuid_is(1000, 1002, 1002));
        CHILD_CHECK(setuid(1000) == 0 && resuid_is(1000, 1000, 1002));
        CHILD_CHECK(setuid(1003) == -1 && errno == EPERM);
        CHILD_CHECK(setuid(uid_t(-1)) == -1 && errno == EINVAL);
        return 0;
    });
}

void setreuid_rules(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        CHILD_CHECK(setreuid(1000, 1001) == 0 && resuid_is(1000, 1001, 1001)); // a real id set: saved = effective
        CHILD_CHECK(setreuid(uid_t(-1), 1000) == 0 && resuid_is(1000, 1000, 1001)); // to the real one: saved kept
        CHILD_CHECK(setreuid(uid_t(-1), 1001) == 0 && resuid_is(1000, 1001, 1001)); // to the saved one
        CHILD_CHECK(setreuid(1001, uid_t(-1)) == 0 && resuid_is(1001, 1001, 1001)); // real to the effective one
        CHILD_CHECK(setreuid(1005, uid_t(-1)) == -1 && errno == EPERM);
        CHILD_CHECK(setreuid(uid_t(-1), 1005) == -1 && errno == EPERM);
        return 0;
    });
}

void setresuid_rules(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        CHILD_CHECK(setresuid(1, 2, 3) == 0 && resuid_is(1, 2, 3));
        CHILD_CHECK(setresuid(3, 1, 2) == 0 && resuid_is(3, 1, 2)); // any of the three
        CHILD_CHECK(setresuid(uid_t(-1), uid_t(-1), uid_t(-1)) == 0 && resuid_is(3, 1, 2));
        CHILD_CHECK(setresuid(4, uid_t(-1), uid_t(-1)) == -1 && errno == EPERM);
        CHILD_CHECK(setresuid(uid_t(-1), uid_t(-1), 0) == -1 && errno == EPERM);
        uid_t r;
        CHILD_CHECK(syscall(SYS_getresuid, &r, (uid_t*)8, &r) == -1 && errno == EFAULT);
        CHILD_CHECK(syscall(SYS_getresgid, (gid_t*)8, &r, &r) == -1 && errno == EFAULT);
        return 0;
    });
}

void setgid_family(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        CHILD_CHECK(setgid(7) == 0 && resgid_is(7, 7, 7) && getgid() == 7 && getegid() == 7);
        CHILD_CHECK(setresgid(10, 20, 30) == 0 && resgid_is(10, 20, 30));
        CHILD_CHECK(setuid(1000) == 0); // no CAP_SETGID from here on
        CHILD_CHECK(setgid(30) == 0 && resgid_is(10, 30, 30));
        CHILD_CHECK(setgid(40) == -1 && errno == EPERM);
        CHILD_CHECK(setregid(gid_t(-1), 10) == 0 && resgid_is(10, 10, 30));
        CHILD_CHECK(setregid(30, gid_t(-1)) == -1 && errno == EPERM); // the real one: real or effective only
        CHILD_CHECK(setresgid(30, 10, 10) == 0 && resgid_is(30, 10, 10));
        CHILD_CHECK(setresgid(40, gid_t(-1), gid_t(-1)) == -1 && errno == EPERM);
        CHILD_CHECK(setgid(gid_t(-1)) == -1 && errno == EINVAL);
        return 0;
    });
}

void setfsuid_rules(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        CHILD_CHECK(setfsuid(1000) == 0);          // the old value
        CHILD_CHECK(setfsuid(uid_t(-1)) == 1000);  // asks only
        CHILD_CHECK(status_line("Uid:") == "\t0\t0\t0\t1000\n");
        // A filesystem uid other than 0 drops the filesystem capabilities.
        Caps c = caps_of();
        CHILD_CHECK(!has(c.effective, CAP_DAC_OVERRIDE) && !has(c.effective, CAP_CHOWN) && has(c.effective, CAP_KILL));
        CHILD_CHECK(has(c.permitted, CAP_DAC_OVERRIDE));
        CHILD_CHECK(setfsuid(0) == 1000 && has(caps_of().effective, CAP_DAC_OVERRIDE));
        CHILD_CHECK(setfsgid(50) == 0 && setfsgid(gid_t(-1)) == 50);
        CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
        CHILD_CHECK(setfsuid(2000) == 1000 && setfsuid(uid_t(-1)) == 1000); // refused: still 1000
        CHILD_CHECK(setfsgid(60) == 50 && setfsgid(gid_t(-1)) == 50);       // refused (setresuid left it)
        return 0;
    });
}

void new_files_take_fs_ids(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    IN_CHILD([] {
        setfsgid(1001);
        setfsuid(1000);
        int fd = open("made", O_WRONLY | O_CREAT | O_EXCL, 0640);
        CHILD_CHECK(fd >= 0);
        struct stat st;
        CHILD_CHECK(fstat(fd, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001);
        CHILD_CHECK(mkdir("made_dir", 0755) == 0 && stat("made_dir", &st) == 0 && st.st_uid == 1000 &&
                    st.st_gid == 1001);
        return 0;
    });
}

void supplementary_groups(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        gid_t list[] = {30, 10, 20};
        CHILD_CHECK(setgroups(3, list) == 0);
        CHILD_CHECK(getgroups(0, nullptr) == 3);
        gid_t got[8] = {};
        CHILD_CHECK(getgroups(8, got) == 3 && got[0] == 10 && got[1] == 20 && got[2] == 30); // kept sorted
        CHILD_CHECK(getgroups(2, got) == -1 && errno == EINVAL);
        CHILD_CHECK(syscall(SYS_getgroups, -1, got) == -1 && errno == EINVAL);
        CHILD_CHECK(syscall(SYS_getgroups, 8, (gid_t*)8) == -1 && errno == EFAULT);
        CHILD_CHECK(status_line("Groups:") == "\t10 20 30 \n");
        CHILD_CHECK(syscall(SYS_setgroups, -1, list) == -1 && errno == EINVAL);
        CHILD_CHECK(syscall(SYS_setgroups, 65537, list) == -1 && errno == EINVAL);
        CHILD_CHECK(syscall(SYS_setgroups, 2, (gid_t*)8) == -1 && errno == EFAULT);
        CHILD_CHECK(setgroups(0, nullptr) == 0 && getgroups(0, nullptr) == 0);
        CHILD_CHECK(status_line("Groups:") == "\t \n");
        CHILD_CHECK(setuid(1000) == 0);
        CHILD_CHECK(setgroups(1, list) == -1 && errno == EPERM);
        return 0;
    });
}

void proc_status_shows_ids(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        gid_t list[] = {8, 7};
        CHILD_CHECK(setgroups(2, list) == 0 && setresgid(4, 5, 6) == 0 && setresuid(1, 2, 3) == 0);
        CHILD_CHECK(status_line("Uid:") == "\t1\t2\t3\t2\n");
        CHILD_CHECK(status_line("Gid:") == "\t4\t5\t6\t5\n");
        CHILD_CHECK(status_line("Groups:") == "\t7 8 \n");
        CHILD_CHECK(status_line("CapEff:") == "\t0000000000000000\n");
        return 0;
    });
}

void capget_capset(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        CapHeader h{0x12345678, 0};
        CapData d[2] = {};
        CHILD_CHECK(capget_raw(&h, d) == -1 && errno == EINVAL && h.version == CAP_V3); // the preferred version back
        h = {0x12345678, 0};
        CHILD_CHECK(capget_raw(&h, nullptr) == 0 && h.version == CAP_V3); // a probe
        h = {CAP_V3, -1};
        CHILD_CHECK(capget_raw(&h, d) == -1 && errno == EINVAL);
        h = {CAP_V3, 0};
        CHILD_CHECK(capget_raw(&h, (CapData*)8) == -1 && errno == EFAULT);
        CHILD_CHECK(capget_raw((CapHeader*)8, d) == -1 && errno == EFAULT);
        h = {CAP_V1, 0};
        CHILD_CHECK(capget_raw(&h, d) == 0 && has(d[0].effective, CAP_KILL));
        pid_t parent = getppid();
        CHILD_CHECK(has(caps_of(parent).effective, CAP_KILL)); // another process's sets
        // Drop CAP_KILL from the effective set, then from the permitted one.
        Caps c = caps_of();
        unsigned long long without_kill = c.effective & ~(1ull << CAP_KILL);
        CapData set[2] = {{unsigned(without_kill), unsigned(c.permitted), 0},
                          {unsigned(without_kill >> 32), unsigned(c.permitted >> 32), 0}};
        h = {CAP_V3, 0};
        CHILD_CHECK(capset_raw(&h, set) == 0 && !has(caps_of().effective, CAP_KILL) &&
                    has(caps_of().permitted, CAP_KILL));
        set[0].permitted &= ~(1u << CAP_KILL);
        CHILD_CHECK(capset_raw(&h, set) == 0 && !has(caps_of().permitted, CAP_KILL));
        // Permitted never grows; effective stays within permitted.
        set[0].permitted |= 1u << CAP_KILL;
        CHILD_CHECK(capset_raw(&h, set) == -1 && errno == EPERM);
        set[0].permitted &= ~(1u << CAP_KILL);
        set[0].effective |= 1u << CAP_KILL;
        CHILD_CHECK(capset_raw(&h, set) == -1 && errno == EPERM);
        set[0].effective &= ~(1u << CAP_KILL);
        h = {CAP_V3, parent};
        CHILD_CHECK(capset_raw(&h, set) == -1 && errno == EPERM); // another process's
        h = {CAP_V3, 0};
        CHILD_CHECK(capset_raw(&h, (CapData*)8) == -1 && errno == EFAULT);
        return 0;
    });
}

void uid_changes_adjust_caps(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        Caps root = caps_of();
        CHILD_CHECK(seteuid(1000) == 0);
        CHILD_CHECK(caps_of().effective == 0 && caps_of().permitted == root.permitted); // effective 0: none
        CHILD_CHECK(seteuid(0) == 0 && caps_of().effective == root.permitted);       // back: all permitted
        CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
        CHILD_CHECK(caps_of().effective == 0 && caps_of().permitted == 0); // no uid 0 left
        return 0;
    });
    IN_CHILD([] {
        Caps root = caps_of();
        CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0 && prctl(PR_GET_KEEPCAPS) == 1);
        CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 2) == -1 && errno == EINVAL);
        CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
        CHILD_CHECK(caps_of().effective == 0 && caps_of().permitted == root.permitted); // kept
        return 0;
    });
}

void file_mode_bits(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_file("mine", 0600, 1000, 1000));
    ASSERT(make_file("group_rw", 0060, 0, 2000));
    ASSERT(make_file("owner_none", 0066, 1000, 0)); // the owner class wins over group and other
    ASSERT(make_file("read_only", 0444, 1000, 1000));
    ASSERT(make_file("not_exec", 0644, 0, 0, "#!/bin/sh\n"));
    IN_CHILD([] {
        CHILD_CHECK(become(1000, 1000, {2000}));
        int fd = open("mine", O_RDWR);
        CHILD_CHECK(fd >= 0 && close(fd) == 0);
        fd = open("group_rw", O_RDWR);
        CHILD_CHECK(fd >= 0 && close(fd) == 0);
        CHILD_CHECK(open("owner_none", O_RDONLY) == -1 && errno == EACCES);
        CHILD_CHECK(open("read_only", O_WRONLY) == -1 && errno == EACCES);
        CHILD_CHECK(open("read_only", O_RDONLY | O_TRUNC) == -1 && errno == EACCES);
        CHILD_CHECK(truncate("read_only", 0) == -1 && errno == EACCES);
        CHILD_CHECK(access("read_only", R_OK) == 0 && access("read_only", W_OK) == -1 && errno == EACCES);
        CHILD_CHECK(access("group_rw", R_OK | W_OK) == 0);
        char* argv[] = {(char*)"not_exec", nullptr};
        CHILD_CHECK(execve("not_exec", argv, environ) == -1 && errno == EACCES);
        return 0;
    });
    // Root: reads and writes anything, but executes only with an x bit.
    int fd = open("owner_none", O_RDWR);
    EXPECT(fd >= 0);
    close(fd);
    char* argv[] = {(char*)"not_exec", nullptr};
    EXPECT_ERRNO(execve("not_exec", argv, environ), EACCES);
}

void access_uses_real_ids(Test& t)
{
    REQUIRE_ROOT();
    ASSERT(make_file("root_only", 0600));
    IN_CHILD([] {
        CHILD_CHECK(setresuid(1000, 0, 0) == 0); // real 1000, effective root
        CHILD_CHECK(access("root_only", R_OK) == -1 && errno == EACCES);
        CHILD_CHECK(faccessat(AT_FDCWD, "root_only", R_OK, AT_EACCESS) == 0);
        int fd = open("root_only", O_RDONLY);
        CHILD_CHECK(fd >= 0);
        return 0;
    });
}

void directory_permissions(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_dir("closed", 0700));
    ASSERT(make_file("closed/inside", 0644));
    ASSERT(make_dir("read_only", 0755));
    ASSERT(make_file("read_only/inside", 0666));
    ASSERT(make_dir("search_only", 0711));
    ASSERT(make_file("search_only/inside", 0644));
    IN_CHILD([] {
        CHILD_CHECK(become(NOBODY, NOGROUP));
        struct stat st;
        CHILD_CHECK(stat("closed/inside", &st) == -1 && errno == EACCES); // no search permission
        CHILD_CHECK(open("closed/inside", O_RDONLY) == -1 && errno == EACCES);
        CHILD_CHECK(chdir("closed") == -1 && errno == EACCES);
        CHILD_CHECK(open("read_only/new", O_WRONLY | O_CREAT, 0644) == -1 && errno == EACCES);
        CHILD_CHECK(mkdir("read_only/dir", 0755) == -1 && errno == EACCES);
        CHILD_CHECK(symlink("x", "read_only/link") == -1 && errno == EACCES);
        CHILD_CHECK(link("read_only/inside", "read_only/again") == -1 && errno == EACCES);
        CHILD_CHECK(unlink("read_only/inside") == -1 && errno == EACCES);
        CHILD_CHECK(rename("read_only/inside", "moved") == -1 && errno == EACCES);
        int fd = open("read_only/inside", O_RDWR); // the file itself is writable
        CHILD_CHECK(fd >= 0 && close(fd) == 0);
        CHILD_CHECK(stat("search_only/inside", &st) == 0);                        // search, no read
        CHILD_CHECK(open("search_only", O_RDONLY | O_DIRECTORY) == -1 && errno == EACCES);
        CHILD_CHECK(chdir("search_only") == 0);
        return 0;
    });
    struct stat st;
    EXPECT_EQ(stat("closed/inside", &st), 0); // root searches anything
}

void sticky_directory(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_dir("shared", 01777));
    IN_CHILD([] {
        CHILD_CHECK(become(1000, 1000));
        int fd = open("shared/a", O_WRONLY | O_CREAT, 0666);
        CHILD_CHECK(fd >= 0 && close(fd) == 0);
        return 0;
    });
    IN_CHILD([] {
        CHILD_CHECK(become(1001, 1001));
        CHILD_CHECK(unlink("shared/a") == -1 && errno == EPERM); // someone else's
        CHILD_CHECK(rename("shared/a", "shared/b") == -1 && errno == EPERM);
        int fd = open("shared/c", O_WRONLY | O_CREAT, 0666);
        CHILD_CHECK(fd >= 0 && close(fd) == 0);
        CHILD_CHECK(rename("shared/c", "shared/a") == -1 && errno == EPERM); // would replace it
        CHILD_CHECK(unlink("shared/c") == 0);                               // its own
        return 0;
    });
    EXPECT_EQ(unlink("shared/a"), 0); // root may
    if (platform().myriad) {
        struct stat st;
        EXPECT(stat("/tmp", &st) == 0 && st.st_mode == (S_IFDIR | 01777));
    }
}

void setgid_directory(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_dir("team", 02777, 0, 3000));
    IN_CHILD([] {
        CHILD_CHECK(become(1000, 1000));
        struct stat st;
        int fd = open("team/file", O_WRONLY | O_CREAT, 0644);
        CHILD_CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == 1000 && st.st_gid == 3000);
        CHILD_CHECK(mkdir("team/sub", 0755) == 0 && stat("team/sub", &st) == 0 && st.st_gid == 3000 &&
                    (st.st_mode & S_ISGID));
        fd = open("plain", O_WRONLY | O_CREAT, 0644);
        CHILD_CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000);
        return 0;
    });
}

void chown_rules(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_file("f", 04755));
    struct stat st;
    ASSERT_EQ(chown("f", 1000, 1000), 0);
    EXPECT(stat("f", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000);
    EXPECT_EQ(st.st_mode & 07777, 0755u); // set-user-ID cleared
    ASSERT(make_file("roots", 0644));
    EXPECT_EQ(symlink("f", "link"), 0);
    EXPECT_EQ(lchown("link", 1001, 1001), 0);
    EXPECT(lstat("link", &st) == 0 && st.st_uid == 1001 && stat("f", &st) == 0 && st.st_uid == 1000);
    EXPECT_ERRNO(fchownat(AT_FDCWD, "f", 0, 0, 0x4000), EINVAL);
    EXPECT_ERRNO(fchown(12345, 0, 0), EBADF);
    IN_CHILD([] {
        CHILD_CHECK(become(1000, 1000, {2000}));
        CHILD_CHECK(chown("f", 1001, uid_t(-1)) == -1 && errno == EPERM); // a new owner needs CAP_CHOWN
        CHILD_CHECK(chown("f", 1000, uid_t(-1)) == 0);                    // itself: allowed
        CHILD_CHECK(chown("f", uid_t(-1), 2000) == 0);                    // a group it is in
        struct stat st;
        CHILD_CHECK(stat("f", &st) == 0 && st.st_gid == 2000);
        CHILD_CHECK(chown("f", uid_t(-1), 3000) == -1 && errno == EPERM); // one it is not in
        CHILD_CHECK(chown("roots", uid_t(-1), 2000) == -1 && errno == EPERM); // not its file
        int fd = open("f", O_RDONLY);
        CHILD_CHECK(fd >= 0 && fchown(fd, uid_t(-1), 1000) == 0);
        return 0;
    });
}

void chmod_rules(Test& t)
{
    REQUIRE_ROOT();
    chmod(".", 0777);
    ASSERT(make_file("roots", 0644));
    ASSERT(make_file("own", 0644, 1000, 1000));
    ASSERT(make_file("foreign_group", 0644, 1000, 3000));
    IN_CHILD([] {
        CHILD_CHECK(become(1000, 1000));
        CHILD_CHECK(chmod("roots", 0666) == -1 && errno == EPERM);
        struct stat st;
        CHILD_CHECK(chmod("own", 02750) == 0 && stat("own", &st) == 0 && (st.st_mode & 07777) == 02750);
        // Set-group-ID for a group the caller is not in: dropped.
        CHILD_CHECK(chmod("foreign_group", 02750) == 0 && stat("foreign_group", &st) == 0 &&
                    (st.st_mode & 07777) == 0750);
        return 0;
    });
}

// A target that gets the given ids, tells through the pipe, then waits.
pid_t target_with(uid_t r, uid_t e, uid_t s)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = spawn([&] {
        close(fds[0]);
        if (setresuid(r, e, s) != 0)
            return 1;
        char c = 1;
        if (write(fds[1], &c, 1) != 1)
            return 1;
        for (;;)
            pause();
    });
    close(fds[1]);
    char c;
    bool ready = read(fds[0], &c, 1) == 1;
    close(fds[0]);
    if (!ready && pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return -1;
    }
    return pid;
}

void kill_across_users(Test& t)
{
    REQUIRE_ROOT();
    pid_t other = target_with(1001, 1001, 1001);
    pid_t saved_match = target_with(1001, 1001, 1000); // its saved uid is the sender's
    ASSERT(other > 0 && saved_match > 0);
    IN_CHILD([&] {
        CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
        CHILD_CHECK(kill(other, 0) == -1 && errno == EPERM);
        CHILD_CHECK(kill(other, SIGTERM) == -1 && errno == EPERM);
        CHILD_CHECK(syscall(SYS_tgkill, other, other, SIGTERM) == -1 && errno == EPERM);
        CHILD_CHECK(kill(other, SIGCONT) == 0); // within the session
        CHILD_CHECK(kill(saved_match, 0) == 0);
        return 0;
    });
    IN_CHILD([&] { // a real uid that matches is enough
        CHILD_CHECK(setresuid(1001, 1000, 1000) == 0);
        CHILD_CHECK(kill(other, 0) == 0);
        return 0;
    });
    kill(other, SIGKILL);
    kill(saved_match, SIGKILL);
    int status;
    EXPECT_EQ(waitpid(other, &status, 0), other);
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); // the refused SIGTERM never came
    EXPECT_EQ(waitpid(saved_match, &status, 0), saved_match);
}

void priority_across_users(Test& t)
{
    REQUIRE_ROOT();
    int nice_now = getpriority(PRIO_PROCESS, 0);
    if (nice_now > 17)
        SKIP("already at nice " + std::to_string(nice_now));
    pid_t root_pid = getpid();
    // An unusual uid: PRIO_USER names every process of the user, host ones too.
    constexpr uid_t USER = 54321;
    IN_CHILD([&] {
        CHILD_CHECK(setresuid(USER, USER, USER) == 0);
        CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_now + 1) == 0); // lower priority: anyone
        CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_now) == -1 && errno == EACCES);
        CHILD_CHECK(setpriority(PRIO_PROCESS, root_pid, nice_now + 1) == -1 && errno == EPERM);
        CHILD_CHECK(setpriority(PRIO_USER, 0, nice_now + 2) == 0 && getpriority(PRIO_PROCESS, 0) == nice_now + 2);
        errno = 0;
        CHILD_CHECK(getpriority(PRIO_USER, USER) == nice_now + 2 && errno == 0);
        return 0;
    });
    EXPECT_EQ(getpriority(PRIO_PROCESS, 0), nice_now);
    if (has(caps_of().effective, CAP_SYS_NICE)) {
        IN_CHILD([&] { // root lowers its nice value
            CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_now + 1) == 0);
            CHILD_CHECK(setpriority(PRIO_PROCESS, 0, nice_now) == 0);
            return 0;
        });
    }
}

// The threads of a process share its credentials: a change made by one
// (glibc also repeats it in every thread, which then finds it done)
// is what the others see.
void threads_share_credentials(Test& t)
{
    REQUIRE_ROOT();
    IN_CHILD([] {
        std::atomic<int> step{0};
        long seen_uid = -1, seen_gid = -1;
        unsigned long long seen_caps = ~0ull;
        std::thread other([&] {
            while (step.load() != 1)
                std::this_thread::yield();
            seen_uid = syscall(SYS_getuid);
            seen_gid = syscall(SYS_getgid);
            seen_caps = caps_of().effective;
            step.store(2);
        });
        bool changed = become(1000, 1001);
        step.store(1);
        other.join();
        CHILD_CHECK(changed);
        CHILD_CHECK(seen_uid == 1000 && seen_gid == 1001 && seen_caps == 0);
        return 0;
    });
}

// A set-user-ID program runs with its owner as effective and saved uid;
// no_new_privs ignores the bit. The program (cat) shows its own ids.
void setuid_exec(Test& t)
{
    REQUIRE_ROOT();
    REQUIRE_EXEC();
    chmod(".", 0777);
    std::error_code error;
    // The image's own cat: busybox's drops a set-user-ID it does not need
    // (setuid(getuid())) before it runs the applet.
    std::filesystem::copy_file(image_path("usr/libexec/box/cat"), "cat", error);
    ASSERT(!error);
    ASSERT(chown("cat", 1000, 1000) == 0 && chmod("cat", 04755) == 0);
    for (bool no_new_privs : {false, true}) {
        IN_CHILD([&] {
            CHILD_CHECK(become(NOBODY, NOGROUP));
            if (no_new_privs)
                CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
            int fd = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0666);
            CHILD_CHECK(fd >= 0 && dup2(fd, 1) == 1);
            execl("./cat", "cat", "/proc/self/status", nullptr);
            return 2;
        });
        std::string text = files_test::contents("out");
        std::string expected = no_new_privs ? "Uid:\t65534\t65534\t65534\t65534\n" : "Uid:\t65534\t1000\t1000\t1000\n";
        if (!EXPECT(text.find(expected) != std::string::npos))
            std::printf("# status: %s\n", text.substr(0, 400).c_str());
    }
}

void waitid_reports_child_uid(Test& t)
{
    REQUIRE_ROOT();
    pid_t pid = spawn([] { return setuid(1234) == 0 ? 0 : 1; });
    ASSERT(pid > 0);
    siginfo_t info{};
    ASSERT_EQ(waitid(P_PID, pid, &info, WEXITED), 0);
    EXPECT_EQ(info.si_uid, 1234u);
    EXPECT_EQ(info.si_status, 0);
}

volatile sig_atomic_t g_handler_uid = -1;
void note_sender_uid(int, siginfo_t* info, void*) { g_handler_uid = sig_atomic_t(info->si_uid); }

// si_uid (signal(7), sigaction(2)): kill and SIGCHLD say whose
// signal it is: the sender's real uid (not its effective one), the child's
// for SIGCHLD. Taken with sigtimedwait and seen by a handler.
void signals_carry_the_senders_uid(Test& t)
{
    REQUIRE_ROOT();
    sigset_t usr;
    sigemptyset(&usr);
    sigaddset(&usr, SIGUSR1);
    sigaddset(&usr, SIGCHLD);
    sigset_t old;
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &usr, &old), 0);
    const pid_t parent = getpid();
    // Real uid 1234, effective 4321: si_uid is the real one.
    pid_t pid = spawn([parent] {
        if (setresuid(1234, 4321, 0) != 0)
            return 1;
        // Root's signals may still be sent: the saved uid is 0 (kill's
        // rule looks at the real and effective uids against the target's
        // real and saved ones, and root's are 0).
        if (seteuid(0) != 0 || kill(parent, SIGUSR1) != 0)
            return 2;
        return 0;
    });
    ASSERT(pid > 0);
    siginfo_t info{};
    timespec wait{5, 0};
    EXPECT_EQ(sigtimedwait(&usr, &info, &wait), SIGUSR1);
    EXPECT_EQ(info.si_code, SI_USER);
    EXPECT_EQ(info.si_pid, pid);
    EXPECT_EQ(info.si_uid, 1234u);
    EXPECT_EQ(sigtimedwait(&usr, &info, &wait), SIGCHLD);
    EXPECT_EQ(info.si_code, CLD_EXITED);
    EXPECT_EQ(info.si_pid, pid);
    EXPECT_EQ(info.si_uid, 1234u);
    EXPECT_EQ(info.si_status, 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    ASSERT_EQ(sigprocmask(SIG_SETMASK, &old, nullptr), 0);

    // A handler's siginfo says the same.
    struct sigaction action {};
    action.sa_sigaction = note_sender_uid;
    action.sa_flags = SA_SIGINFO;
    struct sigaction saved {};
    ASSERT_EQ(sigaction(SIGUSR1, &action, &saved), 0);
    g_handler_uid = -1;
    pid = spawn([parent] { return setresuid(77, 0, 0) == 0 && kill(parent, SIGUSR1) == 0 ? 0 : 1; });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    for (int i = 0; i < 500 && g_handler_uid == -1; ++i)
        usleep(1000);
    EXPECT_EQ(int(g_handler_uid), 77);
    sigaction(SIGUSR1, &saved, nullptr);
}

} // namespace

std::vector<ut::Case> credentials_cases()
{
    return {
        {"root_to_start_with", root_to_start_with},
        {"signals_carry_the_senders_uid", signals_carry_the_senders_uid},
        {"nobody_is_powerless", scratch<nobody_is_powerless>},
        {"setuid_rules", setuid_rules},
        {"setreuid_rules", setreuid_rules},
        {"setresuid_rules", setresuid_rules},
        {"setgid_family", setgid_family},
        {"setfsuid_rules", setfsuid_rules},
        {"new_files_take_fs_ids", scratch<new_files_take_fs_ids>},
        {"supplementary_groups", supplementary_groups},
        {"proc_status_shows_ids", proc_status_shows_ids},
        {"capget_capset", capget_capset},
        {"uid_changes_adjust_caps", uid_changes_adjust_caps},
        {"file_mode_bits", scratch<file_mode_bits>},
        {"access_uses_real_ids", scratch<access_uses_real_ids>},
        {"directory_permissions", scratch<directory_permissions>},
        {"sticky_directory", scratch<sticky_directory>},
        {"setgid_directory", scratch<setgid_directory>},
        {"chown_rules", scratch<chown_rules>},
        {"chmod_rules", scratch<chmod_rules>},
        {"kill_across_users", kill_across_users},
        {"priority_across_users", priority_across_users},
        {"waitid_reports_child_uid", waitid_reports_child_uid},
        {"setuid_exec", scratch<setuid_exec>},
        {"threads_share_credentials", threads_share_credentials},
    };
}
