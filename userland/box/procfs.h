// Reading the process table the way procps does: every fact about a
// process comes from a file under /proc in the Linux format (proc(5)),
// never from another kernel interface. ps, top and pstree share it.
//
// Files and fields read (proc(5) numbering for /proc/PID/stat):
//   /proc/               the numeric entries are the processes
//   /proc/PID/stat       1 pid, 2 (comm), 3 state, 4 ppid, 5 pgrp,
//                        6 session, 7 tty_nr, 8 tpgid, 14 utime,
//                        15 stime, 18 priority, 19 nice, 20 num_threads,
//                        22 starttime, 23 vsize, 24 rss, 39 processor
//   /proc/PID/status     "Uid:" (the second number, the effective uid)
//   /proc/PID/task/      the numeric entries are the process's threads
//   /proc/PID/task/TID/stat  the same fields for one thread (1 is its tid,
//                        2 its own comm; 3, 14, 15, 18, 19 and 22 its own)
//   /proc/PID/cmdline    argv, NUL-separated
//   /proc/PID/fd/{2,0,1} link targets, only to name a terminal whose
//                        device number is not a well-known one
//   /proc/uptime         seconds since boot (first number)
//   /proc/loadavg        the three load averages
//   /proc/meminfo        MemTotal, MemFree, MemAvailable, Buffers, Cached,
//                        SReclaimable, SwapTotal, SwapFree (kB)
//   /proc/stat           "btime" (boot time, seconds since the Epoch), the
//                        aggregate "cpu" line and the per-CPU "cpuN" lines
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace box::procfs {

// The fields of /proc/PID/stat the tools use. Fields a kernel leaves
// off the end of the line keep these defaults.
struct Stat {
    int pid = 0;
    std::string comm;
    char state = '?';
    int ppid = 0;
    int pgrp = 0;
    int session = 0;
    int tty_nr = 0;
    int tpgid = -1;
    uint64_t utime = 0; // clock ticks (sysconf(_SC_CLK_TCK))
    uint64_t stime = 0;
    int64_t priority = 0;
    int64_t nice = 0;
    int64_t num_threads = 1;
    uint64_t starttime = 0; // clock ticks after boot
    uint64_t vsize = 0;     // bytes
    int64_t rss = 0;        // pages
    int processor = 0;      // the CPU it runs or last ran on (ps PSR, top P)
};

// One line of /proc/PID/stat. comm is everything between the first '('
// and the LAST ')', since a command name may itself hold spaces and
// parentheses ("a) (b"). Fields 1 to 4 (pid, comm, state, ppid) are
// required; a malformed number anywhere makes the line unreadable.
std::optional<Stat> parse_stat(std::string_view line);

// The whole of a (small, unseekable-size) file; false if unreadable.
bool read_text(const std::string& path, std::string& out);

// The numeric entries of /proc, ascending.
std::vector<int> list_pids();

std::optional<Stat> read_stat(int pid);

// argv from /proc/PID/cmdline; empty for kernel threads and zombies.
std::vector<std::string> read_cmdline(int pid);

// The effective uid from the "Uid:" line of /proc/PID/status.
std::optional<unsigned> read_euid(int pid);

// The numeric entries of /proc/PID/task (the thread ids), ascending;
// empty if the directory cannot be read.
std::vector<int> list_tids(int pid);

struct Process {
    Stat stat;
    unsigned euid = 0;
    std::vector<std::string> args; // only if asked for
    // A row of one thread (read_threads): its tid; stat is then the
    // thread's, but with stat.pid the process's (the tgid). 0 for a row
    // of a whole process.
    int tid = 0;
};

// Every process that could be read; one that exits meanwhile is left out.
std::vector<Process> read_processes(bool with_args, bool with_euid = true);

// One row per thread of each of PROCESSES, as procps's -L/-T/-H: the
// threads in tid order, each with its own stat and its process's euid
// and args. A process whose task directory lists no thread (a zombie on
// a kernel that keeps none) stays as one row, its own pid as the tid.
std::vector<Process> read_threads(const std::vector<Process>& processes);

// /proc/meminfo as NAME -> kB.
std::map<std::string, uint64_t, std::less<>> read_meminfo();

// /proc/uptime's first number, or nullopt.
std::optional<double> read_uptime();

// /proc/loadavg's three averages.
std::optional<std::array<double, 3>> read_loadavg();

// The ten counters of the "cpu" line of /proc/stat (user nice system
// idle iowait irq softirq steal guest guest_nice), in ticks.
std::optional<std::vector<uint64_t>> read_cpu_times();

// Boot time in seconds since the Epoch: "btime" of /proc/stat, else
// now minus /proc/uptime.
// The same counters of each "cpuN" line, by N (the online CPUs).
std::map<int, std::vector<uint64_t>> read_per_cpu_times();

int64_t boot_time();

uint64_t clock_ticks(); // sysconf(_SC_CLK_TCK), 100 if unknown
uint64_t page_size();   // sysconf(_SC_PAGESIZE)

// The name for a uid from /etc/passwd; "root" for 0 without one (Myriad
// has no /etc/passwd and everyone is root), else the number.
std::string user_name(unsigned uid);

// The terminal of stat field tty_nr: "?" for none, the conventional
// Linux names for the well-known majors (4 tty/ttyS, 5 tty/console,
// 136-143 pts), else where /proc/PID/fd/{2,0,1} lead into /dev.
std::string tty_name(int tty_nr, int pid);

// TEXT, or for one longer than WIDTH its first WIDTH-1 bytes and "+"
// (how procps fits a user name into its column).
std::string fit(std::string_view text, size_t width);

// The width of standard output if it is a terminal (TIOCGWINSZ, else
// $COLUMNS, else 80); 0 if it is not one, when lines are not cut.
size_t output_columns();

// "[DD-]HH:MM:SS" of a number of seconds (ps's TIME column).
std::string format_hms(uint64_t seconds);

} // namespace box::procfs
