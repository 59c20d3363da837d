// Waiting on many descriptors: ppoll, pselect6, epoll and eventfd. poll
// and select share one wait (wait_for_slots): a PollEntry per descriptor
// on its object's PollQueue, all woken into one private wait queue, and
// a fresh look at every descriptor after each wake-up, as Linux's
// do_poll. epoll keeps its registrations between calls (kernel/fs/epoll.cpp).
#include "kernel/fs/epoll.hpp"
#include "kernel/fs/eventfd.hpp"
#include "kernel/fs/file.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/process/wait_queue.hpp"
#include "kernel/syscall/syscall.hpp"
#include "kernel/time.hpp"
#include "lib/scope_guard.hpp"

namespace kernel {

namespace {

constexpr u64 FOREVER = ~0ull;
constexpr u64 NS_PER_SEC = 1000000000ull;

int nofile_limit() { return int(lib::min<u64>(current_process().rlimit_cur[7], FileTable::MAX_FDS)); }

// A timeout as a monotonic deadline: NULL waits forever, zero only looks.
// `start` is 0 for a zero timeout (nothing to write back).
Result<u64> deadline_from(UserPtr<const Timespec> timeout, u64& start)
{
    start = 0;
    if (!timeout)
        return FOREVER;
    Timespec ts = TRY(mm::read_user(timeout));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || u64(ts.tv_nsec) >= NS_PER_SEC)
        return Errno::einval;
    if (ts.tv_sec == 0 && ts.tv_nsec == 0)
        return u64(0);
    start = monotonic_ns();
    if (u64(ts.tv_sec) >= (FOREVER - start) / NS_PER_SEC - 1)
        return FOREVER - 1; // centuries: as good as forever, but still written back
    return start + u64(ts.tv_sec) * NS_PER_SEC + u64(ts.tv_nsec);
}

// ppoll and pselect6 write the time left back (Linux's
// poll_select_finish); a failure to write changes nothing.
void write_back_remaining(UserPtr<const Timespec> timeout, u64 start, u64 deadline)
{
    if (!start)
        return;
    u64 now = monotonic_ns();
    u64 left = deadline > now ? deadline - now : 0;
    Timespec ts{i64(left / NS_PER_SEC), i64(left % NS_PER_SEC)};
    (void)mm::write_user(UserPtr<Timespec>(timeout.address()), ts);
}

// The sigmask argument, put in place for the wait (as sigsuspend does):
// a signal it lets through runs its handler with it, and the old mask
// comes back through the handler's frame; without a signal it comes back
// when the call returns.
class WaitMask {
public:
    Result<void> install(UserPtr<const Sigset> mask, usize size)
    {
        if (!mask)
            return {};
        if (size != sizeof(Sigset))
            return Errno::einval;
        Sigset set = TRY(mm::read_user(mask));
        Thread& t = current_thread();
        SpinLockGuard guard(process_lock());
        t.saved_mask = t.signals_blocked;
        t.set_work(Thread::WORK_MASK_SAVED);
        t.signals_blocked = set & ~UNBLOCKABLE;
        signals_unblocked_proc_locked(t);
        m_installed = true;
        return {};
    }
    // Linux's restore_saved_sigmask_unless(interrupted).
    void finish(bool interrupted)
    {
        if (!m_installed || interrupted)
            return;
        Thread& t = current_thread();
        SpinLockGuard guard(process_lock());
        t.signals_blocked = t.saved_mask;
        t.clear_work(Thread::WORK_MASK_SAVED);
        signals_unblocked_proc_locked(t);
    }

private:
    bool m_installed = false;
};

// One descriptor of a poll or select call.
struct PollSlot {
    PollEntry entry;           // on the file's PollQueue while the call waits
    WaitQueue* sleeper;        // the calling thread's
    File* file;                // referenced; null for a negative or bad fd
    u32 events;                // what counts (poll: the asked events, POLLERR and POLLHUP)
    u32 revents;               // what was found
};

void slot_woken(PollEntry& e, u32 events)
{
    auto* slot = reinterpret_cast<PollSlot*>(reinterpret_cast<char*>(&e) - __builtin_offsetof(PollSlot, entry));
    if (events & slot->events)
        wake_all_proc_locked(*slot->sleeper);
}

// Looks at every slot until one is ready, the deadline passes or a signal
// comes: the number of ready slots (bad descriptors count, with POLLNVAL
// set by the caller), or EINTR.
Result<usize> wait_for_slots(PollSlot* slots, usize n, u64 deadline)
{
    WaitQueue sleeper;
    SpinLockGuard guard(process_lock());
    bool registered = false, timed_out = deadline == 0, interrupted = false;
    lib::ScopeGuard unregister([&] {
        if (registered)
            for (usize i = 0; i < n; ++i)
                poll_remove_proc_locked(slots[i].entry);
    });
    for (;;) {
        usize ready = 0;
        for (usize i = 0; i < n; ++i) {
            PollSlot& s = slots[i];
            if (s.file)
                s.revents = s.file->poll_proc_locked() & s.events;
            ready += s.revents != 0;
        }
        if (ready || timed_out)
            return ready;
        if (interrupted)
            return Errno::eintr;
        // Registered, then looked at once more before the first sleep: an
        // object whose readiness changes under its own lock (a pipe) may
        // have changed after the look above and before the entries were
        // there to be woken (poll_wake_unlocked). A change after this
        // look wakes the sleep below.
        if (!registered) {
            for (usize i = 0; i < n; ++i) {
                PollSlot& s = slots[i];
                PollQueue* q = s.file ? s.file->poll_queue() : nullptr;
                if (!q)
                    continue;
                s.sleeper = &sleeper;
                s.entry.wake = slot_woken;
                poll_add_proc_locked(*q, s.entry);
            }
            registered = true;
            continue;
        }
        if (deadline == FOREVER) {
            interrupted = block_on_proc_locked(sleeper);
        } else {
            WaitOutcome outcome = block_on_until_proc_locked(sleeper, deadline);
            timed_out = outcome == WaitOutcome::TimedOut;
            interrupted = outcome == WaitOutcome::Interrupted;
        }
    }
}

// A block of slots, the files they reference released with it.
class Slots {
public:
    ~Slots()
    {
        for (usize i = 0; i < m_count; ++i)
            if (m_slots[i].file)
                m_slots[i].file->unref();
        mm::kfree(m_slots);
    }
    Result<void> allocate(usize count)
    {
        if (count == 0)
            return {};
        m_slots = static_cast<PollSlot*>(mm::kmalloc(count * sizeof(PollSlot)));
        if (!m_slots)
            return Errno::enomem;
        for (usize i = 0; i < count; ++i)
            new (&m_slots[i]) PollSlot{};
        m_count = count;
        return {};
    }
    PollSlot& operator[](usize i) { return m_slots[i]; }
    PollSlot* data() { return m_slots; }

private:
    PollSlot* m_slots = nullptr;
    usize m_count = 0;
};

Result<usize> do_poll(UserPtr<PollFd> fds, u32 nfds, u64 deadline)
{
    if (nfds > current_process().rlimit_cur[7]) // RLIMIT_NOFILE
        return Errno::einval;
    if (!mm::user_range_ok(fds.address(), usize(nfds) * sizeof(PollFd)))
        return Errno::efault;
    PollFd* in = nullptr;
    if (nfds) {
        in = static_cast<PollFd*>(mm::kmalloc(nfds * sizeof(PollFd)));
        if (!in)
            return Errno::enomem;
    }
    lib::ScopeGuard free_in([&] { mm::kfree(in); });
    TRY(mm::copy_from_user(in, fds, nfds));
    Slots slots;
    TRY(slots.allocate(nfds));
    FileTable& table = *current_process().files;
    for (u32 i = 0; i < nfds; ++i) {
        if (in[i].fd < 0)
            continue; // ignored: revents 0
        auto file = table.get_ref(in[i].fd);
        if (file.is_ok() && (file.value()->flags() & O_PATH)) {
            file.value()->unref(); // an O_PATH descriptor is not one to poll (Linux's fdget)
            file = Errno::ebadf;
        }
        if (file.is_error()) {
            slots[i].revents = POLLNVAL;
            continue;
        }
        slots[i].file = file.value();
        slots[i].events = u16(in[i].events) | POLLERR | POLLHUP;
    }
    auto ready = wait_for_slots(slots.data(), nfds, deadline);
    // The results go back even when interrupted, as Linux's do_sys_poll.
    for (u32 i = 0; i < nfds; ++i)
        TRY(mm::write_user(UserPtr<i16>(fds.address() + i * sizeof(PollFd) + __builtin_offsetof(PollFd, revents)),
                           i16(slots[i].revents)));
    return ready;
}

// select's three sets as poll events (Linux's POLLIN_SET...).
constexpr u32 SELECT_IN = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr u32 SELECT_OUT = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr u32 SELECT_EX = POLLPRI;
constexpr usize SET_WORDS = FileTable::MAX_FDS / 64;

Result<usize> do_select(i32 n, u64 sets_in[3], u64 deadline)
{
    if (n < 0)
        return Errno::einval;
    // Descriptors past the table's size cannot be open: Linux ignores them.
    usize count = usize(lib::min(n, FileTable::MAX_FDS));
    usize words = (count + 63) / 64;
    u64 sets[3][SET_WORDS] = {};
    for (int k = 0; k < 3; ++k)
        if (sets_in[k])
            TRY(mm::copy_from_user(sets[k], UserPtr<const u64>(sets_in[k]), words));
    // Drop bits past n in the last word (Linux reads whole words too).
    if (count % 64)
        for (auto& set : sets)
            set[words - 1] &= (1ull << (count % 64)) - 1;
    usize used = 0;
    for (usize w = 0; w < words; ++w)
        used += usize(__builtin_popcountll(sets[0][w] | sets[1][w] | sets[2][w]));
    Slots slots;
    TRY(slots.allocate(used));
    FileTable& table = *current_process().files;
    usize k = 0;
    for (usize fd = 0; fd < count; ++fd) {
        u64 bit = 1ull << (fd % 64);
        bool r = sets[0][fd / 64] & bit, w = sets[1][fd / 64] & bit, x = sets[2][fd / 64] & bit;
        if (!r && !w && !x)
            continue;
        slots[k].file = TRY(table.get_ref(int(fd)));
        if (slots[k].file->flags() & O_PATH)
            return Errno::ebadf; // Linux's fdget; the slots release what they hold
        slots[k].events = (r ? SELECT_IN : 0) | (w ? SELECT_OUT : 0) | (x ? SELECT_EX : 0);
        ++k;
    }
    TRY(wait_for_slots(slots.data(), used, deadline));
    u64 out[3][SET_WORDS] = {};
    usize ready = 0;
    k = 0;
    for (usize fd = 0; fd < count; ++fd) {
        u64 bit = 1ull << (fd % 64);
        if (!((sets[0][fd / 64] | sets[1][fd / 64] | sets[2][fd / 64]) & bit))
            continue;
        u32 found = slots[k++].revents;
        const u32 kinds[3] = {SELECT_IN, SELECT_OUT, SELECT_EX};
        for (int s = 0; s < 3; ++s) {
            if ((sets[s][fd / 64] & bit) && (found & kinds[s])) {
                out[s][fd / 64] |= bit;
                ++ready;
            }
        }
    }
    for (int s = 0; s < 3; ++s)
        if (sets_in[s])
            TRY(mm::copy_to_user(UserPtr<u64>(sets_in[s]), out[s], words));
    return ready;
}

} // namespace

Result<u64> sys_ppoll(UserPtr<PollFd> fds, u32 nfds, UserPtr<const Timespec> timeout, UserPtr<const Sigset> sigmask,
                      usize sigsetsize)
{
    u64 start;
    u64 deadline = TRY(deadline_from(timeout, start));
    WaitMask mask;
    TRY(mask.install(sigmask, sigsetsize));
    auto ready = do_poll(fds, nfds, deadline);
    mask.finish(ready.is_error() && ready.error().code == Errno::eintr);
    write_back_remaining(timeout, start, deadline);
    return ready.is_error() ? Result<u64>(ready.error()) : Result<u64>(u64(ready.value()));
}

Result<u64> sys_pselect6(i32 n, UserPtr<u64> readfds, UserPtr<u64> writefds, UserPtr<u64> exceptfds,
                         UserPtr<const Timespec> timeout, UserPtr<const SigsetArg> sigmask)
{
    u64 start;
    u64 deadline = TRY(deadline_from(timeout, start));
    SigsetArg arg{};
    if (sigmask)
        arg = TRY(mm::read_user(sigmask));
    WaitMask mask;
    TRY(mask.install(UserPtr<const Sigset>(arg.mask), usize(arg.size)));
    u64 sets[3] = {readfds.address(), writefds.address(), exceptfds.address()};
    auto ready = do_select(n, sets, deadline);
    mask.finish(ready.is_error() && ready.error().code == Errno::eintr);
    write_back_remaining(timeout, start, deadline);
    return ready.is_error() ? Result<u64>(ready.error()) : Result<u64>(u64(ready.value()));
}

Result<u64> sys_epoll_create1(i32 flags)
{
    if (flags & ~i32(O_CLOEXEC))
        return Errno::einval;
    File* ep = TRY(epoll_create());
    auto fd = current_process().files->install(ep, 0, flags & O_CLOEXEC, nofile_limit());
    if (fd.is_error()) {
        ep->unref();
        return fd.error();
    }
    return u64(fd.value());
}

Result<u64> sys_epoll_ctl(Fd epfd, i32 op, Fd fd, UserPtr<const EpollEvent> event)
{
    // Linux's order: the event, the two descriptors, then what they are.
    EpollEvent ev{};
    if (op != EPOLL_CTL_DEL)
        ev = TRY(mm::read_user(event));
    FileTable& table = *current_process().files;
    FileRef ep{TRY(table.get_ref(i32(epfd)))};
    FileRef target{TRY(table.get_ref(i32(fd)))};
    if (!target->poll_queue())
        return Errno::eperm;
    if (!ep->epoll() || ep.get() == target.get())
        return Errno::einval;
    TRY(epoll_ctl(*ep->epoll(), op, *target, i32(fd), ev.events, ev.data));
    return u64(0);
}

namespace {

Result<u64> epoll_wait_common(Fd epfd, UserPtr<EpollEvent> events, i32 maxevents, u64 deadline)
{
    if (maxevents <= 0 || u64(maxevents) > EPOLL_MAX_EVENTS)
        return Errno::einval;
    if (!mm::user_range_ok(events.address(), usize(maxevents) * sizeof(EpollEvent)))
        return Errno::efault;
    FileRef ep{TRY(current_process().files->get_ref(i32(epfd)))};
    if (!ep->epoll())
        return Errno::einval;
    // A call returns at most a page of events; the rest wait for the next.
    constexpr usize BATCH = 4096 / sizeof(EpollEvent);
    usize max = lib::min(usize(maxevents), BATCH);
    EpollEvent small[16];
    EpollEvent* out = small;
    if (max > 16) {
        out = static_cast<EpollEvent*>(mm::kmalloc(max * sizeof(EpollEvent)));
        if (!out)
            return Errno::enomem;
    }
    lib::ScopeGuard release([&] {
        if (out != small)
            mm::kfree(out);
    });
    usize n = TRY(epoll_wait(*ep->epoll(), out, max, deadline));
    TRY(mm::copy_to_user(events, out, n));
    return u64(n);
}

} // namespace

Result<u64> sys_epoll_pwait(Fd epfd, UserPtr<EpollEvent> events, i32 maxevents, i32 timeout_ms,
                            UserPtr<const Sigset> sigmask, usize sigsetsize)
{
    WaitMask mask;
    TRY(mask.install(sigmask, sigsetsize));
    u64 deadline = timeout_ms < 0 ? FOREVER : timeout_ms == 0 ? 0 : monotonic_ns() + u64(timeout_ms) * 1000000ull;
    auto n = epoll_wait_common(epfd, events, maxevents, deadline);
    mask.finish(n.is_error() && n.error().code == Errno::eintr);
    return n;
}

Result<u64> sys_epoll_pwait2(Fd epfd, UserPtr<EpollEvent> events, i32 maxevents, UserPtr<const Timespec> timeout,
                             UserPtr<const Sigset> sigmask, usize sigsetsize)
{
    u64 start;
    u64 deadline = TRY(deadline_from(timeout, start));
    WaitMask mask;
    TRY(mask.install(sigmask, sigsetsize));
    auto n = epoll_wait_common(epfd, events, maxevents, deadline);
    mask.finish(n.is_error() && n.error().code == Errno::eintr);
    return n;
}

Result<u64> sys_eventfd2(u32 initial, i32 flags)
{
    if (flags & ~i32(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE))
        return Errno::einval;
    File* f = TRY(eventfd_create(initial, u32(flags)));
    auto fd = current_process().files->install(f, 0, flags & O_CLOEXEC, nofile_limit());
    if (fd.is_error()) {
        f->unref();
        return fd.error();
    }
    return u64(fd.value());
}

} // namespace kernel

#define MYRIAD_THUNKS_poll(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
