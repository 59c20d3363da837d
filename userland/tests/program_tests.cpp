// The programs of the boot image, run the way a user or a script would:
// exit statuses of sh -c, PATH search, quoting, echo, true/false, spin,
// and init refusing to be anything but process 1. They need execve of a
// RISC-V program, so they skip under qemu-user.
#include "groups.h"
#include "harness.h"

#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;

// Runs the image's program `name` with `args`; what became of it. With
// `quiet`, its stderr is closed first, so expected complaints ("sh: x:
// not found") do not clutter the KTAP output. argv[0] is the program's
// base name unless `argv0` says otherwise (the multi-call binary picks
// its applet by it).
std::string run(const char* name, std::vector<std::string> args, bool quiet = false, const char* argv0 = nullptr)
{
    std::string path = image_path(name);
    args.insert(args.begin(), argv0 ? std::string(argv0) : path.substr(path.rfind('/') + 1));
    pid_t pid = spawn([&] {
        if (quiet)
            close(STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        // PATH=/bin:/sbin on Myriad; the staged tree under qemu-user.
        std::string path_env = "PATH=" + image_path("bin") + ":" + image_path("sbin");
        char* envp[] = {path_env.data(), nullptr};
        execve(path.c_str(), argv.data(), envp);
        return 100 + errno;
    });
    return describe_status(wait_for(pid));
}

const std::string k_ok = "exited with status 0";
std::string exited(int status) { return "exited with status " + std::to_string(status); }

void true_false(Test& t)
{
    REQUIRE_EXEC();
    EXPECT_EQ(run("bin/true", {}), k_ok);
    EXPECT_EQ(run("bin/false", {}), exited(1));
}

void echo_prints(Test& t)
{
    REQUIRE_EXEC();
    // The output is a KTAP diagnostic line, so the log stays valid KTAP.
    EXPECT_EQ(run("bin/echo", {"        #", "echo:", "hello,", "world"}), k_ok);
    EXPECT_EQ(run("bin/echo", {"-n", "        # echo -n: no newline\n"}), k_ok);
}

void sh_c_exit_status(Test& t)
{
    REQUIRE_EXEC();
    EXPECT_EQ(run("bin/sh", {"-c", "exit 7"}), exited(7));
    EXPECT_EQ(run("bin/sh", {"-c", "exit"}), k_ok);
    EXPECT_EQ(run("bin/sh", {"-c", "exit 300"}), exited(300 & 0xff));
    EXPECT_EQ(run("bin/sh", {"-c", "  # only a comment"}), k_ok);
}

void sh_c_runs_programs(Test& t)
{
    REQUIRE_EXEC();
    EXPECT_EQ(run("bin/sh", {"-c", image_path("bin/true")}), k_ok);
    EXPECT_EQ(run("bin/sh", {"-c", "false"}), exited(1)); // found on PATH
    EXPECT_EQ(run("bin/sh", {"-c", "exec_probe exit 42"}), exited(42));
    // Quoting: '...', "...", backslash; empty words survive.
    EXPECT_EQ(run("bin/sh", {"-c", "exec_probe big 3 2 aa \"bb\" c\\c"}), k_ok);
    EXPECT_EQ(run("bin/sh", {"-c", "exec_probe big 2 0 '' \"\""}), k_ok);
    EXPECT_EQ(run("bin/sh", {"-c", "exec_probe big 1 3 'a'a\"a\""}), k_ok); // one word, three parts
}

void sh_c_failures(Test& t)
{
    REQUIRE_EXEC();
    EXPECT_EQ(run("bin/sh", {"-c", "no_such_program"}, true), exited(127));
    EXPECT_EQ(run("bin/sh", {"-c", image_path("bin/no_such_program")}, true), exited(127));
    // A file without ELF magic or #! is a shell script to sh (POSIX, on
    // ENOEXEC); garbage's first word is no command.
    EXPECT_EQ(run("bin/sh", {"-c", image_path("bin/garbage")}, true), exited(127));
    EXPECT_EQ(run("bin/sh", {"-c", image_path("bin/noexec")}, true), exited(126));
    EXPECT_EQ(run("bin/sh", {"-c", "echo 'unterminated"}, true), exited(2));
    EXPECT_EQ(run("bin/sh", {"-c", "exit x"}, true), exited(2));
}

void spin_stops(Test& t)
{
    REQUIRE_EXEC();
    const double before = monotonic_seconds();
    EXPECT_EQ(run("bin/spin", {"0.2"}), k_ok);
    const double took = monotonic_seconds() - before;
    EXPECT(took >= 0.2 && took < 10);
    EXPECT_EQ(run("bin/spin", {"soon"}, true), exited(2));
}

void init_refuses_other_pids(Test& t)
{
    REQUIRE_EXEC();
    // The init applet by name, through another link of the same binary:
    // /sbin/init itself may be replaced (an external initrd does that).
    EXPECT_EQ(run("bin/spin", {}, true, "init"), exited(1));
}

} // namespace

std::vector<ut::Case> program_cases()
{
    return {
        {"true_false", true_false},
        {"echo_prints", echo_prints},
        {"sh_c_exit_status", sh_c_exit_status},
        {"sh_c_runs_programs", sh_c_runs_programs},
        {"sh_c_failures", sh_c_failures},
        {"spin_stops", spin_stops},
        {"init_refuses_other_pids", init_refuses_other_pids},
    };
}
