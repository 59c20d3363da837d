// mv SOURCE TARGET, mv SOURCE... DIRECTORY: renames (rename(2)); into
// DIRECTORY when the last operand is one. -f is accepted (mv never
// asks). Moving across file systems (EXDEV) is not done.
#include "box/applets.h"
#include "box/util.h"

#include <sys/stat.h>

int box::mv_main(int argc, char** argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "f")) != -1) {
        if (opt != 'f') {
            std::fprintf(stderr, "usage: mv SOURCE... TARGET\n");
            return 2;
        }
    }
    int count = argc - optind;
    if (count < 2) {
        std::fprintf(stderr, "mv: missing operand\nusage: mv SOURCE... TARGET\n");
        return 2;
    }
    std::string target = argv[argc - 1];
    struct stat st;
    bool into_directory = stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (count > 2 && !into_directory) {
        report("mv", target, ENOTDIR);
        return 1;
    }
    int status = 0;
    for (int i = optind; i < argc - 1; ++i) {
        std::string destination = into_directory ? join_path(target, base_name(argv[i])) : target;
        if (rename(argv[i], destination.c_str()) != 0) {
            report("mv", argv[i]);
            status = 1;
        }
    }
    return status;
}
