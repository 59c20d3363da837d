// kill [-s SIGNAL | -SIGNAL | -n NUMBER] PID...  sends a signal (SIGTERM
// by default) to each process; a negative PID names a process group
// ("kill -- -PGID"). kill -l [SIGNAL...] lists the signals as bash does
// ("1) SIGHUP 2) SIGINT ...", five a line) or translates: a number to
// its name ("9" -> "KILL"; an exit status above 128 too), a name to its
// number. Messages and exit status as bash's builtin: 1 if any PID
// could not be signalled, 2 for a usage error.
#include "box/applets.h"
#include "box/util.h"

#include <cctype>
#include <charconv>
#include <csignal>
#include <optional>

namespace {

// The names of signals 1 to 31 (signal(7), the Linux numbering of the
// generic/RISC-V ABI); 32 and 33 are glibc's own and have none.
constexpr const char* k_names[] = {
    nullptr, "HUP",  "INT",    "QUIT", "ILL",  "TRAP", "ABRT", "BUS",  "FPE",  "KILL", "USR1",
    "SEGV",  "USR2", "PIPE",   "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU",  "URG",  "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "IO",   "PWR",  "SYS",
};

// bash's name for a real-time signal: RTMIN+n in the lower half of the
// range, RTMAX-n in the upper.
std::string rt_name(int number)
{
    int low = SIGRTMIN, high = SIGRTMAX;
    if (number == low)
        return "RTMIN";
    if (number == high)
        return "RTMAX";
    if (number - low <= (high - low) / 2)
        return "RTMIN+" + std::to_string(number - low);
    return "RTMAX-" + std::to_string(high - number);
}

// The name without "SIG", or nullopt for a number that is no signal.
std::optional<std::string> signal_name(int number)
{
    if (number >= 1 && number <= 31)
        return std::string(k_names[number]);
    if (number >= SIGRTMIN && number <= SIGRTMAX)
        return rt_name(number);
    return std::nullopt;
}

std::optional<int> parse_int(std::string_view text)
{
    int value;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// A signal by number, or by name with or without "SIG", any case.
std::optional<int> parse_signal(std::string_view text)
{
    if (auto number = parse_int(text))
        return *number >= 0 && (*number == 0 || signal_name(*number)) ? number : std::nullopt;
    std::string name;
    for (char c : text)
        name += char(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG"))
        name.erase(0, 3);
    for (int number = 1; number <= SIGRTMAX; ++number)
        if (signal_name(number) == name)
            return number;
    return std::nullopt;
}

std::string list_all()
{
    std::string out;
    int column = 0;
    for (int number = 1; number <= SIGRTMAX; ++number) {
        auto name = signal_name(number);
        if (!name)
            continue;
        char entry[40];
        std::snprintf(entry, sizeof entry, "%2d) SIG%s", number, name->c_str());
        out += entry;
        out += ++column == 5 ? "\n" : "\t";
        if (column == 5)
            column = 0;
    }
    if (column != 0)
        out += '\n';
    return out;
}

int list(int argc, char** argv, int first)
{
    if (first == argc) {
        box::write_all(STDOUT_FILENO, list_all());
        return 0;
    }
    int status = 0;
    for (int i = first; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (auto number = parse_int(arg)) {
            // An exit status of a process killed by a signal: 128 + signal.
            int signal = *number > 128 ? *number - 128 : *number;
            if (auto name = signal_name(signal)) {
                std::printf("%s\n", name->c_str());
                continue;
            }
        } else if (auto number = parse_signal(arg)) {
            std::printf("%d\n", *number);
            continue;
        }
        std::fprintf(stderr, "kill: %s: invalid signal specification\n", argv[i]);
        status = 1;
    }
    return status;
}

int usage()
{
    std::fprintf(stderr, "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid ... or kill -l [sigspec]\n");
    return 2;
}

} // namespace

int box::kill_main(int argc, char** argv)
{
    int signal = SIGTERM;
    int i = 1;
    if (i < argc && (std::strcmp(argv[i], "-l") == 0 || std::strcmp(argv[i], "-L") == 0))
        return list(argc, argv, i + 1);
    if (i < argc && (std::strcmp(argv[i], "-s") == 0 || std::strcmp(argv[i], "-n") == 0)) {
        if (i + 1 >= argc)
            return usage();
        auto parsed = parse_signal(argv[i + 1]);
        if (!parsed) {
            std::fprintf(stderr, "kill: %s: invalid signal specification\n", argv[i + 1]);
            return 1;
        }
        signal = *parsed;
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0' && std::strcmp(argv[i], "--") != 0) {
        // "-9", "-KILL", "-SIGKILL". A process group is negative only
        // after the options: "kill -- -PGID", "kill -9 -PGID".
        auto parsed = parse_signal(argv[i] + 1);
        if (!parsed) {
            std::fprintf(stderr, "kill: %s: invalid signal specification\n", argv[i] + 1);
            return 1;
        }
        signal = *parsed;
        ++i;
    }
    if (i < argc && std::strcmp(argv[i], "--") == 0)
        ++i;
    if (i == argc)
        return usage();

    int status = 0;
    for (; i < argc; ++i) {
        auto pid = parse_int(argv[i]);
        if (!pid) {
            std::fprintf(stderr, "kill: %s: arguments must be process or job IDs\n", argv[i]);
            status = 1;
            continue;
        }
        if (::kill(*pid, signal) != 0) {
            std::fprintf(stderr, "kill: (%d) - %s\n", *pid, std::strerror(errno));
            status = 1;
        }
    }
    return status;
}
