// Host tests for lib/shebang: "#!" lines as Linux's binfmt_script reads
// them (fs/binfmt_script.c): blanks, the one optional argument, NULs, CRs,
// lines without a newline and lines longer than the 256-byte buffer.
#include "lib/shebang.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using lib::StringView;
namespace shebang = lib::shebang;

namespace {

std::string str(StringView s) { return std::string(s.data(), s.length()); }

// Parses an exactly-sized heap copy, so ASan sees any read past the file.
struct Parsed {
    bool ok = false;
    std::string interpreter, argument, error;
    bool has_argument = false;
};

Parsed parse(const std::string& file)
{
    std::vector<char> copy(file.begin(), file.end());
    auto r = shebang::parse(copy.data(), copy.size());
    Parsed out;
    if (r.is_error()) {
        EXPECT_EQ(r.code(), Errno::enoexec);
        out.error = r.error().what ? r.error().what : "";
        return out;
    }
    out.ok = true;
    out.interpreter = str(r->interpreter);
    out.has_argument = r->has_argument;
    out.argument = str(r->argument);
    EXPECT_TRUE(r->interpreter.data() >= copy.data() &&
                r->interpreter.data() + r->interpreter.length() <= copy.data() + copy.size());
    if (r->has_argument) {
        EXPECT_TRUE(r->argument.data() >= copy.data() &&
                    r->argument.data() + r->argument.length() <= copy.data() + copy.size());
    }
    return out;
}

void expect_line(const std::string& file, const char* interpreter, const char* argument = nullptr)
{
    Parsed p = parse(file);
    ASSERT_TRUE(p.ok) << "rejected: " << p.error;
    EXPECT_EQ(p.interpreter, interpreter);
    EXPECT_EQ(p.has_argument, argument != nullptr);
    if (argument) {
        EXPECT_EQ(p.argument, argument);
    }
}

void expect_rejected(const std::string& file, const char* what)
{
    Parsed p = parse(file);
    ASSERT_FALSE(p.ok) << "accepted, interpreter \"" << p.interpreter << "\"";
    EXPECT_NE(p.error.find(what), std::string::npos) << "got: " << p.error;
}

} // namespace

TEST(Shebang, NotAScript)
{
    EXPECT_FALSE(shebang::is_script("", 0));
    EXPECT_FALSE(shebang::is_script("#", 1));
    EXPECT_FALSE(shebang::is_script("\x7f" "ELF", 4));
    EXPECT_TRUE(shebang::is_script("#!", 2));
    expect_rejected("", "not a #! script");
    expect_rejected("#", "not a #! script");
    expect_rejected("# !/bin/sh\n", "not a #! script");
}

TEST(Shebang, InterpreterOnly)
{
    expect_line("#!/bin/sh\necho hi\n", "/bin/sh");
    expect_line("#! /bin/sh\n", "/bin/sh");
    expect_line("#!\t /bin/sh \t \n", "/bin/sh");
}

TEST(Shebang, OneArgumentWithInnerBlanksKept)
{
    expect_line("#!/usr/bin/env python3\n", "/usr/bin/env", "python3");
    // Linux passes everything after the name as one argument.
    expect_line("#!/bin/sh -e -x  \n", "/bin/sh", "-e -x");
    expect_line("#!/bin/awk \t -f\tx \n", "/bin/awk", "-f\tx");
}

TEST(Shebang, NoInterpreter)
{
    expect_rejected("#!\n", "names no interpreter");
    expect_rejected("#!   \t\nrest", "names no interpreter");
    expect_rejected("#!" + std::string(300, ' '), "nothing but blanks");
}

TEST(Shebang, CarriageReturnIsPartOfTheLine)
{
    // Linux does not strip '\r': a DOS script names "/bin/sh\r".
    expect_line("#!/bin/sh\r\n", "/bin/sh\r");
    expect_line("#!/bin/sh -x\r\n", "/bin/sh", "-x\r");
}

TEST(Shebang, NulEndsTheStrings)
{
    expect_line(std::string("#!/bin/sh\0 -x\n", 14), "/bin/sh");
    expect_line(std::string("#!/bin/sh -a\0b\n", 15), "/bin/sh", "-a");
    // A NUL right after the blanks: Linux opens "" (and says EACCES).
    expect_line(std::string("#! \0/bin/sh\n", 12), "");
}

TEST(Shebang, NoNewlineInAShortFile)
{
    // The zero-filled buffer ends the line.
    expect_line("#!/bin/sh", "/bin/sh");
    expect_line("#!/bin/sh -x", "/bin/sh", "-x");
    expect_line("#!", "");
    // Trailing blanks are trimmed only before a newline: here the NULs
    // after the file stop the trimming (Linux passes "-x  ", and "").
    expect_line("#!/bin/sh\t-x  ", "/bin/sh", "-x  ");
    expect_line("#!/bin/sh ", "/bin/sh", "");
    expect_line("#!/bin/sh \n", "/bin/sh");
}

TEST(Shebang, LongLines)
{
    // The newline must be within the first 256 bytes, else only the buffer
    // counts: an argument is cut at byte 255...
    std::string name = "/" + std::string(100, 'i');
    std::string file = "#!" + name + " " + std::string(400, 'a') + "\n";
    Parsed p = parse(file);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.interpreter, name);
    EXPECT_EQ(p.argument, std::string(255 - 3 - name.length(), 'a'));
    // ... but an interpreter name reaching the end of the buffer may be
    // cut off, and that is ENOEXEC.
    expect_rejected("#!/" + std::string(300, 'x') + "\n", "longer than the 256-byte buffer");
    expect_rejected("#!  /" + std::string(260, 'x'), "longer than the 256-byte buffer");
    // A newline at the last byte of the buffer still counts.
    std::string exact = "#!/" + std::string(252, 'y') + "\n";
    ASSERT_EQ(exact.size(), 256u);
    expect_line(exact + "more", ("/" + std::string(252, 'y')).c_str());
    // One byte later it does not, and the name then runs to byte 254.
    expect_rejected("#!/" + std::string(253, 'y') + "\n", "longer than the 256-byte buffer");
}

TEST(Shebang, NameEndsAtTheLastBufferByte)
{
    // No newline; a blank inside the buffer after the name: the name is
    // safe, and the argument runs to byte 254 (Linux overwrites byte 255).
    std::string file = "#!/bin/sh " + std::string(300, 'z');
    Parsed p = parse(file);
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.interpreter, "/bin/sh");
    EXPECT_EQ(p.argument, std::string(255 - 10, 'z'));
}

// ---- The host kernel as the reference: it runs scripts whose #! line
// names this very test binary, which then prints the argv it received.

namespace {

constexpr const char* k_echo_variable = "MYRIAD_SHEBANG_ECHO";

// Runs before GoogleTest's main: as a #! interpreter, print our argv (NUL
// separated, from /proc/self/cmdline) and leave.
const bool s_echo_mode = [] {
    if (!std::getenv(k_echo_variable))
        return false;
    int fd = open("/proc/self/cmdline", O_RDONLY);
    char buffer[8192];
    ssize_t n = fd >= 0 ? read(fd, buffer, sizeof(buffer)) : -1;
    if (n > 0)
        (void)!write(1, buffer, size_t(n));
    _exit(0);
}();

std::string self_path()
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path));
    return n > 0 ? std::string(path, size_t(n)) : std::string();
}

// What Linux does with a script holding `contents`: "argv:" and the argv
// the interpreter got, NUL-separated, or "errno:N" when execve failed.
std::string linux_runs(const std::string& dir, const std::string& contents)
{
    std::string script = dir + "/script";
    int fd = open(script.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, contents.data(), contents.size()) != ssize_t(contents.size()))
        return "cannot write the script";
    close(fd);
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return "no pipe";
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], 1);
        close(pipe_fds[0]);
        setenv(k_echo_variable, "1", 1);
        char* argv[] = {script.data(), nullptr};
        execve(script.c_str(), argv, environ);
        std::string failed = "errno:" + std::to_string(errno);
        (void)!write(1, failed.data(), failed.size());
        _exit(127);
    }
    close(pipe_fds[1]);
    std::string out;
    char chunk[4096];
    for (ssize_t n; (n = read(pipe_fds[0], chunk, sizeof(chunk))) > 0;)
        out.append(chunk, size_t(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return out.rfind("errno:", 0) == 0 ? out : "argv:" + out;
}

// What the kernel will do with it, given lib::shebang's reading.
std::string myriad_runs(const std::string& dir, const std::string& interpreter, const std::string& contents)
{
    auto r = shebang::parse(contents.data(), contents.size());
    if (r.is_error())
        return "errno:" + std::to_string(ENOEXEC);
    if (r->interpreter.is_empty())
        return "errno:" + std::to_string(EACCES); // as kernel/exec.cpp (and Linux) answer
    if (str(r->interpreter) != interpreter)
        return "errno:" + std::to_string(ENOENT); // names no file that exists
    std::string argv = interpreter + '\0';
    if (r->has_argument)
        argv += str(r->argument) + '\0';
    return "argv:" + argv + dir + "/script" + '\0';
}

std::string printable(const std::string& s)
{
    std::string out;
    for (unsigned char c : s)
        out += (c >= 32 && c < 127) ? std::string(1, char(c)) : "\\x" + std::to_string(c);
    return out;
}

} // namespace

TEST(Shebang, LinuxAgrees)
{
    ASSERT_FALSE(s_echo_mode);
    std::string interpreter = self_path();
    ASSERT_FALSE(interpreter.empty());
    ASSERT_LT(interpreter.size(), 150u) << "build path too long for #! lines";
    char dir_template[] = "/tmp/myriad-shebang-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string dir = dir_template;

    std::vector<std::string> files = {
        "#!" + interpreter + "\n", "#!" + interpreter, "#! \t" + interpreter + " -x \n",
        "#!" + interpreter + " ", "#!" + interpreter + "\t-a b  ", "#!" + interpreter + "\r\n",
        "#!" + interpreter + " -x\r\n", std::string("#!") + interpreter + " -a" + '\0' + "b\n",
        "#!" + interpreter + " " + std::string(300, 'z'), "#!" + std::string(300, ' '),
        "#!" + interpreter + std::string(300, 'q'), "#!\n", "#!",
    };
    // Random lines around the 256-byte buffer's edge (fixed seed; each
    // case starts this binary, so they are few).
    std::mt19937 random(1);
    const char alphabet[] = {' ', ' ', '\t', 'a', 'b', '-', '\0', '\r', '\n'};
    for (int i = 0; i < 120; ++i) {
        std::string f = "#!";
        for (int k = int(random() % 3); k > 0; --k)
            f += (random() % 2) ? ' ' : '\t';
        f += interpreter;
        usize target = 200 + random() % 120;
        while (f.size() < target && random() % 40 != 0)
            f += alphabet[random() % sizeof(alphabet)];
        files.push_back(f);
    }
    int mismatches = 0;
    for (const std::string& f : files) {
        std::string expected = linux_runs(dir, f), got = myriad_runs(dir, interpreter, f);
        if (expected != got && ++mismatches <= 10)
            ADD_FAILURE() << "script " << printable(f) << "\n  Linux:   " << printable(expected)
                          << "\n  shebang: " << printable(got);
    }
    EXPECT_EQ(mismatches, 0);
    unlink((dir + "/script").c_str());
    rmdir(dir.c_str());
}
