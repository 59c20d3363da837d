// New processes from a threaded program: fork copies only the calling
// thread (from the main thread or another); vfork suspends the parent
// until the child exits or execs; posix_spawn, system and popen (glibc
// runs them with clone(CLONE_VM | CLONE_VFORK)) while other threads run.
#include "files_tests.h"
#include "groups.h"
#include "harness.h"
#include "thread_tests.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <latch>
#include <mutex>
#include <spawn.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace thread_tests;

// Threads that wait (in a futex) until the object is destroyed: company
// for a case that forks or spawns.
class Idlers {
public:
    explicit Idlers(int count)
        : m_started(count)
    {
        for (int i = 0; i < count; ++i) {
            m_threads.emplace_back([this] {
                m_started.count_down();
                wait_while(m_release, 0);
            });
        }
        m_started.wait();
    }
    ~Idlers()
    {
        set_and_wake(m_release, 1);
        for (auto& thread : m_threads)
            thread.join();
    }

private:
    std::uint32_t m_release = 0;
    std::latch m_started;
    std::vector<std::thread> m_threads;
};

std::mutex g_free_mutex; // never held across a fork

// In the child of a fork from a threaded process: one thread (the caller,
// now the leader of a new group), and it can lock and start threads.
int forked_child_checks(int expected_tasks)
{
    CHILD_CHECK(gettid() == getpid());
    if (auto ids = task_ids()) // when /proc exists
        CHILD_CHECK(int(ids->size()) == expected_tasks);
    CHILD_CHECK(g_free_mutex.try_lock());
    g_free_mutex.unlock();
    int ran = 0;
    std::thread helper([&] {
        std::lock_guard guard(g_free_mutex);
        ran = 1;
    });
    helper.join();
    CHILD_CHECK(ran == 1);
    return 0;
}

void fork_from_a_threaded_process(Test& t)
{
    const int expected_tasks = 1 + foreign_threads();
    Idlers idlers(3);
    // From the main thread.
    pid_t child = spawn([&] { return forked_child_checks(expected_tasks); });
    ASSERT(child > 0);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(0));
    // From another thread: the child's only thread has the child's pid.
    int status = -1;
    std::thread forker([&] {
        pid_t pid = spawn([&] { return forked_child_checks(expected_tasks); });
        status = pid > 0 ? wait_for(pid) : -1;
    });
    forker.join();
    EXPECT_EQ(describe_status(status), describe_status(0));
}

// vfork: the child shares our memory until it exits; it writes none of
// it, only _exit(7).
void vfork_child_exit_status(Test& t)
{
    Idlers idlers(2);
    pid_t pid = vfork();
    if (pid == 0)
        _exit(7);
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(7 << 8));
}

// The parent is suspended until the child exits: the child takes 50 ms,
// then writes to a pipe; when vfork returns here, the byte is already
// there (read does not block: O_NONBLOCK) and the 50 ms have passed.
void vfork_suspends_the_parent(Test& t)
{
    if (qemu_user())
        SKIP("qemu-user emulates vfork with fork: the parent is not suspended");
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_NONBLOCK), 0);
    constexpr double k_child_time = 0.05;
    const double start = monotonic_seconds();
    pid_t pid = vfork();
    if (pid == 0) {
        // No stores to our memory: the loop's values live in registers.
        while (monotonic_seconds() < start + k_child_time) {
        }
        _exit(write(fds[1], "c", 1) == 1 ? 7 : 8);
    }
    const double resumed = monotonic_seconds();
    ASSERT(pid > 0);
    char byte = 0;
    EXPECT_EQ(read(fds[0], &byte, 1), ssize_t(1));
    EXPECT(resumed - start >= k_child_time);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(7 << 8));
    close(fds[0]);
    close(fds[1]);
}

// posix_spawn with a file action: the child's stdout is a file we name;
// /bin/echo writes into it.
void posix_spawn_with_file_actions_body(Test& t)
{
    REQUIRE_EXEC();
    Idlers idlers(2);
    const std::string out = files_test::scratch_path() + "/echo.out";
    posix_spawn_file_actions_t actions;
    ASSERT_EQ(posix_spawn_file_actions_init(&actions), 0);
    const int flags = O_WRONLY | O_CREAT | O_TRUNC;
    ASSERT_EQ(posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), flags, 0644), 0);
    const std::string echo = image_path("bin/echo");
    char arg0[] = "echo", arg1[] = "spawned", arg2[] = "while", arg3[] = "threads", arg4[] = "run";
    char* argv[] = {arg0, arg1, arg2, arg3, arg4, nullptr};
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, echo.c_str(), &actions, nullptr, argv, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    EXPECT_EQ(files_test::contents(out.c_str()), std::string("spawned while threads run\n"));
}

void posix_spawn_with_file_actions(Test& t) { files_test::in_scratch_dir(t, posix_spawn_with_file_actions_body); }

// posix_spawn reports the exec's failure as its own result: the child
// tells the parent through the memory they share until the exec.
void posix_spawn_errors(Test& t)
{
    if (qemu_user())
        SKIP("qemu-user emulates CLONE_VFORK | CLONE_VM with fork: the exec error cannot reach posix_spawn");
    Idlers idlers(2);
    char arg0[] = "missing";
    char* argv[] = {arg0, nullptr};
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, "/no/such/program", nullptr, nullptr, argv, environ), ENOENT);
    EXPECT_EQ(posix_spawnp(&pid, "no_such_program_anywhere", nullptr, nullptr, argv, environ), ENOENT);
    const std::string noexec = image_path("bin/noexec");
    if (access(noexec.c_str(), F_OK) == 0)
        EXPECT_EQ(posix_spawn(&pid, noexec.c_str(), nullptr, nullptr, argv, environ), EACCES);
}

void system_exit_status(Test& t)
{
    REQUIRE_EXEC();
    Idlers idlers(2);
    EXPECT(std::system(nullptr) != 0); // there is a shell
    int status = std::system("exit 3");
    EXPECT_EQ(describe_status(status), describe_status(3 << 8));
}

void popen_reads_output(Test& t)
{
    REQUIRE_EXEC();
    Idlers idlers(2);
    FILE* pipe = popen("echo hi", "r");
    ASSERT(pipe != nullptr);
    char line[16] = {};
    EXPECT(std::fgets(line, sizeof line, pipe) != nullptr);
    EXPECT_EQ(std::string(line), std::string("hi\n"));
    EXPECT_EQ(describe_status(pclose(pipe)), describe_status(0));
}

// The std::thread demo of the boot image (userland/demos/threads_demo.cpp),
// run as a user would.
void threads_demo_program(Test& t)
{
    REQUIRE_EXEC();
    FILE* pipe = popen(image_path("bin/threads_demo").c_str(), "r");
    ASSERT(pipe != nullptr);
    std::string output;
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe))
        output += buffer;
    EXPECT_EQ(describe_status(pclose(pipe)), describe_status(0));
    EXPECT(output.find("threads_demo: ok\n") != std::string::npos);
}

} // namespace

std::vector<ut::Case> thread_spawn_cases()
{
    return {
        {"fork_from_a_threaded_process", fork_from_a_threaded_process},
        {"vfork_child_exit_status", vfork_child_exit_status},
        {"vfork_suspends_the_parent", vfork_suspends_the_parent},
        {"posix_spawn_with_file_actions", posix_spawn_with_file_actions},
        {"posix_spawn_errors", posix_spawn_errors},
        {"system_exit_status", system_exit_status},
        {"popen_reads_output", popen_reads_output},
        {"threads_demo_program", threads_demo_program},
    };
}
