// kmalloc/kfree for kernel objects: lib::mm::Heap (size-class slabs, large
// blocks as page runs) over the page allocator, behind one lock.
#pragma once

#include "lib/mm/slab.hpp"

namespace kernel::mm {

void kmalloc_init();
// nullptr when out of memory: every caller must handle it.
void* kmalloc(usize size);
void kfree(void* p);
lib::mm::HeapStats kmalloc_stats();
#ifdef MYRIAD_HARDENING
// Every object's red zone and every free slot's poison, checked now: a
// problem panics with its report, so this returns 0 (the count of
// problems lib::mm::Heap::check_all gives).
usize kmalloc_check_all();
#endif

template <typename T, typename... A> T* make(A&&... args)
{
    void* p = kmalloc(sizeof(T));
    return p ? new (p) T(lib::forward<A>(args)...) : nullptr;
}

template <typename T> void destroy(T* p)
{
    if (p) {
        p->~T();
        kfree(p);
    }
}

} // namespace kernel::mm
