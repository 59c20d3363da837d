// mkdir [-p] DIR...: makes each directory (mode 0777 less the umask);
// with -p also the missing parents, and an existing directory is fine.
#include "box/applets.h"
#include "box/util.h"

#include <sys/stat.h>

namespace {

bool is_directory(const std::string& path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Each prefix of `path` that ends before a '/', then the whole path.
bool make_parents(const std::string& path)
{
    for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        std::string prefix = path.substr(0, slash);
        if (prefix.empty() || prefix.back() == '/')
            continue;
        if (mkdir(prefix.c_str(), 0777) != 0 && !(errno == EEXIST && is_directory(prefix))) {
            box::report("mkdir", prefix);
            return false;
        }
    }
    if (mkdir(path.c_str(), 0777) != 0 && !(errno == EEXIST && is_directory(path))) {
        box::report("mkdir", path);
        return false;
    }
    return true;
}

} // namespace

int box::mkdir_main(int argc, char** argv)
{
    bool parents = false;
    int opt;
    while ((opt = getopt(argc, argv, "p")) != -1) {
        if (opt != 'p') {
            std::fprintf(stderr, "usage: mkdir [-p] DIR...\n");
            return 2;
        }
        parents = true;
    }
    if (optind == argc) {
        std::fprintf(stderr, "mkdir: missing operand\n");
        return 2;
    }
    int status = 0;
    for (int i = optind; i < argc; ++i) {
        if (parents) {
            if (!make_parents(argv[i]))
                status = 1;
        } else if (mkdir(argv[i], 0777) != 0) {
            report("mkdir", argv[i]);
            status = 1;
        }
    }
    return status;
}
