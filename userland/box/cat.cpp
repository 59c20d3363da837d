// cat [-n] [FILE...]: copies the files (or stdin; "-" is stdin too) to
// stdout; -n numbers the lines, counting on across files as coreutils
// does. -u (unbuffered) is accepted: cat never buffers its output.
#include "box/applets.h"
#include "box/util.h"

#include <fcntl.h>
#include <string>
#include <vector>

namespace {

class Cat {
public:
    explicit Cat(bool number)
        : m_number(number)
    {
    }

    // False if the output failed (no point going on).
    bool copy(int fd, std::string_view name, int& status)
    {
        std::vector<char> buffer(64 * 1024);
        for (;;) {
            ssize_t n = read(fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                box::report("cat", name);
                status = 1;
                return true;
            }
            if (n == 0)
                return true;
            if (!output(buffer.data(), size_t(n))) {
                box::report("cat", "write");
                status = 1;
                return false;
            }
        }
    }

private:
    bool output(const char* data, size_t size)
    {
        if (!m_number)
            return box::write_all(STDOUT_FILENO, data, size);
        std::string out;
        for (size_t i = 0; i < size; ++i) {
            if (m_line_start) {
                char prefix[32];
                std::snprintf(prefix, sizeof prefix, "%6lu\t", ++m_line);
                out += prefix;
            }
            out.push_back(data[i]);
            m_line_start = data[i] == '\n';
        }
        return box::write_all(STDOUT_FILENO, out);
    }

    bool m_number;
    bool m_line_start = true;
    unsigned long m_line = 0;
};

} // namespace

int box::cat_main(int argc, char** argv)
{
    bool number = false;
    int opt;
    while ((opt = getopt(argc, argv, "nu")) != -1) {
        if (opt == 'n')
            number = true;
        else if (opt != 'u') {
            std::fprintf(stderr, "usage: cat [-n] [FILE...]\n");
            return 2;
        }
    }
    std::vector<std::string> files(argv + optind, argv + argc);
    if (files.empty())
        files.push_back("-");
    Cat cat(number);
    int status = 0;
    for (const std::string& file : files) {
        bool is_stdin = file == "-";
        int fd = is_stdin ? STDIN_FILENO : open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            report("cat", file);
            status = 1;
            continue;
        }
        bool more = cat.copy(fd, file, status);
        if (!is_stdin)
            close(fd);
        if (!more)
            break;
    }
    return status;
}
