// ps [-e|-A] [-f] [-p PID[,PID...]] | ps [a][u][x]: a snapshot of the
// process table from /proc (box/procfs.h), in procps's formats:
//   ps        PID TTY TIME CMD, the processes of the caller's session
//   ps -f     UID PID PPID C STIME TTY TIME CMD (CMD is the command line)
//   ps aux    USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND
// -e/-A (or BSD "ax") select every process, BSD "a" those with a
// terminal, BSD "x" the caller's own (by effective uid), -p the listed.
// Lines are cut to the terminal's width only when writing to one.
#include "box/applets.h"
#include "box/procfs.h"
#include "box/util.h"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace {

using box::procfs::Process;

enum class Format { standard, full, user };

struct Options {
    Format format = Format::standard;
    bool all = false, bsd_a = false, bsd_x = false;
    std::vector<int> pids;
};

struct Context {
    uint64_t hz = box::procfs::clock_ticks();
    double uptime = box::procfs::read_uptime().value_or(0);
    int64_t boot = box::procfs::boot_time();
    int64_t now = int64_t(std::time(nullptr));
    uint64_t mem_total_kb = 0;
    int pid_width = 5;
};

int usage()
{
    std::fprintf(stderr, "usage: ps [-e|-A] [-f] [-p PID[,PID...]]\n       ps [a][u][x]\n");
    return 1;
}

bool parse_pid_list(std::string_view text, std::vector<int>& pids)
{
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        int pid;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), pid);
        if (item.empty() || ec != std::errc{} || end != item.data() + item.size() || pid <= 0)
            return false;
        pids.push_back(pid);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return !pids.empty();
}

bool parse_options(int argc, char** argv, Options& o)
{
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg.starts_with('-')) {
            for (size_t j = 1; j < arg.size(); ++j) {
                char c = arg[j];
                if (c == 'e' || c == 'A') {
                    o.all = true;
                } else if (c == 'f') {
                    o.format = o.format == Format::user ? Format::user : Format::full;
                } else if (c == 'p') {
                    std::string_view list = arg.substr(j + 1);
                    if (list.empty() && i + 1 < argc)
                        list = argv[++i];
                    if (!parse_pid_list(list, o.pids))
                        return false;
                    break;
                } else if (c == 'a' || c == 'u' || c == 'x') {
                    // "ps -aux": procps takes it as BSD "aux".
                    o.bsd_a |= c == 'a';
                    o.bsd_x |= c == 'x';
                    if (c == 'u')
                        o.format = Format::user;
                } else {
                    std::fprintf(stderr, "ps: unknown option '%c'\n", c);
                    return false;
                }
            }
            if (arg.size() == 1)
                return false;
        } else {
            for (char c : arg) {
                if (c == 'a')
                    o.bsd_a = true;
                else if (c == 'x')
                    o.bsd_x = true;
                else if (c == 'u')
                    o.format = Format::user;
                else {
                    std::fprintf(stderr, "ps: unknown option '%c'\n", c);
                    return false;
                }
            }
        }
    }
    return true;
}

bool selected(const Options& o, const Process& p, int own_session)
{
    if (!o.pids.empty())
        return std::find(o.pids.begin(), o.pids.end(), p.stat.pid) != o.pids.end();
    if (o.all || (o.bsd_a && o.bsd_x))
        return true;
    if (o.bsd_a)
        return p.stat.tty_nr != 0;
    if (o.bsd_x)
        return p.euid == geteuid();
    // The caller's session. ps itself always counts (under qemu-user its
    // own /proc/PID/stat is synthesized, with session 0).
    return p.stat.session == own_session || p.stat.pid == getpid();
}

// Lifetime CPU use in tenths of a percent, as procps computes it:
// CPU seconds over seconds since the process started.
uint64_t per_mille_cpu(const Context& ctx, const Process& p)
{
    double started = double(p.stat.starttime) / double(ctx.hz);
    double seconds = ctx.uptime - started;
    if (seconds <= 0)
        return 0;
    uint64_t cpu_ms = (p.stat.utime + p.stat.stime) * 1000 / ctx.hz;
    return uint64_t(double(cpu_ms) / seconds);
}

std::string tenths(uint64_t per_mille)
{
    char out[32];
    if (per_mille > 999)
        std::snprintf(out, sizeof out, "%llu", (unsigned long long)(per_mille / 10));
    else
        std::snprintf(out, sizeof out, "%llu.%llu", (unsigned long long)(per_mille / 10),
                      (unsigned long long)(per_mille % 10));
    return out;
}

// STIME/START: the time of day within the last day, else month and day
// within the last year, else the year.
std::string start_time(const Context& ctx, const Process& p)
{
    time_t start = time_t(ctx.boot + int64_t(p.stat.starttime / ctx.hz));
    tm local{};
    localtime_r(&start, &local);
    const char* format = ctx.now - start < 24 * 3600 ? "%H:%M" : ctx.now - start < 365 * 24 * 3600 ? "%b%d" : "%Y";
    char out[32];
    std::strftime(out, sizeof out, format, &local);
    return out;
}

// BSD STAT: the state, then '<' high or 'N' low priority, 's' session
// leader, 'l' multi-threaded, '+' in the terminal's foreground group.
std::string bsd_state(const Process& p)
{
    std::string s(1, p.stat.state);
    if (p.stat.nice < 0)
        s += '<';
    else if (p.stat.nice > 0)
        s += 'N';
    if (p.stat.session == p.stat.pid)
        s += 's';
    if (p.stat.num_threads > 1)
        s += 'l';
    if (p.stat.tty_nr != 0 && p.stat.pgrp == p.stat.tpgid)
        s += '+';
    return s;
}

// The command line, or "[comm]" for a process without one (a kernel
// thread, a zombie).
std::string command_line(const Process& p)
{
    std::string out;
    for (const auto& arg : p.args) {
        if (!out.empty())
            out += ' ';
        out += arg;
    }
    if (out.empty())
        out = "[" + p.stat.comm + "]";
    if (p.stat.state == 'Z')
        out += " <defunct>";
    return out;
}

void append_line(std::string& out, const char* fixed, std::string_view command, size_t columns)
{
    std::string line = std::string(fixed) + std::string(command);
    if (columns > 0 && line.size() > columns)
        line.resize(columns);
    out += line;
    out += '\n';
}

std::string row(const Context& ctx, Format format, const Process& p, size_t columns)
{
    const auto& s = p.stat;
    uint64_t cpu_seconds = (s.utime + s.stime) / ctx.hz;
    std::string tty = box::procfs::tty_name(s.tty_nr, s.pid);
    char fixed[512];
    std::string out;
    switch (format) {
    case Format::standard:
        std::snprintf(fixed, sizeof fixed, "%*d %-8s %8s ", ctx.pid_width, s.pid, tty.c_str(),
                      box::procfs::format_hms(cpu_seconds).c_str());
        append_line(out, fixed, s.state == 'Z' ? s.comm + " <defunct>" : s.comm, columns);
        break;
    case Format::full:
        std::snprintf(fixed, sizeof fixed, "%-8s %*d %*d %2llu %5s %-8s %8s ",
                      box::procfs::fit(box::procfs::user_name(p.euid), 8).c_str(), ctx.pid_width, s.pid,
                      ctx.pid_width, s.ppid, (unsigned long long)std::min<uint64_t>(per_mille_cpu(ctx, p) / 10, 99),
                      start_time(ctx, p).c_str(), tty.c_str(), box::procfs::format_hms(cpu_seconds).c_str());
        append_line(out, fixed, command_line(p), columns);
        break;
    case Format::user: {
        uint64_t rss_kb = uint64_t(std::max<int64_t>(s.rss, 0)) * box::procfs::page_size() / 1024;
        uint64_t mem = ctx.mem_total_kb ? rss_kb * 1000 / ctx.mem_total_kb : 0;
        char time[32];
        std::snprintf(time, sizeof time, "%llu:%02llu", (unsigned long long)(cpu_seconds / 60),
                      (unsigned long long)(cpu_seconds % 60));
        std::snprintf(fixed, sizeof fixed, "%-8s %*d %4s %4s %6llu %5llu %-8s %-4s %5s %6s ",
                      box::procfs::fit(box::procfs::user_name(p.euid), 8).c_str(), ctx.pid_width, s.pid,
                      tenths(per_mille_cpu(ctx, p)).c_str(), tenths(mem).c_str(), (unsigned long long)(s.vsize / 1024),
                      (unsigned long long)rss_kb, tty.c_str(), bsd_state(p).c_str(), start_time(ctx, p).c_str(), time);
        append_line(out, fixed, command_line(p), columns);
        break;
    }
    }
    return out;
}

std::string header(const Context& ctx, Format format)
{
    char out[256];
    switch (format) {
    case Format::standard:
        std::snprintf(out, sizeof out, "%*s %-8s %8s CMD\n", ctx.pid_width, "PID", "TTY", "TIME");
        break;
    case Format::full:
        std::snprintf(out, sizeof out, "%-8s %*s %*s %2s %5s %-8s %8s CMD\n", "UID", ctx.pid_width, "PID",
                      ctx.pid_width, "PPID", "C", "STIME", "TTY", "TIME");
        break;
    case Format::user:
        std::snprintf(out, sizeof out, "%-8s %*s %4s %4s %6s %5s %-8s %-4s %5s %6s COMMAND\n", "USER",
                      ctx.pid_width, "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START", "TIME");
        break;
    }
    return out;
}

} // namespace

int box::ps_main(int argc, char** argv)
{
    Options options;
    if (!parse_options(argc, argv, options))
        return usage();

    Context ctx;
    auto processes = procfs::read_processes(options.format != Format::standard);
    if (options.format == Format::user) {
        auto meminfo = procfs::read_meminfo();
        if (auto it = meminfo.find("MemTotal"); it != meminfo.end())
            ctx.mem_total_kb = it->second;
    }
    int own_session = getsid(0);
    std::erase_if(processes, [&](const Process& p) { return !selected(options, p, own_session); });
    for (const auto& p : processes)
        ctx.pid_width = std::max(ctx.pid_width, int(std::to_string(std::max(p.stat.pid, p.stat.ppid)).size()));

    size_t columns = procfs::output_columns();
    std::string out = header(ctx, options.format);
    for (const auto& p : processes)
        out += row(ctx, options.format, p, columns);
    if (!write_all(STDOUT_FILENO, out)) {
        report("ps", "write");
        return 1;
    }
    // procps: exit status 1 when nothing was selected.
    return processes.empty() ? 1 : 0;
}
