// The `smp` group, part three: wake-ups that race across harts. A pipe's
// sleeps and wake-ups take the pipe's own lock, not one lock for all
// (docs/smp.md): a blocked reader may be woken by its writer on one hart
// and by a signal from another at the same moment, and poll must not
// miss a change made on another hart while it registers. A lost wake-up
// shows as a wait that runs into its time limit.
#include "smp_tests.h"

#include "groups.h"
#include "harness.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace ut;
using namespace smp_tests;

std::atomic<int> g_usr1_handled{0};
void on_usr1(int) { g_usr1_handled.fetch_add(1, std::memory_order_relaxed); }

// A reader pinned to one hart blocks in read on an empty pipe, round
// after round. Each round another hart wakes it with a byte, or with
// SIGUSR1 (a handler, no SA_RESTART: read fails with EINTR), or with both
// at the same moment (the signal from a third hart where there is one).
// A round ends when the reader has the byte and the handler has run; one
// that takes five seconds is a lost wake-up (a loaded host has stalled a
// round for a second). The next signal goes only after
// the last one was handled, so none merges with a pending one.
void pipe_reader_woken_by_writer_and_signals(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    constexpr int k_rounds = 1500;
    constexpr unsigned char k_last = 0xff;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    struct sigaction sa{}, old{};
    sa.sa_handler = on_usr1;
    ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
    g_usr1_handled = 0;

    std::atomic<pid_t> reader_tid{0};
    std::atomic<int> bytes{0}, interrupted{0}, out_of_order{0}, other_errors{0};
    std::thread reader([&] {
        pin_to(cpus[1]);
        reader_tid = pid_t(syscall(SYS_gettid));
        for (;;) {
            unsigned char byte;
            ssize_t n = read(fds[0], &byte, 1);
            if (n == 1) {
                if (byte == k_last)
                    return;
                out_of_order += byte != static_cast<unsigned char>(bytes.load() % 251);
                bytes.fetch_add(1);
            } else if (n < 0 && errno == EINTR) {
                interrupted.fetch_add(1);
            } else {
                other_errors.fetch_add(1);
                return;
            }
        }
    });
    // The signaller fires when `fire` goes up (rounds of both kinds).
    std::atomic<int> fire{0}, fired{0};
    std::atomic<bool> stop{false};
    std::thread signaller([&] {
        pin_to(cpus.size() > 2 ? cpus[2] : cpus[0]);
        while (!stop.load()) {
            if (fire.load() == fired.load()) {
                yield();
                continue;
            }
            syscall(SYS_tgkill, getpid(), reader_tid.load(), SIGUSR1);
            fired.fetch_add(1);
        }
    });
    ASSERT(pin_to(cpus[0]));
    EXPECT(spin_until([&] { return reader_tid.load() != 0; }, 5));
    int sent = 0, written = 0, lost = 0, short_writes = 0;
    for (int round = 0; round < k_rounds && !lost; ++round) {
        const int kind = round % 3; // 0: a byte, 1: a signal, 2: both at once
        if (kind != 0) {
            ++sent;
            fire.fetch_add(1);
        }
        if (kind != 1) {
            unsigned char byte = static_cast<unsigned char>(written % 251);
            short_writes += write(fds[1], &byte, 1) != 1;
            ++written;
        }
        if (!spin_until([&] { return bytes.load() == written && g_usr1_handled.load() == sent; }, 5)) {
            ++lost;
            std::printf("# round %d (kind %d) stuck: %d of %d bytes read, %d of %d signals handled\n", round, kind,
                        bytes.load(), written, g_usr1_handled.load(), sent);
        }
    }
    unsigned char last = k_last;
    EXPECT_EQ(write(fds[1], &last, 1), 1);
    reader.join();
    stop = true;
    signaller.join();
    sigaction(SIGUSR1, &old, nullptr);
    close(fds[0]);
    close(fds[1]);
    EXPECT_EQ(lost, 0);
    EXPECT_EQ(short_writes, 0);
    EXPECT_EQ(other_errors.load(), 0);
    EXPECT_EQ(out_of_order.load(), 0);
    EXPECT_EQ(bytes.load(), written);
    EXPECT_EQ(g_usr1_handled.load(), sent);
    // Signal-only rounds find the reader asleep with nothing to read.
    EXPECT(interrupted.load() >= k_rounds / 3);
    std::printf("# %d rounds across CPUs %d and %d: %d bytes, %d signals, %d reads interrupted\n", k_rounds,
                cpus[0], cpus[1], written, sent, interrupted.load());
}

// Ping-pong through two pipes where each side waits in poll (5 s limit)
// before it reads: a readiness change on one hart that poll misses while
// registering on another times the round out.
void poll_ping_pong_between_harts(Test& t)
{
    const std::vector<int> cpus = require_harts(t, 2);
    if (cpus.empty())
        return;
    constexpr int k_rounds = 2000;
    int there[2], back[2];
    ASSERT_EQ(pipe(there), 0);
    ASSERT_EQ(pipe(back), 0);
    auto wait_and_read = [](int fd, unsigned char& byte) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN))
            return false;
        return read(fd, &byte, 1) == 1;
    };
    std::atomic<int> echo_failures{0};
    std::thread echo([&] {
        pin_to(cpus[1]);
        for (int i = 0; i < k_rounds; ++i) {
            unsigned char byte;
            if (!wait_and_read(there[0], byte) || write(back[1], &byte, 1) != 1) {
                echo_failures.fetch_add(1);
                return;
            }
        }
    });
    ASSERT(pin_to(cpus[0]));
    int timeouts = 0, wrong = 0;
    for (int i = 0; i < k_rounds; ++i) {
        unsigned char byte = static_cast<unsigned char>(i * 3);
        if (write(there[1], &byte, 1) != 1 || !wait_and_read(back[0], byte)) {
            ++timeouts;
            break;
        }
        wrong += byte != static_cast<unsigned char>(i * 3);
    }
    if (timeouts)
        close(there[1]); // the echo's poll sees the hang-up and ends
    echo.join();
    for (int fd : {there[0], back[0], back[1]})
        close(fd);
    if (!timeouts)
        close(there[1]);
    EXPECT_EQ(timeouts, 0);
    EXPECT_EQ(echo_failures.load(), 0);
    EXPECT_EQ(wrong, 0);
}

} // namespace

std::vector<ut::Case> smp_wakeup_cases()
{
    return {
        {"pipe_reader_woken_by_writer_and_signals", pipe_reader_woken_by_writer_and_signals, 60},
        {"poll_ping_pong_between_harts", poll_ping_pong_between_harts, 60},
    };
}
