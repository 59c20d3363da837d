// The poll group's epoll and eventfd cases: level- and edge-triggered,
// one-shot, closed files, nesting, epoll_pwait2's timeout; eventfd's
// counter and semaphore modes. Each compares with Linux.
#include "harness.h"
#include "poll_tests.h"

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace poll_tests;

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

} // namespace

std::vector<ut::Case> poll_tests::epoll_cases()
{
    return {
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
