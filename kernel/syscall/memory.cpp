// Memory system calls: brk, mmap (anonymous, private), munmap, mprotect.
// Shared and file mappings arrive with the memory and files issues.
#include "kernel/mm/address_space.hpp"
#include "kernel/process/process.hpp"
#include "kernel/syscall/syscall.hpp"

namespace kernel {

namespace {

// include/uapi/asm-generic/mman-common.h, linux/mman.h
constexpr u64 MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f;
constexpr u64 MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000,
              MAP_STACK = 0x20000, MAP_FIXED_NOREPLACE = 0x100000, MAP_GROWSDOWN = 0x100,
              MAP_DENYWRITE = 0x800, MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NONBLOCK = 0x10000;

mm::AddressSpace& space() { return *current_process().address_space; }

} // namespace

Result<u64> sys_brk(const SyscallArgs& a) { return space().set_brk(a.a0); }

Result<u64> sys_mmap(const SyscallArgs& a)
{
    u64 address = a.a0, length = a.a1, prot = a.a2, flags = a.a3, offset = a.a5;
    if (prot & ~u64(mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC))
        return Errno::einval;
    u64 type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return Errno::einval;
    if (length == 0 || offset % 4096)
        return Errno::einval;
    constexpr u64 known = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK |
                          MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED |
                          MAP_NONBLOCK;
    if (type == MAP_SHARED_VALIDATE && (flags & ~known))
        return Errno::enotsup;
    if (!(flags & MAP_ANONYMOUS))
        return Errno::enodev; // file mappings: with the VFS (files issue)
    if (type != MAP_PRIVATE)
        return Errno::einval; // shared anonymous memory: memory issue
    if ((flags & MAP_FIXED_NOREPLACE) && space().find_region(address))
        return Errno::eexist;
    return space().mmap_anonymous(address, length, u32(prot), flags & MAP_FIXED);
}

Result<u64> sys_munmap(const SyscallArgs& a)
{
    TRY(space().unmap(a.a0, a.a1));
    return u64(0);
}

Result<u64> sys_mprotect(const SyscallArgs& a)
{
    if (a.a2 & ~u64(mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC | 0x01000000 | 0x02000000))
        return Errno::einval; // PROT_GROWSDOWN/UP are accepted and ignored
    if (a.a1 == 0)
        return lib::is_aligned(a.a0, 4096) ? Result<u64>(u64(0)) : Result<u64>(Errno::einval);
    TRY(space().protect(a.a0, a.a1, u32(a.a2 & 7)));
    return u64(0);
}

} // namespace kernel
