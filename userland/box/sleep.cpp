// sleep NUMBER[s|m|h|d]...: pauses for the sum of the intervals, which
// may be fractions ("0.2", "1.5m"), as coreutils; with nanosleep(2),
// resumed after a signal that does not end the process.
#include "box/applets.h"
#include "box/util.h"

#include <charconv>
#include <cmath>
#include <ctime>

namespace {

// Seconds in "NUMBER[SUFFIX]", or a negative number if it is not one.
double parse_interval(std::string_view text)
{
    double unit = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: break;
        }
        if (std::string_view("smhd").find(text.back()) != std::string_view::npos)
            text.remove_suffix(1);
    }
    double value;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || std::isnan(value) || value < 0)
        return -1;
    return value * unit;
}

} // namespace

int box::sleep_main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "sleep: missing operand\nusage: sleep NUMBER[SUFFIX]...\n");
        return 1;
    }
    double total = 0;
    for (int i = 1; i < argc; ++i) {
        double seconds = parse_interval(argv[i]);
        if (seconds < 0) {
            std::fprintf(stderr, "sleep: invalid time interval '%s'\n", argv[i]);
            return 1;
        }
        total += seconds;
    }
    // Whole chunks of at most a day, so that "inf" and huge values fit a
    // timespec.
    while (total > 0) {
        double chunk = std::min(total, 86400.0);
        timespec left{time_t(chunk), long((chunk - std::floor(chunk)) * 1e9)};
        while (nanosleep(&left, &left) != 0) {
            if (errno != EINTR) {
                report("sleep", "nanosleep");
                return 1;
            }
        }
        if (!std::isinf(total))
            total -= chunk;
    }
    return 0;
}
