// head [-n N | -N] [FILE...]: the first N lines (default 10) of each
// file or of stdin; several files each under a "==> NAME <==" header.
// Stops reading once it has them, so `yes | head` ends.
#include "box/applets.h"
#include "box/util.h"

#include <cstdlib>
#include <fcntl.h>

namespace {

// False if reading or writing failed (errno set; `read_failed` says which).
bool head(int fd, unsigned long lines, bool& read_failed)
{
    std::vector<char> buffer(64 * 1024);
    while (lines > 0) {
        ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            read_failed = n < 0;
            return n == 0;
        }
        size_t keep = 0;
        while (keep < size_t(n) && lines > 0) {
            if (buffer[keep++] == '\n')
                --lines;
        }
        if (!box::write_all(STDOUT_FILENO, buffer.data(), keep))
            return false;
    }
    return true;
}

bool parse_count(const char* text, unsigned long& lines)
{
    char* end = nullptr;
    errno = 0;
    lines = std::strtoul(text, &end, 10);
    return *text != '\0' && *text != '-' && *end == '\0' && errno == 0;
}

} // namespace

int box::head_main(int argc, char** argv)
{
    unsigned long lines = 10;
    // The old form -N first: getopt would take its digits for options.
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] >= '0' && argv[1][1] <= '9') {
        if (!parse_count(argv[1] + 1, lines)) {
            std::fprintf(stderr, "head: %s: invalid number of lines\n", argv[1] + 1);
            return 2;
        }
        argv[1] = argv[0];
        ++argv;
        --argc;
    }
    int opt;
    while ((opt = getopt(argc, argv, "n:")) != -1) {
        if (opt != 'n') {
            std::fprintf(stderr, "usage: head [-n N] [FILE...]\n");
            return 2;
        }
        if (!parse_count(optarg, lines)) {
            std::fprintf(stderr, "head: %s: invalid number of lines\n", optarg);
            return 2;
        }
    }
    std::vector<std::string> files(argv + optind, argv + argc);
    if (files.empty())
        files.push_back("-");
    int status = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string& file = files[i];
        int fd = file == "-" ? STDIN_FILENO : open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            report("head", file);
            status = 1;
            continue;
        }
        if (files.size() > 1) {
            std::string header = (i ? "\n==> " : "==> ") + (file == "-" ? "standard input" : file) + " <==\n";
            write_all(STDOUT_FILENO, header);
        }
        bool read_failed = false;
        if (!head(fd, lines, read_failed)) {
            report("head", read_failed ? file : "write");
            status = 1;
        }
        if (fd != STDIN_FILENO)
            close(fd);
    }
    return status;
}
