// wc [-l] [-w] [-c] [FILE...]: counts newlines, words (runs of
// non-blanks) and bytes; all three without options. Output as coreutils:
// counts in the order lines, words, bytes, right-aligned to a common
// width, then the name; a "total" line for several files.
#include "box/applets.h"
#include "box/util.h"

#include <cctype>
#include <fcntl.h>
#include <sys/stat.h>

namespace {

struct Counts {
    unsigned long lines = 0, words = 0, bytes = 0;
};

bool count(int fd, Counts& counts)
{
    std::vector<char> buffer(64 * 1024);
    bool in_word = false;
    for (;;) {
        ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        counts.bytes += size_t(n);
        for (ssize_t i = 0; i < n; ++i) {
            unsigned char c = static_cast<unsigned char>(buffer[size_t(i)]);
            if (c == '\n')
                ++counts.lines;
            if (std::isspace(c)) {
                in_word = false;
            } else if (!in_word) {
                in_word = true;
                ++counts.words;
            }
        }
    }
}

} // namespace

int box::wc_main(int argc, char** argv)
{
    bool lines = false, words = false, bytes = false;
    int opt;
    while ((opt = getopt(argc, argv, "lwc")) != -1) {
        if (opt == 'l')
            lines = true;
        else if (opt == 'w')
            words = true;
        else if (opt == 'c')
            bytes = true;
        else {
            std::fprintf(stderr, "usage: wc [-l] [-w] [-c] [FILE...]\n");
            return 2;
        }
    }
    if (!lines && !words && !bytes)
        lines = words = bytes = true;
    std::vector<std::string> files(argv + optind, argv + argc);
    bool named = !files.empty();
    if (!named)
        files.push_back("-");

    // Open everything first: the width depends on all the inputs.
    std::vector<int> fds;
    int width = 1, minimum = 1;
    unsigned long regular_total = 0;
    for (const std::string& file : files) {
        int fd = file == "-" ? STDIN_FILENO : open(file.c_str(), O_RDONLY | O_CLOEXEC);
        fds.push_back(fd);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0) {
            if (S_ISREG(st.st_mode))
                regular_total += static_cast<unsigned long>(st.st_size);
            else
                minimum = 7; // a pipe or terminal: the size is unknown
        }
    }
    for (; regular_total >= 10; regular_total /= 10)
        ++width;
    width = std::max(width, minimum);
    if (files.size() == 1 && int(lines) + int(words) + int(bytes) == 1)
        width = 1;

    auto print = [&](const Counts& c, const std::string* name) {
        std::string out;
        char field[32];
        for (auto [wanted, value] : {std::pair{lines, c.lines}, {words, c.words}, {bytes, c.bytes}}) {
            if (!wanted)
                continue;
            std::snprintf(field, sizeof field, "%*lu", width, value);
            if (!out.empty())
                out.push_back(' ');
            out += field;
        }
        if (name)
            out += " " + *name;
        out.push_back('\n');
        write_all(STDOUT_FILENO, out);
    };

    int status = 0;
    Counts total;
    for (size_t i = 0; i < files.size(); ++i) {
        if (fds[i] < 0) {
            report("wc", files[i]);
            status = 1;
            continue;
        }
        Counts c;
        if (!count(fds[i], c)) {
            report("wc", files[i]);
            status = 1;
        }
        if (fds[i] != STDIN_FILENO)
            close(fds[i]);
        print(c, named ? &files[i] : nullptr);
        total.lines += c.lines;
        total.words += c.words;
        total.bytes += c.bytes;
    }
    if (files.size() > 1) {
        std::string name = "total";
        print(total, &name);
    }
    return status;
}
