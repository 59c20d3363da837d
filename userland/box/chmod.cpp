// chmod: set permission bits from an octal mode (chmod 755 FILE...) or a
// simple symbolic one (+x, u+x, a-w, go=r).
#include "box/applets.h"
#include "box/util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>

namespace {

// Applies a symbolic clause list like "u+x,go-w" to mode; false if malformed.
bool apply_symbolic(const std::string& spec, mode_t& mode)
{
    size_t i = 0;
    while (i < spec.size()) {
        mode_t who = 0;
        for (; i < spec.size() && std::strchr("ugoa", spec[i]); ++i)
            who |= spec[i] == 'u' ? 04700 : spec[i] == 'g' ? 02070 : spec[i] == 'o' ? 01007 : 07777;
        if (who == 0)
            who = 07777 & ~022; // no "who": as with umask 022
        if (i == spec.size() || !std::strchr("+-=", spec[i]))
            return false;
        char op = spec[i++];
        mode_t bits = 0;
        for (; i < spec.size() && std::strchr("rwxst", spec[i]); ++i)
            bits |= spec[i] == 'r' ? 0444 : spec[i] == 'w' ? 0222 : spec[i] == 'x' ? 0111 : spec[i] == 's' ? 06000 : 01000;
        bits &= who;
        if (op == '+')
            mode |= bits;
        else if (op == '-')
            mode &= ~bits;
        else
            mode = (mode & ~who) | bits;
        if (i < spec.size() && spec[i] == ',')
            ++i;
    }
    return true;
}

} // namespace

int box::chmod_main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: chmod MODE FILE...\n");
        return 2;
    }
    std::string spec = argv[1];
    bool octal = spec.find_first_not_of("01234567") == std::string::npos;
    int status = 0;
    for (int i = 2; i < argc; ++i) {
        struct stat st {};
        if (stat(argv[i], &st) != 0) {
            box::report("chmod", argv[i]);
            status = 1;
            continue;
        }
        mode_t mode = st.st_mode & 07777;
        if (octal)
            mode = mode_t(std::strtoul(spec.c_str(), nullptr, 8)) & 07777;
        else if (!apply_symbolic(spec, mode)) {
            std::fprintf(stderr, "chmod: invalid mode: %s\n", spec.c_str());
            return 2;
        }
        if (::chmod(argv[i], mode) != 0) {
            box::report("chmod", argv[i]);
            status = 1;
        }
    }
    return status;
}
