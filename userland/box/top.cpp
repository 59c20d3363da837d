// top [-1] [-b] [-H] [-n ITERATIONS] [-d SECONDS]: the process table from
// /proc (box/procfs.h) redrawn every SECONDS (1 by default), in procps
// top's layout: uptime and load, task states, CPU and memory use, then
// one row a process sorted by %CPU, the share of one CPU it used since
// the previous frame (of its lifetime, in the first), with P, the CPU it
// runs or last ran on (/proc/PID/stat field 39). -H (threads mode):
// one row a thread instead (from /proc/PID/task), its tid under PID and
// its own name, state and times, and "Threads:" counting them. -1 (or
// the '1' key, which toggles it): a "%CpuN :" line per CPU from the
// cpuN lines of /proc/stat instead of the one "%Cpu(s):" line.
//
// On a terminal the screen is cleared (ANSI "ESC[H ESC[J") before each
// frame and the terminal is put in a raw mode: no ICANON, no ECHO, and
// VMIN = VTIME = 0 so that read(2) returns at once; the kernel has no
// poll/select, so keys are polled between 100 ms sleeps. 'q' quits,
// 'k' asks for a pid and sends it SIGTERM, '1' switches between one CPU
// line and a line per CPU, any other key redraws. The
// terminal is restored on the way out, also after ^C (SIGINT), SIGTERM
// or SIGHUP. -b (batch) writes plain frames, one after another, with no
// terminal handling; so does top when stdin is not a terminal.
#include "box/applets.h"
#include "box/procfs.h"
#include "box/util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <csignal>
#include <ctime>
#include <sys/ioctl.h>
#include <termios.h>

namespace {

using box::procfs::Process;

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) { g_stop = 1; }

struct Options {
    bool batch = false;
    bool threads = false; // -H
    bool per_cpu = false; // -1, '1': a %Cpu line per CPU
    long iterations = -1; // forever
    double delay = 1.0;
};

struct Sample {
    std::vector<Process> processes;
    double uptime = 0;
    std::optional<std::vector<uint64_t>> cpu; // /proc/stat "cpu" line
    std::map<int, std::vector<uint64_t>> per_cpu; // its "cpuN" lines
};

struct Row {
    const Process* process;
    double cpu; // percent of one CPU
};

// A row's id: the tid in threads mode, else the pid.
int row_id(const Process& p) { return p.tid ? p.tid : p.stat.pid; }

Sample take_sample(bool threads)
{
    Sample s;
    s.processes = box::procfs::read_processes(false);
    if (threads)
        s.processes = box::procfs::read_threads(s.processes);
    s.uptime = box::procfs::read_uptime().value_or(0);
    s.cpu = box::procfs::read_cpu_times();
    s.per_cpu = box::procfs::read_per_cpu_times();
    return s;
}

// %CPU of each process (or thread): its ticks since the previous sample
// over the ticks that passed; without one, over its lifetime.
std::vector<Row> cpu_rows(const Sample& now, const Sample* before, uint64_t hz)
{
    std::map<int, const Process*> old;
    if (before)
        for (const auto& p : before->processes)
            old.emplace(row_id(p), &p);
    std::vector<Row> rows;
    for (const auto& p : now.processes) {
        uint64_t ticks = p.stat.utime + p.stat.stime;
        double seconds = now.uptime - double(p.stat.starttime) / double(hz);
        if (before) {
            auto it = old.find(row_id(p));
            // The same process (not a new one under a reused pid)?
            if (it != old.end() && it->second->stat.starttime == p.stat.starttime) {
                uint64_t then = it->second->stat.utime + it->second->stat.stime;
                ticks = ticks >= then ? ticks - then : 0;
                seconds = now.uptime - before->uptime;
            }
        }
        double cpu = seconds > 0 ? double(ticks) / double(hz) / seconds * 100.0 : 0.0;
        rows.push_back({&p, cpu});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.cpu > b.cpu; });
    return rows;
}

std::string format(const char* fmt, auto... args)
{
    char out[512];
    std::snprintf(out, sizeof out, fmt, args...);
    return out;
}

// "up 5 min", "up  1:24", "up 2 days,  1:24" (procps's sprint_uptime).
std::string uptime_text(double uptime)
{
    auto total_minutes = static_cast<unsigned long>(uptime / 60);
    unsigned long days = total_minutes / (60 * 24), hours = total_minutes / 60 % 24, minutes = total_minutes % 60;
    std::string out = "up ";
    if (days > 0)
        out += format("%lu day%s, ", days, days == 1 ? "" : "s");
    out += hours > 0 ? format("%2lu:%02lu", hours, minutes) : format("%lu min", minutes);
    return out;
}

// KiB in WIDTH columns; scaled to m/g/t (with one decimal if it fits)
// when the number is too wide, as top does.
std::string scaled_kib(uint64_t kib, int width)
{
    std::string plain = std::to_string(kib);
    if (int(plain.size()) <= width)
        return plain;
    double value = double(kib);
    for (char unit : {'m', 'g', 't', 'p'}) {
        value /= 1024;
        std::string one = format("%.1f%c", value, unit);
        if (int(one.size()) <= width)
            return one;
        std::string whole = format("%.0f%c", value, unit);
        if (int(whole.size()) <= width)
            return whole;
    }
    return plain;
}

// TIME+: minutes:seconds.hundredths of CPU time.
std::string time_plus(uint64_t ticks, uint64_t hz)
{
    uint64_t centis = ticks * 100 / hz;
    return format("%llu:%02llu.%02llu", (unsigned long long)(centis / 6000), (unsigned long long)(centis / 100 % 60),
                  (unsigned long long)(centis % 100));
}

// "us, sy, ni, id, wa, hi, si, st" of a cpu line of /proc/stat, as
// percentages of the ticks since the last frame (since boot in the first).
std::string cpu_states(const std::vector<uint64_t>& now, const std::vector<uint64_t>* before)
{
    std::vector<uint64_t> delta = now;
    if (before)
        for (size_t i = 0; i < delta.size() && i < before->size(); ++i)
            delta[i] = delta[i] >= (*before)[i] ? delta[i] - (*before)[i] : 0;
    uint64_t total = 0;
    for (size_t i = 0; i < 8 && i < delta.size(); ++i)
        total += delta[i];
    auto pct = [&](size_t i) { return total && i < delta.size() ? 100.0 * double(delta[i]) / double(total) : 0.0; };
    return format("%5.1f us,%5.1f sy,%5.1f ni,%5.1f id,%5.1f wa,%5.1f hi,%5.1f si,%5.1f st", pct(0), pct(2), pct(1),
                  pct(3), pct(4), pct(5), pct(6), pct(7));
}

std::vector<std::string> header_lines(const Sample& now, const Sample* before, bool threads, bool per_cpu)
{
    std::vector<std::string> lines;
    time_t t = std::time(nullptr);
    tm local{};
    localtime_r(&t, &local);
    char clock[16];
    std::strftime(clock, sizeof clock, "%H:%M:%S", &local);
    auto load = box::procfs::read_loadavg().value_or(std::array<double, 3>{});
    lines.push_back(format("top - %s %s,  load average: %.2f, %.2f, %.2f", clock, uptime_text(now.uptime).c_str(),
                           load[0], load[1], load[2]));

    int running = 0, sleeping = 0, stopped = 0, zombie = 0;
    for (const auto& p : now.processes) {
        switch (p.stat.state) {
        case 'R': ++running; break;
        case 'S': case 'D': case 'I': ++sleeping; break;
        case 'T': case 't': ++stopped; break;
        case 'Z': ++zombie; break;
        default: break;
        }
    }
    lines.push_back(format("%s: %3zu total, %3d running, %3d sleeping, %3d stopped, %3d zombie",
                           threads ? "Threads" : "Tasks", now.processes.size(), running, sleeping, stopped, zombie));

    if (per_cpu && !now.per_cpu.empty()) {
        // One line per CPU, as procps's "1" view: "%Cpu0  : ...".
        for (const auto& [n, times] : now.per_cpu) {
            const std::vector<uint64_t>* then = nullptr;
            if (before)
                if (auto it = before->per_cpu.find(n); it != before->per_cpu.end())
                    then = &it->second;
            lines.push_back(format("%%Cpu%-3d:", n) + cpu_states(times, then));
        }
    } else if (now.cpu) {
        lines.push_back("%Cpu(s):" + cpu_states(*now.cpu, before && before->cpu ? &*before->cpu : nullptr));
    }

    auto mem = box::procfs::read_meminfo();
    auto kb = [&](std::string_view name) {
        auto it = mem.find(name);
        return it == mem.end() ? 0.0 : double(it->second);
    };
    double total = kb("MemTotal"), free = kb("MemFree");
    double cache = kb("Buffers") + kb("Cached") + kb("SReclaimable");
    double available = mem.contains("MemAvailable") ? kb("MemAvailable") : free + cache;
    double used = total > available ? total - available : 0;
    lines.push_back(format("MiB Mem : %8.1f total, %8.1f free, %8.1f used, %8.1f buff/cache", total / 1024,
                           free / 1024, used / 1024, cache / 1024));
    double swap_total = kb("SwapTotal"), swap_free = kb("SwapFree");
    lines.push_back(format("MiB Swap: %8.1f total, %8.1f free, %8.1f used. %8.1f avail Mem", swap_total / 1024,
                           swap_free / 1024, (swap_total - swap_free) / 1024, available / 1024));
    lines.push_back("");
    return lines;
}

std::string table_header()
{
    return format("%5s %-8s %3s %3s %7s %6s %c %2s %5s %5s %9s %s", "PID", "USER", "PR", "NI", "VIRT", "RES", 'S', "P",
                  "%CPU", "%MEM", "TIME+", "COMMAND");
}

std::string table_row(const Row& row, uint64_t hz, uint64_t mem_total_kb)
{
    const auto& s = row.process->stat;
    uint64_t rss_kb = uint64_t(std::max<int64_t>(s.rss, 0)) * box::procfs::page_size() / 1024;
    double mem = mem_total_kb ? 100.0 * double(rss_kb) / double(mem_total_kb) : 0.0;
    // Real-time tasks have priority -2..-100; -100 shows as "rt".
    std::string priority = s.priority <= -100 ? "rt" : std::to_string(s.priority);
    return format("%5d %-8s %3s %3lld %7s %6s %c %2d %5.1f %5.1f %9s %s", row_id(*row.process),
                  box::procfs::fit(box::procfs::user_name(row.process->euid), 8).c_str(), priority.c_str(),
                  (long long)s.nice, scaled_kib(s.vsize / 1024, 7).c_str(), scaled_kib(rss_kb, 6).c_str(), s.state,
                  s.processor, row.cpu, mem, time_plus(s.utime + s.stime, hz).c_str(), s.comm.c_str());
}

// One frame. On a terminal SCREEN_LINES limits the rows (the table keeps
// one line free) and COLUMNS the width (0: no limit). HEADER_LINES: the
// lines above the table's header, the last of them blank (the prompt line).
std::string frame(const Sample& now, const Sample* before, const Options& options, size_t screen_lines,
                  size_t columns, std::vector<Row>& rows, size_t& header_count)
{
    uint64_t hz = box::procfs::clock_ticks();
    auto meminfo = box::procfs::read_meminfo();
    uint64_t mem_total = meminfo.contains("MemTotal") ? meminfo.find("MemTotal")->second : 0;
    rows = cpu_rows(now, before, hz);
    std::vector<std::string> lines = header_lines(now, before, options.threads, options.per_cpu);
    header_count = lines.size();
    size_t above = header_count + 1;
    size_t max_rows = screen_lines == 0 ? 0 : screen_lines > above + 1 ? screen_lines - above - 1 : 1;
    lines.push_back(table_header());
    for (size_t i = 0; i < rows.size() && (max_rows == 0 || i < max_rows); ++i)
        lines.push_back(table_row(rows[i], hz, mem_total));
    std::string out;
    for (auto& line : lines) {
        if (columns > 0 && line.size() > columns)
            line.resize(columns);
        out += line;
        out += '\n';
    }
    return out;
}

void sleep_for(double seconds)
{
    timespec ts{time_t(seconds), long((seconds - std::floor(seconds)) * 1e9)};
    nanosleep(&ts, nullptr); // a signal cuts it short; the caller looks at g_stop
}

// The terminal's size: TIOCGWINSZ, else $LINES/$COLUMNS, else 24x80.
std::pair<size_t, size_t> terminal_size()
{
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0)
        return {size.ws_row, size.ws_col};
    auto env = [](const char* name, size_t fallback) {
        const char* value = std::getenv(name);
        size_t n = 0;
        if (value && std::from_chars(value, value + std::strlen(value), n).ec == std::errc{} && n > 0)
            return n;
        return fallback;
    };
    return {env("LINES", 24), env("COLUMNS", 80)};
}

// A key, if one was typed (the terminal is in VMIN = VTIME = 0 mode).
std::optional<char> poll_key()
{
    char c;
    return read(STDIN_FILENO, &c, 1) == 1 ? std::optional<char>(c) : std::nullopt;
}

// 'k': reads a pid on the prompt line (the blank one under the header),
// echoing it, and sends it SIGTERM. Enter alone picks the top row.
void kill_prompt(const std::vector<Row>& rows, size_t prompt_line)
{
    int fallback = rows.empty() ? 0 : row_id(*rows.front().process); // the PID shown
    std::string prompt = format("\033[%zu;1H\033[KPID to signal/kill [default pid = %d] ", prompt_line, fallback);
    box::write_all(STDOUT_FILENO, prompt);
    std::string typed;
    for (;;) {
        if (g_stop)
            return;
        auto key = poll_key();
        if (!key) {
            sleep_for(0.1);
            continue;
        }
        if (*key == '\n' || *key == '\r')
            break;
        if (*key == '\033')
            return;
        if ((*key == 0x7f || *key == '\b') && !typed.empty()) {
            typed.pop_back();
            box::write_all(STDOUT_FILENO, "\b \b");
        } else if (*key >= '0' && *key <= '9' && typed.size() < 10) {
            typed += *key;
            box::write_all(STDOUT_FILENO, std::string_view(&*key, 1));
        }
    }
    int pid = fallback;
    if (!typed.empty())
        std::from_chars(typed.data(), typed.data() + typed.size(), pid);
    if (pid > 0 && kill(pid, SIGTERM) != 0) {
        box::write_all(STDOUT_FILENO, format("\033[%zu;1H\033[KFailed signal pid '%d' with %d: %s", prompt_line, pid,
                                             SIGTERM, std::strerror(errno)));
        sleep_for(1.5);
    }
}

bool parse_options(int argc, char** argv, Options& o)
{
    int opt;
    while ((opt = getopt(argc, argv, "1bHn:d:")) != -1) {
        std::string_view arg = optarg ? optarg : "";
        if (opt == '1') {
            o.per_cpu = true;
        } else if (opt == 'b') {
            o.batch = true;
        } else if (opt == 'H') {
            o.threads = true;
        } else if (opt == 'n') {
            auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), o.iterations);
            if (ec != std::errc{} || end != arg.data() + arg.size() || o.iterations <= 0)
                return false;
        } else if (opt == 'd') {
            auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), o.delay);
            if (ec != std::errc{} || end != arg.data() + arg.size() || !(o.delay >= 0) || std::isinf(o.delay))
                return false;
        } else {
            return false;
        }
    }
    return optind == argc;
}

} // namespace

int box::top_main(int argc, char** argv)
{
    Options options;
    if (!parse_options(argc, argv, options)) {
        std::fprintf(stderr, "usage: top [-1] [-b] [-H] [-n ITERATIONS] [-d SECONDS]\n");
        return 1;
    }

    struct sigaction action{};
    action.sa_handler = on_stop_signal; // no SA_RESTART: sleeps end early
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        sigaction(sig, &action, nullptr);

    termios saved{};
    bool raw = !options.batch && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        termios t = saved;
        t.c_lflag &= ~tcflag_t(ICANON | ECHO);
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
    }

    Sample previous;
    bool have_previous = false;
    std::vector<Row> rows;
    size_t header_count = 0;
    bool quit = false;
    for (long n = 0; !quit && !g_stop && (options.iterations < 0 || n < options.iterations); ++n) {
        Sample now = take_sample(options.threads);
        std::string out;
        if (raw) {
            auto [lines, columns] = terminal_size();
            out = "\033[H\033[J" +
                  frame(now, have_previous ? &previous : nullptr, options, lines, columns, rows, header_count);
            if (!out.empty() && out.back() == '\n')
                out.pop_back(); // keep the screen from scrolling
        } else {
            out = (n > 0 ? "\n" : "") +
                  frame(now, have_previous ? &previous : nullptr, options, 0, 0, rows, header_count);
        }
        if (!write_all(STDOUT_FILENO, out))
            break;
        previous = std::move(now);
        have_previous = true;
        if (options.iterations >= 0 && n + 1 >= options.iterations)
            break;

        if (!raw) {
            sleep_for(options.delay);
            continue;
        }
        // Keys, polled every 100 ms until the next frame is due. The
        // prompt goes on the blank line under the summary.
        size_t prompt_line = header_count;
        for (double waited = 0; waited < options.delay && !g_stop; waited += 0.1) {
            auto key = poll_key();
            if (!key) {
                sleep_for(std::min(0.1, options.delay - waited));
                continue;
            }
            if (*key == 'q') {
                quit = true;
            } else if (*key == 'k') {
                kill_prompt(rows, prompt_line);
            } else if (*key == '1') {
                options.per_cpu = !options.per_cpu;
            }
            break; // any key: draw now
        }
    }

    if (raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        write_all(STDOUT_FILENO, "\n");
    }
    return 0;
}
