// kmalloc: the heap's page source is the buddy allocator seen through the
// direct map.
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/panic.hpp"
#include "kernel/spinlock.hpp"

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
constinit lib::mm::Heap s_heap;
constinit SpinLock s_lock("kmalloc");

} // namespace

void kmalloc_init()
{
    SpinLockGuard guard(s_lock);
    s_heap.init(s_source);
}

void* kmalloc(usize size)
{
    SpinLockGuard guard(s_lock);
    return s_heap.allocate(size);
}

void kfree(void* p)
{
    SpinLockGuard guard(s_lock);
    auto result = s_heap.deallocate(p);
    if (result.is_error())
        PANIC("kfree of a pointer kmalloc did not hand out");
}

lib::mm::HeapStats kmalloc_stats()
{
    SpinLockGuard guard(s_lock);
    return s_heap.stats();
}

} // namespace kernel::mm
