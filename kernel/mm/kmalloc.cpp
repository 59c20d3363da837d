// kmalloc: the heap's page source is the buddy allocator seen through the
// direct map.
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/panic.hpp"
#include "kernel/spinlock.hpp"
#ifdef MYRIAD_HARDENING
#include "kernel/hardening/report.hpp"
#endif

namespace kernel::mm {

namespace {

class BuddyPageSource final : public lib::mm::PageSource {
public:
    void* allocate_pages(unsigned order) override
    {
        auto pa = alloc_pages(order);
        return pa ? phys_to_virt(*pa) : nullptr;
    }
    void free_pages(void* p, unsigned order) override { mm::free_pages(virt_to_phys(p), order); }
};

constinit BuddyPageSource s_source;

#ifdef MYRIAD_HARDENING
// The hardened heap's red-zone and poison checks (lib/mm/slab.cpp) end here.
class PanicOnCorruption final : public lib::mm::CorruptionHandler {
public:
    void report(const lib::mm::HeapCorruption& c) override
    {
        using Kind = lib::mm::HeapCorruption::Kind;
        if (c.kind == Kind::RedZone)
            HARDENING_PANIC("slab red zone overwritten: object {} ({} of {} bytes in use), byte {} is {:#04x}, "
                            "expected {:#04x} (a write past the end of the object)",
                            c.object, c.requested, c.slot_size, c.offset, c.found, c.expected);
        HARDENING_PANIC("slab use after free: freed object {} ({} bytes) was written at byte {} ({:#04x}, "
                        "expected poison {:#04x}); found when it was allocated again",
                        c.object, c.slot_size, c.offset, c.found, c.expected);
    }
};
constinit PanicOnCorruption s_corruption_handler;
#endif

constinit lib::mm::Heap s_heap;
constinit SpinLock s_lock(LockRank::Kmalloc);

} // namespace

void kmalloc_init()
{
    SpinLockGuard guard(s_lock);
    s_heap.init(s_source);
#ifdef MYRIAD_HARDENING
    s_heap.set_corruption_handler(&s_corruption_handler);
#endif
}

void* kmalloc(usize size)
{
    verify_no_spinlock_but_allocator_held("kmalloc");
    SpinLockGuard guard(s_lock);
    return s_heap.allocate(size);
}

void kfree(void* p)
{
    SpinLockGuard guard(s_lock);
    auto result = s_heap.deallocate(p);
#ifdef MYRIAD_HARDENING
    if (result.is_error())
        HARDENING_PANIC("bad kfree({}): {}", p, result.error().what);
#endif
    if (result.is_error())
        PANIC("kfree of a pointer kmalloc did not hand out");
}

#ifdef MYRIAD_HARDENING
usize kmalloc_check_all()
{
    SpinLockGuard guard(s_lock);
    return s_heap.check_all();
}
#endif

lib::mm::HeapStats kmalloc_stats()
{
    SpinLockGuard guard(s_lock);
    return s_heap.stats();
}

} // namespace kernel::mm
