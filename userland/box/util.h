// Small helpers shared by the file utilities (cat, ls, cp ...): error
// reports in one format, "NAME: PATH: strerror", and whole-buffer writes.
// The utilities keep to POSIX calls (open, read, write, stat,
// opendir/readdir, mkdir, unlink, rmdir, rename) that the kernel
// implements, rather than std::filesystem.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <dirent.h>
#include <unistd.h>
#include <vector>

namespace box {

// "NAME: PATH: strerror(err)" on stderr.
inline void report(const char* name, std::string_view path, int err = errno)
{
    std::fprintf(stderr, "%s: %.*s: %s\n", name, int(path.size()), path.data(), std::strerror(err));
}

// write(2) until all of `data` is out; false (errno set) on an error.
inline bool write_all(int fd, const char* data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= size_t(n);
    }
    return true;
}

inline bool write_all(int fd, std::string_view s) { return write_all(fd, s.data(), s.size()); }

// PATH/NAME, without doubling a trailing slash.
inline std::string join_path(std::string_view dir, std::string_view name)
{
    std::string out(dir);
    if (!out.empty() && out.back() != '/')
        out.push_back('/');
    out.append(name);
    return out;
}

// The last component of a path ("a/b/" -> "b").
inline std::string base_name(std::string_view path)
{
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos || path.size() == 1 ? path : path.substr(slash + 1));
}

// The names in a directory except "." and ".." (with `all`, those too),
// sorted bytewise; false (errno set) if it cannot be read.
inline bool list_directory(const std::string& path, std::vector<std::string>& names, bool all = false)
{
    DIR* dir = opendir(path.c_str());
    if (!dir)
        return false;
    errno = 0;
    while (dirent* entry = readdir(dir)) {
        std::string_view name = entry->d_name;
        if (all || (name != "." && name != ".."))
            names.emplace_back(name);
        errno = 0;
    }
    int err = errno;
    closedir(dir);
    std::sort(names.begin(), names.end());
    errno = err;
    return err == 0;
}

} // namespace box
