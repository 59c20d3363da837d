// The helpers of thread_tests.h.
#include "thread_tests.h"

#include "harness.h"
#include "signal_tests.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <sstream>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace thread_tests {

long futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* timeout, std::uint32_t* word2,
           std::uint32_t value3)
{
    return syscall(SYS_futex, word, op, value, timeout, word2, value3);
}

long futex_n(std::uint32_t* word, int op, std::uint32_t value, std::uint32_t count, std::uint32_t* word2,
             std::uint32_t value3)
{
    return syscall(SYS_futex, word, op, value, static_cast<unsigned long>(count), word2, value3);
}

std::uint32_t load(const std::uint32_t& word) { return std::atomic_ref(const_cast<std::uint32_t&>(word)).load(); }

void store(std::uint32_t& word, std::uint32_t value) { std::atomic_ref(word).store(value); }

void set_and_wake(std::uint32_t& word, std::uint32_t value)
{
    store(word, value);
    futex_n(&word, FUTEX_WAKE_PRIVATE, INT32_MAX, 0, nullptr, 0);
}

void wait_while(const std::uint32_t& word, std::uint32_t value)
{
    while (load(word) == value)
        futex(const_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value);
}

double seconds(const timespec& ts) { return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9; }

double clock_seconds(clockid_t clock)
{
    timespec now{};
    clock_gettime(clock, &now);
    return seconds(now);
}

timespec after(clockid_t clock, double seconds)
{
    timespec now{};
    clock_gettime(clock, &now);
    constexpr long long k_ns = 1000000000;
    long long ns = static_cast<long long>(now.tv_sec) * k_ns + now.tv_nsec + static_cast<long long>(seconds * 1e9);
    return {time_t(ns / k_ns), long(ns % k_ns)};
}

std::optional<std::vector<pid_t>> task_ids()
{
    DIR* dir = opendir("/proc/self/task");
    if (!dir)
        return std::nullopt;
    std::vector<pid_t> ids;
    while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.')
            ids.push_back(pid_t(std::atoi(entry->d_name)));
    }
    closedir(dir);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::optional<int> status_threads()
{
    auto text = signal_tests::read_text_file("/proc/self/status");
    if (!text)
        return std::nullopt;
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Threads:", 0) == 0)
            return std::atoi(line.c_str() + 8);
    }
    return std::nullopt;
}

bool proc_shows_our_tids() { return signal_tests::proc_matches_pids(); }

int foreign_threads()
{
    if (ut::platform().myriad)
        return 0;
    static int measured = -1;
    if (measured < 0) {
        // A forked child has one thread of the program's, whatever its
        // parent had.
        pid_t pid = ut::spawn([] {
            auto ids = task_ids();
            return ids && !ids->empty() ? int(ids->size()) - 1 : 0;
        });
        int status = ut::wait_for(pid);
        measured = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    }
    return measured;
}

bool wait_until_asleep(pid_t tid, double seconds)
{
    if (!proc_shows_our_tids()) {
        ut::sleep_seconds(0.2);
        return true;
    }
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    return signal_tests::poll_until(
        [&] {
            auto stat = signal_tests::read_proc_stat(path);
            return stat && stat->state == 'S';
        },
        seconds);
}

bool qemu_user()
{
    if (ut::platform().myriad)
        return false;
    void* head = nullptr;
    size_t length = 0;
    return syscall(SYS_get_robust_list, 0, &head, &length) == -1 && errno == ENOSYS;
}

} // namespace thread_tests
