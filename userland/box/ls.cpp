// ls [-l] [-a] [-1] [PATH...]: lists each directory's entries sorted by
// name (dot files only with -a) and each other operand as itself: the
// file operands first, then every directory under a "NAME:" header when
// there are several operands. One name a line; -l adds the mode string
// (as `ls -l`: type, then rwx for owner, group, others with s/S/t/T),
// the link count and the size, and " -> TARGET" for a symbolic link.
// Exit status 2 if an operand is missing, 1 if a directory cannot be
// read (as coreutils).
#include "box/applets.h"
#include "box/util.h"

#include <algorithm>
#include <sys/stat.h>

namespace {

struct Entry {
    std::string name; // as shown
    std::string path; // to stat and readlink
    struct stat st;
};

struct Options {
    bool long_format = false;
    bool all = false;
};

std::string mode_string(mode_t mode)
{
    char type = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b'
        : S_ISFIFO(mode) ? 'p' : S_ISSOCK(mode) ? 's' : '-';
    std::string s(1, type);
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i)
        s.push_back(mode & (0400 >> i) ? rwx[i] : '-');
    // The execute column shows set-user-ID, set-group-ID and sticky.
    auto special = [&](mode_t bit, size_t column, char with_x, char without_x) {
        if (mode & bit)
            s[column] = s[column] == 'x' ? with_x : without_x;
    };
    special(S_ISUID, 3, 's', 'S');
    special(S_ISGID, 6, 's', 'S');
    special(S_ISVTX, 9, 't', 'T');
    return s;
}

void print_entries(const std::vector<Entry>& entries, const Options& options)
{
    std::string out;
    int link_width = 1, size_width = 1;
    if (options.long_format) {
        for (const Entry& e : entries) {
            link_width = std::max(link_width, int(std::to_string(e.st.st_nlink).size()));
            size_width = std::max(size_width, int(std::to_string(e.st.st_size).size()));
        }
    }
    for (const Entry& e : entries) {
        if (options.long_format) {
            char prefix[64];
            std::snprintf(prefix, sizeof prefix, "%s %*lu %*lld ", mode_string(e.st.st_mode).c_str(), link_width,
                          static_cast<unsigned long>(e.st.st_nlink), size_width,
                          static_cast<long long>(e.st.st_size));
            out += prefix;
        }
        out += e.name;
        if (options.long_format && S_ISLNK(e.st.st_mode)) {
            std::string target(4096, '\0');
            ssize_t n = readlink(e.path.c_str(), target.data(), target.size());
            if (n >= 0)
                out += " -> " + target.substr(0, size_t(n));
        }
        out.push_back('\n');
    }
    box::write_all(STDOUT_FILENO, out);
}

// False if the directory (or an entry) could not be read.
bool list(const std::string& path, const Options& options)
{
    std::vector<std::string> names;
    if (!box::list_directory(path, names, true)) {
        box::report("ls", path);
        return false;
    }
    bool ok = true;
    std::vector<Entry> entries;
    for (const std::string& name : names) {
        if (name[0] == '.' && !options.all)
            continue;
        Entry e{name, box::join_path(path, name), {}};
        if (lstat(e.path.c_str(), &e.st) != 0) {
            box::report("ls", e.path);
            ok = false;
            continue;
        }
        entries.push_back(std::move(e));
    }
    print_entries(entries, options);
    return ok;
}

} // namespace

int box::ls_main(int argc, char** argv)
{
    Options options;
    int opt;
    while ((opt = getopt(argc, argv, "la1")) != -1) {
        if (opt == 'l')
            options.long_format = true;
        else if (opt == 'a')
            options.all = true;
        else if (opt != '1') {
            std::fprintf(stderr, "usage: ls [-l] [-a] [-1] [PATH...]\n");
            return 2;
        }
    }
    std::vector<std::string> operands(argv + optind, argv + argc);
    bool several = operands.size() > 1;
    if (operands.empty())
        operands.push_back(".");
    std::sort(operands.begin(), operands.end());

    int status = 0;
    std::vector<Entry> files;
    std::vector<std::string> directories;
    for (const std::string& operand : operands) {
        Entry e{operand, operand, {}};
        // -l shows a link itself; otherwise a link to a directory lists it.
        int rc = options.long_format ? lstat(operand.c_str(), &e.st) : stat(operand.c_str(), &e.st);
        if (rc != 0 && !options.long_format)
            rc = lstat(operand.c_str(), &e.st); // a dangling link is still a name
        if (rc != 0) {
            report("ls", operand);
            status = 2;
        } else if (S_ISDIR(e.st.st_mode)) {
            directories.push_back(operand);
        } else {
            files.push_back(std::move(e));
        }
    }
    print_entries(files, options);
    bool first = files.empty();
    for (const std::string& dir : directories) {
        if (several) {
            std::string header = (first ? "" : "\n") + dir + ":\n";
            write_all(STDOUT_FILENO, header);
        }
        first = false;
        if (!list(dir, options) && status == 0)
            status = 1;
    }
    return status;
}
