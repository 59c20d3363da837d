// What a process can learn about CPU time and the system: /proc (a
// child's stat and status, self, meminfo, uptime, loadavg), nice values
// and the share of the CPU they buy, times(2), getrusage(2) and the
// rusage wait4 returns.
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <cstdio>
#include <sched.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ut;
using namespace signal_tests;

constexpr pid_t k_no_such_pid = 0x7ffffff0;

// The value of the "Key:" line of a /proc file such as status or meminfo,
// or "" if it has none.
std::string proc_field(const std::string& text, const std::string& key)
{
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(key + ":", 0) == 0) {
            auto start = line.find_first_not_of(" \t", key.size() + 1);
            return start == std::string::npos ? "" : line.substr(start);
        }
    }
    return "";
}

void proc_stat_of_child(Test& t)
{
    if (!proc_matches_pids())
        SKIP("/proc is another PID namespace's");
    const long ticks_per_second = sysconf(_SC_CLK_TCK);
    ASSERT(ticks_per_second > 0);
    pid_t pid = spawn_spinner();
    ASSERT(pid > 0);
    auto before = read_proc_stat(pid);
    ASSERT(before.has_value());
    // Spinning shows in utime: a tenth of a second of it within 5 s, even
    // on a loaded host (the Linux reference shares its CPUs with the build).
    std::optional<decltype(read_proc_stat(pid))::value_type> after;
    for (double give_up = monotonic_seconds() + 5.0;;) {
        sleep_seconds(0.1);
        after = read_proc_stat(pid);
        if (!after || after->utime >= before->utime + ticks_per_second / 10 || monotonic_seconds() > give_up)
            break;
    }
    ASSERT(after.has_value());
    EXPECT_EQ(before->pid, pid);
    EXPECT(!before->comm.empty());
    EXPECT(after->state == 'R' || after->state == 'S');
    EXPECT_EQ(after->ppid, getpid());
    EXPECT_EQ(after->pgrp, getpgrp());
    EXPECT_EQ(after->session, getsid(0));
    EXPECT(after->utime >= before->utime + ticks_per_second / 10);

    auto status = read_text_file("/proc/" + std::to_string(pid) + "/status");
    ASSERT(status.has_value());
    EXPECT(!proc_field(*status, "Name").empty());
    const std::string state = proc_field(*status, "State");
    EXPECT(state == "R (running)" || state == "S (sleeping)");
    EXPECT_EQ(proc_field(*status, "PPid"), std::to_string(getpid()));
    EXPECT_EQ(proc_field(*status, "Pid"), std::to_string(pid));
    kill(pid, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));

    auto self = read_proc_stat("/proc/self/stat");
    ASSERT(self.has_value());
    EXPECT_EQ(self->pid, int(getpid()));
    EXPECT_EQ(self->ppid, int(getppid()));
    if (platform().myriad) // (qemu-user makes up /proc/self/stat, with state "0")
        EXPECT_EQ(self->state, 'R');

    auto meminfo = read_text_file("/proc/meminfo");
    ASSERT(meminfo.has_value());
    unsigned long total = 0, free = 0, available = 0;
    EXPECT_EQ(std::sscanf(proc_field(*meminfo, "MemTotal").c_str(), "%lu kB", &total), 1);
    EXPECT_EQ(std::sscanf(proc_field(*meminfo, "MemFree").c_str(), "%lu kB", &free), 1);
    EXPECT_EQ(std::sscanf(proc_field(*meminfo, "MemAvailable").c_str(), "%lu kB", &available), 1);
    EXPECT(total > 0 && free > 0 && free <= total && available <= total);
    EXPECT(proc_field(*meminfo, "MemTotal").ends_with(" kB"));

    auto uptime = read_text_file("/proc/uptime");
    ASSERT(uptime.has_value());
    double up = -1, idle = -1;
    char end = 0;
    EXPECT_EQ(std::sscanf(uptime->c_str(), "%lf %lf%c", &up, &idle, &end), 3);
    EXPECT(up > 0 && idle >= 0 && end == '\n');

    auto loadavg = read_text_file("/proc/loadavg");
    ASSERT(loadavg.has_value());
    double load[3] = {-1, -1, -1};
    int running = -1, threads = -1, last_pid = -1;
    EXPECT_EQ(std::sscanf(loadavg->c_str(), "%lf %lf %lf %d/%d %d", &load[0], &load[1], &load[2], &running,
                          &threads, &last_pid),
              6);
    EXPECT(load[0] >= 0 && load[1] >= 0 && load[2] >= 0);
    EXPECT(running >= 1 && threads >= running && last_pid > 0);
}

// --- nice_weighting ----------------------------------------------------------

double cpu_seconds(const rusage& usage)
{
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

double own_cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return cpu_seconds(usage);
}

// Spins until `deadline` (monotonic seconds).
void spin_until(double deadline)
{
    std::uint64_t x = 1;
    while (monotonic_seconds() < deadline) {
        for (int i = 0; i < 100000; ++i) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            asm volatile("" : "+r"(x));
        }
    }
}

void priority_round_trip(Test& t)
{
    pid_t pid = spawn([] {
        CHILD_CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0);
        CHILD_CHECK(getpriority(PRIO_PROCESS, 0) == 5);
        // The system call itself returns 20 - nice (1..40), so that no
        // value looks like an error; glibc converts.
        CHILD_CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 15);
        CHILD_CHECK(setpriority(PRIO_PROCESS, getpid(), 100) == 0); // clamped
        CHILD_CHECK(getpriority(PRIO_PROCESS, 0) == 19);
        if (geteuid() == 0) {
            CHILD_CHECK(setpriority(PRIO_PROCESS, 0, -5) == 0);
            CHILD_CHECK(getpriority(PRIO_PROCESS, 0) == -5);
            CHILD_CHECK(setpriority(PRIO_PROCESS, 0, -100) == 0);
            CHILD_CHECK(getpriority(PRIO_PROCESS, 0) == -20);
            CHILD_CHECK(syscall(SYS_getpriority, PRIO_PROCESS, 0) == 40);
        } else {
            CHILD_CHECK(setpriority(PRIO_PROCESS, 0, -5) == -1 && errno == EACCES);
        }
        CHILD_CHECK(setpriority(7, 0, 0) == -1 && errno == EINVAL);
        errno = 0;
        CHILD_CHECK(getpriority(7, 0) == -1 && errno == EINVAL);
        CHILD_CHECK(setpriority(PRIO_PROCESS, k_no_such_pid, 0) == -1 && errno == ESRCH);
        errno = 0;
        CHILD_CHECK(getpriority(PRIO_PROCESS, k_no_such_pid) == -1 && errno == ESRCH);
        return 0;
    });
    ASSERT(pid > 0);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));

    // Another process's nice value, as /proc shows it too (stat fields
    // 18 and 19: priority 20 + nice, and nice).
    pid = spawn_spinner();
    ASSERT(pid > 0);
    EXPECT_EQ(setpriority(PRIO_PROCESS, pid, 10), 0);
    EXPECT_EQ(getpriority(PRIO_PROCESS, pid), 10);
    if (proc_matches_pids()) {
        auto stat = read_proc_stat(pid);
        EXPECT(stat && stat->nice == 10 && stat->priority == 30);
    }
    kill(pid, SIGKILL);
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(SIGKILL));
}

void nice_weighting(Test& t)
{
    priority_round_trip(t);
    if (t.failed())
        return;

    // Two CPU-bound children on one CPU for 2 s, at nice 0 and 19: Linux
    // weighs them 1024 : 15 (kernel/sched/core.c sched_prio_to_weight);
    // ask for 3 : 1 at least, over at least 0.2 s of CPU (the Linux
    // reference's pinned CPU may be shared with a loaded host's build, so
    // less than the 2 s). With several CPUs (a Linux host, Myriad on
    // several harts) both are pinned to one: the children inherit it.
    {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
            SKIP("sched_getaffinity: " + errno_name(errno));
        int cpu = 0;
        while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed))
            ++cpu;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (cpu == CPU_SETSIZE || sched_setaffinity(0, sizeof one, &one) != 0)
            SKIP("cannot pin to one CPU: " + errno_name(errno));
    }
    const int base = getpriority(PRIO_PROCESS, 0);
    const double deadline = monotonic_seconds() + 2.0;
    pid_t favoured = spawn([&] {
        spin_until(deadline);
        return 0;
    });
    pid_t niced = spawn([&] {
        CHILD_CHECK(setpriority(PRIO_PROCESS, 0, 19) == 0);
        spin_until(deadline);
        return 0;
    });
    ASSERT(favoured > 0 && niced > 0);
    int status = -1;
    rusage favoured_usage{}, niced_usage{};
    EXPECT_EQ(wait4(favoured, &status, 0, &favoured_usage), favoured);
    EXPECT_EQ(describe_status(status), describe_status(0));
    EXPECT_EQ(wait4(niced, &status, 0, &niced_usage), niced);
    EXPECT_EQ(describe_status(status), describe_status(0));
    const double favoured_cpu = cpu_seconds(favoured_usage), niced_cpu = cpu_seconds(niced_usage);
    if (!EXPECT(favoured_cpu >= 3 * niced_cpu) || !EXPECT(favoured_cpu > 0.2))
        t.fail(__FILE_NAME__, __LINE__,
               "CPU seconds: nice " + std::to_string(base) + " " + show(favoured_cpu) + ", nice 19 " +
                   show(niced_cpu));
}

// --- times_and_getrusage -----------------------------------------------------

void times_and_getrusage(Test& t)
{
    const long ticks_per_second = sysconf(_SC_CLK_TCK);
    ASSERT(ticks_per_second > 0);

    // Our own CPU time: 0.2 s of spinning shows in getrusage, times and
    // the process CPU clock.
    tms tms_before{};
    const clock_t clock_before = times(&tms_before);
    timespec cpu_clock_before{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_clock_before);
    const double own_before = own_cpu_seconds();
    const double wall_before = monotonic_seconds();
    while (own_cpu_seconds() < own_before + 0.2 && monotonic_seconds() < wall_before + 5)
        spin_until(monotonic_seconds() + 0.01);
    const double own_after = own_cpu_seconds();
    EXPECT(own_after >= own_before + 0.2);
    tms tms_after{};
    const clock_t clock_after = times(&tms_after);
    EXPECT(clock_after - clock_before >= ticks_per_second / 5 - 1); // wall time, in ticks
    EXPECT(tms_after.tms_utime + tms_after.tms_stime >=
           tms_before.tms_utime + tms_before.tms_stime + ticks_per_second / 10);
    timespec cpu_clock_after{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_clock_after);
    EXPECT(double(cpu_clock_after.tv_sec - cpu_clock_before.tv_sec) +
               double(cpu_clock_after.tv_nsec - cpu_clock_before.tv_nsec) * 1e-9 >=
           0.15);

    // A child's: 0.3 s of CPU reach wait4's rusage, then (once reaped)
    // RUSAGE_CHILDREN and the children's fields of times.
    rusage children_before{};
    EXPECT_EQ(getrusage(RUSAGE_CHILDREN, &children_before), 0);
    pid_t pid = spawn([] {
        const double start = own_cpu_seconds(), wall_start = monotonic_seconds();
        while (own_cpu_seconds() < start + 0.3) {
            if (monotonic_seconds() > wall_start + 5) {
                child_diagnostic(__FILE_NAME__, __LINE__, "5 s of spinning without 0.3 s of CPU time");
                return 1;
            }
            spin_until(monotonic_seconds() + 0.01);
        }
        return 0;
    });
    ASSERT(pid > 0);
    int status = -1;
    rusage child_usage{};
    EXPECT_EQ(wait4(pid, &status, 0, &child_usage), pid);
    EXPECT_EQ(describe_status(status), describe_status(0));
    EXPECT(cpu_seconds(child_usage) >= 0.2);
    EXPECT(cpu_seconds(child_usage) < 10);
    rusage children_after{};
    EXPECT_EQ(getrusage(RUSAGE_CHILDREN, &children_after), 0);
    EXPECT(cpu_seconds(children_after) >= cpu_seconds(children_before) + 0.2);
    tms tms_reaped{};
    times(&tms_reaped);
    EXPECT(tms_reaped.tms_cutime + tms_reaped.tms_cstime >=
           tms_after.tms_cutime + tms_after.tms_cstime + ticks_per_second / 5);

    rusage ignored{};
    EXPECT_ERRNO(syscall(SYS_getrusage, 7, &ignored), EINVAL);
}

} // namespace

std::vector<ut::Case> signal_cpu_cases()
{
    return {
        {"proc_stat_of_child", proc_stat_of_child},
        {"nice_weighting", nice_weighting},
        {"times_and_getrusage", times_and_getrusage},
    };
}
