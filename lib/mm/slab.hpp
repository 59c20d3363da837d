// Heap: kmalloc/kfree bookkeeping over a PageSource. Small sizes are served
// from one-page slabs of eight power-of-two size classes, larger ones as whole
// 2^order page blocks. The kernel wraps the Heap in its spinlock.
#pragma once

#include "lib/mm/page_meta.hpp"
#include "lib/result.hpp"

namespace lib::mm {

// Where the heap's memory comes from: the kernel implements it over the buddy
// allocator and the direct map, the host tests over aligned_alloc.
class PageSource {
public:
    // 2^order pages aligned to their size, or nullptr.
    virtual void* allocate_pages(unsigned order) = 0;
    virtual void free_pages(void* p, unsigned order) = 0;

protected:
    ~PageSource() = default;
};

struct SizeClassStats {
    usize object_size;
    usize objects_per_slab;
    usize objects_in_use; // caller objects only, not the heap's own records
    usize slabs;          // pages of this class, including the heap's own records
};

struct HeapStats {
    static constexpr unsigned CLASS_COUNT = 8;

    usize bytes_requested; // sum of the sizes asked for by live allocations
    usize bytes_allocated; // the same rounded up to class size or whole pages
    usize objects_in_use;  // live allocate() results, small and large
    usize slab_pages;
    usize large_pages;
    usize large_blocks;
    SizeClassStats classes[CLASS_COUNT];

    usize pages_held() const { return slab_pages + large_pages; }
};

struct SlabHeader;
struct LargeBlock;

#ifdef MYRIAD_HARDENING
// Hardened builds (MYRIAD_HARDENING) check the heap as Linux's SLUB debug
// does (mm/slub.c, "red zoning" and "poisoning"): every object is followed
// by a red zone filled with RED_ACTIVE, checked when it is freed; a freed
// object is filled with POISON_FREE, checked when the slot is handed out
// again. The byte values are Linux's (include/linux/poison.h).
inline constexpr u8 SLAB_RED_ACTIVE = 0xcc;
inline constexpr u8 SLAB_POISON_FREE = 0x6b;

struct HeapCorruption {
    enum class Kind : u8 {
        RedZone,            // a byte past the caller's size was written
        WriteAfterFree,     // a freed slot no longer holds POISON_FREE
    };
    Kind kind;
    const void* object; // start of the object
    usize slot_size;    // its size class (or whole pages of a large block)
    usize requested;    // what the caller asked for (0 for a freed slot)
    usize offset;       // of the first bad byte, from object
    u8 expected;
    u8 found;
};

// Told about every corruption the heap finds; the kernel panics, the host
// tests count. The heap carries on after a report (the object is freed or
// handed out as if nothing happened).
class CorruptionHandler {
public:
    virtual void report(const HeapCorruption&) = 0;

protected:
    ~CorruptionHandler() = default;
};
#endif

class Heap {
public:
    static constexpr unsigned CLASS_COUNT = HeapStats::CLASS_COUNT;
    static constexpr usize MIN_OBJECT_SIZE = 16;
    static constexpr usize MAX_SLAB_OBJECT_SIZE = MIN_OBJECT_SIZE << (CLASS_COUNT - 1); // 2048
    static constexpr usize MAX_ALLOCATION = PAGE_SIZE << MAX_ORDER;                   // 4 MiB
#ifdef MYRIAD_HARDENING
    // Bytes of red zone at least behind every slab object: a request goes
    // to the class that holds it plus this much.
    static constexpr usize RED_ZONE = 8;
#else
    static constexpr usize RED_ZONE = 0;
#endif
    // Larger requests are large blocks (whole pages).
    static constexpr usize MAX_SLAB_REQUEST = MAX_SLAB_OBJECT_SIZE - RED_ZONE;

    constexpr Heap() = default;
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // Forget any previous state (without freeing it) and draw pages from source.
    void init(PageSource& source);

    // size bytes aligned to their size class (16..2048, so at least 16), or
    // page-aligned above MAX_SLAB_REQUEST (2048; less in hardened builds,
    // where the class must hold a red zone too). nullptr for size 0, above MAX_ALLOCATION, when
    // the page source is exhausted, or before init().
    void* allocate(usize size);

    // Free an allocate() result; nullptr is a no-op. A pointer this heap did
    // not hand out, or one already freed while its slab is still alive, is
    // EINVAL and changes nothing. A pointer freed after its slab went back to
    // the page source cannot be recognised (the page is no longer ours).
    Result<void> deallocate(void* p);

    template <typename T, typename... A> T* make(A&&... args)
    {
        // Objects are aligned to their power-of-two size class, and sizeof(T)
        // is a multiple of alignof(T), so any alignment up to a page holds.
        static_assert(alignof(T) <= PAGE_SIZE);
        void* p = allocate(sizeof(T));
        return p ? new (p) T(lib::forward<A>(args)...) : nullptr;
    }

    // Destroy and free a make() result; the pointer is checked before the
    // destructor runs, so a bad pointer destroys nothing.
    template <typename T> Result<void> destroy(T* p)
    {
        if (!p)
            return {};
        Block b = TRY(locate(p));
        p->~T();
        release(b);
        return {};
    }

    HeapStats stats() const;

#ifdef MYRIAD_HARDENING
    void set_corruption_handler(CorruptionHandler* handler) { m_handler = handler; }
    // Check every object of every slab (red zones of live ones, poison of
    // free ones) and the red zones of large blocks; each problem goes to the
    // handler. Returns how many were found. O(heap size).
    usize check_all();
#endif

private:
    // A validated allocation, found from a caller pointer.
    struct Block {
        SlabHeader* slab;    // small object: its slab and slot
        u32 slot;
        LargeBlock** link;   // large block: the link that points at its record
    };

    void* allocate_small(unsigned cls, usize requested);
    void* allocate_large(usize size);
    Result<Block> locate(void* p);
    void release(Block b);
    void release_slot(SlabHeader* slab, u32 slot);
    void link_partial(SlabHeader* slab);
    void unlink_partial(SlabHeader* slab);
    static unsigned large_bucket(uptr address);
#ifdef MYRIAD_HARDENING
    void link_full(SlabHeader* slab);
    void unlink_full(SlabHeader* slab);
    usize check_fill(HeapCorruption::Kind kind, const void* object, usize slot_size, usize requested, usize from,
                     u8 expected);
#endif

    static constexpr unsigned LARGE_BUCKETS = 64;

    PageSource* m_source = nullptr;
    // Slabs with at least one free slot, per class. Full slabs are on no list:
    // nothing needs to find them except a free, which aligns down to them.
    SlabHeader* m_partial[CLASS_COUNT] = {};
    usize m_class_objects[CLASS_COUNT] = {};
    usize m_class_slabs[CLASS_COUNT] = {};
    // Large blocks, hashed by address; see slab.cpp for why a table.
    LargeBlock* m_large[LARGE_BUCKETS] = {};
    usize m_large_blocks = 0;
    usize m_large_pages = 0;
    usize m_bytes_requested = 0;
    usize m_bytes_allocated = 0;
#ifdef MYRIAD_HARDENING
    // Full slabs too, so check_all() can reach every object.
    SlabHeader* m_full[CLASS_COUNT] = {};
    CorruptionHandler* m_handler = nullptr;
#endif
};

} // namespace lib::mm
