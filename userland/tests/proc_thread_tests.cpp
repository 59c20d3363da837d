// Threads as /proc shows them (proc(5)): /proc/PID/task with one
// directory per live thread, each thread's stat, status and comm, the
// process's thread count (status "Threads:", stat field 20), and thread
// names set through comm (pthread_setname_np writes
// /proc/self/task/TID/comm for a thread other than the caller).
//
// Under the Linux reference (qemu-user) the process is qemu's, which may
// run threads of its own: the cases take the threads there before they
// start any as the baseline, and on Myriad expect that baseline to be the
// main thread alone. The image's ps and top are run on Myriad only (they
// need execve of a RISC-V program).
#include "groups.h"
#include "harness.h"
#include "signal_tests.h"

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace {

using namespace ut;
using namespace signal_tests;

// The numeric entries of a directory, ascending.
std::vector<int> numeric_entries(const std::string& path)
{
    std::vector<int> ids;
    DIR* dir = opendir(path.c_str());
    if (!dir)
        return ids;
    while (dirent* entry = readdir(dir)) {
        char* end = nullptr;
        long id = std::strtol(entry->d_name, &end, 10);
        if (entry->d_name[0] >= '1' && entry->d_name[0] <= '9' && *end == 0 && id > 0 && id <= INT_MAX)
            ids.push_back(int(id));
    }
    closedir(dir);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::vector<int> own_tids() { return numeric_entries("/proc/self/task"); }

std::string show_ids(const std::vector<int>& ids)
{
    std::string out = "{";
    for (int id : ids)
        out += (out.size() > 1 ? "," : "") + std::to_string(id);
    return out + "}";
}

std::string task_path(int tid, const char* file)
{
    return "/proc/self/task/" + std::to_string(tid) + "/" + file;
}

// The value of a "Key:" line of a status file, or "".
std::string status_field(const std::string& text, const std::string& key)
{
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(key + ":", 0) == 0) {
            auto start = line.find_first_not_of(" \t", key.size() + 1);
            return start == std::string::npos ? "" : line.substr(start);
        }
    return "";
}

// Field `number` of a stat line (proc(5) numbering, 3 and up: after the
// comm), or "".
std::string stat_field(const std::string& text, size_t number)
{
    auto close = text.rfind(')');
    if (close == std::string::npos || number < 3)
        return "";
    std::istringstream rest(text.substr(close + 1));
    std::string field;
    for (size_t i = 3; rest >> field; ++i)
        if (i == number)
            return field;
    return "";
}

// Three threads that block until released: two reading a pipe, one
// waiting on a futex word. Each publishes its tid first.
class BlockedThreads {
public:
    static constexpr int count = 3;

    bool start()
    {
        if (pipe(m_pipe) != 0)
            return false;
        for (int i = 0; i < count; ++i) {
            m_slots[i].owner = this;
            m_slots[i].index = i;
            if (pthread_create(&m_threads[i], nullptr, &BlockedThreads::body, &m_slots[i]) != 0)
                return false;
            ++m_started;
        }
        return poll_until([this] { return published() == count; }, 10);
    }

    // Lets them return and joins them; idempotent.
    void release()
    {
        if (m_released)
            return;
        m_released = true;
        if (m_pipe[1] >= 0) {
            char bytes[2] = {'x', 'x'};
            (void)!write(m_pipe[1], bytes, sizeof bytes);
        }
        __atomic_store_n(&m_futex_word, 1u, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &m_futex_word, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
        for (int i = 0; i < m_started; ++i)
            pthread_join(m_threads[i], nullptr);
        for (int fd : m_pipe)
            if (fd >= 0)
                close(fd);
        m_pipe[0] = m_pipe[1] = -1;
    }

    ~BlockedThreads() { release(); }

    int tid(int i) const { return m_slots[i].tid.load(); }
    pthread_t thread(int i) const { return m_threads[i]; }
    std::vector<int> tids() const
    {
        std::vector<int> out;
        for (int i = 0; i < count; ++i)
            out.push_back(tid(i));
        return out;
    }

private:
    struct Slot {
        BlockedThreads* owner = nullptr;
        int index = 0;
        std::atomic<int> tid{0};
    };

    int published() const
    {
        int n = 0;
        for (const auto& slot : m_slots)
            n += slot.tid.load() != 0;
        return n;
    }

    static void* body(void* argument)
    {
        auto* slot = static_cast<Slot*>(argument);
        BlockedThreads& self = *slot->owner;
        slot->tid.store(int(gettid()));
        if (slot->index < 2) {
            char byte;
            while (read(self.m_pipe[0], &byte, 1) < 0 && errno == EINTR) {
            }
        } else {
            while (__atomic_load_n(&self.m_futex_word, __ATOMIC_SEQ_CST) == 0)
                syscall(SYS_futex, &self.m_futex_word, FUTEX_WAIT_PRIVATE, 0u, nullptr, nullptr, 0);
        }
        return nullptr;
    }

    int m_pipe[2] = {-1, -1};
    unsigned m_futex_word = 0;
    pthread_t m_threads[count] = {};
    Slot m_slots[count];
    int m_started = 0;
    bool m_released = false;
};

// /proc/self/task lists exactly the live threads; each one's stat and
// status speak for that thread; the process counts them; joined threads
// leave.
void task_dir_lists_threads(Test& t)
{
    if (!proc_matches_pids())
        SKIP("/proc is another PID namespace's");
    const int pid = getpid();
    std::vector<int> baseline = own_tids();
    ASSERT(std::find(baseline.begin(), baseline.end(), pid) != baseline.end());
    if (platform().myriad)
        EXPECT_EQ(show_ids(baseline), show_ids({pid}));

    BlockedThreads threads;
    ASSERT(threads.start());
    std::vector<int> expected = baseline;
    for (int tid : threads.tids()) {
        EXPECT(tid != pid);
        expected.push_back(tid);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(show_ids(own_tids()), show_ids(expected));
    const std::string thread_count = std::to_string(expected.size());

    for (int tid : threads.tids()) {
        // Blocked in read(2) or futex(2) soon after publishing its tid.
        EXPECT(poll_until([tid] {
            auto stat = read_proc_stat(task_path(tid, "stat"));
            return stat && stat->state == 'S';
        }, 5));
        auto stat = read_proc_stat(task_path(tid, "stat"));
        ASSERT(stat.has_value());
        EXPECT_EQ(stat->pid, tid);
        EXPECT_EQ(stat->state, 'S');
        EXPECT_EQ(stat->ppid, int(getppid()));
        auto text = read_text_file(task_path(tid, "stat"));
        ASSERT(text.has_value());
        EXPECT_EQ(stat_field(*text, 20), thread_count); // num_threads: the process's

        auto status = read_text_file(task_path(tid, "status"));
        ASSERT(status.has_value());
        EXPECT_EQ(status_field(*status, "Pid"), std::to_string(tid));
        EXPECT_EQ(status_field(*status, "Tgid"), std::to_string(pid));
        EXPECT_EQ(status_field(*status, "State"), std::string("S (sleeping)"));
        EXPECT_EQ(status_field(*status, "Threads"), thread_count);
    }

    // The main thread is the one reading.
    auto main_stat = read_proc_stat(task_path(pid, "stat"));
    ASSERT(main_stat.has_value());
    EXPECT_EQ(main_stat->pid, pid);
    EXPECT_EQ(main_stat->state, 'R');
    auto main_text = read_text_file(task_path(pid, "stat"));
    ASSERT(main_text.has_value());
    EXPECT_EQ(stat_field(*main_text, 20), thread_count);

    auto status = read_text_file("/proc/self/status");
    ASSERT(status.has_value());
    EXPECT_EQ(status_field(*status, "Threads"), thread_count);
    if (platform().myriad) { // (qemu-user makes up /proc/self/stat, with 0 threads)
        auto self_stat = read_text_file("/proc/self/stat");
        ASSERT(self_stat.has_value());
        EXPECT_EQ(stat_field(*self_stat, 20), std::string("4"));
        EXPECT_EQ(status_field(*status, "Threads"), std::string("4"));
    }

    // A descriptor on a thread's directory, kept past its end.
    int kept = open(("/proc/self/task/" + std::to_string(threads.tid(0))).c_str(), O_RDONLY | O_DIRECTORY);
    EXPECT(kept >= 0);

    std::vector<int> gone = threads.tids();
    threads.release();
    // pthread_join returns once the thread cleared its tid word, a moment
    // before the kernel drops it from the table.
    EXPECT(poll_until([&] { return own_tids() == baseline; }, 5));
    EXPECT_EQ(show_ids(own_tids()), show_ids(baseline));
    for (int tid : gone) {
        EXPECT_ERRNO(access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK), ENOENT);
        EXPECT_ERRNO(open(task_path(tid, "stat").c_str(), O_RDONLY), ENOENT);
    }
    if (kept >= 0) {
        EXPECT_ERRNO(openat(kept, "stat", O_RDONLY), ENOENT);
        // Listed, it is empty.
        int entries = -1;
        if (DIR* dir = fdopendir(kept)) {
            entries = 0;
            while (dirent* entry = readdir(dir))
                entries += std::string(entry->d_name) != "." && std::string(entry->d_name) != "..";
            closedir(dir); // closes kept
        } else {
            close(kept);
        }
        EXPECT_EQ(entries, 0);
    }
    status = read_text_file("/proc/self/status");
    ASSERT(status.has_value());
    EXPECT_EQ(status_field(*status, "Threads"), std::to_string(baseline.size()));
}

// comm: the thread's name, set with pthread_setname_np (through
// /proc/self/task/TID/comm) or written there directly; only by the
// threads of the same process.
void thread_names_through_comm(Test& t)
{
    if (!proc_matches_pids())
        SKIP("/proc is another PID namespace's");
    const int pid = getpid();
    auto process_comm = read_text_file("/proc/self/comm");
    ASSERT(process_comm.has_value());
    EXPECT(process_comm->size() >= 2 && process_comm->size() <= 16 && process_comm->back() == '\n');
    EXPECT_EQ(read_text_file(task_path(pid, "comm")).value_or("?"), *process_comm);

    BlockedThreads threads;
    ASSERT(threads.start());
    // A new thread starts with its creator's name.
    EXPECT_EQ(read_text_file(task_path(threads.tid(0), "comm")).value_or("?"), *process_comm);

    const char* names[BlockedThreads::count] = {"worker-0", "a) (b", "fifteen-chars-x"};
    for (int i = 0; i < BlockedThreads::count; ++i)
        EXPECT_EQ(pthread_setname_np(threads.thread(i), names[i]), 0);
    EXPECT_EQ(pthread_setname_np(threads.thread(0), "sixteen-chars-xy"), ERANGE); // glibc's check
    for (int i = 0; i < BlockedThreads::count; ++i) {
        int tid = threads.tid(i);
        EXPECT_EQ(read_text_file(task_path(tid, "comm")).value_or("?"), std::string(names[i]) + "\n");
        char name[16] = {};
        EXPECT_EQ(pthread_getname_np(threads.thread(i), name, sizeof name), 0);
        EXPECT_EQ(std::string(name), std::string(names[i]));
        auto stat = read_proc_stat(task_path(tid, "stat"));
        ASSERT(stat.has_value());
        EXPECT_EQ(stat->comm, std::string(names[i]));
        auto status = read_text_file(task_path(tid, "status"));
        ASSERT(status.has_value());
        EXPECT_EQ(status_field(*status, "Name"), std::string(names[i]));
    }
    // The process's name is its main thread's, and did not change.
    EXPECT_EQ(read_text_file("/proc/self/comm").value_or("?"), *process_comm);

    // Written directly: the first 15 bytes as they are, a newline too
    // (Linux's comm_write strips nothing); the whole write counts.
    int tid = threads.tid(0);
    int fd = open(task_path(tid, "comm").c_str(), O_WRONLY);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "abc\n", 4), 4L);
    EXPECT_EQ(read_text_file(task_path(tid, "comm")).value_or("?"), std::string("abc\n\n"));
    EXPECT_ERRNO(pwrite(fd, "pwrite", 6, 0), ESPIPE); // as Linux's comm
    EXPECT_EQ(write(fd, "0123456789abcdefghij", 20), 20L);
    EXPECT_EQ(read_text_file(task_path(tid, "comm")).value_or("?"), std::string("0123456789abcde\n"));
    EXPECT_EQ(write(fd, "x\0yz", 4), 4L);
    EXPECT_EQ(read_text_file(task_path(tid, "comm")).value_or("?"), std::string("x\n"));
    close(fd);
    // The thread's other files take no writes.
    fd = open(task_path(tid, "stat").c_str(), O_WRONLY);
    EXPECT(fd >= 0);
    if (fd >= 0) {
        EXPECT_ERRNO(write(fd, "x", 1), EINVAL);
        close(fd);
    }

    // The main thread's comm is the process's: renaming one renames both.
    fd = open(task_path(pid, "comm").c_str(), O_WRONLY);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "leader", 6), 6L);
    close(fd);
    EXPECT_EQ(read_text_file("/proc/self/comm").value_or("?"), std::string("leader\n"));
    fd = open("/proc/self/comm", O_WRONLY);
    ASSERT(fd >= 0);
    EXPECT_EQ(write(fd, "group", 5), 5L);
    close(fd);
    EXPECT_EQ(read_text_file(task_path(pid, "comm")).value_or("?"), std::string("group\n"));
    EXPECT_EQ(read_text_file(task_path(threads.tid(1), "comm")).value_or("?"), std::string("a) (b\n"));

    // Another process's names are not ours to set.
    int ready[2], hold[2];
    ASSERT(pipe(ready) == 0 && pipe(hold) == 0);
    pid_t child = spawn([&] {
        close(ready[0]);
        close(hold[1]);
        (void)!write(ready[1], "r", 1);
        char byte;
        (void)!read(hold[0], &byte, 1);
        return 0;
    });
    ASSERT(child > 0);
    close(ready[1]);
    close(hold[0]);
    char byte;
    EXPECT_EQ(read(ready[0], &byte, 1), 1L);
    std::string child_dir = "/proc/" + std::to_string(child);
    auto child_comm = read_text_file(child_dir + "/comm");
    EXPECT(child_comm.has_value());
    for (std::string path : {child_dir + "/comm", child_dir + "/task/" + std::to_string(child) + "/comm"}) {
        fd = open(path.c_str(), O_WRONLY);
        EXPECT(fd >= 0);
        if (fd >= 0) {
            EXPECT_ERRNO(write(fd, "intruder", 8), EINVAL);
            close(fd);
        }
    }
    EXPECT_EQ(read_text_file(child_dir + "/comm").value_or("?"), child_comm.value_or("!"));
    close(hold[1]);
    close(ready[0]);
    EXPECT_EQ(describe_status(wait_for(child)), describe_status(0));
}

void* exit_at_once(void*) { return nullptr; }

// Threads come and go while the main thread lists /proc/self/task and
// reads what it listed: every read succeeds or finds the thread gone, and
// at the end the directory is back to the baseline.
void task_dir_under_churn(Test& t)
{
    if (!proc_matches_pids())
        SKIP("/proc is another PID namespace's");
    std::vector<int> baseline = own_tids();
    std::atomic<bool> stop{false};
    std::atomic<int> created{0};
    pthread_t churner;
    auto churn = [](void* argument) -> void* {
        auto* state = static_cast<std::pair<std::atomic<bool>*, std::atomic<int>*>*>(argument);
        while (!state->first->load()) {
            pthread_t thread;
            if (pthread_create(&thread, nullptr, exit_at_once, nullptr) == 0) {
                pthread_join(thread, nullptr);
                ++*state->second;
            }
        }
        return nullptr;
    };
    std::pair<std::atomic<bool>*, std::atomic<int>*> state{&stop, &created};
    ASSERT(pthread_create(&churner, nullptr, churn, &state) == 0);
    int listings = 0, reads = 0, unexpected = 0;
    for (double end = monotonic_seconds() + 1.0; monotonic_seconds() < end || created.load() < 5; ++listings) {
        for (int tid : own_tids()) {
            for (const char* file : {"stat", "status", "comm"}) {
                int fd = open(task_path(tid, file).c_str(), O_RDONLY);
                if (fd < 0) {
                    unexpected += errno != ENOENT && errno != ESRCH; // else it has just gone
                    continue;
                }
                char buffer[2048];
                ssize_t n = read(fd, buffer, sizeof buffer);
                reads += n > 0;
                unexpected += n < 0 && errno != ESRCH;
                close(fd);
            }
        }
        if (monotonic_seconds() > end + 10)
            break;
    }
    stop.store(true);
    pthread_join(churner, nullptr);
    EXPECT_EQ(unexpected, 0);
    EXPECT(created.load() >= 5);
    EXPECT(reads > 0);
    EXPECT(poll_until([&] { return own_tids() == baseline; }, 5));
    EXPECT_EQ(show_ids(own_tids()), show_ids(baseline));
}

// Runs the image's program `name` with `args`; its standard output, and
// what became of it.
std::pair<std::string, std::string> run_captured(const char* name, std::vector<std::string> args)
{
    int out[2];
    if (pipe(out) != 0)
        return {"", "pipe failed"};
    std::string path = image_path(name);
    args.insert(args.begin(), path.substr(path.rfind('/') + 1));
    pid_t child = spawn([&] {
        close(out[0]);
        dup2(out[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        char* envp[] = {nullptr};
        execve(path.c_str(), argv.data(), envp);
        return 100 + errno;
    });
    close(out[1]);
    std::string text;
    char buffer[1024];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        text.append(buffer, size_t(n));
    }
    close(out[0]);
    return {text, describe_status(wait_for(child))};
}

std::vector<std::vector<std::string>> rows_of(const std::string& text)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        rows.emplace_back();
        for (std::string word; words >> word;)
            rows.back().push_back(word);
    }
    return rows;
}

// Myriad's own ps -L/-T and top -H (the box tools), reading Myriad's /proc: a line per
// thread (under qemu-user the image's programs do not run: proc_tools_test.py
// runs them there).
void ps_and_top_show_threads(Test& t)
{
    REQUIRE_EXEC();
    const std::string pid = std::to_string(getpid());
    BlockedThreads threads;
    ASSERT(threads.start());
    ASSERT(pthread_setname_np(threads.thread(1), "named one") == 0);
    std::vector<int> tids = threads.tids();
    tids.push_back(getpid());
    std::sort(tids.begin(), tids.end());

    auto [ps, ps_status] = run_captured("usr/libexec/box/ps", {"-L", "-p", pid});
    EXPECT_EQ(ps_status, std::string("exited with status 0"));
    auto rows = rows_of(ps);
    ASSERT_EQ(rows.size(), size_t(5));
    EXPECT_EQ(ps.substr(0, ps.find('\n')), std::string("  PID   LWP TTY          TIME CMD"));
    for (size_t i = 0; i < tids.size(); ++i) {
        ASSERT(rows[i + 1].size() >= 5);
        EXPECT_EQ(rows[i + 1][0], pid);
        EXPECT_EQ(rows[i + 1][1], std::to_string(tids[i]));
        if (tids[i] == threads.tid(1))
            EXPECT_EQ(rows[i + 1][4] + " " + rows[i + 1].back(), std::string("named one"));
    }

    auto [full, full_status] = run_captured("usr/libexec/box/ps", {"-Lf", "-p", pid});
    EXPECT_EQ(full_status, std::string("exited with status 0"));
    rows = rows_of(full);
    ASSERT_EQ(rows.size(), size_t(5));
    EXPECT_EQ(rows[0][5], std::string("NLWP"));
    for (size_t i = 1; i < rows.size(); ++i) {
        ASSERT(rows[i].size() >= 6);
        EXPECT_EQ(rows[i][5], std::string("4"));
    }

    auto [spid, spid_status] = run_captured("usr/libexec/box/ps", {"-T", "-p", pid});
    EXPECT_EQ(spid_status, std::string("exited with status 0"));
    EXPECT_EQ(spid.substr(0, spid.find('\n')), std::string("  PID  SPID TTY          TIME CMD"));
    EXPECT_EQ(rows_of(spid).size(), size_t(5));

    auto [top, top_status] = run_captured("usr/libexec/box/top", {"-H", "-b", "-n", "1"});
    EXPECT_EQ(top_status, std::string("exited with status 0"));
    EXPECT(top.find("\nThreads: ") != std::string::npos);
    for (int tid : tids) {
        bool listed = false;
        for (const auto& row : rows_of(top))
            listed |= !row.empty() && row[0] == std::to_string(tid);
        EXPECT(listed);
    }
}

} // namespace

std::vector<ut::Case> proc_thread_cases()
{
    return {
        {"task_dir_lists_threads", task_dir_lists_threads},
        {"thread_names_through_comm", thread_names_through_comm},
        {"task_dir_under_churn", task_dir_under_churn},
        {"ps_and_top_show_threads", ps_and_top_show_threads},
    };
}
