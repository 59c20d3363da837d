// The bugs behind panic_test=ubsan|ubsan_shift|ubsan_bounds|slab_redzone|
// slab_use_after_free|slab_double_free|page_use_after_free|page_double_free|
// stack_smash|lock_order|lock_twice|mutex_order|alloc_under_spinlock|
// uaccess_under_spinlock. Values and pointers go through volatile variables so that
// the compiler can neither see the bug at compile time nor remove it; each
// trigger is out of line so the backtrace names it.
#include "kernel/hardening/panic_tests.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/mm/kmalloc.hpp"
#include "kernel/mm/page_alloc.hpp"
#include "kernel/mm/uaccess.hpp"
#include "kernel/fs/inode.hpp"
#include "kernel/process/process.hpp"
#include "kernel/printk.hpp"

namespace kernel::hardening {

namespace {

constinit volatile int s_int_max = 0x7fffffff;
constinit volatile int s_shift = 40;
constinit volatile unsigned s_index = 8;
constinit volatile usize s_smash_length = 24; // the buffer and the canary above it

[[gnu::noinline]] int panic_test_signed_overflow() { return s_int_max + 1; }

[[gnu::noinline]] int panic_test_shift() { return 1 << s_shift; }

[[gnu::noinline]] int panic_test_bounds()
{
    int table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    return table[s_index];
}

// Writes through a pointer the compiler cannot follow back to the array,
// so only the canary, not a bounds check, sees the overrun.
[[gnu::noinline]] void panic_test_stack_smash()
{
    char buffer[16];
    char* volatile out = buffer;
    for (usize i = 0; i < s_smash_length; ++i)
        out[i] = 'A';
}

[[gnu::noinline]] void panic_test_slab_redzone()
{
    auto* volatile p = static_cast<u8*>(mm::kmalloc(24));
    p[24] = 0; // one byte past the 24 asked for
    mm::kfree(p);
}

[[gnu::noinline]] void panic_test_slab_use_after_free()
{
    // Two objects, so the slab outlives the free and the slot comes back.
    void* keep = mm::kmalloc(40);
    auto* volatile victim = static_cast<u8*>(mm::kmalloc(40));
    mm::kfree(victim);
    victim[8] = 1; // a stale pointer used after kfree
    void* again = mm::kmalloc(40);
    printk("panic_test: slot {} came back as {} without a report\n", static_cast<void*>(victim), again);
    mm::kfree(again);
    mm::kfree(keep);
}

[[gnu::noinline]] void panic_test_slab_double_free()
{
    void* keep = mm::kmalloc(40);
    void* volatile p = mm::kmalloc(40);
    mm::kfree(p);
    mm::kfree(p);
    mm::kfree(keep);
}

[[gnu::noinline]] void panic_test_page_use_after_free()
{
    auto pa = mm::alloc_pages(0);
    if (!pa)
        return;
    mm::free_pages(*pa, 0);
    static_cast<volatile u8*>(mm::phys_to_virt(*pa))[100] = 0x42; // the page is free now
    auto again = mm::alloc_pages(0); // the last page freed is the first handed out
    printk("panic_test: page {:#x} came back as {:#x} without a report\n", pa->value(),
           again ? again->value() : 0);
}

// Lock checks (kernel/locking.hpp), with the kernel's own locks. The
// process lock is a spinlock of rank 10; the VFS mutex ranks 5, so taking
// it under the process lock is the wrong order.
[[gnu::noinline]] void panic_test_lock_order()
{
    SpinLockGuard guard(process_lock());
    MutexGuard vfs(fs::vfs_lock());
}

// Mutexes among themselves: an address space's mutex (rank 4) ranks
// before the VFS (rank 5), as a page fault takes it and then reads the
// page cache. A user copy under the VFS mutex would take them the other
// way round.
[[gnu::noinline]] void panic_test_mutex_order()
{
    auto space = mm::AddressSpace::create();
    if (space.is_error())
        return;
    MutexGuard vfs(fs::vfs_lock());
    MutexGuard inverted(space.value()->lock());
}

// The same lock class twice: process_count() takes the process lock.
[[gnu::noinline]] void panic_test_lock_twice()
{
    SpinLockGuard guard(process_lock());
    printk("panic_test: {} processes\n", process_count());
}

[[gnu::noinline]] void panic_test_alloc_under_spinlock()
{
    SpinLockGuard guard(process_lock());
    void* p = mm::kmalloc(16);
    mm::kfree(p);
}

[[gnu::noinline]] void panic_test_uaccess_under_spinlock()
{
    u64 word = 0;
    SpinLockGuard guard(process_lock());
    (void)mm::copy_from_user(&word, 0x10000, sizeof(word));
}

[[gnu::noinline]] void panic_test_page_double_free()
{
    auto pa = mm::alloc_pages(0);
    if (!pa)
        return;
    mm::free_pages(*pa, 0);
    mm::free_pages(*pa, 0);
}

struct Trigger {
    const char* name;
    void (*run)();
};

const Trigger TRIGGERS[] = {
    {"ubsan", [] { printk("panic_test: {}\n", panic_test_signed_overflow()); }},
    {"ubsan_shift", [] { printk("panic_test: {}\n", panic_test_shift()); }},
    {"ubsan_bounds", [] { printk("panic_test: {}\n", panic_test_bounds()); }},
    {"stack_smash", panic_test_stack_smash},
    {"slab_redzone", panic_test_slab_redzone},
    {"slab_use_after_free", panic_test_slab_use_after_free},
    {"slab_double_free", panic_test_slab_double_free},
    {"page_use_after_free", panic_test_page_use_after_free},
    {"page_double_free", panic_test_page_double_free},
    {"lock_order", panic_test_lock_order},
    {"lock_twice", panic_test_lock_twice},
    {"mutex_order", panic_test_mutex_order},
    {"alloc_under_spinlock", panic_test_alloc_under_spinlock},
    {"uaccess_under_spinlock", panic_test_uaccess_under_spinlock},
};

} // namespace

bool run_panic_test(lib::StringView kind)
{
    for (const Trigger& t : TRIGGERS) {
        if (kind == lib::StringView(t.name)) {
            printk("panic_test={}: the check must stop the kernel now\n", kind);
            t.run();
            printk("panic_test={}: NOT CAUGHT\n", kind);
            return true;
        }
    }
    print_raw("hardening panic tests:");
    for (const Trigger& t : TRIGGERS)
        print_raw(" {}", t.name);
    print_raw("\n");
    return false;
}

} // namespace kernel::hardening
