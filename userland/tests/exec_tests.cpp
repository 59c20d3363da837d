// execve(2): what the new program receives (argv, envp, auxv, a fresh
// image, its exit status reaching the parent), and every way execve can
// fail -- after which the caller must still be running, unharmed.
#include "common/exec_probe_protocol.h"
#include "groups.h"
#include "harness.h"

#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

// Owns the strings of an argv/envp and the NULL-terminated pointer array.
class StringArray {
public:
    explicit StringArray(std::vector<std::string> strings)
        : m_strings(std::move(strings))
    {
        for (auto& s : m_strings)
            m_pointers.push_back(s.data());
        m_pointers.push_back(nullptr);
    }
    char** get() { return m_pointers.data(); }

private:
    std::vector<std::string> m_strings;
    std::vector<char*> m_pointers;
};

// The status of a child that execs `path`: the new program's exit status,
// or (when execve fails) 100 + errno after the caller checked that it is
// intact. exec_probe's statuses stay below 100.
constexpr int k_exec_failed = 100;

int exec_in_child(const char* path, char* const* argv, char* const* envp)
{
    pid_t pid = spawn([&] {
        volatile int canary = 0x600d;
        long r = syscall(SYS_execve, path, argv, envp);
        int error = errno;
        CHILD_CHECK(r == -1);
        CHILD_CHECK(canary == 0x600d); // the failed exec left our memory alone
        return k_exec_failed + (error < 100 ? error : 99);
    });
    return wait_for(pid);
}

// The errno of an execve that must fail, as a name ("ENOENT"), or what
// happened instead.
std::string exec_error(const char* path, char* const* argv, char* const* envp = environ)
{
    int status = exec_in_child(path, argv, envp);
    if (WIFEXITED(status) && WEXITSTATUS(status) >= k_exec_failed)
        return errno_name(WEXITSTATUS(status) - k_exec_failed);
    return "execve did not fail: the child " + describe_status(status);
}

std::string probe_path() { return image_path("bin/exec_probe"); }

// argv that makes exec_probe exit with 0 should execve wrongly succeed.
StringArray probe_exit_argv() { return StringArray({"exec_probe", "exit", "0"}); }

void exec_argv_envp(Test& t)
{
    REQUIRE_EXEC();
    StringArray argv(exec_probe::expected_argv());
    StringArray envp(exec_probe::expected_envp());
    EXPECT_EQ(describe_status(exec_in_child(probe_path().c_str(), argv.get(), envp.get())), describe_status(0));
}

void exec_auxv_fresh_image(Test& t)
{
    REQUIRE_EXEC();
    pid_t pid = spawn([] {
        // Leave garbage behind: none of it may show in the new image.
        std::vector<unsigned char> dirt(1 << 20, 0xa5);
        volatile unsigned char sink = dirt[12345];
        (void)sink;
        std::string path = probe_path();
        StringArray argv({"exec_probe", "auxv"});
        execve(path.c_str(), argv.get(), environ);
        return k_exec_failed + errno;
    });
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

void exec_exit_status_reaches_parent(Test& t)
{
    REQUIRE_EXEC();
    for (const char* code : {"0", "3", "255"}) {
        StringArray argv({"exec_probe", "exit", code});
        int status = exec_in_child(probe_path().c_str(), argv.get(), environ);
        EXPECT(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), std::stoi(code));
    }
}

void exec_big_arguments(Test& t)
{
    REQUIRE_EXEC();
    // 48 arguments of 4000 bytes (~190 KiB): well past one page and
    // Linux's historical 128 KiB ARG_MAX, well under today's limit.
    constexpr int k_count = 48, k_length = 4000;
    std::vector<std::string> strings = {"exec_probe", "big", std::to_string(k_count), std::to_string(k_length)};
    for (int i = 0; i < k_count; ++i)
        strings.push_back(exec_probe::big_argument(i, k_length));
    StringArray argv(std::move(strings));
    EXPECT_EQ(describe_status(exec_in_child(probe_path().c_str(), argv.get(), environ)), describe_status(0));
}

void exec_enoent(Test& t)
{
    StringArray argv = probe_exit_argv();
    EXPECT_EQ(exec_error(image_path("bin/no_such_program").c_str(), argv.get()), "ENOENT");
    EXPECT_EQ(exec_error(image_path("no_such_dir/true").c_str(), argv.get()), "ENOENT");
    EXPECT_EQ(exec_error("", argv.get()), "ENOENT");
}

void exec_enoexec(Test& t)
{
    StringArray argv = probe_exit_argv();
    // 0755, but neither an ELF file nor a #! script.
    EXPECT_EQ(exec_error(image_path("bin/garbage").c_str(), argv.get()), "ENOEXEC");
}

void exec_eacces(Test& t)
{
    StringArray argv = probe_exit_argv();
    EXPECT_EQ(exec_error(image_path("bin/noexec").c_str(), argv.get()), "EACCES"); // mode 0644
    EXPECT_EQ(exec_error(image_path("bin").c_str(), argv.get()), "EACCES");        // a directory
}

void exec_enotdir(Test& t)
{
    StringArray argv = probe_exit_argv();
    EXPECT_EQ(exec_error(image_path("bin/true/x").c_str(), argv.get()), "ENOTDIR");
}

void exec_enametoolong(Test& t)
{
    StringArray argv = probe_exit_argv();
    std::string long_name = "/" + std::string(5000, 'n'); // PATH_MAX is 4096
    EXPECT_EQ(exec_error(long_name.c_str(), argv.get()), "ENAMETOOLONG");
}

void exec_efault(Test& t)
{
    StringArray argv = probe_exit_argv();
    std::string path = probe_path();
    auto* bad = reinterpret_cast<char*>(1);
    auto* kernel = reinterpret_cast<char*>(0xffffffc000000000UL); // Sv39 upper half
    EXPECT_EQ(exec_error(bad, argv.get()), "EFAULT");
    EXPECT_EQ(exec_error(kernel, argv.get()), "EFAULT");
    EXPECT_EQ(exec_error(path.c_str(), reinterpret_cast<char**>(1)), "EFAULT");
    EXPECT_EQ(exec_error(path.c_str(), argv.get(), reinterpret_cast<char**>(1)), "EFAULT");
    char arg0[] = "exec_probe";
    char* bad_element[] = {arg0, bad, nullptr};
    EXPECT_EQ(exec_error(path.c_str(), bad_element), "EFAULT");
    char* kernel_element[] = {arg0, kernel, nullptr};
    EXPECT_EQ(exec_error(path.c_str(), argv.get(), kernel_element), "EFAULT");
}

void exec_e2big(Test& t)
{
    std::string path = probe_path();
    // 10000 arguments of 1000 bytes: 10 MB, far past Linux's limit (a
    // quarter of the stack rlimit, 2 MiB by default). One string, many
    // pointers, to keep the test's own memory small.
    std::string thousand(999, 'b');
    std::vector<char*> many(10001, thousand.data());
    many.back() = nullptr;
    EXPECT_EQ(exec_error(path.c_str(), many.data()), "E2BIG");
    // The same in the environment.
    StringArray argv = probe_exit_argv();
    EXPECT_EQ(exec_error(path.c_str(), argv.get(), many.data()), "E2BIG");
    // One string longer than MAX_ARG_STRLEN (32 pages, include/uapi/
    // linux/binfmts.h).
    std::string huge(33 * 4096, 'h');
    char arg0[] = "exec_probe";
    char* one_huge[] = {arg0, huge.data(), nullptr};
    EXPECT_EQ(exec_error(path.c_str(), one_huge), "E2BIG");
}

} // namespace

// The output and status of a boot-image program run through popen (the
// shell), as a user would run it.
std::pair<std::string, int> run_program(const std::string& command)
{
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return {"popen failed", -1};
    std::string output;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe))
        output += buffer;
    return {output, pclose(pipe)};
}

// Dynamically linked programs (userland/demos, built with the cross
// compiler's defaults: PIE, PT_INTERP /lib/ld-linux-riscv64-lp64d.so.1)
// start through glibc's loader and its shared libraries in the image.
void exec_dynamic_c(Test& t)
{
    REQUIRE_EXEC();
    auto [out, status] = run_program(image_path("bin/hello") + " one two");
    EXPECT_EQ(out, "Hello from a dynamically linked program: " + image_path("bin/hello") + ", 2 argument(s)\n");
    EXPECT_EQ(describe_status(status), describe_status(0));
}

void exec_dynamic_cxx(Test& t)
{
    REQUIRE_EXEC();
    // libstdc++'s stoi throws through libgcc_s's unwinder for "x".
    auto [out, status] = run_program(image_path("bin/dynamic_cxx") + " 10 x 7 -3");
    EXPECT_EQ(out, "dynamic c++: 10 7 -3, 1 not a number, sqrt(2) = 1.41421\n");
    EXPECT_EQ(describe_status(status), describe_status(0));
}

// The loader is itself a position-independent program (ET_DYN without
// PT_INTERP): run by name, it loads the program named in its arguments.
void exec_loader_by_name(Test& t)
{
    REQUIRE_EXEC();
    auto [out, status] = run_program(image_path("lib/ld-linux-riscv64-lp64d.so.1") + " " + image_path("bin/hello"));
    EXPECT_EQ(out, "Hello from a dynamically linked program: " + image_path("bin/hello") + ", 0 argument(s)\n");
    EXPECT_EQ(describe_status(status), describe_status(0));
}

// A copy of bin/hello whose PT_INTERP names `interp` instead (at most as
// long as the real path), written to /tmp: the execve error it gets.
std::string exec_error_with_interp(const std::string& interp)
{
    std::string image;
    {
        FILE* f = std::fopen(image_path("bin/hello").c_str(), "rb");
        if (!f)
            return "no bin/hello";
        char buffer[4096];
        for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
            image.append(buffer, n);
        std::fclose(f);
    }
    const std::string real = "/lib/ld-linux-riscv64-lp64d.so.1";
    size_t at = image.find(real + '\0');
    if (at == std::string::npos || interp.size() > real.size())
        return "no PT_INTERP path to replace";
    image.replace(at, real.size(), interp + std::string(real.size() - interp.size(), '\0'));
    std::string path = "/tmp/usertests-interp-" + std::to_string(getpid());
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(image.data(), 1, image.size(), f) != image.size())
        return "cannot write " + path;
    std::fclose(f);
    chmod(path.c_str(), 0755);
    StringArray argv = probe_exit_argv();
    std::string error = exec_error(path.c_str(), argv.get());
    unlink(path.c_str());
    return error;
}

void exec_bad_interpreter(Test& t)
{
    REQUIRE_EXEC();
    EXPECT_EQ(exec_error_with_interp("/lib/no-such-loader.so"), "ENOENT");
    EXPECT_EQ(exec_error_with_interp(image_path("bin/garbage")), "ELIBBAD"); // not ELF
    EXPECT_EQ(exec_error_with_interp(image_path("bin/hello")), "ELIBBAD");   // wants a loader itself
    EXPECT_EQ(exec_error_with_interp(image_path("bin")), "EACCES");          // a directory
}

std::vector<ut::Case> exec_cases()
{
    return {
        {"exec_argv_envp", exec_argv_envp},
        {"exec_auxv_fresh_image", exec_auxv_fresh_image},
        {"exec_exit_status_reaches_parent", exec_exit_status_reaches_parent},
        {"exec_big_arguments", exec_big_arguments},
        {"exec_enoent", exec_enoent},
        {"exec_enoexec", exec_enoexec},
        {"exec_eacces", exec_eacces},
        {"exec_enotdir", exec_enotdir},
        {"exec_enametoolong", exec_enametoolong},
        {"exec_efault", exec_efault},
        {"exec_e2big", exec_e2big},
        {"exec_dynamic_c", exec_dynamic_c},
        {"exec_dynamic_cxx", exec_dynamic_cxx},
        {"exec_loader_by_name", exec_loader_by_name},
        {"exec_bad_interpreter", exec_bad_interpreter},
    };
}
