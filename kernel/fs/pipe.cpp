// Pipe buffers and their two ends.
#include "kernel/fs/pipe.hpp"
#include "kernel/fs/inode_file.hpp"
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

// A packet-mode write (O_DIRECT, pipe(7)) puts bytes [start, end) in as
// one packet: a read returns at most one packet and drops what of it did
// not fit. Linux makes each packet a buffer slot of its own, one per page
// of the ring (16 by default): as many packets wait at most here, up to
// MAX_PACKETS.
struct Packet {
    u64 start, end;
};
constexpr u32 MAX_PACKETS = 16;

} // namespace

// The ring, the counts of ends and the wait queues are guarded by the
// pipe's own lock (lock(): the process lock on one hart), so a sleep or a
// wake-up on one pipe does not wait for another's. poll reads the ring
// under the process lock without it: a snapshot, and every change after
// it calls poll_wake_unlocked. A FIFO's pipe hangs off its inode while
// any end is open (Inode::fifo): it is made, found and dropped there
// under the vfs lock, with the ring lock inside it for the counts.
struct Pipe {
    SpinLock ring_lock{LockRank::PipeRing};
    SpinLock& lock() { return wait_queue_lock(ring_lock); }
    u8* buffer = nullptr;
    u64 head = 0, tail = 0; // read at head, write at tail (monotonic counters)
    u32 readers = 0, writers = 0;
    // Opens of each end so far (Linux's r_counter, w_counter): a FIFO's
    // opener waits for the other count to move, and a reader that came
    // first without waiting is not hung up before a writer has been.
    u64 reader_opens = 0, writer_opens = 0;
    // Not under the ring lock: one reader at a time takes bytes out
    // (peek, copy out, consume), one writer at a time puts a write of at
    // most PIPE_BUF bytes in, so that it is not interleaved with another
    // hart's. Both are held across the wait for data or room; waiting
    // for them is interruptible.
    Mutex read_mutex{LockRank::Pipe};
    Mutex write_mutex{LockRank::Pipe};
    WaitQueue readable, writable;
    WaitQueue opened; // FIFO openers waiting for the other end
    PollQueue poll; // poll, select and epoll on either end
    PhysAddr buffer_pa;
    unsigned order = BUFFER_ORDER; // the buffer is PAGE_SIZE << order bytes (F_SETPIPE_SZ)
    Packet packets[MAX_PACKETS]; // waiting packets, oldest at first_packet, in ring order
    u32 first_packet = 0, packet_count = 0;

    usize capacity() const { return mm::PAGE_SIZE << order; }
    usize used() const { return usize(tail - head); }
    usize space() const { return capacity() - used(); }
    u8& at(u64 position) { return buffer[position & (capacity() - 1)]; }
    u32 packet_limit() const { return u32(lib::min<usize>(MAX_PACKETS, capacity() / mm::PAGE_SIZE)); }
    Packet& oldest_packet() { return packets[first_packet]; }
};

namespace {

Pipe* new_pipe()
{
    auto* p = mm::make<Pipe>();
    if (!p)
        return nullptr;
    auto pa = mm::alloc_pages(BUFFER_ORDER);
    if (!pa) {
        mm::destroy(p);
        return nullptr;
    }
    p->buffer_pa = *pa;
    p->buffer = static_cast<u8*>(mm::phys_to_virt(*pa));
    p->readable.head.prev = p->readable.head.next = &p->readable.head;
    p->writable.head.prev = p->writable.head.next = &p->writable.head;
    p->opened.head.prev = p->opened.head.next = &p->opened.head;
    return p;
}

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

// One open end: a read end, a write end, or (a FIFO opened O_RDWR) both.
// A FIFO's ends hold its inode too, which they stat as.
class PipeEnd final : public File {
public:
    PipeEnd(Pipe* pipe, bool reads, bool writes, Inode* inode)
        : m_pipe(pipe), m_reads(reads), m_writes(writes), m_inode(inode)
    {
        if (inode)
            inode_ref(*inode);
    }

    Result<usize> read(u64 buffer, usize length) override
    {
        if (!m_reads)
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
        // chunks; it waits only while it has read nothing. It stops after
        // a packet: the bytes before it and the packet itself.
        usize done = 0;
        Pipe& p = *m_pipe;
        SpinLock& lock = p.lock();
        for (;;) {
            usize n = 0;
            bool in_packet = false;
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
                usize available = p.used();
                if (p.packet_count) [[unlikely]]
                    available = before_packet_boundary_locked(in_packet);
                n = lib::min(lib::min(length - done, available), sizeof(chunk));
                for (usize i = 0; i < n; ++i)
                    chunk[i] = p.at(p.head + i);
                // Copy out before consuming, so a bad buffer loses nothing.
            }
            if (auto r = mm::copy_to_user(buffer + done, chunk, n); r.is_error())
                return done ? Result<usize>(done) : Result<usize>(r.error());
            SpinLockGuard guard(lock);
            // Only this reader consumes, so the oldest packet is the one
            // peeked at (F_SETPIPE_SZ may have moved it, with head).
            p.head += n;
            done += n;
            bool packet_over = false;
            if (in_packet) [[unlikely]]
                packet_over = end_packet_locked(done == length);
            wake_all_locked(p.writable, lock);
            poll_wake_unlocked(p.poll, lock, POLLOUT | POLLWRNORM);
            if (done == length || packet_over)
                return done;
        }
    }

    Result<usize> write(u64 buffer, usize length) override
    {
        if (!m_writes)
            return Errno::ebadf;
        if (flags() & O_DIRECT)
            return write_packets(buffer, length);
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
            // Writes of at most PIPE_BUF bytes are atomic: wait until
            // the whole write fits, not just this chunk.
            usize needed = length <= PIPE_BUF ? length - done : 1;
            if (p.readers == 0 || p.space() < needed) [[unlikely]] {
                if (auto waited = wait_for_room_slow_locked(lock, needed); waited.is_error())
                    return done ? Result<usize>(done) : Result<usize>(waited.error());
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
    // PIPE_BUF write fits and in error with no reader left. A FIFO reader
    // that opened (O_NONBLOCK) before any writer is not hung up until a
    // writer has come. A snapshot, read without the ring lock (see Pipe).
    u32 poll_proc_locked() override
    {
        process_lock().assert_held();
        const Pipe& p = *m_pipe;
        u32 events = 0;
        if (m_reads) {
            bool hung_up = p.writers == 0 && !(m_hup_after_writer && p.writer_opens == m_writer_opens_seen);
            events |= (p.used() ? POLLIN | POLLRDNORM : 0) | (hung_up ? POLLHUP : 0);
        }
        if (m_writes) {
            bool room = p.space() >= PIPE_BUF && p.packet_count < p.packet_limit();
            events |= (room ? POLLOUT | POLLWRNORM : 0) | (p.readers == 0 ? POLLERR : 0);
        }
        return events;
    }

    PollQueue* poll_queue() override { return &m_pipe->poll; }
    bool is_pipe() const override { return true; }
    Inode* inode() override { return m_inode; }

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
            usize new_packet_limit = lib::min<usize>(MAX_PACKETS, (mm::PAGE_SIZE << order) / mm::PAGE_SIZE);
            if (p.used() > (mm::PAGE_SIZE << order) || p.packet_count > new_packet_limit) {
                result = Errno::ebusy; // the new buffer goes back below
            } else {
                auto* fresh = static_cast<u8*>(mm::phys_to_virt(*pa));
                for (u64 i = 0; i < p.used(); ++i)
                    fresh[i] = p.at(p.head + i);
                old_pa = p.buffer_pa;
                old_order = p.order;
                for (u32 i = 0; i < p.packet_count; ++i) {
                    Packet& packet = p.packets[(p.first_packet + i) % MAX_PACKETS];
                    packet.start -= p.head;
                    packet.end -= p.head;
                }
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
        if (m_inode) {
            MutexGuard guard(vfs_lock());
            fill_stat(*m_inode, st);
            return {};
        }
        st = {};
        st.st_mode = 0010600; // S_IFIFO | rw-------
        st.st_nlink = 1;
        st.st_blksize = 4096;
        st.st_ino = u64(reinterpret_cast<uptr>(m_pipe) >> 4);
        return {};
    }

    void attach(Pipe* pipe) { m_pipe = pipe; }

    // A FIFO reader opened O_NONBLOCK with no writer: no POLLHUP until
    // the writer count moves past `writer_opens`.
    void hold_hangup_until_writer(u64 writer_opens)
    {
        m_hup_after_writer = true;
        m_writer_opens_seen = writer_opens;
    }

private:
    // Packet mode kept off the stream's path (pipe reads and writes are
    // hot): the bytes a read may take before the next packet boundary,
    // and whether this one is in the oldest packet.
    [[gnu::noinline]] usize before_packet_boundary_locked(bool& in_packet)
    {
        Pipe& p = *m_pipe;
        const Packet& packet = p.oldest_packet();
        in_packet = p.head >= packet.start;
        return usize((in_packet ? packet.end : packet.start) - p.head);
    }

    // After bytes of the oldest packet were consumed: the read ends with
    // the packet, or with a full buffer, dropping what of it is left.
    [[gnu::noinline]] bool end_packet_locked(bool buffer_full)
    {
        Pipe& p = *m_pipe;
        Packet& packet = p.oldest_packet();
        if (p.head != packet.end && !buffer_full)
            return false;
        p.head = packet.end;
        p.first_packet = (p.first_packet + 1) % MAX_PACKETS;
        --p.packet_count;
        return true;
    }

    // Until `needed` bytes fit (and a packet slot, for a packet): EPIPE
    // (with SIGPIPE) with no reader left, EAGAIN or EINTR.
    // The write path's wait, out of line: the common case (room, a reader)
    // then saves fewer registers.
    [[gnu::noinline]] Result<void> wait_for_room_slow_locked(SpinLock& lock, usize needed)
    {
        return wait_for_room_locked(lock, needed, false);
    }

    [[gnu::always_inline]] Result<void> wait_for_room_locked(SpinLock& lock, usize needed, bool packet)
    {
        Pipe& p = *m_pipe;
        lock.assert_held();
        for (;;) {
            if (p.readers == 0) {
                // Linux sends SIGPIPE too; its default action ends the writer.
                send_sigpipe(p);
                return Errno::epipe;
            }
            if (p.space() >= needed && (!packet || p.packet_count < p.packet_limit()))
                return {};
            if (flags() & O_NONBLOCK)
                return Errno::eagain;
            if (block_on_locked(p.writable, lock))
                return Errno::eintr;
        }
    }

    // Packet mode (Linux's is_packetized): each PIPE_BUF bytes of the
    // write, and the rest, go in whole as one packet each, so a packet is
    // gathered in a kernel buffer before it goes in under the ring lock.
    // The write mutex keeps other writers' atomic writes from landing
    // between this write's packets.
    [[gnu::noinline]] Result<usize> write_packets(u64 buffer, usize length)
    {
        if (length == 0)
            return usize(0);
        Pipe& p = *m_pipe;
        SpinLock& lock = p.lock();
        auto* staged = static_cast<u8*>(mm::kmalloc(PIPE_BUF));
        if (!staged)
            return Errno::enomem;
        lib::ScopeGuard free_staged([&] { mm::kfree(staged); });
        if (!p.write_mutex.lock_interruptible())
            return Errno::eintr;
        lib::ScopeGuard unlock([&] { p.write_mutex.unlock(); });
        usize done = 0;
        while (done < length) {
            usize n = lib::min(length - done, PIPE_BUF);
            if (auto r = mm::copy_from_user(staged, buffer + done, n); r.is_error())
                return done ? Result<usize>(done) : Result<usize>(r.error());
            SpinLockGuard guard(lock);
            if (auto waited = wait_for_room_locked(p.lock(), n, true); waited.is_error())
                return done ? Result<usize>(done) : Result<usize>(waited.error());
            for (usize i = 0; i < n; ++i)
                p.at(p.tail + i) = staged[i];
            p.packets[(p.first_packet + p.packet_count) % MAX_PACKETS] = {p.tail, p.tail + n};
            ++p.packet_count;
            p.tail += n;
            done += n;
            wake_all_locked(p.readable, lock);
            poll_wake_unlocked(p.poll, lock, POLLIN | POLLRDNORM);
        }
        return done;
    }

    void destroy() override
    {
        if (!m_pipe) { // a FIFO open that failed before it joined a pipe
            Inode* inode = m_inode;
            mm::destroy(this);
            inode_unref(*inode);
            return;
        }
        if (m_inode) {
            close_fifo_end();
            return;
        }
        bool free_it;
        {
            SpinLockGuard guard(m_pipe->lock());
            free_it = drop_ends_locked();
        }
        if (free_it)
            free_pipe(m_pipe);
        mm::destroy(this);
    }

    // A FIFO's last end takes its pipe off the inode, under the vfs lock
    // that an open holds to find it: data does not outlive the last close.
    void close_fifo_end()
    {
        Inode* inode = m_inode;
        bool free_it;
        {
            MutexGuard vfs(vfs_lock());
            SpinLockGuard guard(m_pipe->lock());
            free_it = drop_ends_locked();
            if (free_it)
                inode->fifo = nullptr;
        }
        if (free_it)
            free_pipe(m_pipe);
        mm::destroy(this);
        inode_unref(*inode);
    }

    // This end's counts go; true when no end of the pipe is left.
    bool drop_ends_locked()
    {
        Pipe& p = *m_pipe;
        p.lock().assert_held();
        if (m_writes)
            --p.writers;
        if (m_reads)
            --p.readers;
        // The other end learns: readers see EOF, writers EPIPE. All
        // under the ring lock: the other end's last release frees the
        // pipe as soon as it has the lock after this.
        wake_all_locked(p.readable, p.lock());
        wake_all_locked(p.writable, p.lock());
        poll_wake_unlocked(p.poll, p.lock(),
                           (m_writes ? POLLHUP | POLLIN : 0) | (m_reads ? POLLERR | POLLOUT : 0));
        return p.readers == 0 && p.writers == 0;
    }

    Pipe* m_pipe;
    bool m_reads, m_writes;
    Inode* m_inode; // a FIFO's (referenced), or null for pipe2's
    bool m_hup_after_writer = false;
    u64 m_writer_opens_seen = 0;
};

} // namespace

Result<void> create_pipe(File* ends[2], u32 flags)
{
    Pipe* p = new_pipe();
    if (!p)
        return Errno::enfile;
    auto* r = mm::make<PipeEnd>(p, true, false, nullptr);
    auto* w = mm::make<PipeEnd>(p, false, true, nullptr);
    if (!r || !w) {
        mm::kfree(r);
        mm::kfree(w);
        free_pipe(p);
        return Errno::enfile;
    }
    p->readers = p->writers = 1;
    p->reader_opens = p->writer_opens = 1;
    // Only the write end is in packet mode, as Linux sets it up.
    r->set_flags(O_RDONLY | (flags & O_NONBLOCK));
    w->set_flags(O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)));
    ends[0] = r;
    ends[1] = w;
    return {};
}

// fifo(7) and Linux's fifo_open: the counts go up under the vfs lock
// (which keeps the pipe on the inode), then the opener waits, with no
// lock but the ring's, for the other end's opens to move.
Result<File*> open_fifo(Inode& inode, u32 flags)
{
    u32 access = flags & O_ACCMODE;
    if (access == O_ACCMODE)
        return Errno::einval; // neither reads nor writes (Linux's fifo_open)
    bool reads = access != O_WRONLY, writes = access != O_RDONLY;
    bool nonblock = flags & O_NONBLOCK;
    auto* end = mm::make<PipeEnd>(nullptr, reads, writes, &inode);
    if (!end)
        return Errno::enomem;
    end->set_flags(flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
    Pipe* p;
    Pipe* unused = nullptr; // made for this open, which failed
    Errno failure = Errno(0);
    u64 waiting_on = 0; // the other end's opens to wait past
    bool wait_for_writer = false, wait_for_reader = false;
    {
        MutexGuard vfs(vfs_lock());
        p = inode.fifo;
        bool fresh = !p;
        if (fresh)
            p = new_pipe();
        if (!p) {
            failure = Errno::enomem;
        } else {
            SpinLockGuard guard(p->lock());
            if (writes && !reads && nonblock && p->readers == 0) {
                failure = Errno::enxio; // POSIX: no reader for a non-blocking writer
                unused = fresh ? p : nullptr;
            } else {
                inode.fifo = p;
                end->attach(p);
                if (reads) {
                    ++p->readers;
                    ++p->reader_opens;
                }
                if (writes) {
                    ++p->writers;
                    ++p->writer_opens;
                }
                wake_all_locked(p->opened, p->lock());
                poll_wake_unlocked(p->poll, p->lock(), POLLIN | POLLOUT);
                if (reads && !writes && p->writers == 0) {
                    if (nonblock)
                        end->hold_hangup_until_writer(p->writer_opens);
                    else
                        wait_for_writer = true, waiting_on = p->writer_opens;
                }
                if (writes && !reads && p->readers == 0)
                    wait_for_reader = true, waiting_on = p->reader_opens;
            }
        }
    }
    if (failure != Errno(0)) {
        if (unused)
            free_pipe(unused);
        end->unref(); // not attached: only its inode reference goes
        return failure;
    }
    if (wait_for_writer || wait_for_reader) {
        bool interrupted = false;
        {
            SpinLockGuard guard(p->lock());
            while ((wait_for_writer ? p->writer_opens : p->reader_opens) == waiting_on)
                if ((interrupted = block_on_locked(p->opened, p->lock())))
                    break;
        }
        if (interrupted) {
            end->unref(); // drops its counts, and the pipe if it was alone
            return Errno::eintr;
        }
    }
    return static_cast<File*>(end);
}

} // namespace kernel::fs
