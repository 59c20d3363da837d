// rm [-r] [-f] PATH...: removes files; with -r (or -R) directories and
// everything in them. -f: a missing path is no error and no operands is
// fine. "." and ".." (as last component) and "/" are refused.
#include "box/applets.h"
#include "box/util.h"

#include <sys/stat.h>

namespace {

struct Options {
    bool recursive = false;
    bool force = false;
};

bool remove_path(const std::string& path, const Options& options)
{
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT && options.force)
            return true;
        box::report("rm", path);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path.c_str()) != 0) {
            box::report("rm", path);
            return false;
        }
        return true;
    }
    if (!options.recursive) {
        box::report("rm", path, EISDIR);
        return false;
    }
    // All names first: the directory changes while we remove.
    std::vector<std::string> names;
    if (!box::list_directory(path, names)) {
        box::report("rm", path);
        return false;
    }
    bool ok = true;
    for (const std::string& name : names)
        ok = remove_path(box::join_path(path, name), options) && ok;
    if (ok && rmdir(path.c_str()) != 0) {
        box::report("rm", path);
        return false;
    }
    return ok;
}

} // namespace

int box::rm_main(int argc, char** argv)
{
    Options options;
    int opt;
    while ((opt = getopt(argc, argv, "rRf")) != -1) {
        if (opt == 'f')
            options.force = true;
        else if (opt == 'r' || opt == 'R')
            options.recursive = true;
        else {
            std::fprintf(stderr, "usage: rm [-r] [-f] PATH...\n");
            return 2;
        }
    }
    if (optind == argc && !options.force) {
        std::fprintf(stderr, "rm: missing operand\n");
        return 2;
    }
    int status = 0;
    for (int i = optind; i < argc; ++i) {
        std::string base = base_name(argv[i]);
        if (base == "." || base == ".." || base == "/") {
            std::fprintf(stderr, "rm: %s: refusing to remove\n", argv[i]);
            status = 1;
            continue;
        }
        if (!remove_path(argv[i], options))
            status = 1;
    }
    return status;
}
