// epoll instances. Each watched (file, fd) pair is an EpollItem whose
// PollEntry sits on the file's PollQueue: the file's wake-up puts the item
// on the instance's ready list and wakes the instance's waiters, so
// epoll_wait looks only at ready items. Everything here is guarded by the
// process lock, like the objects' readiness; items are allocated before
// and freed after it is held.
#include "kernel/fs/epoll.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/wait_queue.hpp"

namespace kernel {

namespace {

// Linux's EP_MAX_NESTS: how deep epoll sets may watch epoll sets.
constexpr int MAX_NESTS = 4;
// The events EPOLLEXCLUSIVE may be combined with (EPOLLEXCLUSIVE_OK_BITS).
constexpr u32 EXCLUSIVE_OK_BITS = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLRDBAND | POLLWRBAND | POLLERR |
                                  POLLHUP | POLLPRI | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

template <typename T> T* owner(lib::ListNode* node, usize offset)
{
    return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
}

} // namespace

struct EpollItem {
    PollEntry entry;          // [P] on the watched file's PollQueue
    lib::ListNode ready_node; // [P] in Epoll::m_ready while it may have events
    lib::ListNode file_node;  // [P] in the file's epoll_watchers
    lib::ListNode set_node;   // [P] in Epoll::m_items
    Epoll* epoll;
    File* file; // not referenced: the file's last unref removes the item first
    i32 fd;
    u32 events; // [P] interest, EPOLLERR | EPOLLHUP always; only private bits once a one-shot fired
    u64 data;   // [P]
};

static EpollItem& item_of_entry(PollEntry& e) { return *owner<EpollItem>(&e.node, __builtin_offsetof(EpollItem, entry.node)); }
static EpollItem& item_of_ready(lib::ListNode* n) { return *owner<EpollItem>(n, __builtin_offsetof(EpollItem, ready_node)); }
static EpollItem& item_of_file(lib::ListNode* n) { return *owner<EpollItem>(n, __builtin_offsetof(EpollItem, file_node)); }
static EpollItem& item_of_set(lib::ListNode* n) { return *owner<EpollItem>(n, __builtin_offsetof(EpollItem, set_node)); }

static void push_back(lib::ListNode& head, lib::ListNode& node)
{
    node.prev = head.prev;
    node.next = &head;
    head.prev->next = &node;
    head.prev = &node;
}

class Epoll final : public File {
public:
    Result<usize> read(u64, usize) override { return Errno::einval; }
    Result<usize> write(u64, usize) override { return Errno::einval; }
    Result<void> stat(LinuxStat& st) override
    {
        anonymous_file_stat(st, this);
        return {};
    }
    Epoll* epoll() override { return this; }
    PollQueue* poll_queue() override { return &m_pollers; }
    // Readable while an item on the ready list really has an event;
    // items found without one leave the list (Linux's ep_read_events_proc).
    u32 poll_proc_locked() override
    {
        process_lock().assert_held();
        for (lib::ListNode* n = m_ready.next; n != &m_ready;) {
            lib::ListNode* next = n->next;
            EpollItem& item = item_of_ready(n);
            if (item.file->poll_proc_locked() & item.events & ~EPOLL_PRIVATE_BITS)
                return POLLIN | POLLRDNORM;
            n->unlink();
            n = next;
        }
        return 0;
    }

    EpollItem* find_proc_locked(File& file, i32 fd)
    {
        process_lock().assert_held();
        for (lib::ListNode* n = m_items.next; n != &m_items; n = n->next)
            if (EpollItem& item = item_of_set(n); item.file == &file && item.fd == fd)
                return &item;
        return nullptr;
    }

    // An item may have events: queue it and wake whoever waits for the set.
    void item_ready_proc_locked(EpollItem& item)
    {
        process_lock().assert_held();
        if (!item.ready_node.is_linked())
            push_back(m_ready, item.ready_node);
        wake_all_proc_locked(m_waiters);
        if (!m_pollers.is_empty())
            poll_wake_proc_locked(m_pollers, POLLIN | POLLRDNORM);
    }

    void add_proc_locked(EpollItem& item)
    {
        process_lock().assert_held();
        push_back(m_items, item.set_node);
        push_back(item.file->epoll_watchers, item.file_node);
        __atomic_store_n(&item.file->epoll_watcher_count, item.file->epoll_watcher_count + 1, __ATOMIC_RELAXED);
        item.entry.wake = item_woken;
        poll_add_proc_locked(*item.file->poll_queue(), item.entry);
        if (item.file->poll_proc_locked() & item.events & ~EPOLL_PRIVATE_BITS)
            item_ready_proc_locked(item);
    }

    // Takes the item out of everything; the caller frees it once the lock
    // is dropped. The watcher count drops last: after it, the file may be
    // freed by a last unref on another hart.
    static void detach_proc_locked(EpollItem& item)
    {
        process_lock().assert_held();
        poll_remove_proc_locked(item.entry);
        if (item.ready_node.is_linked())
            item.ready_node.unlink();
        item.set_node.unlink();
        item.file_node.unlink();
        __atomic_store_n(&item.file->epoll_watcher_count, item.file->epoll_watcher_count - 1, __ATOMIC_RELEASE);
    }

    // Moves up to `max` events out of the ready list. Edge-triggered and
    // one-shot items leave it once reported; level-triggered ones stay (at
    // the tail) until a look finds them without events. Each item is looked
    // at once per call, so the cost is the length of the ready list.
    usize harvest_proc_locked(EpollEvent* out, usize max)
    {
        process_lock().assert_held();
        if (!m_ready.is_linked())
            return 0;
        lib::ListNode batch; // this call's items; level-triggered ones go back to m_ready
        batch.next = m_ready.next;
        batch.prev = m_ready.prev;
        batch.next->prev = &batch;
        batch.prev->next = &batch;
        m_ready.prev = m_ready.next = &m_ready;
        usize n = 0;
        while (batch.is_linked() && n < max) {
            lib::ListNode* node = batch.next;
            node->unlink();
            EpollItem& item = item_of_ready(node);
            u32 events = item.file->poll_proc_locked() & item.events & ~EPOLL_PRIVATE_BITS;
            if (!events)
                continue;
            out[n++] = {events, 0, item.data};
            if (item.events & EPOLLONESHOT)
                item.events &= EPOLL_PRIVATE_BITS; // disarmed until EPOLL_CTL_MOD
            else if (!(item.events & EPOLLET))
                push_back(m_ready, item.ready_node);
        }
        if (batch.is_linked()) { // not looked at (out was full): first next time
            batch.prev->next = m_ready.next;
            m_ready.next->prev = batch.prev;
            m_ready.next = batch.next;
            batch.next->prev = &m_ready;
        }
        return n;
    }

    WaitQueue& waiters() { return m_waiters; }
    lib::ListNode& items() { return m_items; }

private:
    static void item_woken(PollEntry& e, u32 events)
    {
        EpollItem& item = item_of_entry(e);
        if (events & item.events & ~EPOLL_PRIVATE_BITS)
            item.epoll->item_ready_proc_locked(item);
    }

    void destroy() override
    {
        lib::ListNode gone; // of set_node, freed after the lock
        {
            SpinLockGuard guard(process_lock());
            while (m_items.is_linked()) {
                EpollItem& item = item_of_set(m_items.next);
                detach_proc_locked(item);
                push_back(gone, item.set_node);
            }
        }
        while (gone.is_linked()) {
            EpollItem* item = &item_of_set(gone.next);
            item->set_node.unlink();
            mm::kfree(item);
        }
        mm::destroy(this);
    }

    lib::ListNode m_items;  // [P] of EpollItem::set_node
    lib::ListNode m_ready;  // [P] of EpollItem::ready_node
    WaitQueue m_waiters;    // [P] threads in epoll_wait
    PollQueue m_pollers;    // [P] poll, select and outer epoll sets watching this one
};

namespace {

// How deep the sets below `ep` go (1: it watches no set); MAX_NESTS + 1
// stands for "too deep", and for a loop back to `avoid`.
int depth_below_proc_locked(Epoll& ep, Epoll& avoid, int level)
{
    if (&ep == &avoid || level > MAX_NESTS)
        return MAX_NESTS + 1;
    int deepest = 1;
    for (lib::ListNode* n = ep.items().next; n != &ep.items(); n = n->next)
        if (Epoll* inner = item_of_set(n).file->epoll())
            deepest = lib::max(deepest, 1 + depth_below_proc_locked(*inner, avoid, level + 1));
    return lib::min(deepest, MAX_NESTS + 1);
}

// How many sets watch `ep` from above, along the longest chain.
int depth_above_proc_locked(Epoll& ep, int level)
{
    if (level > MAX_NESTS)
        return MAX_NESTS + 1;
    int deepest = 0;
    for (lib::ListNode* n = ep.epoll_watchers.next; n != &ep.epoll_watchers; n = n->next)
        deepest = lib::max(deepest, 1 + depth_above_proc_locked(*item_of_file(n).epoll, level + 1));
    return lib::min(deepest, MAX_NESTS + 1);
}

} // namespace

Result<File*> epoll_create()
{
    auto* ep = mm::make<Epoll>();
    if (!ep)
        return Errno::enomem;
    return static_cast<File*>(ep);
}

Result<void> epoll_ctl(Epoll& ep, int op, File& target, i32 fd, u32 events, u64 data)
{
    if (!target.poll_queue())
        return Errno::eperm;
    if (&target == &ep)
        return Errno::einval;
    if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
        if (op == EPOLL_CTL_MOD || target.epoll() || (events & ~EXCLUSIVE_OK_BITS))
            return Errno::einval;
    }
    events |= POLLERR | POLLHUP;
    switch (op) {
    case EPOLL_CTL_ADD: {
        auto* item = mm::make<EpollItem>();
        if (!item)
            return Errno::enomem;
        item->epoll = &ep;
        item->file = &target;
        item->fd = fd;
        item->events = events;
        item->data = data;
        Errno refused = Errno::eexist;
        {
            SpinLockGuard guard(process_lock());
            if (ep.find_proc_locked(target, fd)) {
                refused = Errno::eexist;
            } else if (Epoll* inner = target.epoll();
                       inner && depth_above_proc_locked(ep, 0) + depth_below_proc_locked(*inner, ep, 0) > MAX_NESTS) {
                refused = Errno::eloop; // a loop, or nested too deep
            } else {
                ep.add_proc_locked(*item);
                return {};
            }
        }
        mm::kfree(item);
        return refused;
    }
    case EPOLL_CTL_MOD: {
        SpinLockGuard guard(process_lock());
        EpollItem* item = ep.find_proc_locked(target, fd);
        if (!item)
            return Errno::enoent;
        if (item->events & EPOLLEXCLUSIVE)
            return Errno::einval;
        item->events = events;
        item->data = data;
        if (target.poll_proc_locked() & events & ~EPOLL_PRIVATE_BITS)
            ep.item_ready_proc_locked(*item);
        return {};
    }
    case EPOLL_CTL_DEL: {
        EpollItem* item;
        {
            SpinLockGuard guard(process_lock());
            item = ep.find_proc_locked(target, fd);
            if (!item)
                return Errno::enoent;
            Epoll::detach_proc_locked(*item);
        }
        mm::kfree(item);
        return {};
    }
    default:
        return Errno::einval;
    }
}

Result<usize> epoll_wait(Epoll& ep, EpollEvent* out, usize max, u64 deadline_ns)
{
    SpinLockGuard guard(process_lock());
    bool timed_out = deadline_ns == 0, interrupted = false;
    for (;;) {
        if (usize n = ep.harvest_proc_locked(out, max))
            return n;
        if (timed_out)
            return usize(0);
        if (interrupted)
            return Errno::eintr;
        if (deadline_ns == ~0ull) {
            interrupted = block_on_proc_locked(ep.waiters());
        } else {
            WaitOutcome outcome = block_on_until_proc_locked(ep.waiters(), deadline_ns);
            timed_out = outcome == WaitOutcome::TimedOut;
            interrupted = outcome == WaitOutcome::Interrupted;
        }
    }
}

void epoll_file_gone(File& file)
{
    lib::ListNode gone; // of set_node, freed after the lock
    {
        SpinLockGuard guard(process_lock());
        while (file.epoll_watchers.is_linked()) {
            EpollItem& item = item_of_file(file.epoll_watchers.next);
            Epoll::detach_proc_locked(item);
            push_back(gone, item.set_node);
        }
    }
    while (gone.is_linked()) {
        EpollItem* item = &item_of_set(gone.next);
        item->set_node.unlink();
        mm::kfree(item);
    }
}

} // namespace kernel
