// POSIX timers (timer_create and its family) and RLIMIT_CPU, as Linux
// defines them: each call and its errors, periodic signals and overruns,
// the SI_TIMER siginfo, absolute times, CPU-clock timers, what fork and
// exec do to timers, the per-process limit, SIGXCPU and SIGKILL at the
// CPU limits. Raw system calls, so that glibc's own timer bookkeeping
// (SIGEV_THREAD) stays out of the way except where it is the subject.
#include "groups.h"
#include "harness.h"

#include <atomic>
#include <csignal>
#include <ctime>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace ut;

// include/uapi/asm-generic/siginfo.h
constexpr int k_sigev_thread_id = 4;

struct KernelSigevent {
    union {
        int sival_int;
        void* sival_ptr;
    } value;
    int signo;
    int notify;
    int thread_id;
    int pad[11];
};
static_assert(sizeof(KernelSigevent) == 64);

void* const k_bad_pointer = reinterpret_cast<void*>(8); // never mapped

long raw_create(clockid_t clock, const KernelSigevent* ev, int* id)
{
    return syscall(SYS_timer_create, clock, ev, id);
}
long raw_settime(int id, int flags, const itimerspec* value, itimerspec* old)
{
    return syscall(SYS_timer_settime, id, flags, value, old);
}
long raw_gettime(int id, itimerspec* value) { return syscall(SYS_timer_gettime, id, value); }
long raw_getoverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
long raw_delete(int id) { return syscall(SYS_timer_delete, id); }

KernelSigevent signal_event(int sig, long value = 0)
{
    KernelSigevent ev{};
    ev.notify = SIGEV_SIGNAL;
    ev.signo = sig;
    ev.value.sival_ptr = reinterpret_cast<void*>(value);
    return ev;
}

itimerspec spec_ns(long long value_ns, long long interval_ns = 0)
{
    itimerspec s{};
    s.it_value = {time_t(value_ns / 1000000000), long(value_ns % 1000000000)};
    s.it_interval = {time_t(interval_ns / 1000000000), long(interval_ns % 1000000000)};
    return s;
}

long long ns_of(const timespec& ts) { return ts.tv_sec * 1000000000ll + ts.tv_nsec; }

long long clock_ns(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return ns_of(ts);
}

// Blocks sig in this thread for the scope (a timer's signal waits to be
// taken with sigtimedwait).
struct BlockSignal {
    sigset_t set{}, old{};
    explicit BlockSignal(int sig)
    {
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_BLOCK, &set, &old);
    }
    ~BlockSignal() { pthread_sigmask(SIG_SETMASK, &old, nullptr); }
};

// Takes sig within `ms` milliseconds; false if it did not come.
bool take(int sig, siginfo_t& info, long ms)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    timespec timeout{ms / 1000, (ms % 1000) * 1000000};
    return sigtimedwait(&set, &info, &timeout) == sig;
}

bool is_pending(int sig)
{
    sigset_t set;
    sigpending(&set);
    return sigismember(&set, sig) == 1;
}

void create_errors(Test& t)
{
    int id = -1;
    KernelSigevent ev = signal_event(SIGUSR1);
    EXPECT_ERRNO(raw_create(12345, &ev, &id), EINVAL);                  // no such clock
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC_RAW, &ev, &id), EOPNOTSUPP); // a clock without timers
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, static_cast<const KernelSigevent*>(k_bad_pointer), &id), EFAULT);
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &ev, static_cast<int*>(k_bad_pointer)), EFAULT);
    KernelSigevent bad = ev;
    bad.notify = 99;
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    bad = ev;
    bad.signo = 0;
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    bad.signo = 65;
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    // SIGEV_THREAD_ID must name a thread of the caller's process.
    bad = ev;
    bad.notify = SIGEV_SIGNAL | k_sigev_thread_id;
    bad.thread_id = getppid();
    EXPECT_ERRNO(raw_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    // SIGEV_NONE needs no valid signal.
    KernelSigevent none{};
    none.notify = SIGEV_NONE;
    none.signo = 0;
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &none, &id), 0L);
    EXPECT_EQ(raw_delete(id), 0L);
    for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID,
                            CLOCK_THREAD_CPUTIME_ID}) {
        ASSERT_EQ(raw_create(clock, &ev, &id), 0L);
        EXPECT_EQ(raw_delete(id), 0L);
    }
}

void call_errors(Test& t)
{
    int id = -1;
    KernelSigevent ev = signal_event(SIGUSR1);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &ev, &id), 0L);
    itimerspec value = spec_ns(10000000000ll), out{};
    EXPECT_ERRNO(raw_settime(id + 1000, 0, &value, nullptr), EINVAL);
    EXPECT_ERRNO(raw_settime(id, 0, nullptr, nullptr), EINVAL);
    EXPECT_ERRNO(raw_settime(id, 0, static_cast<const itimerspec*>(k_bad_pointer), nullptr), EFAULT);
    itimerspec bad = value;
    bad.it_value.tv_nsec = 1000000000;
    EXPECT_ERRNO(raw_settime(id, 0, &bad, nullptr), EINVAL);
    bad = value;
    bad.it_interval.tv_sec = -1;
    EXPECT_ERRNO(raw_settime(id, 0, &bad, nullptr), EINVAL);
    // The old value's pointer is checked after the change is made.
    EXPECT_ERRNO(raw_settime(id, 0, &value, static_cast<itimerspec*>(k_bad_pointer)), EFAULT);
    EXPECT_EQ(raw_gettime(id, &out), 0L);
    EXPECT(ns_of(out.it_value) > 9000000000ll);
    EXPECT_ERRNO(raw_gettime(id + 1000, &out), EINVAL);
    EXPECT_ERRNO(raw_gettime(id, static_cast<itimerspec*>(k_bad_pointer)), EFAULT);
    EXPECT_ERRNO(raw_getoverrun(id + 1000), EINVAL);
    EXPECT_EQ(raw_getoverrun(id), 0L);
    EXPECT_EQ(raw_delete(id), 0L);
    EXPECT_ERRNO(raw_delete(id), EINVAL);
    EXPECT_ERRNO(raw_gettime(id, &out), EINVAL);
}

void ids_count_from_zero(Test& t)
{
    if (!platform().myriad)
        SKIP("qemu-user hands out its own timer ids (0x0caf0000 | slot), not the kernel's");
    // In a fresh child: Linux numbers a process's timers from 0 and does
    // not reuse a deleted id at once.
    pid_t pid = spawn([] {
        KernelSigevent ev = signal_event(SIGUSR1);
        int a = -1, b = -1, c = -1;
        CHILD_CHECK(raw_create(CLOCK_MONOTONIC, &ev, &a) == 0 && a == 0);
        CHILD_CHECK(raw_create(CLOCK_MONOTONIC, &ev, &b) == 0 && b == 1);
        CHILD_CHECK(raw_delete(a) == 0);
        CHILD_CHECK(raw_create(CLOCK_MONOTONIC, &ev, &c) == 0 && c == 2);
        return 0;
    });
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

void settime_returns_old_value(Test& t)
{
    int id = -1;
    KernelSigevent ev = signal_event(SIGUSR1);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &ev, &id), 0L);
    itimerspec value = spec_ns(10000000000ll, 1000000000ll), old{}, now{};
    ASSERT_EQ(raw_settime(id, 0, &value, &old), 0L);
    EXPECT_EQ(ns_of(old.it_value), 0ll); // was disarmed
    EXPECT_EQ(raw_gettime(id, &now), 0L);
    EXPECT(ns_of(now.it_value) > 9000000000ll && ns_of(now.it_value) <= 10000000000ll);
    EXPECT_EQ(ns_of(now.it_interval), 1000000000ll);
    itimerspec off = spec_ns(0);
    ASSERT_EQ(raw_settime(id, 0, &off, &old), 0L);
    EXPECT(ns_of(old.it_value) > 9000000000ll && ns_of(old.it_value) <= 10000000000ll);
    EXPECT_EQ(ns_of(old.it_interval), 1000000000ll);
    EXPECT_EQ(raw_gettime(id, &now), 0L);
    EXPECT_EQ(ns_of(now.it_value), 0ll);
    EXPECT_EQ(ns_of(now.it_interval), 0ll);
    EXPECT_EQ(raw_delete(id), 0L);

    // SIGEV_NONE: counts down, expires, sends nothing.
    KernelSigevent none{};
    none.notify = SIGEV_NONE;
    BlockSignal block(SIGUSR1);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &none, &id), 0L);
    value = spec_ns(1000000);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    sleep_seconds(0.02);
    EXPECT_EQ(raw_gettime(id, &now), 0L);
    EXPECT_EQ(ns_of(now.it_value), 0ll);
    value = spec_ns(2000000, 2000000);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    sleep_seconds(0.02);
    EXPECT_EQ(raw_gettime(id, &now), 0L);
    EXPECT(ns_of(now.it_value) > 0 && ns_of(now.it_value) <= 2000000);
    EXPECT(!is_pending(SIGUSR1));
    EXPECT_EQ(raw_delete(id), 0L);
}

void periodic_signals_and_overrun(Test& t)
{
    // A real-time signal, which would queue once per expiry if the timer
    // did not keep to one queued instance.
    const int sig = SIGRTMIN + 2;
    BlockSignal block(sig);
    int id = -1;
    KernelSigevent ev = signal_event(sig, 42);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &ev, &id), 0L);
    // Blocked: the first expiry queues the signal, the later ones while it
    // waits are overruns.
    itimerspec value = spec_ns(2000000, 2000000);
    long long start = clock_ns(CLOCK_MONOTONIC);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    sleep_seconds(0.04);
    siginfo_t info{};
    long long first_taken = clock_ns(CLOCK_MONOTONIC);
    ASSERT(take(sig, info, 0));
    long long elapsed = clock_ns(CLOCK_MONOTONIC) - start;
    EXPECT_EQ(info.si_code, SI_TIMER);
    EXPECT_EQ(info.si_value.sival_int, 42);
    EXPECT(info.si_overrun >= 5);
    EXPECT(info.si_overrun <= elapsed / 2000000);
    EXPECT_EQ(raw_getoverrun(id), long(info.si_overrun));
    // Taken in time, each period brings a signal; the periods missed in
    // between are overruns. At most one signal (the timer's next) can have
    // been queued since the first was taken, however slow we are.
    int signals = 0, overruns = 0;
    while (take(sig, info, 0)) {
        ++signals;
        overruns += info.si_overrun;
    }
    EXPECT(signals <= 1);
    // Myriad fires at its 10 ms tick: a few periods per signal, the rest
    // overruns. Three signals take about 30 ms; a stalled host may make
    // them take longer, up to a second.
    start = clock_ns(CLOCK_MONOTONIC);
    while (signals < 3 && clock_ns(CLOCK_MONOTONIC) - start < 1000000000ll)
        if (take(sig, info, 10)) {
            ++signals;
            overruns += info.si_overrun;
        }
    elapsed = clock_ns(CLOCK_MONOTONIC) - first_taken;
    EXPECT(signals >= 3);
    EXPECT(signals + overruns <= elapsed / 2000000 + 2);
    EXPECT_EQ(raw_delete(id), 0L);
}

// The handler's view of a timer's signal.
std::atomic<int> g_code{0}, g_timerid{-1}, g_overrun{-1}, g_count{0};
std::atomic<void*> g_value{nullptr};

void record_timer_signal(int, siginfo_t* info, void*)
{
    g_code = info->si_code;
    g_timerid = info->si_timerid;
    g_overrun = info->si_overrun;
    g_value = info->si_value.sival_ptr;
    ++g_count;
}

void si_timer_siginfo(Test& t)
{
    const int sig = SIGRTMIN + 1;
    struct sigaction sa{}, old{};
    sa.sa_sigaction = record_timer_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, &old);
    g_count = 0;
    int id = -1;
    void* const cookie = reinterpret_cast<void*>(0x123456789abcll);
    KernelSigevent ev = signal_event(sig, reinterpret_cast<long>(cookie));
    ASSERT_EQ(raw_create(CLOCK_REALTIME, &ev, &id), 0L);
    itimerspec value = spec_ns(1000000);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    for (double give_up = monotonic_seconds() + 1.0; g_count == 0 && monotonic_seconds() < give_up;)
        usleep(1000);
    EXPECT_EQ(g_count.load(), 1);
    EXPECT_EQ(g_code.load(), SI_TIMER);
    EXPECT_EQ(g_value.load(), cookie);
    EXPECT_EQ(g_overrun.load(), 0);
    if (platform().myriad)
        EXPECT_EQ(g_timerid.load(), id); // qemu-user reports the host's id
    EXPECT_EQ(raw_delete(id), 0L);
    sigaction(sig, &old, nullptr);

    // No sigevent: SIGALRM with the timer's id as si_value (Myriad: qemu
    // passes NULL on, and the host's id comes back).
    if (!platform().myriad)
        return;
    BlockSignal block(SIGALRM);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, nullptr, &id), 0L);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    siginfo_t info{};
    ASSERT(take(SIGALRM, info, 1000));
    EXPECT_EQ(info.si_code, SI_TIMER);
    EXPECT_EQ(info.si_value.sival_int, id);
    EXPECT_EQ(info.si_timerid, id);
    EXPECT_EQ(raw_delete(id), 0L);
}

void abstime_in_the_past_fires_at_once(Test& t)
{
    BlockSignal block(SIGUSR1);
    for (clockid_t clock : {CLOCK_MONOTONIC, CLOCK_REALTIME}) {
        int id = -1;
        KernelSigevent ev = signal_event(SIGUSR1);
        ASSERT_EQ(raw_create(clock, &ev, &id), 0L);
        itimerspec value = spec_ns(clock_ns(clock) / 2); // past, and positive just after boot
        long long start = clock_ns(CLOCK_MONOTONIC);
        ASSERT_EQ(raw_settime(id, TIMER_ABSTIME, &value, nullptr), 0L);
        siginfo_t info{};
        EXPECT(take(SIGUSR1, info, 1000));
        EXPECT(clock_ns(CLOCK_MONOTONIC) - start < 50000000);
        itimerspec now{};
        EXPECT_EQ(raw_gettime(id, &now), 0L);
        EXPECT_EQ(ns_of(now.it_value), 0ll); // a one-shot, spent
        // An absolute time ahead does not fire.
        value = spec_ns(clock_ns(clock) + 10000000000ll);
        ASSERT_EQ(raw_settime(id, TIMER_ABSTIME, &value, nullptr), 0L);
        EXPECT(!take(SIGUSR1, info, 5));
        EXPECT_EQ(raw_delete(id), 0L);
    }
}

void cpu_clock_timers(Test& t)
{
    BlockSignal block(SIGUSR1);
    for (clockid_t clock : {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID}) {
        int id = -1;
        KernelSigevent ev = signal_event(SIGUSR1);
        ASSERT_EQ(raw_create(clock, &ev, &id), 0L);
        long long start = clock_ns(clock);
        itimerspec value = spec_ns(20000000);
        ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
        // Sleeping costs no CPU time: it does not fire.
        siginfo_t info{};
        EXPECT(!take(SIGUSR1, info, 30));
        volatile unsigned long spin = 0;
        while (!is_pending(SIGUSR1) && clock_ns(clock) - start < 1000000000ll)
            for (int i = 0; i < 10000; ++i)
                spin = spin + 1;
        long long used = clock_ns(clock) - start;
        EXPECT(take(SIGUSR1, info, 0));
        EXPECT(used >= 20000000);
        EXPECT(used < 1000000000ll);
        EXPECT_EQ(info.si_code, SI_TIMER);
        EXPECT_EQ(raw_delete(id), 0L);
    }
}

std::atomic<int> g_usr2{0};
void count_usr2(int) { ++g_usr2; }

void fork_does_not_inherit(Test& t)
{
    struct sigaction sa{}, old{};
    sa.sa_handler = count_usr2;
    sigaction(SIGUSR2, &sa, &old);
    int id = -1;
    KernelSigevent ev = signal_event(SIGUSR2);
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &ev, &id), 0L);
    itimerspec value = spec_ns(2000000, 2000000);
    ASSERT_EQ(raw_settime(id, 0, &value, nullptr), 0L);
    pid_t pid = spawn([id] {
        g_usr2 = 0;
        itimerspec now{};
        CHILD_CHECK(raw_gettime(id, &now) == -1 && errno == EINVAL);
        usleep(30000);
        CHILD_CHECK(g_usr2 == 0);
        return 0;
    });
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
    EXPECT_EQ(raw_delete(id), 0L);
    sigaction(SIGUSR2, &old, nullptr);
    EXPECT(g_usr2 > 0); // the parent's own timer did fire
}

void exec_deletes_timers(Test& t)
{
    REQUIRE_EXEC();
    // The program exec'd looks for the timer made before: it must be gone.
    pid_t pid = spawn([] {
        int id = -1;
        KernelSigevent ev = signal_event(SIGUSR1);
        CHILD_CHECK(raw_create(CLOCK_MONOTONIC, &ev, &id) == 0);
        itimerspec value = spec_ns(10000000000ll);
        CHILD_CHECK(raw_settime(id, 0, &value, nullptr) == 0);
        std::string probe = image_path("bin/exec_probe");
        std::string id_text = std::to_string(id);
        execl(probe.c_str(), "exec_probe", "no-timer", id_text.c_str(), static_cast<char*>(nullptr));
        return 99;
    });
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

void per_process_limit(Test& t)
{
    // Linux bounds timers by RLIMIT_SIGPENDING, Myriad by a fixed 512,
    // qemu-user by its table of 32: each says EAGAIN past its bound.
    pid_t pid = spawn([] {
        rlimit limit{600, 600};
        setrlimit(RLIMIT_SIGPENDING, &limit);
        KernelSigevent ev = signal_event(SIGUSR1);
        int id = -1, made = 0;
        while (made < 100000 && raw_create(CLOCK_MONOTONIC, &ev, &id) == 0)
            ++made;
        CHILD_CHECK(errno == EAGAIN);
        CHILD_CHECK(made >= 32);
        if (platform().myriad)
            CHILD_CHECK(made == 512);
        return 0;
    });
    EXPECT_EQ(describe_status(wait_for(pid)), describe_status(0));
}

std::atomic<int> g_notified{0};
void notified(sigval value) { g_notified = value.sival_int; }

void thread_notification(Test& t)
{
    // glibc's SIGEV_THREAD: a helper thread gets SIGEV_THREAD_ID signals
    // and calls the function.
    g_notified = 0;
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = notified;
    ev.sigev_value.sival_int = 7;
    timer_t timer;
    ASSERT_EQ(timer_create(CLOCK_MONOTONIC, &ev, &timer), 0);
    itimerspec value = spec_ns(1000000);
    ASSERT_EQ(timer_settime(timer, 0, &value, nullptr), 0);
    for (double give_up = monotonic_seconds() + 1.0; g_notified == 0 && monotonic_seconds() < give_up;)
        usleep(1000);
    EXPECT_EQ(g_notified.load(), 7);
    EXPECT_EQ(timer_delete(timer), 0);

    // SIGEV_THREAD_ID straight: only the named thread takes it.
    BlockSignal block(SIGUSR1); // inherited by the thread, which waits for it
    std::atomic<pid_t> tid{0};
    std::atomic<int> got{0};
    std::thread waiter([&] {
        tid = pid_t(syscall(SYS_gettid));
        siginfo_t info{};
        if (take(SIGUSR1, info, 2000) && info.si_code == SI_TIMER)
            got = info.si_value.sival_int;
    });
    while (tid == 0)
        usleep(100);
    KernelSigevent direct = signal_event(SIGUSR1, 9);
    direct.notify = SIGEV_SIGNAL | k_sigev_thread_id;
    direct.thread_id = tid;
    int id = -1;
    ASSERT_EQ(raw_create(CLOCK_MONOTONIC, &direct, &id), 0L);
    itimerspec once = spec_ns(1000000);
    ASSERT_EQ(raw_settime(id, 0, &once, nullptr), 0L);
    waiter.join();
    EXPECT_EQ(got.load(), 9);
    EXPECT(!is_pending(SIGUSR1)); // not the process's: ours stays empty
    EXPECT_EQ(raw_delete(id), 0L);
}

int g_xcpu_pipe = -1;
void on_sigxcpu(int)
{
    rlimit now{};
    getrlimit(RLIMIT_CPU, &now);
    char soft = char(now.rlim_cur);
    (void)!write(g_xcpu_pipe, &soft, 1);
}

void rlimit_cpu_signals(Test& t)
{
    // Soft 1 s, hard 2 s: SIGXCPU (caught) at 1 s, when the soft limit
    // moves up to 2 s (Linux's), then SIGKILL at the hard limit.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = spawn([&] {
        close(fds[0]);
        g_xcpu_pipe = fds[1];
        signal(SIGXCPU, on_sigxcpu);
        rlimit limit{1, 2};
        CHILD_CHECK(setrlimit(RLIMIT_CPU, &limit) == 0);
        volatile unsigned long spin = 0;
        for (;;)
            spin = spin + 1;
        return 0;
    });
    close(fds[1]);
    int status = wait_for_at_most(pid, 20.0);
    if (status == -1) {
        kill(pid, SIGKILL);
        wait_for(pid);
    }
    EXPECT_EQ(describe_status(status), describe_status(SIGKILL));
    char got[8] = {};
    ssize_t n = read(fds[0], got, sizeof(got));
    close(fds[0]);
    EXPECT(n >= 1);
    if (n >= 1)
        EXPECT_EQ(int(got[0]), 2);
}

} // namespace

std::vector<ut::Case> posix_timer_cases()
{
    return {
        {"create_errors", create_errors},
        {"call_errors", call_errors},
        {"ids_count_from_zero", ids_count_from_zero},
        {"settime_returns_old_value", settime_returns_old_value},
        {"periodic_signals_and_overrun", periodic_signals_and_overrun},
        {"si_timer_siginfo", si_timer_siginfo},
        {"abstime_in_the_past_fires_at_once", abstime_in_the_past_fires_at_once},
        {"cpu_clock_timers", cpu_clock_timers},
        {"fork_does_not_inherit", fork_does_not_inherit},
        {"exec_deletes_timers", exec_deletes_timers},
        {"per_process_limit", per_process_limit},
        {"thread_notification", thread_notification},
        {"rlimit_cpu_signals", rlimit_cpu_signals},
    };
}
