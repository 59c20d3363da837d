// nice [-n ADJUSTMENT | -ADJUSTMENT] [COMMAND [ARG...]]: runs COMMAND
// (searched along $PATH) with its niceness raised by ADJUSTMENT (10 by
// default), as coreutils; without a command prints the current
// niceness. If the niceness cannot be set for want of permission, or
// because the kernel has no setpriority(2) (ENOSYS), it says so
// ("nice: cannot set niceness: ...") and runs the command anyway.
// Exit status 127 if the command is not found, 126 if it cannot run,
// 125 for nice's own errors.
#include "box/applets.h"
#include "box/procfs.h"
#include "box/util.h"

#include <charconv>
#include <sys/resource.h>

namespace {

int usage()
{
    std::fprintf(stderr, "usage: nice [-n ADJUSTMENT] [COMMAND [ARG...]]\n");
    return 125;
}

bool parse_adjustment(std::string_view text, int& out)
{
    if (text.starts_with('+'))
        text.remove_prefix(1);
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc{} && end == text.data() + text.size();
}

// The current niceness: getpriority(2), or field 19 of /proc/self/stat
// on a kernel without it.
int current_niceness()
{
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    if (errno == 0)
        return nice;
    auto stat = box::procfs::read_stat(getpid());
    return stat ? int(stat->nice) : 0;
}

} // namespace

int box::nice_main(int argc, char** argv)
{
    int adjustment = 10;
    int i = 1;
    if (i < argc && std::strcmp(argv[i], "-n") == 0) {
        if (i + 1 >= argc || !parse_adjustment(argv[i + 1], adjustment)) {
            std::fprintf(stderr, "nice: invalid adjustment '%s'\n", i + 1 < argc ? argv[i + 1] : "");
            return usage();
        }
        i += 2;
    } else if (i < argc && std::strncmp(argv[i], "-n", 2) == 0) {
        if (!parse_adjustment(argv[i] + 2, adjustment)) {
            std::fprintf(stderr, "nice: invalid adjustment '%s'\n", argv[i] + 2);
            return usage();
        }
        ++i;
    } else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0' && std::strcmp(argv[i], "--") != 0) {
        // The old form "-ADJUSTMENT" ("-5", "--5" for -5).
        if (!parse_adjustment(argv[i] + 1, adjustment)) {
            std::fprintf(stderr, "nice: invalid option '%s'\n", argv[i]);
            return usage();
        }
        ++i;
    }
    if (i < argc && std::strcmp(argv[i], "--") == 0)
        ++i;

    if (i == argc) {
        std::printf("%d\n", current_niceness());
        return 0;
    }

    // Linux clamps the niceness to [-20, 19] (setpriority(2)).
    int target = std::clamp(current_niceness() + adjustment, -20, 19);
    if (setpriority(PRIO_PROCESS, 0, target) != 0) {
        int err = errno;
        std::fprintf(stderr, "nice: cannot set niceness: %s\n", std::strerror(err));
        if (err != EPERM && err != EACCES && err != ENOSYS)
            return 125;
    }
    execvp(argv[i], argv + i);
    int err = errno;
    report("nice", argv[i], err);
    return err == ENOENT ? 127 : 126;
}
