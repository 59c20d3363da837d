// grep [-v] [-c] [-n] [-i] [-q] [-e PATTERN]... [PATTERN] [FILE...]:
// prints the lines that contain a pattern (fixed strings, not regular
// expressions), each prefixed "FILE:" when there are several files.
// -v: the lines that do not; -c: only the count; -n: line numbers; -i:
// ASCII case ignored; -q: nothing, just the status. Exit status 0 if a
// line was selected, 1 if none, 2 on an error (as POSIX grep).
#include "box/applets.h"
#include "box/util.h"

#include <cctype>
#include <cstdio>

namespace {

struct Options {
    bool invert = false, count = false, number = false, ignore_case = false, quiet = false;
    std::vector<std::string> patterns;
};

std::string lower(std::string s)
{
    for (char& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool matches(const Options& options, const std::string& line)
{
    std::string folded = options.ignore_case ? lower(line) : std::string();
    const std::string& haystack = options.ignore_case ? folded : line;
    for (const std::string& pattern : options.patterns)
        if (haystack.find(pattern) != std::string::npos)
            return true;
    return false;
}

// Selected lines in `in`; -1 after a read error.
long grep(const Options& options, std::FILE* in, const std::string* name)
{
    long selected = 0, number = 0;
    char* line = nullptr;
    size_t capacity = 0;
    ssize_t length;
    errno = 0;
    while ((length = getline(&line, &capacity, in)) >= 0) {
        ++number;
        std::string text(line, size_t(length));
        bool newline = !text.empty() && text.back() == '\n';
        if (newline)
            text.pop_back();
        if (matches(options, text) == options.invert)
            continue;
        ++selected;
        if (options.quiet)
            break;
        if (options.count)
            continue;
        if (name)
            std::printf("%s:", name->c_str());
        if (options.number)
            std::printf("%ld:", number);
        text.push_back('\n');
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    int err = errno;
    std::free(line);
    errno = err;
    return std::ferror(in) ? -1 : selected;
}

} // namespace

int box::grep_main(int argc, char** argv)
{
    Options options;
    int opt;
    while ((opt = getopt(argc, argv, "vcniqe:")) != -1) {
        switch (opt) {
        case 'v': options.invert = true; break;
        case 'c': options.count = true; break;
        case 'n': options.number = true; break;
        case 'i': options.ignore_case = true; break;
        case 'q': options.quiet = true; break;
        case 'e': options.patterns.push_back(optarg); break;
        default:
            std::fprintf(stderr, "usage: grep [-vcniq] [-e PATTERN]... [PATTERN] [FILE...]\n");
            return 2;
        }
    }
    if (options.patterns.empty()) {
        if (optind == argc) {
            std::fprintf(stderr, "usage: grep [-vcniq] [-e PATTERN]... [PATTERN] [FILE...]\n");
            return 2;
        }
        options.patterns.push_back(argv[optind++]);
    }
    if (options.ignore_case)
        for (std::string& pattern : options.patterns)
            pattern = lower(pattern);
    std::vector<std::string> files(argv + optind, argv + argc);
    bool named = files.size() > 1;
    if (files.empty())
        files.push_back("-");

    bool any = false, error = false;
    for (const std::string& file : files) {
        bool is_stdin = file == "-";
        std::FILE* in = is_stdin ? stdin : std::fopen(file.c_str(), "re");
        if (!in) {
            report("grep", file);
            error = true;
            continue;
        }
        const std::string display = is_stdin ? "(standard input)" : file;
        long selected = grep(options, in, named ? &display : nullptr);
        if (selected < 0) {
            report("grep", file);
            error = true;
        } else {
            any = any || selected > 0;
            if (options.count && !options.quiet) {
                if (named)
                    std::printf("%s:", display.c_str());
                std::printf("%ld\n", selected);
            }
        }
        if (!is_stdin)
            std::fclose(in);
        if (any && options.quiet)
            break;
    }
    if (std::fflush(stdout) != 0) {
        report("grep", "write");
        return 2;
    }
    if (error && !(options.quiet && any))
        return 2;
    return any ? 0 : 1;
}
