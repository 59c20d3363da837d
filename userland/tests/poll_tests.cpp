// The `poll` group: waiting on many descriptors. poll/ppoll, select/
// pselect6 here; epoll and eventfd in poll_tests_epoll.cpp; over pipes, eventfds and the always-ready
// devices: readiness, timeouts and the time left, signals and the
// atomic signal mask, and the error cases. Every case compares with
// Linux (the same binary runs under qemu-riscv64-static) and takes
// milliseconds.
#include "groups.h"
#include "harness.h"
#include "poll_tests.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <string>
#include <vector>

namespace {

using namespace ut;
using namespace poll_tests;


volatile sig_atomic_t g_signals;
void count_signal(int) { g_signals = g_signals + 1; }

bool install(int sig, int flags)
{
    struct sigaction sa {};
    sa.sa_handler = count_signal;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, nullptr) == 0;
}

// SIGALRM in `ms` milliseconds (once).
void alarm_in_ms(int ms)
{
    itimerval it{};
    it.it_value.tv_usec = ms * 1000;
    setitimer(ITIMER_REAL, &it, nullptr);
}

// --- poll ------------------------------------------------------------------

void poll_timeouts(Test& t)
{
    EXPECT_EQ(poll(nullptr, 0, 0), 0); // zero: only a look
    Pipe p;
    ASSERT(p.r() >= 0);
    pollfd fd{p.r(), POLLIN, 0};
    // A zero timeout only looks. One look's wall time can be stretched by
    // the host descheduling a hart; fifty that each waited a tick (10 ms)
    // would take half a second.
    double start = now();
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(poll(&fd, 1, 0), 0);
    EXPECT(now() - start < 0.25);
    start = now();
    EXPECT_EQ(poll(&fd, 1, 20), 0);
    double took = now() - start;
    EXPECT(took >= 0.020); // never early
    EXPECT(took < 0.150);  // and not much late (a tick or two)
    EXPECT_EQ(fd.revents, 0);
}

// The raw ppoll writes the time left back (glibc's poll and ppoll hide it).
void ppoll_time_left(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    ASSERT_EQ(write(p.w(), "x", 1), 1);
    pollfd fd{p.r(), POLLIN, 0};
    timespec ts{1, 0};
    EXPECT_EQ(syscall(SYS_ppoll, &fd, 1, &ts, nullptr, 8), 1); // ready at once: almost all left
    EXPECT(ts.tv_sec == 0 || (ts.tv_sec == 1 && ts.tv_nsec == 0));
    EXPECT(ts.tv_sec * 1000000000L + ts.tv_nsec > 900000000L);
    char c;
    ASSERT_EQ(read(p.r(), &c, 1), 1);
    ts = {0, 20000000};
    double start = now();
    EXPECT_EQ(syscall(SYS_ppoll, &fd, 1, &ts, nullptr, 8), 0);
    EXPECT(now() - start >= 0.020);
    EXPECT_EQ(ts.tv_sec, 0); // timed out: nothing left
    EXPECT_EQ(ts.tv_nsec, 0);
    ts = {0, -1};
    EXPECT_ERRNO(syscall(SYS_ppoll, &fd, 1, &ts, nullptr, 8), EINVAL);
    ts = {-1, 0};
    EXPECT_ERRNO(syscall(SYS_ppoll, &fd, 1, &ts, nullptr, 8), EINVAL);
    EXPECT_ERRNO(syscall(SYS_ppoll, &fd, 1, reinterpret_cast<timespec*>(8), nullptr, 8), EFAULT);
}

void pipe_readiness(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    EXPECT_EQ(revents(p.r(), POLLIN | POLLOUT), 0);
    EXPECT_EQ(revents(p.w(), POLLIN | POLLOUT), POLLOUT);
    EXPECT_EQ(revents(p.w(), POLLOUT | POLLWRNORM), POLLOUT | POLLWRNORM);
    ASSERT_EQ(write(p.w(), "ab", 2), 2);
    EXPECT_EQ(revents(p.r(), POLLIN | POLLRDNORM), POLLIN | POLLRDNORM);
    p.close_write();
    EXPECT_EQ(revents(p.r(), POLLIN), POLLIN | POLLHUP); // data left and no writer
    EXPECT_EQ(revents(p.r(), 0), POLLHUP);               // asked or not
    char buffer[4];
    ASSERT_EQ(read(p.r(), buffer, sizeof buffer), 2);
    EXPECT_EQ(revents(p.r(), POLLIN), POLLHUP);

    Pipe q;
    ASSERT(q.r() >= 0);
    q.close_read();
    EXPECT_EQ(revents(q.w(), POLLOUT), POLLOUT | POLLERR);
    EXPECT_EQ(revents(q.w(), POLLIN), POLLERR);
}

void full_pipe_not_writable(Test& t)
{
    Pipe p(O_NONBLOCK);
    ASSERT(p.r() >= 0);
    static char block[4096];
    while (write(p.w(), block, sizeof block) == ssize_t(sizeof block)) {
    }
    EXPECT_EQ(revents(p.w(), POLLOUT), 0);
    for (size_t taken = 0; taken < sizeof block;) { // a page's worth of room
        ssize_t n = read(p.r(), block, sizeof block - taken);
        ASSERT(n > 0);
        taken += size_t(n);
    }
    EXPECT_EQ(revents(p.w(), POLLOUT), POLLOUT);
}

// A poller asleep is woken by a write from another process, and one
// waiting for room by a read.
void poll_wakes_on_write_and_read(Test& t)
{
    Pipe p(O_NONBLOCK);
    ASSERT(p.r() >= 0);
    pid_t pid = spawn([&] {
        usleep(10000);
        return write(p.w(), "x", 1) == 1 ? 0 : 1;
    });
    ASSERT(pid > 0);
    pollfd fd{p.r(), POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, 5000), 1);
    EXPECT_EQ(fd.revents, POLLIN);
    EXPECT_EQ(wait_for(pid), 0);

    static char block[4096];
    while (write(p.w(), block, sizeof block) > 0) {
    }
    pid = spawn([&] {
        usleep(10000);
        char drain[8192];
        return read(p.r(), drain, sizeof drain) > 0 ? 0 : 1;
    });
    ASSERT(pid > 0);
    fd = {p.w(), POLLOUT, 0};
    EXPECT_EQ(poll(&fd, 1, 5000), 1);
    EXPECT_EQ(fd.revents, POLLOUT);
    EXPECT_EQ(wait_for(pid), 0);
}

// The writer's end closing wakes a poller with POLLHUP.
void poll_wakes_on_hangup(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    pid_t pid = spawn([&] {
        usleep(10000);
        return 0; // exits: its copy of the write end goes
    });
    ASSERT(pid > 0);
    p.close_write();
    pollfd fd{p.r(), POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, 5000), 1);
    EXPECT_EQ(fd.revents, POLLHUP);
    EXPECT_EQ(wait_for(pid), 0);
}

void many_descriptors(Test& t)
{
    constexpr int count = 200;
    std::vector<Pipe> pipes(count);
    std::vector<pollfd> fds(count);
    for (int i = 0; i < count; ++i) {
        ASSERT(pipes[i].r() >= 0);
        fds[i] = {pipes[i].r(), POLLIN, 0};
    }
    EXPECT_EQ(poll(fds.data(), count, 0), 0);
    ASSERT_EQ(write(pipes[137].w(), "x", 1), 1);
    EXPECT_EQ(poll(fds.data(), count, 0), 1);
    for (int i = 0; i < count; ++i)
        EXPECT_EQ(fds[i].revents, i == 137 ? POLLIN : 0);
    char c;
    ASSERT_EQ(read(pipes[137].r(), &c, 1), 1);
    // Asleep on all of them, woken by the last one.
    pid_t pid = spawn([&] {
        usleep(10000);
        return write(pipes[count - 1].w(), "y", 1) == 1 ? 0 : 1;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(poll(fds.data(), count, 5000), 1);
    EXPECT_EQ(fds[count - 1].revents, POLLIN);
    EXPECT_EQ(fds[0].revents, 0);
    EXPECT_EQ(wait_for(pid), 0);
}

// Two processes hand a byte back and forth, each waiting in poll (one
// way) or epoll (the other) before it reads: a wake-up lost between a
// look and a sleep hangs the exchange (on several harts too).
void poll_ping_pong(Test& t)
{
    Pipe there, back;
    ASSERT(there.r() >= 0 && back.r() >= 0);
    constexpr int rounds = 300;
    pid_t pid = spawn([&] {
        int ep = epoll_create1(0);
        epoll_event ev{EPOLLIN, {}};
        CHILD_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, there.r(), &ev) == 0);
        for (int i = 0; i < rounds; ++i) {
            epoll_event out;
            if (epoll_wait(ep, &out, 1, 5000) != 1)
                return 1;
            char c;
            if (read(there.r(), &c, 1) != 1 || write(back.w(), &c, 1) != 1)
                return 2;
        }
        return 0;
    });
    ASSERT(pid > 0);
    int done = 0;
    for (; done < rounds; ++done) {
        char c = char(done);
        if (write(there.w(), &c, 1) != 1)
            break;
        pollfd fd{back.r(), POLLIN, 0};
        if (poll(&fd, 1, 5000) != 1 || read(back.r(), &c, 1) != 1 || c != char(done))
            break;
    }
    EXPECT_EQ(done, rounds);
    EXPECT_EQ(wait_for(pid), 0);
}

void bad_descriptors(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int closed = dup(p.r());
    ASSERT(closed >= 0);
    close(closed);
    pollfd fds[3] = {{closed, POLLIN, 0}, {-1, POLLIN, 77}, {p.w(), POLLOUT, 0}};
    EXPECT_EQ(poll(fds, 3, 0), 2);
    EXPECT_EQ(fds[0].revents, POLLNVAL);
    EXPECT_EQ(fds[1].revents, 0); // negative: ignored, revents cleared
    EXPECT_EQ(fds[2].revents, POLLOUT);
    fds[0].fd = -5;
    EXPECT_EQ(poll(fds, 2, 0), 0); // only ignored ones: a timeout
    EXPECT_ERRNO(syscall(SYS_ppoll, 8, 1, nullptr, nullptr, 8), EFAULT);
    EXPECT_ERRNO(syscall(SYS_ppoll, fds, 1, nullptr, reinterpret_cast<sigset_t*>(8), 8), EFAULT);
    sigset_t none;
    sigemptyset(&none);
    EXPECT_ERRNO(syscall(SYS_ppoll, fds, 1, nullptr, &none, 4), EINVAL);
    // More descriptors than RLIMIT_NOFILE allows.
    pid_t pid = spawn([&] {
        rlimit limit{64, 64};
        CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
        std::vector<pollfd> many(65, pollfd{-1, 0, 0});
        CHILD_CHECK(poll(many.data(), 65, 0) == -1 && errno == EINVAL);
        CHILD_CHECK(poll(many.data(), 64, 0) == 0);
        return 0;
    });
    EXPECT_EQ(wait_for(pid), 0);
}

// Regular files and /dev/null are always ready.
void always_ready_files(Test& t)
{
    int null = open("/dev/null", O_RDWR);
    int zero = open("/dev/zero", O_RDONLY);
    ASSERT(null >= 0 && zero >= 0);
    EXPECT_EQ(revents(null, POLLIN | POLLOUT), POLLIN | POLLOUT);
    EXPECT_EQ(revents(zero, POLLIN), POLLIN);
    close(null);
    close(zero);
}

void poll_interrupted(Test& t)
{
    ASSERT(install(SIGALRM, SA_RESTART)); // poll is never restarted
    g_signals = 0;
    Pipe p;
    ASSERT(p.r() >= 0);
    pollfd fd{p.r(), POLLIN, 0};
    alarm_in_ms(10);
    EXPECT_ERRNO(poll(&fd, 1, 5000), EINTR);
    EXPECT_EQ(int(g_signals), 1);
    fd_set set;
    FD_ZERO(&set);
    FD_SET(p.r(), &set);
    alarm_in_ms(10);
    EXPECT_ERRNO(select(p.r() + 1, &set, nullptr, nullptr, nullptr), EINTR);
    EXPECT_EQ(int(g_signals), 2);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{EPOLLIN, {}};
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    alarm_in_ms(10);
    EXPECT_ERRNO(epoll_wait(ep, &ev, 1, 5000), EINTR);
    EXPECT_EQ(int(g_signals), 3);
    close(ep);
}

// A signal blocked outside and let through only by ppoll's mask is
// delivered during the call, and the old mask is back afterwards.
void ppoll_atomic_mask(Test& t)
{
    ASSERT(install(SIGUSR1, 0));
    g_signals = 0;
    sigset_t block, during, after;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, nullptr), 0);
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0); // pending, blocked
    EXPECT_EQ(int(g_signals), 0);
    Pipe p;
    ASSERT(p.r() >= 0);
    pollfd fd{p.r(), POLLIN, 0};
    sigemptyset(&during);
    timespec ts{5, 0};
    EXPECT_ERRNO(ppoll(&fd, 1, &ts, &during), EINTR);
    EXPECT_EQ(int(g_signals), 1);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, nullptr, &after), 0);
    EXPECT(sigismember(&after, SIGUSR1));
    // Blocked by ppoll's mask: it stays pending through the call.
    ASSERT_EQ(sigprocmask(SIG_UNBLOCK, &block, nullptr), 0);
    ASSERT_EQ(write(p.w(), "x", 1), 1);
    ASSERT_EQ(sigprocmask(SIG_BLOCK, &block, nullptr), 0);
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
    EXPECT_EQ(ppoll(&fd, 1, &ts, &block), 1);
    EXPECT_EQ(int(g_signals), 1);
    ASSERT_EQ(sigprocmask(SIG_UNBLOCK, &block, nullptr), 0);
    EXPECT_EQ(int(g_signals), 2);
}

// --- select ------------------------------------------------------------------

void select_sets(Test& t)
{
    Pipe a, b;
    ASSERT(a.r() >= 0 && b.r() >= 0);
    ASSERT_EQ(write(a.w(), "x", 1), 1);
    fd_set in, out;
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(a.r(), &in);
    FD_SET(b.r(), &in);
    FD_SET(b.w(), &out);
    int n = std::max({a.r(), b.r(), b.w()}) + 1;
    timeval tv{0, 0};
    EXPECT_EQ(select(n, &in, &out, nullptr, &tv), 2);
    EXPECT(FD_ISSET(a.r(), &in));
    EXPECT(!FD_ISSET(b.r(), &in));
    EXPECT(FD_ISSET(b.w(), &out));
    // A hung-up pipe is readable (EOF); a timeout clears the sets.
    b.close_write();
    FD_ZERO(&in);
    FD_SET(b.r(), &in);
    EXPECT_EQ(select(n, &in, nullptr, nullptr, &tv), 1);
    EXPECT(FD_ISSET(b.r(), &in));
    char c;
    ASSERT_EQ(read(a.r(), &c, 1), 1);
    FD_ZERO(&in);
    FD_SET(a.r(), &in);
    tv = {0, 20000};
    double start = now();
    EXPECT_EQ(select(n, &in, nullptr, nullptr, &tv), 0);
    EXPECT(now() - start >= 0.020);
    EXPECT(!FD_ISSET(a.r(), &in));
    EXPECT_EQ(tv.tv_sec, 0); // the time left, written back
    EXPECT_EQ(tv.tv_usec, 0);
    // A set bit that is no open descriptor.
    int closed = dup(a.r());
    close(closed);
    FD_ZERO(&in);
    FD_SET(closed, &in);
    EXPECT_ERRNO(select(closed + 1, &in, nullptr, nullptr, &tv), EBADF);
    EXPECT_ERRNO(select(-1, nullptr, nullptr, nullptr, &tv), EINVAL);
    EXPECT_ERRNO(select(n, reinterpret_cast<fd_set*>(8), nullptr, nullptr, &tv), EFAULT);
    // Bits at and past n are not looked at.
    FD_ZERO(&in);
    FD_SET(closed, &in);
    tv = {0, 0};
    EXPECT_EQ(select(closed, &in, nullptr, nullptr, &tv), 0);
}

void pselect_time_left_and_mask(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    ASSERT_EQ(write(p.w(), "x", 1), 1);
    fd_set in;
    FD_ZERO(&in);
    FD_SET(p.r(), &in);
    timespec ts{1, 0};
    struct {
        const sigset_t* set;
        size_t size;
    } mask{nullptr, 8};
    EXPECT_EQ(syscall(SYS_pselect6, p.r() + 1, &in, nullptr, nullptr, &ts, &mask), 1);
    EXPECT(ts.tv_sec * 1000000000L + ts.tv_nsec > 900000000L);
    EXPECT(ts.tv_sec * 1000000000L + ts.tv_nsec <= 1000000000L);
    sigset_t none;
    sigemptyset(&none);
    mask = {&none, 4};
    EXPECT_ERRNO(syscall(SYS_pselect6, p.r() + 1, &in, nullptr, nullptr, &ts, &mask), EINVAL);
    EXPECT_ERRNO(syscall(SYS_pselect6, p.r() + 1, &in, nullptr, nullptr, &ts, 8), EFAULT);
}

} // namespace


std::vector<Case> poll_cases()
{
    std::vector<Case> cases = {
        {"poll_timeouts", poll_timeouts},
        {"ppoll_time_left", ppoll_time_left},
        {"pipe_readiness", pipe_readiness},
        {"full_pipe_not_writable", full_pipe_not_writable},
        {"poll_wakes_on_write_and_read", poll_wakes_on_write_and_read},
        {"poll_wakes_on_hangup", poll_wakes_on_hangup},
        {"many_descriptors", many_descriptors},
        {"poll_ping_pong", poll_ping_pong},
        {"bad_descriptors", bad_descriptors},
        {"always_ready_files", always_ready_files},
        {"poll_interrupted", poll_interrupted},
        {"ppoll_atomic_mask", ppoll_atomic_mask},
        {"select_sets", select_sets},
        {"pselect_time_left_and_mask", pselect_time_left_and_mask},
    };
    for (Case& c : poll_tests::epoll_cases())
        cases.push_back(c);
    return cases;
}
