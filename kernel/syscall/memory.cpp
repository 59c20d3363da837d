// Memory system calls: brk, mmap (anonymous and file, private and
// shared), munmap, mprotect, madvise, mremap.
#include "kernel/fs/inode.hpp"
#include "kernel/mm/address_space.hpp"
#include "kernel/process/process.hpp"
#include "kernel/process/scheduler.hpp"
#include "kernel/process/signal.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

// include/uapi/asm-generic/mman-common.h, linux/mman.h
constexpr u64 MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f;
constexpr u64 MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000,
              MAP_STACK = 0x20000, MAP_FIXED_NOREPLACE = 0x100000, MAP_GROWSDOWN = 0x100,
              MAP_DENYWRITE = 0x800, MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NONBLOCK = 0x10000;

mm::AddressSpace& space() { return *current_process().address_space; }

// Between two pages of a locked range being brought in, which can take a
// while (a large mlockall): give the hart up if the tick asked (the kernel
// is not preempted otherwise), and stop for a SIGKILL.
bool killed()
{
    preempt_if_needed();
    Thread& t = current_thread();
    return ((t.signals.pending | t.process->signals.pending) & signal_bit(SIGKILL)) != 0;
}

// mmap with MAP_LOCKED, or after mlockall(MCL_FUTURE): the new region is
// locked and its pages brought in; as in Linux, running out of memory
// there does not fail the mmap.
Result<u64> map_and_lock(mm::AddressSpace::MapRequest& request, u64 flags)
{
    mm::AddressSpace& as = space();
    bool locked = (flags & MAP_LOCKED) || as.lock_future();
    if (locked)
        request.flags = u8(request.flags | mm::REGION_LOCKED);
    u64 address = TRY(as.map(request));
    if (locked && ((flags & MAP_LOCKED) || as.lock_future_populates()))
        (void)as.populate_locked(address, address + lib::align_up(request.length, 4096), killed);
    return address;
}

// mlock's range: from the page holding `address`, as many pages as reach
// its last byte (Linux rounds so); ENOMEM past the user half.
Result<void> lock_range(u64 address, usize length, bool locked, bool populate)
{
    u64 start = lib::align_down(address, 4096);
    u64 end;
    if (__builtin_add_overflow(address, length, &end) || lib::align_up(end, 4096) < end)
        return Errno::enomem;
    end = lib::align_up(end, 4096);
    if (start == end)
        return {};
    Result<void> marked = space().set_locked(start, end, locked); // end: where it stopped
    // What was locked before a hole is brought in too, as in Linux.
    if (locked && populate)
        TRY(space().populate_locked(start, end, killed));
    return marked;
}

} // namespace

// mlock family (the caller is root, so RLIMIT_MEMLOCK does not apply, as
// for Linux's CAP_IPC_LOCK). Nothing is ever paged out: locking marks the
// regions (VmLck) and brings their pages in, MLOCK_ONFAULT / MCL_ONFAULT
// leaving them to fault in as they are touched.
Result<u64> sys_mlock(u64 address, usize length)
{
    TRY(lock_range(address, length, true, true));
    return u64(0);
}

Result<u64> sys_mlock2(u64 address, usize length, i32 flags)
{
    constexpr i32 MLOCK_ONFAULT = 1;
    if (flags & ~MLOCK_ONFAULT)
        return Errno::einval;
    TRY(lock_range(address, length, true, !(flags & MLOCK_ONFAULT)));
    return u64(0);
}

Result<u64> sys_munlock(u64 address, usize length)
{
    TRY(lock_range(address, length, false, false));
    return u64(0);
}

Result<u64> sys_mlockall(i32 flags)
{
    constexpr i32 MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
        return Errno::einval;
    mm::AddressSpace& as = space();
    if (flags & MCL_FUTURE)
        as.set_lock_future(true, !(flags & MCL_ONFAULT));
    if (flags & MCL_CURRENT) {
        as.set_all_locked(true);
        if (!(flags & MCL_ONFAULT))
            TRY(as.populate_locked(0, mm::USER_REGIONS_END, killed));
    }
    return u64(0);
}

Result<u64> sys_munlockall()
{
    space().set_lock_future(false, false);
    space().set_all_locked(false);
    return u64(0);
}

Result<u64> sys_brk(u64 address) { return space().set_brk(address); }

Result<u64> sys_mmap(u64 address, u64 length, u64 prot, u64 flags, Fd fd, u64 offset)
{
    if (prot & ~u64(mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC))
        return Errno::einval;
    u64 type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return Errno::einval;
    constexpr u64 known = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK |
                          MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED |
                          MAP_NONBLOCK;
    if (type == MAP_SHARED_VALIDATE && (flags & ~known))
        return Errno::enotsup;
    if (length == 0 || offset % 4096)
        return Errno::einval;
    if (lib::align_up(length, 4096) < length)
        return Errno::enomem;
    if (offset + lib::align_up(length, 4096) < offset)
        return Errno::eoverflow;

    mm::AddressSpace::MapRequest request;
    request.hint = address;
    request.length = length;
    request.prot = u32(prot);
    request.fixed = flags & MAP_FIXED;
    request.fixed_noreplace = (flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED);
    bool shared = type != MAP_PRIVATE;
    fs::Inode* file = nullptr;
    if (!(flags & MAP_ANONYMOUS)) {
        FileRef open{TRY(current_process().files->get_ref(int(fd)))};
        if (open->flags() & O_PATH)
            return Errno::ebadf;
        file = open->inode();
        if (file && file->device == fs::Device::Zero) {
            file = nullptr; // /dev/zero: anonymous memory (shared: a new object)
        } else {
            if (!file || !file->is_regular())
                return Errno::enodev; // pipes, terminals, directories
            if (!open->readable() || (shared && (prot & mm::PROT_WRITE) && !open->writable()))
                return Errno::eacces;
            request.offset = offset;
            request.flags = u8((shared ? mm::REGION_SHARED : 0) | (open->writable() ? mm::REGION_MAY_WRITE : 0));
            if (shared && open->writable()) {
                MutexGuard guard(fs::vfs_lock());
                file->contents_changed = true; // its pages may change behind the archive's back
            }
        }
    }
    if (!file && shared) {
        // Shared anonymous memory: an unnamed RAM file both sides of a fork map.
        auto object = fs::new_anonymous_inode(lib::align_up(length, 4096));
        if (object.is_error())
            return Errno::enomem;
        request.file = object.value();
        request.flags = mm::REGION_SHARED | mm::REGION_SHMEM | mm::REGION_MAY_WRITE;
        auto mapped = map_and_lock(request, flags);
        fs::inode_unref(*object.value()); // the region holds its own reference
        return mapped;
    }
    request.file = file;
    return map_and_lock(request, flags);
}

Result<u64> sys_madvise(u64 address, usize length, i32 advice)
{
    constexpr i32 MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4,
                  MADV_FREE = 8, MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15, MADV_DONTDUMP = 16, MADV_DODUMP = 17;
    if (!lib::is_aligned(address, 4096))
        return Errno::einval;
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE: // freeing at once is one of MADV_FREE's allowed outcomes
        if (length == 0)
            return u64(0);
        TRY(space().discard(address, length));
        return u64(0);
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
        return u64(0); // hints
    default:
        return Errno::einval;
    }
}

// msync(2): the RAM filesystem's pages are the file: nothing to write
// back, but the arguments are checked as Linux does.
Result<u64> sys_msync(u64 address, usize length, i32 flags)
{
    constexpr i32 MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
    if (!lib::is_aligned(address, 4096) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return Errno::einval;
    u64 end = lib::align_up(address + length, 4096);
    if (end < address)
        return Errno::enomem;
    MutexGuard guard(space().lock());
    for (u64 at = address; at < end;) {
        const mm::Region* r = space().find_region(at);
        if (!r)
            return Errno::enomem;
        at = r->end;
    }
    return u64(0);
}

Result<u64> sys_mremap(u64 address, u64 old_length, u64 new_length, u64 flags, u64 new_address)
{
    constexpr u64 MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return Errno::einval;
    if (flags & MREMAP_DONTUNMAP)
        return Errno::einval; // not supported (Linux 5.7+ only, and private anonymous only)
    return space().remap(address, old_length, new_length, flags & MREMAP_MAYMOVE, flags & MREMAP_FIXED, new_address);
}

Result<u64> sys_munmap(u64 address, usize length)
{
    TRY(space().unmap(address, length));
    return u64(0);
}

Result<u64> sys_mprotect(u64 address, usize length, u64 prot)
{
    if (prot & ~u64(mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC | 0x01000000 | 0x02000000))
        return Errno::einval; // PROT_GROWSDOWN/UP are accepted and ignored
    if (length == 0)
        return lib::is_aligned(address, 4096) ? Result<u64>(u64(0)) : Result<u64>(Errno::einval);
    TRY(space().protect(address, length, u32(prot & 7)));
    return u64(0);
}

} // namespace kernel

#define MYRIAD_THUNKS_memory(handler) MYRIAD_THUNK(handler)
#include "kernel/syscall/instantiate_thunks.inc"
