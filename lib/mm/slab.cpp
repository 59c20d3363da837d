// The kmalloc heap: size-class slabs of one page each, and large blocks taken
// whole from the page source.
//
// Slab page layout: SlabHeader, then one u16 per slot (the size the caller
// asked for, 0 for the heap's own records), then the objects, aligned to their
// size. The header is found from an object by aligning down to the page, so
// objects are never page-aligned and a page-aligned pointer is a large block.
// Free slots are tracked in a bitmap in the header rather than an intrusive
// list inside free objects, so a write after free cannot corrupt the heap's
// bookkeeping and a double free is detected exactly while the slab lives.
//
// Empty slabs: none is cached. The page goes back to the page source as soon
// as its last object is freed, so the page count returns to its baseline when
// everything is freed and the memory is at once usable for page tables and
// user pages; the cost, one buddy order-0 alloc/free when a class keeps
// crossing a slab boundary, is O(MAX_ORDER).
//
// Large blocks: kfree gets no size, and the order cannot live in front of the
// block (that would break page alignment and cost an extra page for every
// exactly-page-sized request) nor behind PageSource (the kernel's PageMeta is
// not visible here). A fixed-capacity table would fail allocations for no
// reason. So each large block gets a small record, allocated from this heap's
// own 32-byte class and hashed by address: unbounded, O(1) expected, and it
// tells a live large block from any other page-aligned pointer exactly.
//
// Hardened builds (MYRIAD_HARDENING): a request of n bytes takes the class
// of n + RED_ZONE; the slot's bytes past n are its red zone (RED_ACTIVE),
// checked when it is freed, and a large block's bytes past n up to its last
// page likewise. Every free slot holds POISON_FREE, from the slab's creation
// and again from each free, checked when the slot is handed out. Full slabs
// are kept on a list of their own so that check_all() reaches them. A free
// slab page goes back to the page source, whose own poisoning (the kernel's
// page allocator) watches it from then on.
#include "lib/mm/slab.hpp"

namespace lib::mm {

namespace {

constexpr u32 SLAB_MAGIC = 0x534c4142; // "SLAB"
constexpr unsigned BITMAP_WORDS = 4;   // 256 slots: enough for 16-byte objects in a page

} // namespace

struct SlabHeader {
    u32 magic; // SLAB_MAGIC while the page is a live slab of this heap
    u8 class_index;
    u16 capacity;
    u16 in_use;
    u16 data_offset;
    Heap* owner;
    SlabHeader* next; // partial list of the class
    SlabHeader* prev;
    // One bit per slot, set when allocated; bits past capacity are set so the
    // search never finds them.
    u64 used[BITMAP_WORDS];
};

struct LargeBlock {
    LargeBlock* next; // hash chain
    uptr address;
    usize requested;
    u32 order;
};

namespace {

constexpr usize class_size(unsigned cls) { return Heap::MIN_OBJECT_SIZE << cls; }

unsigned class_for(usize size)
{
    if (size <= Heap::MIN_OBJECT_SIZE)
        return 0;
    // ceil(log2(size)) - log2(16)
    return unsigned(64 - __builtin_clzll(u64(size) - 1)) - 4;
}

unsigned order_for(usize size)
{
    u64 pages = (u64(size) + PAGE_SIZE - 1) >> PAGE_SHIFT;
    return pages <= 1 ? 0 : unsigned(64 - __builtin_clzll(pages - 1));
}

struct SlabLayout {
    u16 capacity;
    u16 data_offset;
};

constexpr SlabLayout layout_for(usize size)
{
    for (usize cap = (PAGE_SIZE - sizeof(SlabHeader)) / size; cap > 0; --cap) {
        usize offset = lib::align_up(sizeof(SlabHeader) + cap * sizeof(u16), size);
        if (offset + cap * size <= PAGE_SIZE)
            return {u16(cap), u16(offset)};
    }
    return {0, 0};
}

struct LayoutTable {
    SlabLayout of[Heap::CLASS_COUNT];
};

constexpr LayoutTable make_layouts()
{
    LayoutTable t{};
    for (unsigned c = 0; c < Heap::CLASS_COUNT; ++c)
        t.of[c] = layout_for(class_size(c));
    return t;
}

constexpr LayoutTable LAYOUTS = make_layouts();

constexpr bool layouts_fit()
{
    for (unsigned c = 0; c < Heap::CLASS_COUNT; ++c) {
        const SlabLayout& l = LAYOUTS.of[c];
        if (l.capacity == 0 || l.capacity > BITMAP_WORDS * 64 || l.data_offset == 0)
            return false;
    }
    return true;
}
static_assert(layouts_fit(), "every size class needs 1..256 slots in a page, after the header");
static_assert(sizeof(LargeBlock) <= 32, "large-block records live in the 32-byte class");

u16* requested_sizes(SlabHeader* s) { return reinterpret_cast<u16*>(reinterpret_cast<u8*>(s) + sizeof(SlabHeader)); }

bool slot_used(const SlabHeader* s, u32 slot) { return (s->used[slot / 64] >> (slot % 64)) & 1; }

SlabHeader* slab_of(const void* object)
{
    return reinterpret_cast<SlabHeader*>(lib::align_down(reinterpret_cast<uptr>(object), PAGE_SIZE));
}

u32 slot_of(const SlabHeader* s, const void* object)
{
    uptr offset = reinterpret_cast<uptr>(object) - reinterpret_cast<uptr>(s);
    return u32((offset - s->data_offset) / class_size(s->class_index));
}

} // namespace

void Heap::init(PageSource& source)
{
    m_source = &source;
    for (unsigned c = 0; c < CLASS_COUNT; ++c) {
#ifdef MYRIAD_HARDENING
        m_full[c] = nullptr;
#endif
        m_partial[c] = nullptr;
        m_class_objects[c] = 0;
        m_class_slabs[c] = 0;
    }
    for (auto& bucket : m_large)
        bucket = nullptr;
    m_large_blocks = 0;
    m_large_pages = 0;
    m_bytes_requested = 0;
    m_bytes_allocated = 0;
}

void Heap::link_partial(SlabHeader* s)
{
    SlabHeader*& head = m_partial[s->class_index];
    s->prev = nullptr;
    s->next = head;
    if (head)
        head->prev = s;
    head = s;
}

void Heap::unlink_partial(SlabHeader* s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        m_partial[s->class_index] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = nullptr;
    s->prev = nullptr;
}

#ifdef MYRIAD_HARDENING
void Heap::link_full(SlabHeader* s)
{
    SlabHeader*& head = m_full[s->class_index];
    s->prev = nullptr;
    s->next = head;
    if (head)
        head->prev = s;
    head = s;
}

void Heap::unlink_full(SlabHeader* s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        m_full[s->class_index] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = nullptr;
    s->prev = nullptr;
}

// Bytes [from, slot_size) of object must all be `expected`; the first one
// that is not is reported. Returns the number of problems (0 or 1). (No
// UBSan checks on each byte of its own loops.)
[[gnu::no_sanitize_undefined]] usize Heap::check_fill(HeapCorruption::Kind kind, const void* object,
                                                     usize slot_size, usize requested, usize from, u8 expected)
{
    const u8* bytes = static_cast<const u8*>(object);
    const u64 pattern = u64(expected) * 0x0101010101010101ull;
    usize i = from;
    // Objects start 16-byte aligned, so after the first few bytes whole
    // words can be compared.
    while (i < slot_size && (i & 7) != 0 && bytes[i] == expected)
        ++i;
    if (i < slot_size && (i & 7) == 0)
        for (u64 word; i + 8 <= slot_size; i += 8) {
            __builtin_memcpy(&word, bytes + i, 8); // one aligned load; no aliasing question
            if (word != pattern)
                break;
        }
    while (i < slot_size && bytes[i] == expected)
        ++i;
    if (i == slot_size)
        return 0;
    if (m_handler)
        m_handler->report({kind, object, slot_size, requested, i, expected, bytes[i]});
    return 1;
}
#endif

unsigned Heap::large_bucket(uptr address)
{
    // Fibonacci hashing of the pfn: large blocks are aligned to their size, so
    // the low pfn bits alone would crowd a few buckets.
    static_assert(LARGE_BUCKETS == 64);
    return unsigned(((u64(address) >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ull) >> 58);
}

void* Heap::allocate(usize size)
{
    if (!m_source || size == 0 || size > MAX_ALLOCATION)
        return nullptr;
    if (size <= MAX_SLAB_REQUEST)
        return allocate_small(class_for(size + RED_ZONE), size);
    return allocate_large(size);
}

// requested == 0 marks the heap's own records: not counted as caller objects,
// and refused by deallocate().
void* Heap::allocate_small(unsigned cls, usize requested)
{
    SlabHeader* s = m_partial[cls];
    if (!s) {
        void* page = m_source->allocate_pages(0);
        if (!page)
            return nullptr;
        const SlabLayout& layout = LAYOUTS.of[cls];
        s = new (page) SlabHeader{};
        s->magic = SLAB_MAGIC;
        s->class_index = u8(cls);
        s->capacity = layout.capacity;
        s->data_offset = layout.data_offset;
        s->owner = this;
        // Slots past the capacity are marked used, a word at a time: a
        // class whose slab holds one object (2048 bytes) makes a slab per
        // allocation, and a bit-by-bit loop cost 2 500 instructions of it.
        for (u32 w = 0; w < BITMAP_WORDS; ++w) {
            u32 first = w * 64;
            if (layout.capacity <= first)
                s->used[w] = ~u64(0);
            else if (layout.capacity < first + 64)
                s->used[w] = ~u64(0) << (layout.capacity - first);
        }
        for (u32 slot = 0; slot < layout.capacity; ++slot)
            requested_sizes(s)[slot] = 0;
#ifdef MYRIAD_HARDENING
        __builtin_memset(reinterpret_cast<u8*>(s) + layout.data_offset, SLAB_POISON_FREE,
                         usize(layout.capacity) * class_size(cls));
#endif
        ++m_class_slabs[cls];
        link_partial(s);
    }
    // A partial slab always has a clear bit below capacity.
    u32 slot = 0;
    for (unsigned w = 0; w < BITMAP_WORDS; ++w) {
        if (~s->used[w]) {
            slot = w * 64 + unsigned(__builtin_ctzll(~s->used[w]));
            break;
        }
    }
    s->used[slot / 64] |= u64(1) << (slot % 64);
    requested_sizes(s)[slot] = u16(requested);
    if (++s->in_use == s->capacity) {
        unlink_partial(s);
#ifdef MYRIAD_HARDENING
        link_full(s);
#endif
    }
    if (requested) {
        ++m_class_objects[cls];
        m_bytes_requested += requested;
        m_bytes_allocated += class_size(cls);
    }
    u8* object = reinterpret_cast<u8*>(s) + s->data_offset + usize(slot) * class_size(cls);
#ifdef MYRIAD_HARDENING
    check_fill(HeapCorruption::Kind::WriteAfterFree, object, class_size(cls), 0, 0, SLAB_POISON_FREE);
    if (requested)
        __builtin_memset(object + requested, SLAB_RED_ACTIVE, class_size(cls) - requested);
#endif
    return object;
}

void* Heap::allocate_large(usize size)
{
    // Past the largest block there is nothing to give, and a size near
    // 2^64 would wrap in order_for's rounding to a one-page block.
    if (size > (PAGE_SIZE << MAX_ORDER))
        return nullptr;
    unsigned order = order_for(size);
    // The record first: if the pages then fail, giving the record back is
    // the whole rollback.
    void* record = allocate_small(class_for(sizeof(LargeBlock)), 0);
    if (!record)
        return nullptr;
    void* pages = m_source->allocate_pages(order);
    if (!pages) {
        SlabHeader* s = slab_of(record);
        release_slot(s, slot_of(s, record));
        return nullptr;
    }
    uptr address = reinterpret_cast<uptr>(pages);
#ifdef MYRIAD_HARDENING
    __builtin_memset(static_cast<u8*>(pages) + size, SLAB_RED_ACTIVE, (PAGE_SIZE << order) - size);
#endif
    LargeBlock*& bucket = m_large[large_bucket(address)];
    bucket = new (record) LargeBlock{bucket, address, size, order};
    ++m_large_blocks;
    m_large_pages += usize(1) << order;
    m_bytes_requested += size;
    m_bytes_allocated += PAGE_SIZE << order;
    return pages;
}

Result<Heap::Block> Heap::locate(void* p)
{
    uptr address = reinterpret_cast<uptr>(p);
    if (lib::is_aligned(address, PAGE_SIZE)) {
        for (LargeBlock** link = &m_large[large_bucket(address)]; *link; link = &(*link)->next)
            if ((*link)->address == address)
                return Block{nullptr, 0, link};
        return make_error(Errno::einval, "kfree: page-aligned pointer is not a live large block");
    }
    SlabHeader* s = slab_of(p);
    if (s->magic != SLAB_MAGIC || s->owner != this || s->class_index >= CLASS_COUNT)
        return make_error(Errno::einval, "kfree: pointer is not from this heap");
    uptr offset = address - reinterpret_cast<uptr>(s);
    if (offset < s->data_offset || (offset - s->data_offset) % class_size(s->class_index) != 0)
        return make_error(Errno::einval, "kfree: pointer is not the start of an object");
    u32 slot = slot_of(s, p);
    if (slot >= s->capacity)
        return make_error(Errno::einval, "kfree: pointer is not the start of an object");
    if (!slot_used(s, slot))
        return make_error(Errno::einval, "kfree: double free");
    if (requested_sizes(s)[slot] == 0)
        return make_error(Errno::einval, "kfree: pointer is the heap's own record");
    return Block{s, slot, nullptr};
}

Result<void> Heap::deallocate(void* p)
{
    if (!p)
        return {};
    Block b = TRY(locate(p));
    release(b);
    return {};
}

void Heap::release(Block b)
{
    if (b.link) {
        LargeBlock* record = *b.link;
#ifdef MYRIAD_HARDENING
        check_fill(HeapCorruption::Kind::RedZone, reinterpret_cast<void*>(record->address), PAGE_SIZE << record->order,
                   record->requested, record->requested, SLAB_RED_ACTIVE);
#endif
        *b.link = record->next;
        --m_large_blocks;
        m_large_pages -= usize(1) << record->order;
        m_bytes_requested -= record->requested;
        m_bytes_allocated -= PAGE_SIZE << record->order;
        m_source->free_pages(reinterpret_cast<void*>(record->address), record->order);
        SlabHeader* s = slab_of(record);
        release_slot(s, slot_of(s, record));
        return;
    }
    unsigned cls = b.slab->class_index;
#ifdef MYRIAD_HARDENING
    {
        u16 requested = requested_sizes(b.slab)[b.slot];
        const u8* object = reinterpret_cast<u8*>(b.slab) + b.slab->data_offset + usize(b.slot) * class_size(cls);
        check_fill(HeapCorruption::Kind::RedZone, object, class_size(cls), requested, requested, SLAB_RED_ACTIVE);
    }
#endif
    --m_class_objects[cls];
    m_bytes_requested -= requested_sizes(b.slab)[b.slot];
    m_bytes_allocated -= class_size(cls);
    release_slot(b.slab, b.slot);
}

void Heap::release_slot(SlabHeader* s, u32 slot)
{
    bool was_full = s->in_use == s->capacity;
    s->used[slot / 64] &= ~(u64(1) << (slot % 64));
    requested_sizes(s)[slot] = 0;
    --s->in_use;
#ifdef MYRIAD_HARDENING
    __builtin_memset(reinterpret_cast<u8*>(s) + s->data_offset + usize(slot) * class_size(s->class_index),
                     SLAB_POISON_FREE, class_size(s->class_index));
    if (was_full)
        unlink_full(s); // relinked as partial below, or freed
#endif
    if (s->in_use == 0) {
        // A full slab is on no list; a one-slot class goes straight from full
        // to empty.
        if (!was_full)
            unlink_partial(s);
        s->magic = 0;
        --m_class_slabs[s->class_index];
        m_source->free_pages(s, 0);
    } else if (was_full) {
        link_partial(s);
    }
}

#ifdef MYRIAD_HARDENING
usize Heap::check_all()
{
    usize problems = 0;
    for (unsigned c = 0; c < CLASS_COUNT; ++c) {
        SlabHeader* lists[] = {m_partial[c], m_full[c]};
        for (SlabHeader* list : lists) {
            for (SlabHeader* s = list; s; s = s->next) {
                for (u32 slot = 0; slot < s->capacity; ++slot) {
                    const u8* object = reinterpret_cast<u8*>(s) + s->data_offset + usize(slot) * class_size(c);
                    u16 requested = requested_sizes(s)[slot];
                    if (!slot_used(s, slot))
                        problems += check_fill(HeapCorruption::Kind::WriteAfterFree, object, class_size(c), 0, 0,
                                               SLAB_POISON_FREE);
                    else if (requested)
                        problems += check_fill(HeapCorruption::Kind::RedZone, object, class_size(c), requested,
                                               requested, SLAB_RED_ACTIVE);
                }
            }
        }
    }
    for (LargeBlock* bucket : m_large)
        for (LargeBlock* b = bucket; b; b = b->next)
            problems += check_fill(HeapCorruption::Kind::RedZone, reinterpret_cast<void*>(b->address),
                                   PAGE_SIZE << b->order, b->requested, b->requested, SLAB_RED_ACTIVE);
    return problems;
}
#endif

HeapStats Heap::stats() const
{
    HeapStats st{};
    st.bytes_requested = m_bytes_requested;
    st.bytes_allocated = m_bytes_allocated;
    st.large_pages = m_large_pages;
    st.large_blocks = m_large_blocks;
    st.objects_in_use = m_large_blocks;
    for (unsigned c = 0; c < CLASS_COUNT; ++c) {
        st.classes[c] = {class_size(c), LAYOUTS.of[c].capacity, m_class_objects[c], m_class_slabs[c]};
        st.objects_in_use += m_class_objects[c];
        st.slab_pages += m_class_slabs[c];
    }
    return st;
}

} // namespace lib::mm
