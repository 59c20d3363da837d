// A process's address space: its own Sv39 root table (the kernel half
// shared with every other table), and a sorted array of regions (text,
// data, heap, mmap, stack) that the fault handler, fork and the memory
// system calls consult. Nothing is loaded or allocated up front: pages
// arrive on first touch, zeroed for anonymous memory, from the RAM
// filesystem's page cache for file-backed regions. Fork shares pages
// copy-on-write (reference counts in the page metadata). docs/memory.md
// has the rules.
#pragma once

#include "arch/arch.hpp"
#include "kernel/mm/icache.hpp"
#include "kernel/mutex.hpp"
#include "lib/addr.hpp"
#include "lib/result.hpp"
#include "lib/types.hpp"

namespace kernel::fs {
struct Inode;
}

namespace kernel::mm {

// Linux's PROT_* bits (asm-generic/mman-common.h).
inline constexpr u32 PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;

enum class RegionKind : u8 { Image, Heap, Stack, Mmap };

// Region::flags
inline constexpr u8 REGION_SHARED = 1;    // MAP_SHARED: writes reach the file; fork shares, never copies
inline constexpr u8 REGION_SHMEM = 2;     // the file is shared anonymous memory (no name)
inline constexpr u8 REGION_MAY_WRITE = 4; // shared and the file was opened for writing: PROT_WRITE allowed
inline constexpr u8 REGION_LOCKED = 8;    // mlock: counted in VmLck, its pages brought in when locked
inline constexpr u8 REGION_SYSV = 16;     // a System V shared memory attach (shmat): never merged, shmdt finds it

struct Region {
    u64 start, end; // page-aligned, end exclusive
    u32 prot;
    RegionKind kind;
    u8 flags = 0;
    fs::Inode* file = nullptr; // nullptr: anonymous private memory
    u64 offset = 0;            // the file offset at `start`
    // Private file regions (an ELF segment): from this address on the
    // region reads zeros, not the file (the rest of the last file page,
    // then bss). Equal to `end` when the whole region is file.
    u64 file_end = 0;

    bool shared() const { return flags & REGION_SHARED; }
};

enum class Access : u8 { Read, Write, Execute };

// Resident pages by kind (/proc/<pid>/status): anonymous pages the space
// owns (copy-on-write shared or not), page-cache pages of files, pages of
// shared anonymous memory.
struct Rss {
    u64 anon = 0, file = 0, shmem = 0;
    u64 total() const { return anon + file + shmem; }
};

// What a page fault came to; kernel/trap/ turns the failures into signals.
enum class FaultOutcome : u8 {
    Served,        // the page is there now: retry the access
    Unmapped,      // no region there (SIGSEGV, SEGV_MAPERR)
    Denied,        // the region or the page forbids the access (SEGV_ACCERR)
    PastEndOfFile, // a file mapping beyond the file's last page (SIGBUS)
    OutOfMemory,   // legal, but no page is left (the process is killed)
};

// Locking: the regions, the page tables and the resident counts are
// guarded by the space's mutex (Linux's mmap_lock), so the threads of a
// process fault, map and unmap on several harts at once. The public
// operations below take it themselves; find_region and region() hand out
// pointers into the array and need the caller to hold it (lock()).
class AddressSpace {
public:
    static Result<AddressSpace*> create();
    // Frees every user page, every table and the region list. The address
    // space must not be active on any hart.
    static void destroy(AddressSpace*);
    // fork: the same regions; the leaf tables themselves shared until
    // either side changes one (private pages copy-on-write, shared
    // regions' pages shared outright). ENOMEM when a table cannot be had.
    // Not const: the parent's private entries become read-only (copy-on-write)
    // and its leaf tables gain a sharer.
    Result<AddressSpace*> clone();
    // Processes that use it: a vfork child shares its parent's until it
    // execs or exits. share() adds a user; release() drops one and
    // destroys the address space with the last (it must not be active
    // on any hart then).
    AddressSpace* share()
    {
        __atomic_fetch_add(&m_users, 1, __ATOMIC_RELAXED);
        return this;
    }
    static void release(AddressSpace*);
    u32 users() const { return __atomic_load_n(&m_users, __ATOMIC_RELAXED); }

    u64 root_pa() const { return m_root_pa; }
    // Make this the user half of this hart's translation (satp), tagged
    // with an ASID so that the switch needs no TLB flush (arch::switch_user_table).
    void activate();
    // The user address space active on this hart, or nullptr when only
    // the kernel half is (the kernel's own root table).
    static AddressSpace* active() { return static_cast<AddressSpace*>(arch::this_hart().address_space); }
    static void deactivate(); // back to the kernel's table

    Mutex& lock() { return m_lock; }

    // An anonymous private region (fails with EEXIST on overlap).
    Result<void> add_region(u64 start, u64 end, u32 prot, RegionKind kind);
    // A file-backed region: `file` gets a reference of its own.
    Result<void> add_file_region(const Region&);
    // Where mmap without a hint would put `size` bytes (top-down below
    // USER_MMAP_TOP, above the heap): exec maps the dynamic loader there.
    Result<u64> unmapped_area(u64 size)
    {
        MutexGuard guard(m_lock);
        return find_gap(size);
    }
    // These three with lock() held: the region may change once it is released.
    const Region* find_region(u64 address) const
    {
        m_lock.assert_held();
        return region_at(address);
    }
    usize region_count() const
    {
        m_lock.assert_held();
        return m_region_count;
    }
    const Region& region(usize i) const
    {
        m_lock.assert_held();
        return m_regions[i];
    }

    // A user access at address faulted: bring in the page if a region
    // allows the access (zeroed, from the page cache, or a private copy
    // of a copy-on-write page).
    FaultOutcome handle_fault(u64 address, Access access);

    // Kernel writes into this (possibly inactive) space, allocating pages
    // as needed inside regions: exec builds the new stack so.
    Result<void> write(u64 address, const void* data, usize length);

    // brk: [heap_start, heap_end) is the Heap region's extent.
    u64 heap_start() const { return m_heap_start; }
    u64 heap_end() const { return m_heap_end; }
    void set_heap_start(u64 start) { m_heap_start = m_heap_end = start; }
    // Linux semantics: returns the new break, or the old one when refused.
    u64 set_brk(u64 requested);

    // mmap with Linux's placement and errors. `file` null and not shared:
    // anonymous private memory. For shared anonymous memory the caller
    // passes the unnamed file from fs::new_anonymous_inode.
    struct MapRequest {
        u64 hint = 0, length = 0;
        u32 prot = 0;
        bool fixed = false, fixed_noreplace = false;
        u8 flags = 0; // REGION_*
        fs::Inode* file = nullptr;
        u64 offset = 0;
    };
    Result<u64> map(const MapRequest&);
    Result<u64> mmap_anonymous(u64 hint, u64 length, u32 prot, bool fixed);
    Result<void> unmap(u64 start, u64 length);
    // shmdt: unmaps the System V segment attached at `address` (every
    // region of it from there to the segment's size). EINVAL when no
    // attach starts there.
    Result<void> detach_segment(u64 address);
    Result<void> protect(u64 start, u64 length, u32 prot);
    // mlock/munlock of the pages [start, end) (page-aligned; as Linux, the
    // mapped pages up to the first unmapped one change, and that hole is
    // ENOMEM), mlockall/munlockall of every region, and the
    // pages of locked regions brought in (EAGAIN when memory runs out;
    // nothing is ever paged out, so that is all locking means here).
    // mlockall(MCL_FUTURE) marks the mmaps that follow (lock_future).
    // `end` becomes where it stopped (the first hole, or end).
    Result<void> set_locked(u64 start, u64& end, bool locked);
    void set_all_locked(bool locked);
    // `interrupted` is asked before each page: true stops it (a fatal signal).
    Result<void> populate_locked(u64 start, u64 end, bool (*interrupted)() = nullptr);
    void set_lock_future(bool on, bool populate)
    {
        m_lock_future = on;
        m_lock_future_populate = populate;
    }
    bool lock_future() const { return m_lock_future; }
    bool lock_future_populates() const { return m_lock_future_populate; }
    u64 locked_size(); // VmLck; takes the lock
    // madvise(MADV_DONTNEED): drop the pages; the next touch refills them
    // (zeros for anonymous private memory, the file or shared object's
    // contents otherwise).
    Result<void> discard(u64 start, u64 length);
    // mremap(2) with MREMAP_MAYMOVE / MREMAP_FIXED.
    Result<u64> remap(u64 old_address, u64 old_size, u64 new_size, bool may_move, bool fixed, u64 new_address);

    // Core dumps (kernel/process/coredump.cpp), lock held, nothing faults
    // in: visit(ctx, va, page, valid) for each page of the region below
    // `end` that holds data, in address order -- resident pages, and a
    // private file mapping's untouched pages from the page cache -- with
    // its bytes readable in the kernel; past `valid` the page reads zeros.
    // visit returns false to stop. resident_end_locked: where the last such
    // page ends (the region's start if none); resident_start_locked: the
    // first resident page of an anonymous region (its end if none).
    using DumpVisit = bool (*)(void* ctx, u64 va, const u8* page, usize valid);
    void dump_pages_locked(const Region&, u64 end, DumpVisit, void* ctx) const;
    u64 resident_end_locked(const Region&) const;
    u64 resident_start_locked(const Region&) const;

    // Resident user pages (for accounting and tests). Read without the
    // lock, they may be a moment old.
    u64 resident_pages() const { return m_rss.total(); }
    const Rss& rss() const { return m_rss; }
    u64 virtual_size(); // takes the lock

    AddressSpace() = default; // use create()

    // A translation of this space changed or went: drop it from this
    // hart's TLB and from every other hart that has run the space, before
    // returning (TLB shootdown: kernel::smp_flush_tlbs).
    void flush_page(u64 va) const;
    void flush_all() const;
    u64 other_harts() const; // m_harts without this hart

    // The harts that must fence.i before running this space's code.
    IcacheState icache;

private:
    friend class MmChecker; // mm_check.cpp reads the tables and counters
    const Region* region_at(u64 address) const; // find_region, lock held
    Result<void> add_region_locked(u64 start, u64 end, u32 prot, RegionKind kind);
    Result<void> ensure_region_capacity(usize extra);
    Result<void> insert_region(const Region&);
    // Leaf tables shared since a fork (see share_tables in the .cpp).
    bool unshare_table(u64* table_entry);
    u64* own_entry(u64 va); // the leaf entry for va, in a table of our own; nullptr: no memory
    Result<void> own_tables(u64 start, u64 end);
    // Before a range's regions or pages change: room for `splits` more
    // regions, and the range's leaf tables our own.
    Result<void> prepare_change(u64 start, u64 end, usize splits);
    // prepare_change for splitting the regions at both ends of the range
    // (mprotect, mlock): ENOMEM when that would pass vm.max_map_count.
    Result<void> prepare_split(u64 start, u64 end);
    // How many of the range's two ends fall strictly inside a region.
    usize splits_needed(u64 start, u64 end) const;
    // 1 when [start, end) lies strictly inside one region (removing it
    // leaves two), else 0: what remove_range needs.
    usize hole_slots(u64 start, u64 end) const;
    Result<void> share_tables(AddressSpace& copy) const;
    Result<void> copy_pages_eagerly(AddressSpace& copy) const;
    Result<void> fault_in(const Region&, u64 page, bool write);
    Result<void> install(u64 page, PhysAddr pa, u64 pte_flags);
    Result<void> break_cow(u64 page, u64 pte);
    void unmap_pages(const Region&, u64 start, u64 end);
    // Unmaps the pages of [start, end) and cuts the range out of the
    // regions (splitting one when the range is inside it). prepare_change
    // must have succeeded for the range.
    void remove_range(u64 start, u64 end);
    void merge_neighbours(u64 address);
    bool range_is_free(u64 start, u64 end) const;
    Result<u64> find_gap(u64 size) const;
    usize region_index(u64 address) const; // the first region ending above address

    u64 m_root_pa = 0;
    Region* m_regions = nullptr;
    usize m_region_count = 0;
    usize m_region_capacity = 0;
    u64 m_heap_start = 0, m_heap_end = 0;
    bool m_lock_future = false, m_lock_future_populate = false; // mlockall(MCL_FUTURE), not inherited
    Rss m_rss;
    u32 m_users = 1;
    // Hart indexes that have run this space since it was created: their
    // TLBs may hold its translations (Linux's mm_cpumask; never cleared,
    // as a hart keeps the entries, tagged with the ASID, after it leaves).
    u64 m_harts = 0;
    arch::AsidTag m_asid{}; // generation, ASID and satp value (arch/riscv/asid.hpp)
    Mutex m_lock{LockRank::AddressSpace};
};

// vm.max_map_count (/proc/sys/vm/max_map_count): how many regions one
// address space may have. As in Linux, mmap fails with ENOMEM once the
// count is above it, and a split (mprotect, mlock, munmap of a hole
// inside a region) that would pass it is ENOMEM; a munmap that needs no
// new region always succeeds.
inline constexpr u32 DEFAULT_MAX_MAP_COUNT = 65530;
u32 max_map_count();
void set_max_map_count(u32);

// Boot: the page every address space shares (the signal trampoline).
Result<void> address_space_init();

// Page-table flags for a user page with these PROT bits.
u64 user_pte_flags(u32 prot);

// Overcommit policy (Linux's heuristic mode as it was up to 4.x): a new
// private writable mapping (or brk or mremap growth) of `pages` is
// refused with ENOMEM when more pages than are free right now are asked
// for at once. Touching memory
// that was granted can still run out; that fault kills the process.
bool commit_ok(u64 pages);

// fork=copy on the kernel command line makes clone() copy every private
// page eagerly (xv6's way), for measuring what copy-on-write saves.
void set_eager_fork(bool);

// The user address-space layout (Sv39 lower half).
// The top GiB of user space holds only the signal trampoline, through
// level-1 and leaf tables every address space shares: regions end below it.
inline constexpr u64 USER_REGIONS_END = 0x3fc0000000ull;
inline constexpr u64 USER_STACK_TOP = USER_REGIONS_END - 4096; // a guard page above the stack
// A stack limit of at most 256 MiB (the default is 8 MiB) puts the stack
// at the top of the first GiB instead, above the program and its heap: it
// then shares their level-1 page table (4 KiB less per process).
inline constexpr u64 USER_LOW_STACK_TOP = (1ull << 30) - 4096;
inline constexpr u64 USER_LOW_STACK_MAX = 256ull << 20;
// Kept free below the stack region: the heap never grows into it.
inline constexpr u64 STACK_GUARD_GAP = 1ull << 20;
inline constexpr u64 USER_STACK_LIMIT = 8ull << 20;   // RLIMIT_STACK default
inline constexpr u64 USER_MMAP_TOP = 0x3f00000000ull; // mmap grows down from here
// The signal-return trampoline: one read-only, executable page at the very
// top of user space, in every address space and in no region.
inline constexpr u64 SIGRETURN_TRAMPOLINE_VA = arch::USER_TOP - arch::PAGE_SIZE;

} // namespace kernel::mm
