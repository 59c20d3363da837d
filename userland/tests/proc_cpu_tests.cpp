// The CPUs as user space counts them, which must all agree: the blocks
// of /proc/cpuinfo, the cpuN lines of /proc/stat, sysconf(3)'s
// _SC_NPROCESSORS_ONLN and _CONF (glibc 2.36 reads /sys/devices/system/
// cpu/online and possible for them), the affinity mask, /proc/PID/status
// "Cpus_allowed_list"; and the CPU a thread runs on, sched_getcpu(3) and
// field 39 (processor) of its /proc stat line.
//
// Under the Linux reference (qemu-user) /proc/cpuinfo is the host's (not
// a RISC-V one: its riscv lines are checked on Myriad only), the affinity
// mask may be narrower than the online CPUs (a cpuset), and qemu makes up
// the process's own /proc/self/stat: the processor field is read from
// /proc/self/task/TID/stat there, which it passes through.
#include "groups.h"
#include "harness.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <iterator>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

using namespace ut;

bool read_file(const std::string& path, std::string& out)
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
        if (n <= 0) {
            close(fd);
            return n == 0;
        }
        out.append(buffer, size_t(n));
    }
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// A CPU list as the kernel prints one ("0-3,5\n"); nothing if malformed.
std::optional<std::set<int>> parse_cpu_list(const std::string& text)
{
    if (text.empty() || text.back() != '\n')
        return std::nullopt;
    std::set<int> cpus;
    std::string body = text.substr(0, text.size() - 1);
    std::istringstream in(body);
    for (std::string item; std::getline(in, item, ',');) {
        int first = 0, last = 0;
        char dash = 0;
        std::istringstream range(item);
        if (!(range >> first))
            return std::nullopt;
        if (range >> dash) {
            if (dash != '-' || !(range >> last) || last < first)
                return std::nullopt;
        } else {
            last = first;
        }
        for (int cpu = first; cpu <= last; ++cpu)
            cpus.insert(cpu);
    }
    return cpus;
}

std::string show_set(const std::set<int>& cpus)
{
    std::string out = "{";
    for (int cpu : cpus)
        out += (out.size() > 1 ? "," : "") + std::to_string(cpu);
    return out + "}";
}

std::set<int> affinity_set(pid_t tid = 0)
{
    std::set<int> cpus;
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(tid, sizeof mask, &mask) != 0)
        return cpus;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &mask))
            cpus.insert(cpu);
    return cpus;
}

bool pin_to(int cpu)
{
    cpu_set_t mask;
    CPU_ZERO(&mask);
    CPU_SET(cpu, &mask);
    return sched_setaffinity(0, sizeof mask, &mask) == 0;
}

// /proc/stat's cpu lines: "cpu" (the sum) first, then "cpuN" by N; each
// with its counters (user nice system idle iowait irq softirq steal guest
// guest_nice).
struct CpuLines {
    std::vector<unsigned long long> total;
    std::vector<std::pair<int, std::vector<unsigned long long>>> per_cpu;
};

std::optional<CpuLines> read_cpu_lines(std::string* text_out = nullptr)
{
    std::string text;
    if (!read_file("/proc/stat", text))
        return std::nullopt;
    if (text_out)
        *text_out = text;
    CpuLines out;
    for (const auto& line : lines_of(text)) {
        if (line.rfind("cpu", 0) != 0)
            break; // glibc's get_nproc_stat too: the cpu lines come first
        std::istringstream words(line);
        std::string key;
        words >> key;
        std::vector<unsigned long long> values;
        for (unsigned long long v; words >> v;)
            values.push_back(v);
        if (key == "cpu") {
            out.total = values;
        } else {
            int n = -1;
            try {
                n = std::stoi(key.substr(3));
            } catch (...) {
                return std::nullopt;
            }
            out.per_cpu.emplace_back(n, values);
        }
    }
    return out;
}

// Field `number` (proc(5) numbering, 3 and up) of a stat line, or -1.
long stat_field(const std::string& text, size_t number)
{
    auto close = text.rfind(')');
    if (close == std::string::npos || number < 3)
        return -1;
    std::istringstream rest(text.substr(close + 1));
    std::string field;
    for (size_t i = 3; rest >> field; ++i)
        if (i == number) {
            try {
                return std::stol(field);
            } catch (...) {
                return -1;
            }
        }
    return -1;
}

long processor_of(const std::string& stat_path)
{
    std::string text;
    return read_file(stat_path, text) ? stat_field(text, 39) : -1;
}

std::string task_stat(pid_t tid)
{
    return "/proc/self/task/" + std::to_string(tid) + "/stat";
}

pid_t gettid_() { return pid_t(syscall(SYS_gettid)); }

// As init of a new PID namespace under the Linux reference, /proc is still
// the host's: our thread ids name nothing there.
bool proc_knows_our_tids() { return processor_of(task_stat(gettid_())) >= 0; }

// ---- cases ----------------------------------------------------------------

void counts_agree(Test& t)
{
    const bool myriad = platform().myriad;
    std::string cpuinfo;
    ASSERT(read_file("/proc/cpuinfo", cpuinfo));
    std::set<int> processors;
    for (const auto& line : lines_of(cpuinfo))
        if (line.rfind("processor", 0) == 0) {
            auto colon = line.find(':');
            if (EXPECT(colon != std::string::npos))
                processors.insert(std::atoi(line.c_str() + colon + 1));
        }
    auto stat = read_cpu_lines();
    ASSERT(stat.has_value());
    std::set<int> stat_cpus;
    for (const auto& [n, values] : stat->per_cpu)
        stat_cpus.insert(n);
    EXPECT_EQ(stat_cpus.size(), stat->per_cpu.size()); // no cpuN twice

    long online = sysconf(_SC_NPROCESSORS_ONLN), configured = sysconf(_SC_NPROCESSORS_CONF);
    std::string online_text, possible_text;
    ASSERT(read_file("/sys/devices/system/cpu/online", online_text));
    ASSERT(read_file("/sys/devices/system/cpu/possible", possible_text));
    auto online_set = parse_cpu_list(online_text), possible_set = parse_cpu_list(possible_text);
    if (!EXPECT(online_set.has_value()) || !EXPECT(possible_set.has_value())) {
        t.fail(__FILE_NAME__, __LINE__, "online " + show(online_text) + ", possible " + show(possible_text));
        return;
    }
    std::set<int> affinity = affinity_set();

    EXPECT(online >= 1);
    EXPECT_EQ(online, long(online_set->size()));
    EXPECT_EQ(configured, long(possible_set->size()));
    EXPECT(std::includes(possible_set->begin(), possible_set->end(), online_set->begin(), online_set->end()));
    if (!EXPECT_EQ(show_set(processors), show_set(*online_set)))
        t.fail(__FILE_NAME__, __LINE__, "/proc/cpuinfo: " + show(cpuinfo.substr(0, 400)));
    EXPECT_EQ(show_set(stat_cpus), show_set(*online_set));
    EXPECT_EQ(long(processors.size()), online);
    EXPECT_EQ(long(stat_cpus.size()), online);
    // A process may run on every online CPU unless a cpuset narrows it
    // (the Linux reference may run in one); on Myriad it may.
    EXPECT(!affinity.empty());
    EXPECT(std::includes(online_set->begin(), online_set->end(), affinity.begin(), affinity.end()));
    if (myriad)
        EXPECT_EQ(show_set(affinity), show_set(*online_set));

    // /proc/self/status says the same mask, over the possible CPUs:
    // sched_getaffinity leaves out those not online (Linux: cpus_mask
    // and cpu_active_mask), Cpus_allowed_list does not.
    std::string status;
    ASSERT(read_file("/proc/self/status", status));
    std::string allowed;
    for (const auto& line : lines_of(status))
        if (line.rfind("Cpus_allowed_list:", 0) == 0)
            allowed = line.substr(line.find_first_not_of(" \t", 18));
    auto allowed_set = parse_cpu_list(allowed + "\n");
    if (EXPECT(allowed_set.has_value())) {
        std::set<int> allowed_online;
        std::set_intersection(allowed_set->begin(), allowed_set->end(), online_set->begin(), online_set->end(),
                              std::inserter(allowed_online, allowed_online.begin()));
        EXPECT_EQ(show_set(allowed_online), show_set(affinity));
        EXPECT(std::includes(possible_set->begin(), possible_set->end(), allowed_set->begin(), allowed_set->end()));
    }
}

void cpuinfo_blocks(Test& t)
{
    if (!platform().myriad)
        SKIP("qemu-user shows the host's /proc/cpuinfo, not a RISC-V one");
    std::string text;
    ASSERT(read_file("/proc/cpuinfo", text));
    ASSERT(!text.empty() && text.back() == '\n');
    // Blocks separated by one blank line, the last one ending with it too.
    ASSERT(text.size() >= 2 && text.substr(text.size() - 2) == "\n\n");
    std::vector<std::vector<std::string>> blocks(1);
    for (const auto& line : lines_of(text)) {
        if (line.empty())
            blocks.emplace_back();
        else
            blocks.back().push_back(line);
    }
    blocks.pop_back(); // after the last blank line
    ASSERT_EQ(long(blocks.size()), sysconf(_SC_NPROCESSORS_ONLN));
    std::set<unsigned long> hart_ids;
    for (size_t i = 0; i < blocks.size(); ++i) {
        const auto& b = blocks[i];
        if (!EXPECT(b.size() >= 4)) {
            t.fail(__FILE_NAME__, __LINE__, "block " + std::to_string(i) + ": " + show(text));
            continue;
        }
        EXPECT_EQ(b[0], "processor\t: " + std::to_string(i));
        EXPECT(b[1].rfind("hart\t\t: ", 0) == 0);
        hart_ids.insert(std::strtoul(b[1].c_str() + 8, nullptr, 10));
        EXPECT(b[2].rfind("isa\t\t: rv64", 0) == 0);
        EXPECT_EQ(b[3], std::string("mmu\t\t: sv39")); // the mode in use (Linux 6.1), not mmu-type
        // An optional "uarch\t\t: vendor,core" (not on QEMU virt, whose
        // cpu nodes say just "riscv"), and nothing else.
        if (b.size() > 4) {
            EXPECT(b[4].rfind("uarch\t\t: ", 0) == 0 && b[4].find(',') != std::string::npos);
            EXPECT_EQ(b.size(), size_t(5));
        }
    }
    EXPECT_EQ(hart_ids.size(), blocks.size()); // each hart once
}

void stat_lines_sum(Test& t)
{
    std::string text;
    auto stat = read_cpu_lines(&text);
    ASSERT(stat.has_value());
    ASSERT_EQ(stat->total.size(), size_t(10));
    const unsigned long long n = stat->per_cpu.size();
    ASSERT(n >= 1);
    for (size_t field = 0; field < 10; ++field) {
        unsigned long long sum = 0;
        for (const auto& [cpu, values] : stat->per_cpu) {
            if (!EXPECT_EQ(values.size(), size_t(10)))
                return;
            sum += values[field];
        }
        unsigned long long total = stat->total[field];
        // Each cpuN value is its nanoseconds cut to ticks, the sum line
        // the sum of the nanoseconds cut once: less than one tick a CPU
        // apart. Linux reads the counters again for the cpuN lines, so
        // time may have moved on meanwhile (a tick a CPU more).
        bool ok = platform().myriad ? sum <= total && total - sum < n
                                    : sum <= total + n && total <= sum + n;
        if (!ok)
            t.fail(__FILE_NAME__, __LINE__,
                   "field " + std::to_string(field + 1) + ": cpu line " + std::to_string(total) + ", cpuN lines sum to " +
                       std::to_string(sum) + "\n" + text.substr(0, 600));
    }
    // Every online CPU has been idle or busy since boot.
    for (const auto& [cpu, values] : stat->per_cpu)
        if (values.size() >= 4)
            EXPECT(values[0] + values[2] + values[3] > 0);
}

void processor_of_this_thread(Test& t)
{
    if (!platform().myriad && !proc_knows_our_tids())
        SKIP("/proc belongs to another PID namespace");
    // Pinned, the thread cannot move between sched_getcpu and the read.
    std::set<int> allowed = affinity_set();
    ASSERT(!allowed.empty());
    for (int cpu : {*allowed.begin(), *allowed.rbegin()}) {
        ASSERT(pin_to(cpu));
        EXPECT_EQ(sched_getcpu(), cpu);
        EXPECT_EQ(processor_of(task_stat(gettid_())), long(cpu));
        if (platform().myriad) {
            // The process's line: its main thread's, this one.
            EXPECT_EQ(processor_of("/proc/self/stat"), long(cpu));
            EXPECT_EQ(processor_of("/proc/" + std::to_string(getpid()) + "/stat"), long(cpu));
        }
    }
}

struct PinnedThread {
    int cpu = 0;
    std::atomic<int> tid{0};
    std::atomic<long> seen_cpu{-2}, seen_field{-2};
    std::atomic<bool> release{false};
};

void* pinned_body(void* arg)
{
    auto* p = static_cast<PinnedThread*>(arg);
    long field = -1, cpu = -1;
    if (pin_to(p->cpu)) {
        cpu = sched_getcpu();
        field = processor_of(task_stat(gettid_()));
    }
    p->seen_field = field;
    p->seen_cpu = cpu;
    p->tid = gettid_();
    while (!p->release.load())
        usleep(1000);
    return nullptr;
}

void processor_of_other_thread(Test& t)
{
    if (!platform().myriad && !proc_knows_our_tids())
        SKIP("/proc belongs to another PID namespace");
    // A thread pinned to the highest CPU allowed (another than the main
    // thread's whenever there are two): its own view and the main
    // thread's view of its stat line agree with where it runs.
    std::set<int> allowed = affinity_set();
    ASSERT(!allowed.empty());
    ASSERT(pin_to(*allowed.begin()));
    PinnedThread p;
    p.cpu = *allowed.rbegin();
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, nullptr, pinned_body, &p), 0);
    double deadline = monotonic_seconds() + 10;
    while (p.tid.load() == 0 && monotonic_seconds() < deadline)
        sleep_seconds(0.001);
    if (EXPECT(p.tid.load() != 0)) {
        EXPECT_EQ(p.seen_cpu.load(), long(p.cpu));
        EXPECT_EQ(p.seen_field.load(), long(p.cpu));
        // Sleeping or running, the last CPU it ran on is the pinned one.
        EXPECT_EQ(processor_of(task_stat(p.tid.load())), long(p.cpu));
        EXPECT_EQ(processor_of(task_stat(gettid_())), long(*allowed.begin()));
    }
    p.release = true;
    pthread_join(thread, nullptr);
}

void sys_cpu_files_read_only(Test& t)
{
    for (const char* path : {"/sys/devices/system/cpu/online", "/sys/devices/system/cpu/possible"}) {
        errno = 0;
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        int error = errno;
        if (fd >= 0) {
            errno = 0;
            ssize_t n = write(fd, "0\n", 2);
            error = errno;
            close(fd);
            EXPECT_EQ(n, ssize_t(-1));
        }
        // EACCES (Linux at open, Myriad at write; EROFS for a read-only /sys).
        if (!EXPECT(error == EACCES || (!platform().myriad && error == EROFS)))
            t.fail(__FILE_NAME__, __LINE__, std::string(path) + ": errno " + errno_name(error));
    }
    if (platform().myriad) {
        // Nothing new can be made there, as in /proc.
        EXPECT_ERRNO(open("/sys/devices/system/cpu/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), ENOENT);
        EXPECT_ERRNO(mkdir("/sys/devices/system/cpu/cpu99", 0755), ENOENT);
        EXPECT_ERRNO(unlink("/sys/devices/system/cpu/online"), EPERM);
    }
}

} // namespace

// /proc/lock_stat (Myriad's own columns, docs/smp.md): a header, then one
// line per lock class with its contentions, total wait in us and average
// wait in ns, every class listed whether contended or not.
void lock_stat_lists_every_class(Test& t)
{
    if (!platform().myriad)
        SKIP("Linux has /proc/lock_stat only with CONFIG_LOCK_STAT, in another format");
    std::string text;
    ASSERT(read_file("/proc/lock_stat", text));
    auto lines = lines_of(text);
    ASSERT(lines.size() > 10);
    EXPECT(lines[0].rfind("class name", 0) == 0);
    std::set<std::string> names;
    for (size_t i = 1; i < lines.size(); ++i) {
        std::istringstream fields(lines[i]);
        std::string name;
        unsigned long long contentions = 0, total_us = 0, average_ns = 0;
        if (!EXPECT(bool(fields >> name >> contentions >> total_us >> average_ns))) {
            t.fail(__FILE_NAME__, __LINE__, "line " + std::to_string(i) + ": " + show(lines[i]));
            continue;
        }
        names.insert(name);
        if (contentions == 0)
            EXPECT_EQ(average_ns, 0ull);
        else // the average is the total over the count (the total truncated to us)
            EXPECT(average_ns * contentions / 1000 <= total_us + contentions);
    }
    for (const char* expected : {"pipe", "address-space", "vfs", "process", "kmalloc", "page-alloc"})
        EXPECT(names.count(expected) == 1);
}

std::vector<ut::Case> proc_cpu_cases()
{
    return {
        {"cpu_counts_agree", counts_agree},
        {"cpuinfo_riscv_blocks", cpuinfo_blocks},
        {"stat_cpu_lines_sum_to_the_cpu_line", stat_lines_sum},
        {"stat_processor_is_sched_getcpu", processor_of_this_thread},
        {"stat_processor_of_a_pinned_thread", processor_of_other_thread},
        {"sys_cpu_files_are_read_only", sys_cpu_files_read_only},
        {"lock_stat_lists_every_class", lock_stat_lists_every_class},
    };
}
