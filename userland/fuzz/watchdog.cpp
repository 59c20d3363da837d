// The watchdog's round (see watchdog.h).
#include "watchdog.h"

#include "rng.h"
#include "worker.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <dirent.h>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fuzz {

double monotonic_seconds()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

namespace {

void sleep_ms(long ms)
{
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

} // namespace

bool Watchdog::spawn(Slot& slot, unsigned index)
{
    Ring& ring = m_area.rings[index];
    std::uint64_t serial = m_next_serial;
    ring.serial = serial;
    ring.pid = 0;
    ring.count.store(0);
    ring.mutant_execs.store(0);
    ring.forks.store(0);
    ring.storms.store(0);
    ring.threads.store(0);
    std::fflush(nullptr); // nothing buffered may be printed twice
    pid_t pid = fork();
    if (pid == 0) {
        WorkerSetup setup{serial, derive_seed(m_options.seed, serial), m_options.calls_per_worker, &ring,
                          m_area.canary_block, &m_program, m_options.inject == "canary" && serial == 20,
                          m_console_rdev, &m_options.skip};
        worker_main(setup);
    }
    if (pid < 0) {
        ++m_stats.fork_failures;
        return false;
    }
    ++m_next_serial;
    slot = Slot{pid, serial, monotonic_seconds(), 0};
    return true;
}

void Watchdog::finish(Slot& slot, int status)
{
    unsigned index = unsigned(&slot - m_slots.data());
    const Ring& ring = m_area.rings[index];
    m_stats.calls += ring.count.load();
    m_stats.mutant_execs += ring.mutant_execs.load();
    m_stats.forks += ring.forks.load();
    m_stats.storms += ring.storms.load() & 0xffff;
    m_stats.not_joined += ring.storms.load() >> 16;
    m_stats.threads += ring.threads.load();
    ++m_stats.workers;
    if (WIFEXITED(status) && WEXITSTATUS(status) == k_exit_holds_console)
        m_failure = "worker #" + std::to_string(slot.serial) +
                    " holds a descriptor of the console (isolation broken: its own are /dev/null)\n" +
                    format_ring(ring, k_ring_records);
    if (WIFSIGNALED(status) && !slot.killed_at) {
        ++m_stats.died_by_signal;
        ++m_stats.deaths_by_signal[WTERMSIG(status) & 63];
    }
    // Whatever the worker left in its process group goes with it (its
    // pid is not reused while the kernel hands out increasing pids).
    kill(-slot.pid, SIGKILL);
    slot.pid = 0;
}

bool Watchdog::run_round(std::string& failure)
{
    struct stat console {};
    if (m_console_rdev == 0 && fstat(1, &console) == 0 && S_ISCHR(console.st_mode))
        m_console_rdev = console.st_rdev;
    m_slots.assign(std::min<std::size_t>(m_options.parallel, k_max_slots), Slot{});
    unsigned started = 0, running = 0;
    double last_progress = monotonic_seconds();
    while (started < m_options.workers_per_round || running > 0) {
        for (unsigned i = 0; i < m_slots.size() && started < m_options.workers_per_round; ++i) {
            if (m_slots[i].pid)
                continue;
            if (!spawn(m_slots[i], i))
                break;
            ++started;
            ++running;
            last_progress = monotonic_seconds();
        }
        if (running == 0 && monotonic_seconds() - last_progress > 30) {
            failure = "no worker could be started for 30 s (fork fails: " + std::to_string(m_stats.fork_failures) +
                      " times)";
            return false;
        }
        // Reap workers and whatever orphans were handed to us (we are init).
        for (;;) {
            int status = 0;
            pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
            if (pid <= 0)
                break;
            for (Slot& slot : m_slots)
                if (slot.pid == pid) {
                    finish(slot, status);
                    --running;
                }
        }
        if (!m_failure.empty()) {
            failure = m_failure;
            return false;
        }
        double now = monotonic_seconds();
        for (Slot& slot : m_slots) {
            if (!slot.pid)
                continue;
            if (!slot.killed_at && now - slot.started > m_options.deadline) {
                kill(slot.pid, SIGKILL);
                slot.killed_at = now;
                ++m_stats.killed_at_deadline;
                // What it was stuck in: a blocking call the worker's 20 ms
                // SIGALRM did not interrupt (its mask or handler changed),
                // or one the kernel does not let a signal interrupt.
                std::printf("fuzz: worker #%llu killed at its deadline, in:\n%s", (unsigned long long)slot.serial,
                            format_ring(m_area.rings[&slot - m_slots.data()], 3).c_str());
            } else if (slot.killed_at && now - slot.killed_at > m_options.unkillable_after) {
                char line[160];
                std::snprintf(line, sizeof line,
                              "unkillable worker: #%llu (pid %d) still not reaped %.0f s after SIGKILL\n",
                              (unsigned long long)slot.serial, slot.pid, now - slot.killed_at);
                failure = line + format_ring(m_area.rings[&slot - m_slots.data()], k_ring_records);
                return false;
            }
        }
        sleep_ms(5);
    }
    return true;
}

namespace {

// The processes there are besides this one, from /proc.
std::vector<pid_t> other_processes()
{
    std::vector<pid_t> pids;
    DIR* dir = opendir("/proc");
    if (!dir)
        return pids;
    while (dirent* entry = readdir(dir)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (end != entry->d_name && *end == 0 && pid > 0 && pid != getpid())
            pids.push_back(pid_t(pid));
    }
    closedir(dir);
    return pids;
}

std::string describe_process(pid_t pid)
{
    std::string out = "  pid " + std::to_string(pid) + ":";
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    for (int i = 0; i < 12 && std::getline(status, line);)
        if (line.rfind("Name", 0) == 0 || line.rfind("State", 0) == 0 || line.rfind("Tgid", 0) == 0 ||
            line.rfind("PPid", 0) == 0 || line.rfind("Threads", 0) == 0 || line.rfind("Sig", 0) == 0) {
            out += " " + line + ";";
            ++i;
        }
    DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
    if (dir) {
        out += " tasks:";
        while (dirent* entry = readdir(dir))
            if (entry->d_name[0] != '.')
                out += std::string(" ") + entry->d_name;
        closedir(dir);
    }
    return out + "\n";
}

} // namespace

bool Watchdog::sweep(std::string& failure)
{
    if (getpid() != 1)
        return true; // not init: the other processes are not ours to kill
    double start = monotonic_seconds(), last_kill = -1;
    bool first_look = true;
    for (;;) {
        double now = monotonic_seconds();
        if (now - last_kill > 0.1) {
            kill(-1, SIGKILL); // every process but init
            last_kill = now;
        }
        while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
        }
        std::vector<pid_t> left = other_processes();
        if (left.empty())
            return true;
        if (first_look)
            m_stats.leftovers += left.size();
        first_look = false;
        if (now - start > m_options.unkillable_after) {
            char line[160];
            std::snprintf(line, sizeof line,
                          "unkillable process: %zu still there %.0f s after SIGKILL (kill(-1) after the round)\n",
                          left.size(), now - start);
            failure = line;
            for (std::size_t i = 0; i < left.size() && i < 6; ++i)
                failure += describe_process(left[i]);
            failure += "last calls of the round's workers:\n" + last_calls(k_ring_records);
            return false;
        }
        sleep_ms(5);
    }
}

int Watchdog::replay(std::uint64_t serial)
{
    m_slots.assign(1, Slot{});
    m_next_serial = serial;
    if (!spawn(m_slots[0], 0))
        return 1;
    int status = 0;
    double started = monotonic_seconds();
    while (waitpid(m_slots[0].pid, &status, WNOHANG | __WALL) == 0) {
        if (monotonic_seconds() - started > m_options.deadline && !m_slots[0].killed_at) {
            kill(m_slots[0].pid, SIGKILL);
            m_slots[0].killed_at = monotonic_seconds();
            std::printf("fuzz: worker #%llu killed at its deadline\n", (unsigned long long)serial);
        }
        sleep_ms(5);
    }
    std::printf("fuzz: worker #%llu ended with status %#x\n%s", (unsigned long long)serial, status,
                format_ring(m_area.rings[0], k_ring_records).c_str());
    return 0;
}

std::string Watchdog::last_calls(std::size_t per_worker) const
{
    std::string out;
    for (std::size_t i = 0; i < m_slots.size(); ++i)
        out += format_ring(m_area.rings[i], per_worker);
    return out;
}

} // namespace fuzz
