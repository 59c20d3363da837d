// env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]: without a
// command prints the environment, one NAME=VALUE a line; with one, runs
// it (searched along $PATH) in the changed environment. Exit status 127
// if the command is not found, 126 if it cannot run (as coreutils).
#include "box/applets.h"
#include "box/util.h"

#include <cstdlib>

int box::env_main(int argc, char** argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        if (std::strcmp(argv[i], "-i") == 0 || std::strcmp(argv[i], "-") == 0) {
            clearenv();
        } else if (std::strcmp(argv[i], "-u") == 0 && i + 1 < argc) {
            unsetenv(argv[++i]);
        } else if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        } else {
            std::fprintf(stderr, "usage: env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]\n");
            return 125;
        }
    }
    for (; i < argc && std::strchr(argv[i], '=') != nullptr; ++i) {
        if (argv[i][0] == '=' || putenv(argv[i]) != 0) {
            std::fprintf(stderr, "env: %s: cannot set\n", argv[i]);
            return 125;
        }
    }
    if (i == argc) {
        std::string out;
        for (char** entry = environ; entry && *entry; ++entry) {
            out += *entry;
            out += '\n';
        }
        if (!write_all(STDOUT_FILENO, out)) {
            report("env", "write");
            return 1;
        }
        return 0;
    }
    execvp(argv[i], argv + i);
    int err = errno;
    report("env", argv[i], err);
    return err == ENOENT ? 127 : 126;
}
