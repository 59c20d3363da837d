// Parsing of the /proc files listed in procfs.h.
#include "box/procfs.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace box::procfs {

namespace {

template<typename T>
bool parse_number(std::string_view text, T& out)
{
    if (text.empty())
        return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// The whitespace-separated words of TEXT.
std::vector<std::string_view> words(std::string_view text)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n'))
            ++i;
        size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n')
            ++i;
        if (i > start)
            out.push_back(text.substr(start, i - start));
    }
    return out;
}

std::string proc_path(int pid, const char* file) { return "/proc/" + std::to_string(pid) + "/" + file; }

} // namespace

std::optional<Stat> parse_stat(std::string_view line)
{
    // "PID (COMM) S PPID ...": proc(5), /proc/[pid]/stat.
    size_t open = line.find('(');
    size_t close = line.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return std::nullopt;
    Stat s;
    std::string_view pid_text = line.substr(0, open);
    while (!pid_text.empty() && pid_text.back() == ' ')
        pid_text.remove_suffix(1);
    if (!parse_number(pid_text, s.pid))
        return std::nullopt;
    s.comm = std::string(line.substr(open + 1, close - open - 1));

    // rest[0] is field 3 (state), rest[k] is field k + 3.
    auto rest = words(line.substr(close + 1));
    if (rest.size() < 2 || rest[0].size() != 1)
        return std::nullopt;
    s.state = rest[0][0];
    bool ok = true;
    auto field = [&](size_t number, auto& out) {
        size_t index = number - 3;
        if (index < rest.size())
            ok = ok && parse_number(rest[index], out);
    };
    field(4, s.ppid);
    field(5, s.pgrp);
    field(6, s.session);
    field(7, s.tty_nr);
    field(8, s.tpgid);
    field(14, s.utime);
    field(15, s.stime);
    field(18, s.priority);
    field(19, s.nice);
    field(20, s.num_threads);
    field(22, s.starttime);
    field(23, s.vsize);
    field(24, s.rss);
    field(39, s.processor);
    if (!ok)
        return std::nullopt;
    return s;
}

bool read_text(const std::string& path, std::string& out)
{
    out.clear();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buffer[4096];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return false;
        }
        if (n == 0)
            break;
        out.append(buffer, size_t(n));
    }
    close(fd);
    return true;
}

namespace {

// The numeric entries of a directory, ascending.
std::vector<int> numeric_entries(const std::string& path)
{
    std::vector<int> ids;
    DIR* dir = opendir(path.c_str());
    if (!dir)
        return ids;
    while (dirent* entry = readdir(dir)) {
        int id;
        if (parse_number(std::string_view(entry->d_name), id) && id > 0)
            ids.push_back(id);
    }
    closedir(dir);
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace

std::vector<int> list_pids() { return numeric_entries("/proc"); }

std::vector<int> list_tids(int pid) { return numeric_entries(proc_path(pid, "task")); }

std::optional<Stat> read_stat(int pid)
{
    std::string text;
    if (!read_text(proc_path(pid, "stat"), text))
        return std::nullopt;
    return parse_stat(text);
}

std::vector<std::string> read_cmdline(int pid)
{
    std::vector<std::string> args;
    std::string text;
    if (!read_text(proc_path(pid, "cmdline"), text))
        return args;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos)
            end = text.size();
        args.emplace_back(text, start, end - start);
        start = end + 1;
    }
    return args;
}

std::optional<unsigned> read_euid(int pid)
{
    std::string text;
    if (!read_text(proc_path(pid, "status"), text))
        return std::nullopt;
    // "Uid:\tREAL\tEFFECTIVE\tSAVED\tFS" (proc(5), /proc/[pid]/status).
    for (std::string_view rest = text; !rest.empty();) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (!line.starts_with("Uid:"))
            continue;
        auto ids = words(line.substr(4));
        unsigned euid;
        if (ids.size() >= 2 && parse_number(ids[1], euid))
            return euid;
        return std::nullopt;
    }
    return std::nullopt;
}

std::vector<Process> read_processes(bool with_args, bool with_euid)
{
    std::vector<Process> out;
    for (int pid : list_pids()) {
        auto stat = read_stat(pid);
        if (!stat)
            continue;
        Process p;
        p.stat = std::move(*stat);
        if (with_euid)
            p.euid = read_euid(pid).value_or(0);
        if (with_args)
            p.args = read_cmdline(pid);
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<Process> read_threads(const std::vector<Process>& processes)
{
    std::vector<Process> out;
    for (const auto& p : processes) {
        bool any = false;
        for (int tid : list_tids(p.stat.pid)) {
            std::string text;
            if (!read_text(proc_path(p.stat.pid, ("task/" + std::to_string(tid) + "/stat").c_str()), text))
                continue; // it exited meanwhile
            auto stat = parse_stat(text);
            if (!stat)
                continue;
            Process thread = p;
            thread.stat = std::move(*stat);
            thread.stat.pid = p.stat.pid;
            thread.tid = tid;
            out.push_back(std::move(thread));
            any = true;
        }
        if (!any) {
            out.push_back(p);
            out.back().tid = p.stat.pid;
        }
    }
    return out;
}

std::map<std::string, uint64_t, std::less<>> read_meminfo()
{
    // "MemTotal:       24684084 kB" (proc(5), /proc/meminfo).
    std::map<std::string, uint64_t, std::less<>> info;
    std::string text;
    if (!read_text("/proc/meminfo", text))
        return info;
    for (std::string_view rest = text; !rest.empty();) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        auto value = words(line.substr(colon + 1));
        uint64_t kb;
        if (!value.empty() && parse_number(value[0], kb))
            info.emplace(std::string(line.substr(0, colon)), kb);
    }
    return info;
}

std::optional<double> read_uptime()
{
    std::string text;
    if (!read_text("/proc/uptime", text))
        return std::nullopt;
    auto w = words(text);
    double seconds;
    if (w.empty() || !parse_number(w[0], seconds))
        return std::nullopt;
    return seconds;
}

std::optional<std::array<double, 3>> read_loadavg()
{
    std::string text;
    if (!read_text("/proc/loadavg", text))
        return std::nullopt;
    auto w = words(text);
    std::array<double, 3> load{};
    if (w.size() < 3)
        return std::nullopt;
    for (size_t i = 0; i < 3; ++i)
        if (!parse_number(w[i], load[i]))
            return std::nullopt;
    return load;
}

namespace {

// The words of the line of /proc/stat whose first word is KEY.
std::optional<std::vector<std::string_view>> stat_line(const std::string& text, std::string_view key)
{
    for (std::string_view rest = text; !rest.empty();) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        auto w = words(line);
        if (!w.empty() && w[0] == key)
            return std::vector<std::string_view>(w.begin() + 1, w.end());
    }
    return std::nullopt;
}

} // namespace

std::optional<std::vector<uint64_t>> read_cpu_times()
{
    std::string text;
    if (!read_text("/proc/stat", text))
        return std::nullopt;
    auto line = stat_line(text, "cpu");
    if (!line || line->size() < 4)
        return std::nullopt;
    std::vector<uint64_t> times(10, 0);
    for (size_t i = 0; i < line->size() && i < times.size(); ++i)
        if (!parse_number((*line)[i], times[i]))
            return std::nullopt;
    return times;
}

std::map<int, std::vector<uint64_t>> read_per_cpu_times()
{
    std::map<int, std::vector<uint64_t>> cpus;
    std::string text;
    if (!read_text("/proc/stat", text))
        return cpus;
    for (std::string_view rest = text; !rest.empty();) {
        size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        auto w = words(line);
        int n;
        if (w.size() < 5 || !w[0].starts_with("cpu") || !parse_number(w[0].substr(3), n) || n < 0)
            continue;
        std::vector<uint64_t> times(10, 0);
        bool ok = true;
        for (size_t i = 1; i < w.size() && i <= times.size(); ++i)
            ok = ok && parse_number(w[i], times[i - 1]);
        if (ok)
            cpus.emplace(n, std::move(times));
    }
    return cpus;
}

int64_t boot_time()
{
    std::string text;
    if (read_text("/proc/stat", text)) {
        auto line = stat_line(text, "btime");
        int64_t btime;
        if (line && !line->empty() && parse_number((*line)[0], btime))
            return btime;
    }
    return int64_t(std::time(nullptr)) - int64_t(read_uptime().value_or(0));
}

uint64_t clock_ticks()
{
    long hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? uint64_t(hz) : 100;
}

uint64_t page_size()
{
    long size = sysconf(_SC_PAGESIZE);
    return size > 0 ? uint64_t(size) : 4096;
}

std::string user_name(unsigned uid)
{
    // "name:password:UID:GID:gecos:home:shell" (passwd(5)). Read here, not
    // through getpwuid(3), whose NSS modules a static binary cannot load.
    static std::map<unsigned, std::string> names;
    static bool loaded = false;
    if (!loaded) {
        loaded = true;
        std::string text;
        if (read_text("/etc/passwd", text)) {
            for (std::string_view rest = text; !rest.empty();) {
                size_t eol = rest.find('\n');
                std::string_view line = rest.substr(0, eol);
                rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
                size_t c1 = line.find(':');
                size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
                size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
                unsigned id;
                if (c3 != std::string_view::npos && parse_number(line.substr(c2 + 1, c3 - c2 - 1), id))
                    names.emplace(id, std::string(line.substr(0, c1)));
            }
        }
    }
    if (auto it = names.find(uid); it != names.end())
        return it->second;
    return uid == 0 ? "root" : std::to_string(uid);
}

std::string tty_name(int tty_nr, int pid)
{
    if (tty_nr == 0)
        return "?";
    // Linux's dev_t encoding in tty_nr: major in bits 8-19, minor in
    // bits 0-7 and 20-31 (proc(5)); majors from devices.txt.
    unsigned dev = unsigned(tty_nr);
    unsigned major = (dev >> 8) & 0xfff;
    unsigned minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    if (major >= 136 && major <= 143)
        return "pts/" + std::to_string((major - 136) * 256 + minor);
    if (major == 4)
        return minor < 64 ? "tty" + std::to_string(minor) : "ttyS" + std::to_string(minor - 64);
    if (major == 5 && minor == 0)
        return "tty";
    if (major == 5 && minor == 1)
        return "console";
    for (const char* fd : {"fd/2", "fd/0", "fd/1"}) {
        char target[256];
        ssize_t n = readlink(proc_path(pid, fd).c_str(), target, sizeof target - 1);
        if (n > 5 && std::string_view(target, size_t(n)).starts_with("/dev/"))
            return std::string(target + 5, size_t(n) - 5);
    }
    return "?";
}

std::string fit(std::string_view text, size_t width)
{
    if (text.size() <= width || width == 0)
        return std::string(text);
    return std::string(text.substr(0, width - 1)) + "+";
}

size_t output_columns()
{
    if (!isatty(STDOUT_FILENO))
        return 0;
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        return size.ws_col;
    if (const char* columns = std::getenv("COLUMNS")) {
        size_t n;
        if (parse_number(std::string_view(columns), n) && n > 0)
            return n;
    }
    return 80;
}

std::string format_hms(uint64_t seconds)
{
    char out[48];
    uint64_t days = seconds / 86400;
    if (days > 0)
        std::snprintf(out, sizeof out, "%llu-%02llu:%02llu:%02llu", (unsigned long long)days,
                      (unsigned long long)(seconds / 3600 % 24), (unsigned long long)(seconds / 60 % 60),
                      (unsigned long long)(seconds % 60));
    else
        std::snprintf(out, sizeof out, "%02llu:%02llu:%02llu", (unsigned long long)(seconds / 3600),
                      (unsigned long long)(seconds / 60 % 60), (unsigned long long)(seconds % 60));
    return out;
}

} // namespace box::procfs
