// The kernel's view of a thread group, asked directly: clone and clone3
// refuse flag combinations that make no sense; /proc lists the threads;
// each thread has its own CPU clock and the process's sums them; the
// scheduler's affinity mask and getcpu.
#include "groups.h"
#include "harness.h"
#include "thread_tests.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "signal_tests.h"

namespace {

using namespace ut;
using namespace thread_tests;

// clone(2) on riscv64 (flags, stack, parent_tid, tls, child_tid) with the
// child's stack left 0 (it runs on ours): a child, if one is made, makes
// the exit system call at once, touching no memory. Returns the raw
// result (a tid, or -errno).
long clone_and_exit(unsigned long flags, std::uint32_t* parent_tid = nullptr, std::uint32_t* child_tid = nullptr)
{
    register long a0 asm("a0") = long(flags);
    register long a1 asm("a1") = 0;
    register long a2 asm("a2") = long(parent_tid);
    register long a3 asm("a3") = 0;
    register long a4 asm("a4") = long(child_tid);
    register long a7 asm("a7") = SYS_clone;
    asm volatile("ecall\n"
                 "bnez a0, 1f\n"
                 "li a7, %[exit]\n"
                 "ecall\n"
                 "1:\n"
                 : "+r"(a0), "+r"(a7)
                 : "r"(a1), "r"(a2), "r"(a3), "r"(a4), [exit] "i"(SYS_exit)
                 : "memory");
    return a0;
}

// struct clone_args (Linux include/uapi/linux/sched.h), the first 64
// bytes (CLONE_ARGS_SIZE_VER0).
struct CloneArgs {
    std::uint64_t flags = 0, pidfd = 0, child_tid = 0, parent_tid = 0, exit_signal = 0, stack = 0, stack_size = 0,
                  tls = 0;
};
static_assert(sizeof(CloneArgs) == 64);

long clone3_and_exit(const CloneArgs& args, unsigned long size = sizeof(CloneArgs))
{
    register long a0 asm("a0") = long(&args);
    register long a1 asm("a1") = long(size);
    register long a7 asm("a7") = 435; // __NR_clone3
    asm volatile("ecall\n"
                 "bnez a0, 1f\n"
                 "li a7, %[exit]\n"
                 "ecall\n"
                 "1:\n"
                 : "+r"(a0), "+r"(a7)
                 : "r"(a1), [exit] "i"(SYS_exit)
                 : "memory");
    return a0;
}

// What glibc's pthread_create asks for (sysdeps/unix/sysv/linux/createthread.c).
constexpr unsigned long k_thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                         CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

// Reaps what a wrongly accepted combination made.
void reap(long r)
{
    if (r > 0)
        waitpid(pid_t(r), nullptr, __WALL | WNOHANG);
}

// Waits until the kernel clears the tid word of an exited raw thread.
bool cleared(std::uint32_t* word)
{
    const double give_up = monotonic_seconds() + 5;
    for (std::uint32_t v; (v = load(*word)) != 0;) {
        if (monotonic_seconds() > give_up)
            return false;
        const timespec slice{0, 50000000};
        futex(word, FUTEX_WAIT, v, &slice); // the kernel's wake is not private
    }
    return true;
}

void clone_flag_combinations(Test& t)
{
    // Linux copy_process: a thread shares the signal handlers, and shared
    // handlers need a shared address space.
    long r = clone_and_exit(CLONE_VM | CLONE_THREAD | SIGCHLD);
    EXPECT_EQ(r, long(-EINVAL));
    reap(r);
    r = clone_and_exit(CLONE_SIGHAND | SIGCHLD);
    EXPECT_EQ(r, long(-EINVAL));
    reap(r);
    // The control: glibc's flags make a thread, which writes its tid to
    // the word and clears it when it exits.
    static std::uint32_t tid_word;
    store(tid_word, 0);
    r = clone_and_exit(k_thread_flags, &tid_word, &tid_word);
    EXPECT(r > 0 && r != getpid());
    EXPECT(cleared(&tid_word));

    // The same through clone3.
    CloneArgs args;
    args.flags = CLONE_VM | CLONE_THREAD;
    r = clone3_and_exit(args);
    if (r == -ENOSYS && !platform().myriad)
        return; // qemu-user (7.2) has no clone3; Myriad must have it
    EXPECT_EQ(r, long(-EINVAL));
    reap(r);
    args.flags = CLONE_SIGHAND;
    args.exit_signal = SIGCHLD;
    EXPECT_EQ(r = clone3_and_exit(args), long(-EINVAL));
    reap(r);
    // clone3's own rules: a thread has no exit signal; the structure has
    // at least its first version's 64 bytes; a signal number is valid.
    args.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
    args.exit_signal = SIGCHLD;
    EXPECT_EQ(r = clone3_and_exit(args), long(-EINVAL));
    reap(r);
    args = CloneArgs{};
    args.exit_signal = SIGCHLD;
    EXPECT_EQ(r = clone3_and_exit(args, 32), long(-EINVAL));
    reap(r);
    args.exit_signal = 65;
    EXPECT_EQ(r = clone3_and_exit(args), long(-EINVAL));
    reap(r);
    // And its control.
    args = CloneArgs{};
    args.flags = k_thread_flags;
    args.parent_tid = args.child_tid = reinterpret_cast<std::uintptr_t>(&tid_word);
    store(tid_word, 0);
    r = clone3_and_exit(args);
    EXPECT(r > 0 && r != getpid());
    EXPECT(cleared(&tid_word));
}

// Threads the case starts, which wait (in a futex) until released.
class Sleepers {
public:
    explicit Sleepers(int count)
        : m_tids(count)
    {
        for (int i = 0; i < count; ++i) {
            m_threads.emplace_back([this, i] {
                m_tids[i] = gettid();
                wait_while(m_release, 0);
            });
        }
        for (auto& tid : m_tids) {
            while (tid.load() == 0)
                sched_yield();
        }
    }
    ~Sleepers() { release(); }
    void release()
    {
        set_and_wake(m_release, 1);
        for (auto& thread : m_threads) {
            if (thread.joinable())
                thread.join();
        }
    }
    std::vector<pid_t> tids() const
    {
        std::vector<pid_t> ids;
        for (const auto& tid : m_tids)
            ids.push_back(tid.load());
        return ids;
    }

private:
    std::uint32_t m_release = 0;
    std::vector<std::atomic<pid_t>> m_tids;
    std::vector<std::thread> m_threads;
};

// A field of /proc/self/task/TID/status ("Tgid:", "Pid:"), or -1.
long task_status_field(pid_t tid, const std::string& key)
{
    auto text = signal_tests::read_text_file("/proc/self/task/" + std::to_string(tid) + "/status");
    if (!text)
        return -1;
    auto at = text->find("\n" + key);
    return at == std::string::npos ? -1 : std::atol(text->c_str() + at + 1 + key.size());
}

void proc_lists_the_threads(Test& t)
{
    const int own = 1 + foreign_threads();
    auto threads = status_threads();
    ASSERT(threads.has_value());
    EXPECT_EQ(*threads, own);
    constexpr int k_threads = 5;
    Sleepers sleepers(k_threads);
    EXPECT_EQ(status_threads().value_or(-1), own + k_threads);
    auto ids = task_ids();
    ASSERT(ids.has_value());
    EXPECT_EQ(int(ids->size()), own + k_threads);
    if (proc_shows_our_tids()) {
        std::vector<pid_t> ours = sleepers.tids();
        ours.push_back(getpid());
        for (pid_t tid : ours) {
            EXPECT(std::binary_search(ids->begin(), ids->end(), tid));
            EXPECT_EQ(task_status_field(tid, "Tgid:"), long(getpid()));
            EXPECT_EQ(task_status_field(tid, "Pid:"), long(tid));
        }
    }
    sleepers.release();
    // Gone once joined (a thread's tid word is cleared a moment before it
    // is removed from the group: poll).
    EXPECT(signal_tests::poll_until([&] { return status_threads() == std::optional<int>(own); }, 2));
    EXPECT(signal_tests::poll_until([&] { return task_ids() && int(task_ids()->size()) == own; }, 2));
}

double thread_clock_seconds(clockid_t clock)
{
    timespec ts{};
    if (clock_gettime(clock, &ts) != 0)
        return -1;
    return seconds(ts);
}

// A thread spins for 0.15 s of its own CPU time while the main thread
// sleeps: the spinner's clock (read by itself and through
// pthread_getcpuclockid) has it, the main thread's does not, the
// process's has all of it.
void thread_and_process_cpu_clocks(Test& t)
{
    constexpr double k_spin = 0.15;
    const double process_before = thread_clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    const double main_before = thread_clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    std::atomic<double> spun{0};
    std::uint32_t phase = 0; // 1: done spinning; 2: may exit
    std::thread spinner([&] {
        const double wall_limit = monotonic_seconds() + 10;
        double own = 0;
        while ((own = thread_clock_seconds(CLOCK_THREAD_CPUTIME_ID)) < k_spin && monotonic_seconds() < wall_limit) {
        }
        spun = own;
        set_and_wake(phase, 1);
        wait_while(phase, 1);
    });
    wait_while(phase, 0);
    clockid_t spinner_clock;
    double seen_from_main = -1;
    if (pthread_getcpuclockid(spinner.native_handle(), &spinner_clock) == 0)
        seen_from_main = thread_clock_seconds(spinner_clock);
    set_and_wake(phase, 2);
    spinner.join();
    const double main_used = thread_clock_seconds(CLOCK_THREAD_CPUTIME_ID) - main_before;
    const double process_used = thread_clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_before;

    EXPECT(spun >= k_spin);
    EXPECT(seen_from_main >= spun);
    EXPECT(main_used >= 0);
    EXPECT(main_used < spun / 2); // the main thread slept
    EXPECT(process_used + 0.001 >= spun + main_used);
}

void sched_getaffinity_mask(Test& t)
{
    cpu_set_t mask;
    CPU_ZERO(&mask);
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    const int cpus = CPU_COUNT(&mask);
    EXPECT(cpus >= 1);
    // The raw call returns how many bytes it wrote.
    cpu_set_t raw;
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof raw, &raw);
    EXPECT(bytes > 0 && bytes <= long(sizeof raw) && bytes % sizeof(long) == 0);
    // Another thread's mask, by its tid: the same (inherited).
    std::atomic<pid_t> tid{0};
    std::uint32_t done = 0;
    std::thread other([&] {
        tid = gettid();
        wait_while(done, 0);
    });
    while (tid == 0)
        sched_yield();
    cpu_set_t its;
    CPU_ZERO(&its);
    EXPECT_EQ(sched_getaffinity(tid, sizeof its, &its), 0);
    EXPECT(CPU_EQUAL(&its, &mask));
    set_and_wake(done, 1);
    other.join();
    EXPECT_ERRNO(sched_getaffinity(0x7ffffff0, sizeof mask, &mask), ESRCH);
    EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 1, &raw), EINVAL); // smaller than the kernel's mask
}

void getcpu_in_the_mask(Test& t)
{
    cpu_set_t mask;
    CPU_ZERO(&mask);
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    for (int round = 0; round < 2; ++round) { // from the main thread, then another
        auto ask = [&] {
            unsigned cpu = ~0u, node = ~0u;
            long r = syscall(SYS_getcpu, &cpu, &node, nullptr);
            EXPECT_EQ(r, 0L);
            EXPECT(cpu < CPU_SETSIZE && CPU_ISSET(cpu, &mask));
            EXPECT(node != ~0u);
            const int current = sched_getcpu(); // glibc's way (it may have moved since)
            EXPECT(current >= 0 && current < CPU_SETSIZE && CPU_ISSET(current, &mask));
            EXPECT_EQ(syscall(SYS_getcpu, &cpu, nullptr, nullptr), 0L); // either pointer may be null
        };
        if (round == 0)
            ask();
        else
            std::thread(ask).join(); // the case's thread waits meanwhile: `t` is used by one at a time
    }
}

} // namespace

std::vector<ut::Case> thread_kernel_cases()
{
    return {
        {"clone_flag_combinations", clone_flag_combinations},
        {"proc_lists_the_threads", proc_lists_the_threads},
        {"thread_and_process_cpu_clocks", thread_and_process_cpu_clocks},
        {"sched_getaffinity_mask", sched_getaffinity_mask},
        {"getcpu_in_the_mask", getcpu_in_the_mask},
    };
}
