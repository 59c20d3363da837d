// echo [-n] [WORD...]: prints the words separated by single spaces and,
// unless -n is given, a newline. No escape sequences (like dash's echo
// without -e, minus the XSI escapes).
#include "box/applets.h"

#include <cstdio>
#include <cstring>

int box::echo_main(int argc, char** argv)
{
    int first = 1;
    bool newline = true;
    while (first < argc && std::strcmp(argv[first], "-n") == 0) {
        newline = false;
        ++first;
    }
    for (int i = first; i < argc; ++i) {
        if (i > first)
            std::fputc(' ', stdout);
        std::fputs(argv[i], stdout);
    }
    if (newline)
        std::fputc('\n', stdout);
    // A write error (e.g. EFAULT, EIO from the console) is the exit status.
    return std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1;
}
