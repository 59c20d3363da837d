// Pipe buffers and their two ends.
#include "kernel/fs/pipe.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/mutex.hpp"
#include "lib/scope_guard.hpp"

namespace kernel::fs {

namespace {

constexpr unsigned BUFFER_ORDER = 4; // 16 pages = 64 KiB, the default
static_assert((mm::PAGE_SIZE << BUFFER_ORDER) == PIPE_CAPACITY);
// F_SETPIPE_SZ's ceiling: 4 MiB, the largest block the page allocator
// hands out (Linux lets root go further).
constexpr unsigned MAX_BUFFER_ORDER = 10;

// The ring, the counts of ends and the two wait queues are guarded by the
// pipe's own lock (lock(): the process lock on one hart), so a sleep or a
// wake-up on one pipe does not wait for another's. poll reads the ring
// under the process lock without it: a snapshot, and every change after
// it calls poll_wake_unlocked.
struct Pipe {
    SpinLock ring_lock{LockRank::PipeRing};
    SpinLock& lock() { return wait_queue_lock(ring_lock); }
    u8* buffer = nullptr;
    u64 head = 0, tail = 0; // read at head, write at tail (monotonic counters)
    u32 readers = 0, writers = 0;
    // Not under the ring lock: one reader at a time takes bytes out
    // (peek, copy out, consume), one writer at a time puts a write of at
    // most PIPE_BUF bytes in, so that it is not interleaved with another
    // hart's. Both are held across the wait for data or room; waiting
    // for them is interruptible.
    Mutex read_mutex{LockRank::Pipe};
    Mutex write_mutex{LockRank::Pipe};
    WaitQueue readable, writable;
    PollQueue poll; // poll, select and epoll on either end
    PhysAddr buffer_pa;
    unsigned order = BUFFER_ORDER; // the buffer is PAGE_SIZE << order bytes (F_SETPIPE_SZ)

    usize capacity() const { return mm::PAGE_SIZE << order; }
    usize used() const { return usize(tail - head); }
    usize space() const { return capacity() - used(); }
    u8& at(u64 position) { return buffer[position & (capacity() - 1)]; }
};

void free_pipe(Pipe* p)
{
    mm::free_pages(p->buffer_pa, p->order);
    mm::destroy(p);
}

// SIGPIPE to the writer, from under the ring lock.
void send_sigpipe(Pipe& p)
{
    if (&p.lock() == &process_lock()) {
        send_signal_proc_locked(current_process(), SIGPIPE);
        return;
    }
    SpinLockGuard guard(process_lock());
    send_signal_proc_locked(current_process(), SIGPIPE);
}

class PipeEnd final : public File {
public:
    PipeEnd(Pipe* pipe, bool write_end) : m_pipe(pipe), m_write_end(write_end) {}

    Result<usize> read(u64 buffer, usize length) override
    {
        if (m_write_end)
            return Errno::ebadf;
        if (length == 0)
            return usize(0);
        u8 chunk[512];
        // One reader at a time from peek to consume; others wait for the
        // mutex (interruptibly) while this one waits for data.
        if (!m_pipe->read_mutex.lock_interruptible())
            return Errno::eintr;
        lib::ScopeGuard unlock([&] { m_pipe->read_mutex.unlock(); });
        // Everything available up to `length` (Linux's pipe_read), in
        // chunks; it waits only while it has read nothing.
        usize done = 0;
        Pipe& p = *m_pipe;
        SpinLock& lock = p.lock();
        for (;;) {
            usize n = 0;
            {
                SpinLockGuard guard(lock);
                if (p.used() == 0) {
                    if (done)
                        return done;
                    if (p.writers == 0)
                        return usize(0); // EOF
                    if (flags() & O_NONBLOCK)
                        return Errno::eagain;
                    if (block_on_locked(p.readable, lock))
                        return Errno::eintr;
                    continue;
                }
                n = lib::min(lib::min(length - done, p.used()), sizeof(chunk));
                for (usize i = 0; i < n; ++i)
                    chunk[i] = p.at(p.head + i);
                // Copy out before consuming, so a bad buffer loses nothing.
            }
            if (auto r = mm::copy_to_user(buffer + done, chunk, n); r.is_error())
                return done ? Result<usize>(done) : Result<usize>(r.error());
            SpinLockGuard guard(lock);
            p.head += n;
            wake_all_locked(p.writable, lock);
            poll_wake_unlocked(p.poll, lock, POLLOUT | POLLWRNORM);
            done += n;
            if (done == length)
                return done;
        }
    }

    Result<usize> write(u64 buffer, usize length) override
    {
        if (!m_write_end)
            return Errno::ebadf;
        usize done = 0;
        u8 chunk[512];
        Pipe& p = *m_pipe;
        SpinLock& lock = p.lock();
        bool atomic = length <= PIPE_BUF;
        if (atomic && !p.write_mutex.lock_interruptible())
            return Errno::eintr;
        lib::ScopeGuard unlock([&] {
            if (atomic)
                p.write_mutex.unlock();
        });
        while (done < length) {
            usize n = lib::min(length - done, sizeof(chunk));
            if (auto r = mm::copy_from_user(chunk, buffer + done, n); r.is_error())
                return done ? Result<usize>(done) : Result<usize>(r.error());
            SpinLockGuard guard(lock);
            for (;;) {
                if (p.readers == 0) {
                    // Linux sends SIGPIPE too; its default action ends the writer.
                    send_sigpipe(p);
                    return done ? Result<usize>(done) : Result<usize>(Errno::epipe);
                }
                // Writes of at most PIPE_BUF bytes are atomic: wait until
                // the whole write fits, not just this chunk.
                usize needed = length <= PIPE_BUF ? length - done : 1;
                if (p.space() >= needed)
                    break;
                if (flags() & O_NONBLOCK)
                    return done ? Result<usize>(done) : Result<usize>(Errno::eagain);
                if (block_on_locked(p.writable, lock))
                    return done ? Result<usize>(done) : Result<usize>(Errno::eintr);
            }
            n = lib::min(n, p.space());
            for (usize i = 0; i < n; ++i)
                p.at(p.tail + i) = chunk[i];
            p.tail += n;
            done += n;
            wake_all_locked(p.readable, lock);
            poll_wake_unlocked(p.poll, lock, POLLIN | POLLRDNORM);
        }
        return done;
    }

    Result<u64> ioctl(u32 request, u64 arg) override
    {
        constexpr u32 FIONREAD = 0x541b;
        if (request != FIONREAD)
            return Errno::enotty;
        int n;
        {
            SpinLockGuard guard(m_pipe->lock());
            n = int(m_pipe->used());
        }
        TRY(mm::write_user(arg, n));
        return u64(0);
    }

    // Linux's pipe_poll: the read end is readable with bytes waiting and
    // hung up with no writer left; the write end is writable while a
    // PIPE_BUF write fits and in error with no reader left. A snapshot,
    // read without the ring lock (see Pipe).
    u32 poll_proc_locked() override
    {
        process_lock().assert_held();
        const Pipe& p = *m_pipe;
        if (m_write_end)
            return (p.space() >= PIPE_BUF ? POLLOUT | POLLWRNORM : 0) | (p.readers == 0 ? POLLERR : 0);
        return (p.used() ? POLLIN | POLLRDNORM : 0) | (p.writers == 0 ? POLLHUP : 0);
    }

    PollQueue* poll_queue() override { return &m_pipe->poll; }

    // F_GETPIPE_SZ / F_SETPIPE_SZ (Linux's pipe_fcntl): the size rounds up
    // to a power-of-two number of pages; EBUSY if what is buffered would
    // not fit. The data moves to the new buffer under the ring lock,
    // which every reader and writer holds to touch the ring.
    Result<u64> pipe_capacity(bool set, u64 size) override
    {
        if (!set) {
            SpinLockGuard guard(m_pipe->lock());
            return u64(m_pipe->capacity());
        }
        if (size > (1ull << 31))
            return Errno::einval;
        unsigned order = 0;
        while ((mm::PAGE_SIZE << order) < size)
            ++order;
        if (order > MAX_BUFFER_ORDER)
            return Errno::enomem;
        auto pa = mm::alloc_pages(order);
        if (!pa)
            return Errno::enomem;
        PhysAddr old_pa = *pa;
        unsigned old_order = order;
        Result<u64> result = u64(mm::PAGE_SIZE << order);
        {
            Pipe& p = *m_pipe;
            SpinLockGuard guard(p.lock());
            if (p.used() > (mm::PAGE_SIZE << order)) {
                result = Errno::ebusy; // the new buffer goes back below
            } else {
                auto* fresh = static_cast<u8*>(mm::phys_to_virt(*pa));
                for (u64 i = 0; i < p.used(); ++i)
                    fresh[i] = p.at(p.head + i);
                old_pa = p.buffer_pa;
                old_order = p.order;
                p.tail -= p.head;
                p.head = 0;
                p.buffer = fresh;
                p.buffer_pa = *pa;
                p.order = order;
                wake_all_locked(p.writable, p.lock()); // there may be room now
                poll_wake_unlocked(p.poll, p.lock(), POLLOUT | POLLWRNORM);
            }
        }
        mm::free_pages(old_pa, old_order);
        return result;
    }

    Result<void> stat(LinuxStat& st) override
    {
        st = {};
        st.st_mode = 0010600; // S_IFIFO | rw-------
        st.st_nlink = 1;
        st.st_blksize = 4096;
        st.st_ino = u64(reinterpret_cast<uptr>(m_pipe) >> 4);
        return {};
    }

private:
    void destroy() override
    {
        bool free_it;
        {
            Pipe& p = *m_pipe;
            SpinLockGuard guard(p.lock());
            if (m_write_end)
                --p.writers;
            else
                --p.readers;
            // The other end learns: readers see EOF, writers EPIPE. All
            // under the ring lock: the other end's last release frees the
            // pipe as soon as it has the lock after this.
            wake_all_locked(p.readable, p.lock());
            wake_all_locked(p.writable, p.lock());
            poll_wake_unlocked(p.poll, p.lock(), m_write_end ? POLLHUP | POLLIN : POLLERR | POLLOUT);
            free_it = p.readers == 0 && p.writers == 0;
        }
        if (free_it)
            free_pipe(m_pipe);
        mm::destroy(this);
    }

    Pipe* m_pipe;
    bool m_write_end;
};

} // namespace

Result<void> create_pipe(File* ends[2], u32 flags)
{
    auto* p = mm::make<Pipe>();
    if (!p)
        return Errno::enfile;
    auto pa = mm::alloc_pages(BUFFER_ORDER);
    auto* r = mm::make<PipeEnd>(p, false);
    auto* w = mm::make<PipeEnd>(p, true);
    if (!pa || !r || !w) {
        if (pa)
            mm::free_pages(*pa, BUFFER_ORDER);
        mm::kfree(r);
        mm::kfree(w);
        mm::destroy(p);
        return Errno::enfile;
    }
    p->buffer_pa = *pa;
    p->buffer = static_cast<u8*>(mm::phys_to_virt(*pa));
    p->readers = p->writers = 1;
    p->readable.head.prev = p->readable.head.next = &p->readable.head;
    p->writable.head.prev = p->writable.head.next = &p->writable.head;
    r->set_flags(O_RDONLY | (flags & O_NONBLOCK));
    w->set_flags(O_WRONLY | (flags & O_NONBLOCK));
    ends[0] = r;
    ends[1] = w;
    return {};
}

} // namespace kernel::fs
