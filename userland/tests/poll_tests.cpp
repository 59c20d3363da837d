// The `poll` group: waiting on many descriptors. poll/ppoll, select/
// pselect6, epoll (level- and edge-triggered, one-shot, closed files,
// nesting) and eventfd, over pipes, eventfds and the always-ready
// devices: readiness, timeouts and the time left, signals and the
// atomic signal mask, and the error cases. Every case compares with
// Linux (the same binary runs under qemu-riscv64-static) and takes
// milliseconds.
#include "groups.h"
#include "harness.h"

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

// A pipe closed at the end of the case, unless already closed.
struct Pipe {
    int fds[2] = {-1, -1};
    Pipe(int flags = 0)
    {
        if (pipe2(fds, flags) != 0)
            fds[0] = fds[1] = -1;
    }
    ~Pipe()
    {
        close_read();
        close_write();
    }
    int r() const { return fds[0]; }
    int w() const { return fds[1]; }
    void close_read()
    {
        if (fds[0] >= 0)
            close(fds[0]);
        fds[0] = -1;
    }
    void close_write()
    {
        if (fds[1] >= 0)
            close(fds[1]);
        fds[1] = -1;
    }
};

// revents of one descriptor polled without waiting.
int revents(int fd, short events)
{
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, 0);
    return n < 0 ? -1 : p.revents;
}

double now() { return monotonic_seconds(); }

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

// --- epoll -------------------------------------------------------------------

int wait_events(int ep, epoll_event* events, int max, int timeout_ms = 0)
{
    return epoll_wait(ep, events, max, timeout_ms);
}

void epoll_level_triggered(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT(ep >= 0);
    EXPECT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0x1234567890ull;
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    epoll_event out[4] = {};
    EXPECT_EQ(wait_events(ep, out, 4), 0);
    ASSERT_EQ(write(p.w(), "ab", 2), 2);
    EXPECT_EQ(wait_events(ep, out, 4), 1);
    EXPECT_EQ(out[0].events, unsigned(EPOLLIN));
    EXPECT_EQ(out[0].data.u64, 0x1234567890ull);
    EXPECT_EQ(wait_events(ep, out, 4), 1); // still readable: reported again
    char buffer[4];
    ASSERT_EQ(read(p.r(), buffer, sizeof buffer), 2);
    EXPECT_EQ(wait_events(ep, out, 4), 0);
    // The write end too, and both at once.
    ev.events = EPOLLOUT;
    ev.data.u64 = 2;
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.w(), &ev), 0);
    ASSERT_EQ(write(p.w(), "c", 1), 1);
    EXPECT_EQ(wait_events(ep, out, 4), 2);
    EXPECT_EQ(wait_events(ep, out, 1), 1); // maxevents: one now...
    EXPECT_EQ(wait_events(ep, out + 1, 1), 1); // ...the other next
    EXPECT(out[0].data.u64 != out[1].data.u64);
    // Hang-up is reported without being asked for.
    p.close_write();
    EXPECT_EQ(wait_events(ep, out, 4), 1);
    EXPECT_EQ(out[0].events, unsigned(EPOLLIN | EPOLLHUP));
    close(ep);
}

void epoll_edge_triggered(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = p.r();
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    epoll_event out[2] = {};
    ASSERT_EQ(write(p.w(), "a", 1), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 1);
    EXPECT_EQ(out[0].data.fd, p.r());
    EXPECT_EQ(wait_events(ep, out, 2), 0); // no new edge: nothing, though still readable
    ASSERT_EQ(write(p.w(), "b", 1), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 1); // a new write is a new edge
    EXPECT_EQ(wait_events(ep, out, 2), 0);
    // An edge wakes a sleeping epoll_wait.
    pid_t pid = spawn([&] {
        usleep(10000);
        return write(p.w(), "c", 1) == 1 ? 0 : 1;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(wait_events(ep, out, 2, 5000), 1);
    EXPECT_EQ(wait_for(pid), 0);
    close(ep);
}

void epoll_oneshot(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    epoll_event out[2] = {};
    ASSERT_EQ(write(p.w(), "a", 1), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 0);
    ASSERT_EQ(write(p.w(), "b", 1), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 0); // disarmed
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), EEXIST); // still in the set
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p.r(), &ev), 0); // re-armed, and ready
    EXPECT_EQ(wait_events(ep, out, 2), 1);
    EXPECT_EQ(wait_events(ep, out, 2), 0);
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p.r(), nullptr), 0);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p.r(), nullptr), ENOENT);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p.r(), &ev), ENOENT);
    close(ep);
}

// Closing the last descriptor of a file takes it out of the set; a
// duplicate keeps it there (the item is the file, not the number).
void epoll_closed_file(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    ASSERT_EQ(write(p.w(), "a", 1), 1);
    int copy = dup(p.r());
    ASSERT(copy >= 0);
    int number = p.r();
    p.close_read();
    epoll_event out[2] = {};
    EXPECT_EQ(wait_events(ep, out, 2), 1); // the dup keeps the file alive
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, number, nullptr), EBADF);
    close(copy);
    EXPECT_EQ(wait_events(ep, out, 2), 0); // gone with its last descriptor
    // Its number again, for another file: not in the set.
    Pipe q;
    ASSERT(q.r() == number);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, q.r(), nullptr), ENOENT);
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, q.r(), &ev), 0);
    // Closing the set first leaves the watched file alone.
    close(ep);
    ASSERT_EQ(write(q.w(), "b", 1), 1);
    EXPECT_EQ(revents(q.r(), POLLIN), POLLIN);
}

void epoll_errors(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{EPOLLIN, {}};
    int null = open("/dev/null", O_RDONLY);
    ASSERT(null >= 0);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev), EPERM); // always ready: not pollable
    close(null);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    EXPECT_ERRNO(epoll_ctl(p.r(), EPOLL_CTL_ADD, p.w(), &ev), EINVAL); // not an epoll fd
    EXPECT_ERRNO(epoll_ctl(ep, 99, p.r(), &ev), EINVAL);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    EXPECT_ERRNO(epoll_ctl(999, EPOLL_CTL_ADD, p.r(), &ev), EBADF);
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), reinterpret_cast<epoll_event*>(8)), EFAULT);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0); // accepted
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p.r(), &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p.w(), &ev), EINVAL);
    epoll_event out[1];
    EXPECT_ERRNO(epoll_wait(ep, out, 0, 0), EINVAL);
    EXPECT_ERRNO(epoll_wait(p.r(), out, 1, 0), EINVAL);
    EXPECT_ERRNO(epoll_wait(999, out, 1, 0), EBADF);
    EXPECT_ERRNO(epoll_wait(ep, reinterpret_cast<epoll_event*>(~0ul & ~15ul), 1, 0), EFAULT);
    EXPECT_ERRNO(epoll_create1(1), EINVAL);
    sigset_t none;
    sigemptyset(&none);
    EXPECT_ERRNO(syscall(SYS_epoll_pwait, ep, out, 1, 0, &none, 4), EINVAL);
    close(ep);
}

// An epoll set is itself pollable, and may sit in another set, but not
// in one it contains.
void epoll_nested(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int inner = epoll_create1(0), outer = epoll_create1(0);
    ASSERT(inner >= 0 && outer >= 0);
    epoll_event ev{EPOLLIN, {}};
    ASSERT_EQ(epoll_ctl(inner, EPOLL_CTL_ADD, p.r(), &ev), 0);
    ev.data.u32 = 7;
    ASSERT_EQ(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev), 0);
    EXPECT_ERRNO(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev), ELOOP);
    EXPECT_EQ(revents(inner, POLLIN), 0);
    epoll_event out[2] = {};
    EXPECT_EQ(epoll_wait(outer, out, 2, 0), 0);
    ASSERT_EQ(write(p.w(), "a", 1), 1);
    EXPECT_EQ(revents(inner, POLLIN | POLLOUT), POLLIN);
    EXPECT_EQ(epoll_wait(outer, out, 2, 0), 1);
    EXPECT_EQ(out[0].data.u32, 7u);
    char c;
    ASSERT_EQ(read(p.r(), &c, 1), 1);
    EXPECT_EQ(revents(inner, POLLIN), 0);
    // poll asleep on an epoll set wakes when a file in it gets ready.
    pid_t pid = spawn([&] {
        usleep(10000);
        return write(p.w(), "b", 1) == 1 ? 0 : 1;
    });
    ASSERT(pid > 0);
    pollfd fd{inner, POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, 5000), 1);
    EXPECT_EQ(wait_for(pid), 0);
    close(outer);
    close(inner);
}

void epoll_pwait2_timeout(Test& t)
{
    Pipe p;
    ASSERT(p.r() >= 0);
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{EPOLLIN, {}};
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p.r(), &ev), 0);
    epoll_event out[1];
    double start = now();
    EXPECT_EQ(epoll_wait(ep, out, 1, 20), 0);
    EXPECT(now() - start >= 0.020);
    timespec ts{0, 20000000};
    start = now();
    long n = syscall(441 /* epoll_pwait2 */, ep, out, 1, &ts, nullptr, 8);
    if (n == -1 && errno == ENOSYS) {
        close(ep);
        return; // an old host kernel under qemu-user
    }
    EXPECT_EQ(n, 0);
    EXPECT(now() - start >= 0.020);
    ts = {0, 1000000000};
    EXPECT_ERRNO(syscall(441, ep, out, 1, &ts, nullptr, 8), EINVAL);
    close(ep);
}

// --- eventfd -----------------------------------------------------------------

void eventfd_counter(Test& t)
{
    int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
    ASSERT(fd >= 0);
    EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
    std::uint64_t value = 0;
    EXPECT_EQ(read(fd, &value, sizeof value), 8);
    EXPECT_EQ(value, 3u);
    EXPECT_ERRNO(read(fd, &value, sizeof value), EAGAIN);
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
    value = 2;
    EXPECT_EQ(write(fd, &value, sizeof value), 8);
    EXPECT_EQ(write(fd, &value, sizeof value), 8);
    EXPECT_EQ(read(fd, &value, sizeof value), 8);
    EXPECT_EQ(value, 4u);
    EXPECT_ERRNO(read(fd, &value, 4), EINVAL);
    EXPECT_ERRNO(write(fd, &value, 4), EINVAL);
    value = ~0ull;
    EXPECT_ERRNO(write(fd, &value, sizeof value), EINVAL);
    value = ~0ull - 1; // the largest count
    EXPECT_EQ(write(fd, &value, sizeof value), 8);
    EXPECT_EQ(revents(fd, POLLIN | POLLOUT), POLLIN);
    value = 1;
    EXPECT_ERRNO(write(fd, &value, sizeof value), EAGAIN);
    EXPECT_ERRNO(eventfd(0, 0x40), EINVAL);
    close(fd);
}

void eventfd_semaphore_and_wakeups(Test& t)
{
    int fd = eventfd(2, EFD_SEMAPHORE);
    ASSERT(fd >= 0);
    std::uint64_t value = 0;
    EXPECT_EQ(read(fd, &value, sizeof value), 8);
    EXPECT_EQ(value, 1u);
    EXPECT_EQ(read(fd, &value, sizeof value), 8);
    EXPECT_EQ(value, 1u);
    EXPECT_EQ(revents(fd, POLLIN), 0);
    // A blocked read and an epoll set both see a write from another process.
    int ep = epoll_create1(0);
    ASSERT(ep >= 0);
    epoll_event ev{EPOLLIN | EPOLLET, {}};
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
    pid_t pid = spawn([&] {
        usleep(10000);
        std::uint64_t one = 5;
        return write(fd, &one, sizeof one) == 8 ? 0 : 1;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(read(fd, &value, sizeof value), 8);
    EXPECT_EQ(value, 1u);
    EXPECT_EQ(wait_for(pid), 0);
    epoll_event out[1];
    EXPECT_EQ(epoll_wait(ep, out, 1, 0), 1);
    EXPECT_EQ(out[0].events, unsigned(EPOLLIN));
    close(ep);
    close(fd);
}

// --- the terminal --------------------------------------------------------------

// Driven by a scripted console session (shell.session in
// tests/qemu_tests.cmake): the script types "abc", pauses 0.6 s, then
// "def" and Enter; later "xy", a pause, and "z". In canonical mode the
// terminal is readable only once the line is complete; in raw mode with
// VMIN = 3 once three bytes are there.
void tty_canonical_and_raw(Test& t)
{
    if (!isatty(0))
        SKIP("standard input is not a terminal");
    termios saved{};
    ASSERT_EQ(tcgetattr(0, &saved), 0);
    pollfd fd{0, POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, 0), 0);
    std::printf("tty poll: type a line\n");
    std::fflush(stdout);
    double start = now();
    EXPECT_EQ(poll(&fd, 1, 10000), 1);
    EXPECT(now() - start >= 0.3); // not at "abc": only at the end of the line
    char buffer[64] = {};
    ssize_t n = read(0, buffer, sizeof buffer);
    EXPECT_EQ(std::string(buffer, n > 0 ? size_t(n) : 0), "abcdef\n");
    termios raw = saved;
    raw.c_lflag &= ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 3;
    raw.c_cc[VTIME] = 0;
    ASSERT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
    std::printf("tty poll: type three keys\n");
    std::fflush(stdout);
    start = now();
    EXPECT_EQ(poll(&fd, 1, 10000), 1);
    EXPECT(now() - start >= 0.3); // not at "xy": only with the third key
    n = read(0, buffer, 3);
    EXPECT_EQ(std::string(buffer, n > 0 ? size_t(n) : 0), "xyz");
    EXPECT_EQ(poll(&fd, 1, 0), 0);

    // Reads in raw mode (termios(3)). VMIN = VTIME = 0: a poll.
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    ASSERT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
    start = now();
    EXPECT_EQ(read(0, buffer, 8), 0);
    EXPECT(now() - start < 0.1);
    // VMIN = 0, VTIME = 2: at most 0.2 s for a first byte.
    raw.c_cc[VTIME] = 2;
    ASSERT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
    start = now();
    EXPECT_EQ(read(0, buffer, 8), 0);
    double took = now() - start;
    EXPECT(took >= 0.15 && took < 2.0);
    // O_NONBLOCK with nothing typed: EAGAIN.
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ASSERT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
    const int status_flags = fcntl(0, F_GETFL);
    ASSERT_EQ(fcntl(0, F_SETFL, status_flags | O_NONBLOCK), 0);
    EXPECT_ERRNO(read(0, buffer, 8), EAGAIN);
    ASSERT_EQ(fcntl(0, F_SETFL, status_flags), 0);
    // VMIN = 2, VTIME = 3: the first byte is waited for as long as it
    // takes, then 0.3 s without another ends the read. The script types
    // "q", pauses 0.6 s, then types "rs".
    raw.c_cc[VMIN] = 2;
    raw.c_cc[VTIME] = 3;
    ASSERT_EQ(tcsetattr(0, TCSANOW, &raw), 0);
    std::printf("tty poll: type one key, then two\n");
    std::fflush(stdout);
    n = read(0, buffer, 8);
    EXPECT_EQ(std::string(buffer, n > 0 ? size_t(n) : 0), "q");
    n = read(0, buffer, 8);
    EXPECT_EQ(std::string(buffer, n > 0 ? size_t(n) : 0), "rs");
    tcsetattr(0, TCSANOW, &saved);
}

} // namespace

std::vector<Case> poll_cases()
{
    return {
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
        {"epoll_level_triggered", epoll_level_triggered},
        {"epoll_edge_triggered", epoll_edge_triggered},
        {"epoll_oneshot", epoll_oneshot},
        {"epoll_closed_file", epoll_closed_file},
        {"epoll_errors", epoll_errors},
        {"epoll_nested", epoll_nested},
        {"epoll_pwait2_timeout", epoll_pwait2_timeout},
        {"eventfd_counter", eventfd_counter},
        {"eventfd_semaphore_and_wakeups", eventfd_semaphore_and_wakeups},
    };
}

std::vector<Case> poll_tty_cases()
{
    return {{"tty_canonical_and_raw", tty_canonical_and_raw}};
}
