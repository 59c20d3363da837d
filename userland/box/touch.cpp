// touch [-c] FILE...: sets each file's access and modification times to
// now (utimensat(2)), creating it empty if it is missing (unless -c).
#include "box/applets.h"
#include "box/util.h"

#include <fcntl.h>
#include <sys/stat.h>

int box::touch_main(int argc, char** argv)
{
    bool create = true;
    int opt;
    while ((opt = getopt(argc, argv, "c")) != -1) {
        if (opt != 'c') {
            std::fprintf(stderr, "usage: touch [-c] FILE...\n");
            return 2;
        }
        create = false;
    }
    if (optind == argc) {
        std::fprintf(stderr, "touch: missing file operand\n");
        return 2;
    }
    int status = 0;
    for (int i = optind; i < argc; ++i) {
        const char* path = argv[i];
        if (utimensat(AT_FDCWD, path, nullptr, 0) == 0)
            continue;
        if (errno == ENOENT && !create)
            continue;
        if (errno == ENOENT) {
            // A new file's times are already now.
            int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
            if (fd >= 0) {
                close(fd);
                continue;
            }
        }
        report("touch", path);
        status = 1;
    }
    return status;
}
