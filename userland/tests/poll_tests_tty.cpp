// The poll_tty group: poll and reads on the terminal in canonical and raw
// mode (VMIN, VTIME, O_NONBLOCK), driven by a scripted console session.
#include "groups.h"
#include "harness.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>
#include <string>
#include <vector>

namespace {

using namespace ut;

double now() { return monotonic_seconds(); }

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

std::vector<Case> poll_tty_cases()
{
    return {{"tty_canonical_and_raw", tty_canonical_and_raw}};
}
