// ps [-e|-A] [-f|-F] [-L|-T] [-o FORMAT] [-p PID[,PID...]] | ps [a][u][x]:
// a snapshot of the process table from /proc (box/procfs.h), in procps's
// formats:
//   ps        PID TTY TIME CMD, the processes of the caller's session
//   ps -f     UID PID PPID C STIME TTY TIME CMD (CMD is the command line)
//   ps -F     UID PID PPID C SZ RSS PSR STIME TTY TIME CMD (SZ: virtual
//             size in pages, RSS in KiB, PSR the CPU it runs or last
//             ran on, /proc/PID/stat field 39)
//   ps aux    USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND
//   ps -o pid,psr,comm  the columns named (keys as procps's: pid ppid
//             pgid sid tid lwp spid nlwp psr s stat ni tty time user uid
//             rss vsz sz comm args cmd command), commas or blanks between
// -e/-A (or BSD "ax") select every process, BSD "a" those with a
// terminal, BSD "x" the caller's own (by effective uid), -p the listed.
// -L and -T show one line per thread of each selected process (from
// /proc/PID/task), as procps does: -L adds the thread id as LWP (and,
// with -f or u, the process's thread count NLWP), -T adds it as SPID;
// the state, times, C/%CPU, STIME/START and, in the default format, CMD
// (the thread's name) are then the thread's own.
// Lines are cut to the terminal's width only when writing to one.
#include "box/applets.h"
#include "box/procfs.h"
#include "box/util.h"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace {

using box::procfs::Process;

enum class Format { standard, full, user, custom };
// -L (LWP, NLWP) or -T (SPID): a line per thread.
enum class Threads { none, lwp, spid };

// A column of -o: its key's header, width (procps's), alignment.
struct Column {
    std::string key;
    std::string header;
    int width;
    bool left;
};

struct Options {
    Format format = Format::standard;
    bool extra = false; // -F: -f with SZ RSS PSR
    std::vector<Column> columns; // -o
    Threads threads = Threads::none;
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
    Threads threads = Threads::none;
    bool extra = false;
};

int usage()
{
    std::fprintf(stderr, "usage: ps [-e|-A] [-f|-F] [-L|-T] [-o FORMAT] [-p PID[,PID...]]\n       ps [a][u][x]\n");
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

// The keys -o knows, with procps's headers, widths and alignment.
std::optional<Column> column_for(std::string_view key)
{
    static const Column known[] = {
        {"pid", "PID", 5, false},   {"ppid", "PPID", 5, false},   {"pgid", "PGID", 5, false},
        {"sid", "SID", 5, false},   {"tid", "TID", 5, false},     {"lwp", "LWP", 5, false},
        {"spid", "SPID", 5, false}, {"nlwp", "NLWP", 4, false},   {"psr", "PSR", 3, false},
        {"s", "S", 1, true},        {"stat", "STAT", 4, true},    {"ni", "NI", 3, false},
        {"tty", "TT", 8, true},     {"time", "TIME", 8, false},   {"user", "USER", 8, true},
        {"uid", "UID", 5, false},   {"rss", "RSS", 5, false},     {"vsz", "VSZ", 6, false},
        {"sz", "SZ", 5, false},     {"comm", "COMMAND", 15, true}, {"args", "COMMAND", 27, true},
        {"cmd", "CMD", 27, true},   {"command", "COMMAND", 27, true},
    };
    for (const auto& c : known)
        if (c.key == key)
            return c;
    return std::nullopt;
}

// "pid,psr,comm" or "pid psr comm" (one -o may hold several keys).
bool parse_format(std::string_view text, std::vector<Column>& columns)
{
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' '))
            ++i;
        size_t end = i;
        while (end < text.size() && text[end] != ',' && text[end] != ' ')
            ++end;
        if (end > i) {
            std::string_view key = text.substr(i, end - i);
            auto c = column_for(key);
            if (!c) {
                std::fprintf(stderr, "ps: unknown user-defined format specifier \"%.*s\"\n", int(key.size()),
                             key.data());
                return false;
            }
            columns.push_back(*c);
        }
        i = end;
    }
    return !columns.empty();
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
                } else if (c == 'f' || c == 'F') {
                    if (o.format == Format::standard)
                        o.format = Format::full;
                    o.extra |= c == 'F';
                } else if (c == 'o') {
                    std::string_view list = arg.substr(j + 1);
                    if (list.empty() && i + 1 < argc)
                        list = argv[++i];
                    if (!parse_format(list, o.columns))
                        return false;
                    o.format = Format::custom;
                    break;
                } else if (c == 'L' || c == 'T') {
                    o.threads = c == 'L' ? Threads::lwp : Threads::spid;
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
                    if (c == 'u' && o.format != Format::custom)
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
                else if (c == 'u' && o.format != Format::custom)
                    o.format = Format::user;
                else if (c == 'u')
                    continue;
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

// The columns -L and -T add, after the first pid column (standard), or
// where procps puts them in the -f and u formats.
struct ThreadColumns {
    std::string id;      // " LWP" / " SPID": the thread id, after PID
    std::string count;   // " NLWP" (-L with -f or u): threads in the process
};

ThreadColumns thread_columns(const Context& ctx, Format format, const Process* p)
{
    ThreadColumns out;
    if (ctx.threads == Threads::none)
        return out;
    char text[64];
    if (p)
        std::snprintf(text, sizeof text, " %*d", ctx.pid_width, p->tid);
    else
        std::snprintf(text, sizeof text, " %*s", ctx.pid_width, ctx.threads == Threads::lwp ? "LWP" : "SPID");
    out.id = text;
    if (ctx.threads == Threads::lwp && format != Format::standard) {
        if (p)
            std::snprintf(text, sizeof text, " %4lld", (long long)p->stat.num_threads);
        else
            std::snprintf(text, sizeof text, " %4s", "NLWP");
        out.count = text;
    }
    return out;
}

// -F's SZ RSS PSR (after C and NLWP, as procps's), or their header.
std::string extra_columns(const Context& ctx, const Process* p)
{
    if (!ctx.extra)
        return "";
    char text[96];
    if (!p) {
        std::snprintf(text, sizeof text, " %5s %5s %3s", "SZ", "RSS", "PSR");
    } else {
        uint64_t page = box::procfs::page_size();
        uint64_t rss_kb = uint64_t(std::max<int64_t>(p->stat.rss, 0)) * page / 1024;
        std::snprintf(text, sizeof text, " %5llu %5llu %3d", (unsigned long long)(p->stat.vsize / page),
                      (unsigned long long)rss_kb, p->stat.processor);
    }
    return text;
}

// The text of one -o column for P.
std::string column_value(const Context& ctx, const Column& c, const Process& p)
{
    const auto& s = p.stat;
    const std::string& k = c.key;
    uint64_t page = box::procfs::page_size();
    if (k == "pid")
        return std::to_string(s.pid);
    if (k == "ppid")
        return std::to_string(s.ppid);
    if (k == "pgid")
        return std::to_string(s.pgrp);
    if (k == "sid")
        return std::to_string(s.session);
    if (k == "tid" || k == "lwp" || k == "spid")
        return std::to_string(p.tid ? p.tid : s.pid);
    if (k == "nlwp")
        return std::to_string(s.num_threads);
    if (k == "psr")
        return std::to_string(s.processor);
    if (k == "s")
        return std::string(1, s.state);
    if (k == "stat")
        return bsd_state(p);
    if (k == "ni")
        return std::to_string(s.nice);
    if (k == "tty")
        return box::procfs::tty_name(s.tty_nr, s.pid);
    if (k == "time")
        return box::procfs::format_hms((s.utime + s.stime) / ctx.hz);
    if (k == "user")
        return box::procfs::fit(box::procfs::user_name(p.euid), 8);
    if (k == "uid")
        return std::to_string(p.euid);
    if (k == "rss")
        return std::to_string(uint64_t(std::max<int64_t>(s.rss, 0)) * page / 1024);
    if (k == "vsz")
        return std::to_string(s.vsize / 1024);
    if (k == "sz")
        return std::to_string(s.vsize / page);
    if (k == "comm")
        return s.state == 'Z' ? s.comm + " <defunct>" : s.comm;
    return command_line(p); // args, cmd, command
}

// A line of -o columns (the header's when P is null): each padded to its
// width but the last, numbers on the right, text on the left.
std::string custom_line(const Context& ctx, const std::vector<Column>& columns, const Process* p, size_t width)
{
    std::string line;
    for (size_t i = 0; i < columns.size(); ++i) {
        const Column& c = columns[i];
        std::string text = p ? column_value(ctx, c, *p) : c.header;
        bool id = c.key == "pid" || c.key == "ppid" || c.key == "pgid" || c.key == "sid" || c.key == "tid" ||
                  c.key == "lwp" || c.key == "spid";
        size_t w = size_t(id ? std::max(c.width, ctx.pid_width) : c.width);
        if (i > 0)
            line += ' ';
        if (text.size() < w && !(c.left && i + 1 == columns.size()))
            text = c.left ? text + std::string(w - text.size(), ' ') : std::string(w - text.size(), ' ') + text;
        line += text;
    }
    if (width > 0 && line.size() > width)
        line.resize(width);
    return line + "\n";
}

std::string row(const Context& ctx, Format format, const Process& p, size_t columns)
{
    const auto& s = p.stat;
    uint64_t cpu_seconds = (s.utime + s.stime) / ctx.hz;
    std::string tty = box::procfs::tty_name(s.tty_nr, s.pid);
    ThreadColumns thread = thread_columns(ctx, format, &p);
    char fixed[512];
    std::string out;
    switch (format) {
    case Format::standard:
        std::snprintf(fixed, sizeof fixed, "%*d%s %-8s %8s ", ctx.pid_width, s.pid, thread.id.c_str(), tty.c_str(),
                      box::procfs::format_hms(cpu_seconds).c_str());
        append_line(out, fixed, s.state == 'Z' ? s.comm + " <defunct>" : s.comm, columns);
        break;
    case Format::full: {
        // procps: UID PID PPID LWP C NLWP... with -L, UID PID SPID PPID C... with -T.
        char ppid[32];
        std::snprintf(ppid, sizeof ppid, " %*d", ctx.pid_width, s.ppid);
        std::string ids = ctx.threads == Threads::spid ? thread.id + ppid : ppid + thread.id;
        std::snprintf(fixed, sizeof fixed, "%-8s %*d%s %2llu%s%s %5s %-8s %8s ",
                      box::procfs::fit(box::procfs::user_name(p.euid), 8).c_str(), ctx.pid_width, s.pid, ids.c_str(),
                      (unsigned long long)std::min<uint64_t>(per_mille_cpu(ctx, p) / 10, 99), thread.count.c_str(),
                      extra_columns(ctx, &p).c_str(), start_time(ctx, p).c_str(), tty.c_str(),
                      box::procfs::format_hms(cpu_seconds).c_str());
        append_line(out, fixed, command_line(p), columns);
        break;
    }
    case Format::user: {
        uint64_t rss_kb = uint64_t(std::max<int64_t>(s.rss, 0)) * box::procfs::page_size() / 1024;
        uint64_t mem = ctx.mem_total_kb ? rss_kb * 1000 / ctx.mem_total_kb : 0;
        char time[32];
        std::snprintf(time, sizeof time, "%llu:%02llu", (unsigned long long)(cpu_seconds / 60),
                      (unsigned long long)(cpu_seconds % 60));
        std::snprintf(fixed, sizeof fixed, "%-8s %*d%s %4s%s %4s %6llu %5llu %-8s %-4s %5s %6s ",
                      box::procfs::fit(box::procfs::user_name(p.euid), 8).c_str(), ctx.pid_width, s.pid,
                      thread.id.c_str(), tenths(per_mille_cpu(ctx, p)).c_str(), thread.count.c_str(),
                      tenths(mem).c_str(), (unsigned long long)(s.vsize / 1024), (unsigned long long)rss_kb,
                      tty.c_str(), bsd_state(p).c_str(), start_time(ctx, p).c_str(), time);
        append_line(out, fixed, command_line(p), columns);
        break;
    }
    case Format::custom: break; // custom_line
    }
    return out;
}

std::string header(const Context& ctx, Format format)
{
    ThreadColumns thread = thread_columns(ctx, format, nullptr);
    char out[256];
    switch (format) {
    case Format::standard:
        std::snprintf(out, sizeof out, "%*s%s %-8s %8s CMD\n", ctx.pid_width, "PID", thread.id.c_str(), "TTY", "TIME");
        break;
    case Format::full: {
        char ppid[32];
        std::snprintf(ppid, sizeof ppid, " %*s", ctx.pid_width, "PPID");
        std::string ids = ctx.threads == Threads::spid ? thread.id + ppid : ppid + thread.id;
        std::snprintf(out, sizeof out, "%-8s %*s%s %2s%s%s %5s %-8s %8s CMD\n", "UID", ctx.pid_width, "PID",
                      ids.c_str(), "C", thread.count.c_str(), extra_columns(ctx, nullptr).c_str(), "STIME", "TTY",
                      "TIME");
        break;
    }
    case Format::user:
        std::snprintf(out, sizeof out, "%-8s %*s%s %4s%s %4s %6s %5s %-8s %-4s %5s %6s COMMAND\n", "USER",
                      ctx.pid_width, "PID", thread.id.c_str(), "%CPU", thread.count.c_str(), "%MEM", "VSZ", "RSS",
                      "TTY", "STAT", "START", "TIME");
        break;
    case Format::custom: break; // custom_line
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
    ctx.threads = options.threads;
    ctx.extra = options.extra;
    if (options.threads != Threads::none)
        processes = procfs::read_threads(processes);
    for (const auto& p : processes)
        ctx.pid_width =
            std::max(ctx.pid_width, int(std::to_string(std::max({p.stat.pid, p.stat.ppid, p.tid})).size()));

    size_t columns = procfs::output_columns();
    std::string out;
    if (options.format == Format::custom) {
        out = custom_line(ctx, options.columns, nullptr, columns);
        for (const auto& p : processes)
            out += custom_line(ctx, options.columns, &p, columns);
    } else {
        out = header(ctx, options.format);
        for (const auto& p : processes)
            out += row(ctx, options.format, p, columns);
    }
    if (!write_all(STDOUT_FILENO, out)) {
        report("ps", "write");
        return 1;
    }
    // procps: exit status 1 when nothing was selected.
    return processes.empty() ? 1 : 0;
}
