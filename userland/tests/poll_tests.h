// What the poll group's files share (poll_tests.cpp, poll_tests_epoll.cpp).
#pragma once

#include "harness.h"

#include <poll.h>
#include <unistd.h>
#include <vector>

namespace poll_tests {

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
inline int revents(int fd, short events)
{
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, 0);
    return n < 0 ? -1 : p.revents;
}

inline double now() { return ut::monotonic_seconds(); }

// epoll and eventfd (poll_tests_epoll.cpp), the rest of the poll group.
std::vector<ut::Case> epoll_cases();

} // namespace poll_tests
