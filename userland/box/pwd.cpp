// pwd: prints the working directory (getcwd(3)). -L and -P are accepted;
// there is no $PWD bookkeeping, so both print the physical path.
#include "box/applets.h"
#include "box/util.h"

#include <climits>

int box::pwd_main(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-L") != 0 && std::strcmp(argv[i], "-P") != 0) {
            std::fprintf(stderr, "usage: pwd [-L | -P]\n");
            return 2;
        }
    }
    char buffer[PATH_MAX];
    if (!getcwd(buffer, sizeof buffer)) {
        report("pwd", ".");
        return 1;
    }
    std::string line = std::string(buffer) + "\n";
    if (!write_all(STDOUT_FILENO, line)) {
        report("pwd", "write");
        return 1;
    }
    return 0;
}
