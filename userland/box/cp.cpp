// cp SOURCE TARGET, cp SOURCE... DIRECTORY: copies files (contents and
// permission bits); with -r (or -R) directories too, symbolic links as
// links. Copying a file onto itself is refused.
#include "box/applets.h"
#include "box/util.h"

#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <utility>

namespace {

class Copier {
public:
    explicit Copier(bool recursive)
        : m_recursive(recursive)
    {
    }

    bool copy(const std::string& from, const std::string& to)
    {
        struct stat st;
        int rc = m_recursive ? lstat(from.c_str(), &st) : stat(from.c_str(), &st);
        if (rc != 0) {
            box::report("cp", from);
            return false;
        }
        if (S_ISDIR(st.st_mode))
            return copy_directory(from, to, st);
        if (S_ISLNK(st.st_mode))
            return copy_link(from, to);
        if (!S_ISREG(st.st_mode)) {
            std::fprintf(stderr, "cp: %s: not a regular file\n", from.c_str());
            return false;
        }
        return copy_file(from, to, st);
    }

private:
    bool copy_file(const std::string& from, const std::string& to, const struct stat& st)
    {
        struct stat target;
        if (stat(to.c_str(), &target) == 0 && target.st_dev == st.st_dev && target.st_ino == st.st_ino) {
            std::fprintf(stderr, "cp: %s: is the same file as %s\n", from.c_str(), to.c_str());
            return false;
        }
        int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
        if (in < 0) {
            box::report("cp", from);
            return false;
        }
        int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
        if (out < 0) {
            box::report("cp", to);
            close(in);
            return false;
        }
        bool ok = true;
        std::vector<char> buffer(64 * 1024);
        for (;;) {
            ssize_t n = read(in, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                box::report("cp", from);
                ok = false;
                break;
            }
            if (n == 0)
                break;
            if (!box::write_all(out, buffer.data(), size_t(n))) {
                box::report("cp", to);
                ok = false;
                break;
            }
        }
        close(in);
        if (close(out) != 0 && ok) {
            box::report("cp", to);
            ok = false;
        }
        return ok;
    }

    bool copy_link(const std::string& from, const std::string& to)
    {
        std::string target(4096, '\0');
        ssize_t n = readlink(from.c_str(), target.data(), target.size());
        if (n < 0) {
            box::report("cp", from);
            return false;
        }
        target.resize(size_t(n));
        if (symlink(target.c_str(), to.c_str()) != 0) {
            box::report("cp", to);
            return false;
        }
        return true;
    }

    bool copy_directory(const std::string& from, const std::string& to, const struct stat& st)
    {
        if (!m_recursive) {
            box::report("cp", from, EISDIR); // not without -r
            return false;
        }
        // A directory this copy made is not copied again ("cp -r a a/b").
        if (m_made.count({st.st_dev, st.st_ino}))
            return true;
        if (mkdir(to.c_str(), (st.st_mode & 07777) | 0700) != 0 && errno != EEXIST) {
            box::report("cp", to);
            return false;
        }
        struct stat made;
        if (stat(to.c_str(), &made) != 0 || !S_ISDIR(made.st_mode)) {
            box::report("cp", to, ENOTDIR);
            return false;
        }
        m_made.insert({made.st_dev, made.st_ino});
        std::vector<std::string> names;
        if (!box::list_directory(from, names)) {
            box::report("cp", from);
            return false;
        }
        bool ok = true;
        for (const std::string& name : names)
            ok = copy(box::join_path(from, name), box::join_path(to, name)) && ok;
        return ok;
    }

    bool m_recursive;
    std::set<std::pair<dev_t, ino_t>> m_made;
};

} // namespace

int box::cp_main(int argc, char** argv)
{
    bool recursive = false;
    int opt;
    while ((opt = getopt(argc, argv, "rR")) != -1) {
        if (opt != 'r' && opt != 'R') {
            std::fprintf(stderr, "usage: cp [-r] SOURCE... TARGET\n");
            return 2;
        }
        recursive = true;
    }
    int count = argc - optind;
    if (count < 2) {
        std::fprintf(stderr, "cp: missing operand\nusage: cp [-r] SOURCE... TARGET\n");
        return 2;
    }
    std::string target = argv[argc - 1];
    struct stat st;
    bool into_directory = stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (count > 2 && !into_directory) {
        report("cp", target, ENOTDIR);
        return 1;
    }
    Copier copier(recursive);
    int status = 0;
    for (int i = optind; i < argc - 1; ++i) {
        std::string destination = into_directory ? join_path(target, base_name(argv[i])) : target;
        if (!copier.copy(argv[i], destination))
            status = 1;
    }
    return status;
}
