// execve(2) with bad input: every class of malformed ELF (elf_mutants.h),
// and argv/envp at Linux's limits, which follow RLIMIT_STACK (fs/exec.c
// bprm_stack_limits: a quarter of the stack limit, at most 6 MiB, at
// least 32 pages, less one pointer per string; one string at most 32
// pages). The caller must be intact after every refusal.
#include "common/exec_probe_protocol.h"
#include "elf_mutants.h"
#include "groups.h"
#include "harness.h"

#include <algorithm>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

constexpr int k_exec_failed = 100;

// Runs execve in a child that checks it is intact afterwards: "ok" when
// the exec succeeded and the program exited 0, the errno's name when
// execve failed, else what became of the child.
std::string exec_outcome(const std::string& path, std::vector<char*> argv, std::vector<char*> envp)
{
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    pid_t pid = spawn([&] {
        // The program may complain about the odd arguments; not our output.
        if (int null = open("/dev/null", O_WRONLY); null >= 0)
            dup2(null, 2);
        volatile int canary = 0x600d;
        long r = syscall(SYS_execve, path.c_str(), argv.data(), envp.data());
        int error = errno;
        CHILD_CHECK(r == -1);
        CHILD_CHECK(canary == 0x600d);
        return k_exec_failed + (error < 100 ? error : 99);
    });
    int status = wait_for(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) >= k_exec_failed)
        return errno_name(WEXITSTATUS(status) - k_exec_failed);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "the child " + describe_status(status);
}

void exec_malformed_elf(Test& t)
{
    REQUIRE_EXEC();
    const std::vector<unsigned char> original = elf_mutants::read_file(image_path("bin/exec_probe"));
    ASSERT(original.size() > sizeof(Elf64_Ehdr));
    const std::string path = "/tmp/elf-mutant";
    char arg0[] = "exec_probe", exit_mode[] = "exit", zero[] = "0";
    // The unharmed copy runs: the damage is what gets each mutant refused.
    ASSERT(elf_mutants::write_file(path, original));
    EXPECT_EQ(exec_outcome(path, {arg0, exit_mode, zero}, {}), "ok");
    for (const elf_mutants::Mutant& m : elf_mutants::all()) {
        std::vector<unsigned char> bytes = original;
        m.damage(bytes);
        if (!elf_mutants::write_file(path, bytes)) {
            t.fail(__FILE_NAME__, __LINE__, std::string(m.name) + ": cannot write " + path);
            continue;
        }
        std::string got = exec_outcome(path, {arg0, exit_mode, zero}, {});
        if (got != errno_name(m.expected_errno))
            t.fail(__FILE_NAME__, __LINE__, std::string(m.name) + ": " + got + ", expected " +
                                                errno_name(m.expected_errno));
    }
    unlink(path.c_str());
}

// Linux's limit for the strings and pointers of argv and envp.
unsigned long arg_limit()
{
    rlimit stack{};
    getrlimit(RLIMIT_STACK, &stack);
    unsigned long quarter = stack.rlim_cur == RLIM_INFINITY ? ~0ul : stack.rlim_cur / 4;
    return std::max(std::min((8ul << 20) / 4 * 3, quarter), 32ul * 4096);
}

// argv: exec_probe, exit, 0, then `count` strings of `length` bytes (all
// the same buffer); the rest of the limit in one last string, so the
// total is exactly `total` bytes (with NULs and one pointer each).
std::vector<char*> argv_of_total(unsigned long total, std::string& filler, std::string& last)
{
    static char arg0[] = "exec_probe", exit_mode[] = "exit", zero[] = "0";
    std::vector<char*> argv = {arg0, exit_mode, zero};
    unsigned long used = sizeof arg0 + sizeof exit_mode + sizeof zero + 8 * 4; // 4 pointers with `last`
    filler.assign(100000 - 1, 'f');
    while (used + 8 + filler.size() + 1 + 8 + 4096 < total) {
        argv.push_back(filler.data());
        used += 8 + filler.size() + 1;
    }
    last.assign(total - used - 1, 'l');
    argv.push_back(last.data());
    return argv;
}

// Whether execve got past the size checks: it ran the program (whatever
// the program then did with so many arguments), or, where exec cannot
// work (qemu-user), failed for another reason than E2BIG.
bool fits(const std::string& outcome)
{
    bool refused = outcome.rfind("E", 0) == 0; // an errno name
    return platform().exec_works ? !refused : outcome != "E2BIG";
}

void exec_e2big_follows_rlimit_stack(Test& t)
{
    const std::string path = image_path("bin/exec_probe");
    for (rlim_t stack : {rlim_t(32) << 20, rlim_t(8) << 20, rlim_t(1) << 20, rlim_t(256) << 10, rlim_t(64) << 10}) {
        // Children inherit it. qemu-user keeps the host's RLIMIT_STACK
        // whatever the guest sets, and getrlimit says which one applies,
        // so the expectation follows what getrlimit reads back.
        rlimit r{};
        getrlimit(RLIMIT_STACK, &r);
        r.rlim_cur = std::min<rlim_t>(stack, r.rlim_max);
        setrlimit(RLIMIT_STACK, &r);
        const unsigned long limit = arg_limit();
        const std::string where = "RLIMIT_STACK " + std::to_string(stack) + ", limit " + std::to_string(limit);
        std::string filler, last;
        // 4 KiB under the limit leaves room for the file name Linux counts.
        std::string got = exec_outcome(path, argv_of_total(limit - 4096, filler, last), {});
        if (!fits(got))
            t.fail(__FILE_NAME__, __LINE__, where + ": 4 KiB under the limit: " + got);
        auto over = argv_of_total(limit + 1, filler, last);
        got = exec_outcome(path, over, {});
        if (got != "E2BIG")
            t.fail(__FILE_NAME__, __LINE__, where + ": 1 byte over: " + got + ", expected E2BIG");
        // The same bytes in the environment count alike.
        char arg0[] = "exec_probe", exit_mode[] = "exit", zero[] = "0";
        std::vector<char*> env(over.begin() + 3, over.end());
        got = exec_outcome(path, {arg0, exit_mode, zero}, env);
        if (got != "E2BIG")
            t.fail(__FILE_NAME__, __LINE__, where + ": 1 byte over in envp: " + got + ", expected E2BIG");
    }
}

void exec_max_arg_strlen(Test& t)
{
    const std::string path = image_path("bin/exec_probe");
    char arg0[] = "exec_probe", exit_mode[] = "exit", zero[] = "0";
    // MAX_ARG_STRLEN is 32 pages with the NUL.
    std::string longest(32 * 4096 - 1, 's'), too_long(32 * 4096, 's');
    std::string got = exec_outcome(path, {arg0, exit_mode, zero, longest.data()}, {});
    EXPECT(fits(got));
    EXPECT_EQ(exec_outcome(path, {arg0, exit_mode, zero, too_long.data()}, {}), "E2BIG");
    EXPECT_EQ(exec_outcome(path, {arg0, exit_mode, zero}, {too_long.data()}), "E2BIG");
}

void exec_e2big_pointers_alone(Test& t)
{
    // 300 000 empty strings: 300 KB of NULs but 2.4 MB of pointers, past
    // the 2 MiB limit of the default 8 MiB stack.
    const std::string path = image_path("bin/exec_probe");
    static char empty[] = "";
    std::vector<char*> many(300000, empty);
    EXPECT_EQ(exec_outcome(path, many, {}), "E2BIG");
    EXPECT_EQ(exec_outcome(path, {}, many), "E2BIG");
}

} // namespace

std::vector<ut::Case> exec_bad_input_cases()
{
    return {
        {"exec_malformed_elf", exec_malformed_elf, 120},
        {"exec_e2big_follows_rlimit_stack", exec_e2big_follows_rlimit_stack, 120},
        {"exec_max_arg_strlen", exec_max_arg_strlen},
        // 2.4 MB of argument pointers copied twice: about 5 s on the test
        // kernel, six times that on a loaded 2-core machine.
        {"exec_e2big_pointers_alone", exec_e2big_pointers_alone, 120},
    };
}
