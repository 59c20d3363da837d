// How a threaded process ends: the main thread may leave first
// (pthread_exit) and the process lives on; exit() and exit_group from any
// thread end them all, with that status; the exit system call ends only
// the caller; a fault in one thread kills the process. And what the
// kernel does for a thread that dies holding a robust mutex.
#include "groups.h"
#include "harness.h"
#include "thread_tests.h"

#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string>
#include <unistd.h>

namespace {

using namespace ut;
using namespace thread_tests;

// A thread that blocks for ever (the process must end around it).
void* block_forever(void*)
{
    for (;;)
        pause();
}

pthread_t start(void* (*body)(void*), void* arg = nullptr)
{
    pthread_t thread{};
    if (int r = pthread_create(&thread, nullptr, body, arg); r != 0) {
        child_diagnostic(__FILE_NAME__, __LINE__, "pthread_create: " + errno_name(r));
        _exit(90);
    }
    return thread;
}

// The main thread leaves with pthread_exit; the other thread sees it go
// (it joins it), tells us, and waits for our word: meanwhile the process
// is still there. When the last thread returns, the process exits with 0.
void pthread_exit_from_main(Test& t)
{
    int to_parent[2], to_child[2];
    ASSERT(pipe(to_parent) == 0 && pipe(to_child) == 0);
    static pthread_t main_thread;
    static int out, in;
    pid_t child = spawn([&] {
        close(to_parent[0]);
        close(to_child[1]);
        main_thread = pthread_self();
        out = to_parent[1];
        in = to_child[0];
        start([](void*) -> void* {
            char report = pthread_join(main_thread, nullptr) == 0 ? 'J' : 'E';
            if (write(out, &report, 1) != 1)
                _exit(91);
            char go = 0;
            if (read(in, &go, 1) != 1)
                _exit(92);
            return nullptr;
        });
        pthread_exit(nullptr);
        return 93; // not reached
    });
    ASSERT(child > 0);
    close(to_parent[1]);
    close(to_child[0]);
    char report = 0;
    EXPECT_EQ(read(to_parent[0], &report, 1), ssize_t(1));
    EXPECT_EQ(report, 'J');
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, WNOHANG), 0); // its last thread waits for us
    EXPECT_EQ(kill(child, 0), 0);
    EXPECT_EQ(write(to_child[1], "g", 1), ssize_t(1));
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(0));
    close(to_parent[0]);
    close(to_child[1]);
}

// exit() in a thread ends the process with its status, while the main
// thread waits in pthread_join; the atexit handlers run.
void exit_in_a_thread(Test& t)
{
    int fds[2];
    ASSERT(pipe(fds) == 0);
    static int out;
    pid_t child = spawn([&] {
        close(fds[0]);
        out = fds[1];
        std::atexit([] {
            if (write(out, "a", 1) != 1)
                _exit(94);
        });
        start(block_forever);
        pthread_t exiting = start([](void*) -> void* { std::exit(7); });
        pthread_join(exiting, nullptr);
        return 95; // not reached
    });
    ASSERT(child > 0);
    close(fds[1]);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(7 << 8));
    char byte = 0;
    EXPECT_EQ(read(fds[0], &byte, 1), ssize_t(1));
    EXPECT_EQ(byte, 'a');
    close(fds[0]);
}

// The exit system call (not glibc's exit) ends only the calling thread:
// the main thread joins it and goes on to choose the status.
void raw_exit_ends_only_the_thread(Test& t)
{
    pid_t child = spawn([] {
        pthread_t leaving = start([](void*) -> void* {
            syscall(SYS_exit, 5);
            return nullptr;
        });
        CHILD_CHECK(pthread_join(leaving, nullptr) == 0); // the kernel cleared its tid word
        return 3;
    });
    ASSERT(child > 0);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(3 << 8));
}

// exit_group from one thread ends every thread at once: two blocked in
// read, the main one in pthread_join.
void exit_group_from_a_thread(Test& t)
{
    static int fds[2];
    pid_t child = spawn([] {
        CHILD_CHECK(pipe(fds) == 0); // we hold the write end: reads block for ever
        auto reader = [](void*) -> void* {
            char byte;
            ssize_t n = read(fds[0], &byte, 1);
            _exit(n == 1 ? 96 : 97); // not reached
        };
        start(reader);
        start(reader);
        pthread_t ender = start([](void*) -> void* {
            syscall(SYS_exit_group, 9);
            return nullptr;
        });
        pthread_join(ender, nullptr);
        return 98; // not reached
    });
    ASSERT(child > 0);
    int status = wait_for_at_most(child, 10);
    if (status == -1)
        kill(child, SIGKILL);
    EXPECT_EQ(describe_status(status), describe_status(9 << 8));
}

// A fault in any thread kills the whole process with the signal.
void sigsegv_in_a_thread_kills_the_process(Test& t)
{
    EXPECT_DEATH(SIGSEGV, {
        start(block_forever);
        pthread_t faulting = start([](void*) -> void* {
            *static_cast<volatile int*>(nullptr) = 1;
            return nullptr;
        });
        pthread_join(faulting, nullptr);
    });
}

// --- robust mutexes --------------------------------------------------------

// A thread dies holding a robust mutex: the next lock says EOWNERDEAD;
// made consistent, the mutex works again; left inconsistent, it is
// ENOTRECOVERABLE for good.
void robust_mutex_owner_thread_dies(Test& t)
{
    for (bool make_consistent : {true, false}) {
        static pthread_mutex_t mutex;
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        ASSERT_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
        ASSERT_EQ(pthread_mutex_init(&mutex, &attr), 0);
        pthread_mutexattr_destroy(&attr);
        pthread_t owner = start([](void*) -> void* {
            pthread_mutex_lock(&mutex);
            return nullptr; // ends holding it
        });
        ASSERT_EQ(pthread_join(owner, nullptr), 0);
        const timespec deadline = after(CLOCK_REALTIME, 5); // not for ever if nobody marks it
        ASSERT_EQ(pthread_mutex_timedlock(&mutex, &deadline), EOWNERDEAD);
        if (make_consistent) {
            EXPECT_EQ(pthread_mutex_consistent(&mutex), 0);
            EXPECT_EQ(pthread_mutex_unlock(&mutex), 0);
            EXPECT_EQ(pthread_mutex_lock(&mutex), 0);
            EXPECT_EQ(pthread_mutex_unlock(&mutex), 0);
        } else {
            EXPECT_EQ(pthread_mutex_unlock(&mutex), 0);
            EXPECT_EQ(pthread_mutex_lock(&mutex), ENOTRECOVERABLE);
        }
        pthread_mutex_destroy(&mutex);
    }
}

// Where only the kernel can help -- the owner thread leaves through the
// exit system call (glibc's cleanup does not run), or the owner process
// is killed -- the kernel walks the robust list (set_robust_list) and
// marks the mutex FUTEX_OWNER_DIED.
void robust_mutex_kernel_cleanup(Test& t)
{
    if (qemu_user())
        SKIP("qemu-user has no robust futex lists (set_robust_list: ENOSYS)");
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT(page != MAP_FAILED);
    auto* mutex = static_cast<pthread_mutex_t*>(page);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    ASSERT_EQ(pthread_mutex_init(mutex, &attr), 0);
    pthread_mutexattr_destroy(&attr);

    pthread_t owner = start(
        [](void* m) -> void* {
            pthread_mutex_lock(static_cast<pthread_mutex_t*>(m));
            syscall(SYS_exit, 0);
            return nullptr;
        },
        mutex);
    ASSERT_EQ(pthread_join(owner, nullptr), 0);
    timespec deadline = after(CLOCK_REALTIME, 5);
    ASSERT_EQ(pthread_mutex_timedlock(mutex, &deadline), EOWNERDEAD);
    EXPECT_EQ(pthread_mutex_consistent(mutex), 0);
    EXPECT_EQ(pthread_mutex_unlock(mutex), 0);

    int fds[2];
    ASSERT(pipe(fds) == 0);
    pid_t child = spawn([&] {
        CHILD_CHECK(pthread_mutex_lock(mutex) == 0);
        CHILD_CHECK(write(fds[1], "l", 1) == 1);
        for (;;)
            pause();
    });
    ASSERT(child > 0);
    char byte = 0;
    EXPECT_EQ(read(fds[0], &byte, 1), ssize_t(1));
    kill(child, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(child)), std::string("killed by SIGKILL"));
    deadline = after(CLOCK_REALTIME, 5);
    ASSERT_EQ(pthread_mutex_timedlock(mutex, &deadline), EOWNERDEAD);
    EXPECT_EQ(pthread_mutex_consistent(mutex), 0);
    EXPECT_EQ(pthread_mutex_unlock(mutex), 0);
    close(fds[0]);
    close(fds[1]);
    munmap(page, 4096);
}

// execve from a thread that is not the leader: the other threads (the
// leader blocked in pthread_join, another in read) are ended first, and
// the new program runs as the whole process, with the process's pid as
// its tid and one thread -- what the program it runs reads in
// /proc/self/status. A failed execve from a thread leaves the others be.
void exec_from_a_non_leader_thread(Test& t)
{
    REQUIRE_EXEC();
    int out[2];
    ASSERT(pipe(out) == 0);
    static int blocker[2];
    ASSERT(pipe(blocker) == 0);
    static int write_end;
    write_end = out[1];
    pid_t child = spawn([] {
        pthread_t reader = start([](void*) -> void* {
            char c;
            (void)read(blocker[0], &c, 1); // until the exec ends it
            return nullptr;
        });
        pthread_t execer = start([](void*) -> void* {
            char* bad[] = {const_cast<char*>("missing"), nullptr};
            // A failed exec changes nothing: the reader and the leader live on.
            if (execve("/bin/no-such-program", bad, environ) == 0 || errno != ENOENT)
                _exit(91);
            dup2(write_end, 1);
            char* argv[] = {const_cast<char*>("cat"), const_cast<char*>("/proc/self/status"), nullptr};
            execve(image_path("bin/cat").c_str(), argv, environ);
            _exit(92);
        });
        pthread_join(execer, nullptr); // the exec ends this wait
        pthread_join(reader, nullptr);
        return 93;
    });
    ASSERT(child > 0);
    close(out[1]);
    std::string status;
    char buffer[512];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;)
        status.append(buffer, std::size_t(n));
    close(out[0]);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(0));
    const std::string pid = std::to_string(child);
    EXPECT(status.find("\nTgid:\t" + pid + "\n") != std::string::npos);
    EXPECT(status.find("\nPid:\t" + pid + "\n") != std::string::npos);
    EXPECT(status.find("\nThreads:\t1\n") != std::string::npos);
    EXPECT(status.find("Name:\tcat\n") == 0);
    if (t.failed())
        t.fail(__FILE_NAME__, __LINE__, "cat /proc/self/status said:\n" + status);
    close(blocker[0]);
    close(blocker[1]);
}

} // namespace

std::vector<ut::Case> thread_lifetime_cases()
{
    return {
        {"pthread_exit_from_main", pthread_exit_from_main},
        {"exit_in_a_thread", exit_in_a_thread},
        {"raw_exit_ends_only_the_thread", raw_exit_ends_only_the_thread},
        {"exit_group_from_a_thread", exit_group_from_a_thread},
        {"sigsegv_in_a_thread_kills_the_process", sigsegv_in_a_thread_kills_the_process},
        {"robust_mutex_owner_thread_dies", robust_mutex_owner_thread_dies},
        {"robust_mutex_kernel_cleanup", robust_mutex_kernel_cleanup},
        {"exec_from_a_non_leader_thread", exec_from_a_non_leader_thread},
    };
}
