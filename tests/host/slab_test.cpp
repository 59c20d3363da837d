// Host tests of the kmalloc heap (lib/mm/slab.cpp) over a fake page source
// that counts pages out and checks every page it gets back.
#include "lib/mm/slab.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

using lib::mm::Heap;
using lib::mm::HeapStats;
using lib::mm::MAX_ORDER;
using lib::mm::PAGE_SIZE;
using lib::mm::PageSource;

namespace {

class FakePageSource final : public PageSource {
public:
    explicit FakePageSource(size_t limit = SIZE_MAX) : m_limit(limit) {}
    FakePageSource(const FakePageSource&) = delete;
    FakePageSource& operator=(const FakePageSource&) = delete;
    ~FakePageSource()
    {
        for (auto& [p, order] : m_blocks)
            std::free(p);
    }

    void* allocate_pages(unsigned order) override
    {
        size_t pages = size_t(1) << order;
        if (order > MAX_ORDER || m_pages_out + pages > m_limit)
            return nullptr;
        void* p = std::aligned_alloc(PAGE_SIZE << order, PAGE_SIZE << order);
        if (!p)
            return nullptr;
        // Real pages come back dirty: the heap must not rely on zeroes.
        std::memset(p, 0xa5, PAGE_SIZE << order);
        m_blocks[p] = order;
        m_pages_out += pages;
        return p;
    }

    void free_pages(void* p, unsigned order) override
    {
        auto it = m_blocks.find(p);
        if (it == m_blocks.end() || it->second != order) {
            ++m_bad_frees;
            return;
        }
        m_pages_out -= size_t(1) << order;
        m_blocks.erase(it);
        std::free(p);
    }

    size_t pages_out() const { return m_pages_out; }
    size_t blocks_out() const { return m_blocks.size(); }
    size_t bad_frees() const { return m_bad_frees; }
    void set_limit(size_t pages) { m_limit = pages; }

private:
    std::map<void*, unsigned> m_blocks;
    size_t m_pages_out = 0;
    size_t m_bad_frees = 0;
    size_t m_limit;
};

// Hardened builds (MYRIAD_HARDENING) give every object a red zone: a request
// takes the class of its size plus Heap::RED_ZONE (0 otherwise), and the
// sizes below that name "a whole class" subtract it.
constexpr size_t RZ = Heap::RED_ZONE;

size_t class_size_for(size_t size)
{
    size += RZ;
    size_t c = Heap::MIN_OBJECT_SIZE;
    while (c < size)
        c *= 2;
    return c;
}

unsigned class_index_for(size_t size)
{
    size += RZ;
    unsigned i = 0;
    while ((Heap::MIN_OBJECT_SIZE << i) < size)
        ++i;
    return i;
}

bool aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

bool filled_with(const void* p, size_t n, u8 byte)
{
    auto b = static_cast<const u8*>(p);
    for (size_t i = 0; i < n; ++i)
        if (b[i] != byte)
            return false;
    return true;
}

class Slab : public ::testing::Test {
protected:
    void SetUp() override { m_heap.init(m_source); }
    void TearDown() override { EXPECT_EQ(m_source.bad_frees(), 0u) << "heap gave back pages it did not get"; }

    void expect_empty()
    {
        HeapStats st = m_heap.stats();
        EXPECT_EQ(m_source.pages_out(), 0u);
        EXPECT_EQ(st.pages_held(), 0u);
        EXPECT_EQ(st.objects_in_use, 0u);
        EXPECT_EQ(st.bytes_requested, 0u);
        EXPECT_EQ(st.bytes_allocated, 0u);
        EXPECT_EQ(st.large_blocks, 0u);
        for (const auto& c : st.classes) {
            EXPECT_EQ(c.objects_in_use, 0u);
            EXPECT_EQ(c.slabs, 0u);
        }
    }

    // The heap's page count always matches what the source has handed out.
    void expect_pages_match() { EXPECT_EQ(m_heap.stats().pages_held(), m_source.pages_out()); }

    FakePageSource m_source;
    Heap m_heap;
};

} // namespace

TEST(SlabHeap, UninitialisedHeapAllocatesNothing)
{
    Heap heap;
    EXPECT_EQ(heap.allocate(16), nullptr);
    EXPECT_TRUE(heap.deallocate(nullptr).is_ok());
}

TEST_F(Slab, ZeroAndOversizedRequestsReturnNull)
{
    EXPECT_EQ(m_heap.allocate(0), nullptr);
    EXPECT_EQ(m_heap.allocate(Heap::MAX_ALLOCATION + 1), nullptr);
    EXPECT_EQ(m_heap.allocate(SIZE_MAX), nullptr);
    EXPECT_EQ(m_heap.allocate(SIZE_MAX - PAGE_SIZE + 2), nullptr); // would overflow rounding up
    EXPECT_TRUE(m_heap.deallocate(nullptr).is_ok());
    expect_empty();
}

TEST_F(Slab, EverySizeIsAlignedToItsClassAndAccounted)
{
    for (size_t size = 1; size <= 2 * PAGE_SIZE + 1; ++size) {
        void* p = m_heap.allocate(size);
        ASSERT_NE(p, nullptr) << size;
        HeapStats st = m_heap.stats();
        EXPECT_EQ(st.bytes_requested, size);
        EXPECT_EQ(st.objects_in_use, 1u);
        if (size <= Heap::MAX_SLAB_REQUEST) {
            size_t cls = class_size_for(size);
            ASSERT_TRUE(aligned(p, cls)) << size;
            ASSERT_FALSE(aligned(p, PAGE_SIZE)) << "slab objects are never page-aligned";
            EXPECT_EQ(st.bytes_allocated, cls);
            EXPECT_EQ(st.classes[class_index_for(size)].objects_in_use, 1u) << size;
            EXPECT_EQ(st.slab_pages, 1u);
        } else {
            ASSERT_TRUE(aligned(p, PAGE_SIZE)) << size;
            // Orders 0, 1 and 2 (2 pages + 1 byte rounds up to 4).
            size_t pages = size <= PAGE_SIZE ? 1 : size <= 2 * PAGE_SIZE ? 2 : 4;
            EXPECT_EQ(st.large_pages, pages) << size;
            EXPECT_EQ(st.bytes_allocated, pages * PAGE_SIZE);
            EXPECT_EQ(st.large_blocks, 1u);
        }
        std::memset(p, 0x5a, size);
        expect_pages_match();
        ASSERT_TRUE(m_heap.deallocate(p).is_ok()) << size;
        ASSERT_EQ(m_source.pages_out(), 0u) << size;
    }
    expect_empty();
}

TEST_F(Slab, FullSlabsOfEveryClassKeepTheirContents)
{
    for (unsigned c = 0; c < Heap::CLASS_COUNT; ++c) {
        const size_t per_slab = m_heap.stats().classes[c].objects_per_slab;
        const size_t object = Heap::MIN_OBJECT_SIZE << c;
        ASSERT_EQ(m_heap.stats().classes[c].object_size, object);
        ASSERT_GE(per_slab, 1u);
        ASSERT_LE(per_slab * object, PAGE_SIZE - 64) << "room for the header";
        // Three slabs' worth, writing the whole object each time.
        std::vector<u8*> objects;
        for (size_t i = 0; i < 3 * per_slab; ++i) {
            auto p = static_cast<u8*>(m_heap.allocate(object - RZ));
            ASSERT_NE(p, nullptr);
            std::memset(p, int(i & 0xff), object - RZ);
            objects.push_back(p);
        }
        EXPECT_EQ(m_heap.stats().classes[c].slabs, 3u) << "class " << object;
        EXPECT_EQ(m_source.pages_out(), 3u);
        for (size_t i = 0; i < objects.size(); ++i)
            ASSERT_TRUE(filled_with(objects[i], object - RZ, u8(i & 0xff))) << "class " << object << " object " << i;
        // Free every other object, refill the holes, check again.
        for (size_t i = 0; i < objects.size(); i += 2)
            ASSERT_TRUE(m_heap.deallocate(objects[i]).is_ok());
        for (size_t i = 0; i < objects.size(); i += 2) {
            objects[i] = static_cast<u8*>(m_heap.allocate(object - RZ - 1));
            ASSERT_NE(objects[i], nullptr);
            std::memset(objects[i], int(i & 0xff), object - RZ - 1);
        }
        EXPECT_EQ(m_source.pages_out(), 3u) << "freed slots are reused before new slabs";
        for (size_t i = 1; i < objects.size(); i += 2)
            ASSERT_TRUE(filled_with(objects[i], object - RZ, u8(i & 0xff)));
        for (u8* p : objects)
            ASSERT_TRUE(m_heap.deallocate(p).is_ok());
        expect_empty();
    }
}

TEST_F(Slab, EmptySlabGoesBackToThePageSource)
{
    void* p = m_heap.allocate(64 - RZ);
    EXPECT_EQ(m_source.pages_out(), 1u);
    ASSERT_TRUE(m_heap.deallocate(p).is_ok());
    EXPECT_EQ(m_source.pages_out(), 0u);

    const size_t per_slab = m_heap.stats().classes[2].objects_per_slab;
    std::vector<void*> objects;
    for (size_t i = 0; i <= per_slab; ++i)
        objects.push_back(m_heap.allocate(64 - RZ));
    EXPECT_EQ(m_source.pages_out(), 2u);
    ASSERT_TRUE(m_heap.deallocate(objects.back()).is_ok()); // the lone object of slab 2
    objects.pop_back();
    EXPECT_EQ(m_source.pages_out(), 1u);
    // The first slab went from full to partial and back.
    ASSERT_TRUE(m_heap.deallocate(objects[3]).is_ok());
    objects[3] = m_heap.allocate(64 - RZ);
    EXPECT_EQ(m_source.pages_out(), 1u);
    for (void* o : objects)
        ASSERT_TRUE(m_heap.deallocate(o).is_ok());
    expect_empty();
}

TEST_F(Slab, LargeAllocationsArePageBlocksOfTheRightOrder)
{
    struct Case {
        size_t size;
        size_t pages;
    };
    const Case cases[] = {{2049, 1},
                          {PAGE_SIZE, 1},
                          {PAGE_SIZE + 1, 2},
                          {3 * PAGE_SIZE + 1, 4},
                          {64 * 1024, 16},
                          {Heap::MAX_ALLOCATION - 1, 1024},
                          {Heap::MAX_ALLOCATION, 1024}};
    std::vector<std::pair<u8*, size_t>> blocks;
    size_t pages = 0, requested = 0;
    for (const Case& c : cases) {
        auto p = static_cast<u8*>(m_heap.allocate(c.size));
        ASSERT_NE(p, nullptr) << c.size;
        ASSERT_TRUE(aligned(p, PAGE_SIZE));
        std::memset(p, int(c.size & 0xff), c.size);
        blocks.push_back({p, c.size});
        pages += c.pages;
        requested += c.size;
        HeapStats st = m_heap.stats();
        EXPECT_EQ(st.large_pages, pages) << c.size;
        EXPECT_EQ(st.bytes_allocated, pages * PAGE_SIZE);
        EXPECT_EQ(st.bytes_requested, requested);
        EXPECT_EQ(st.large_blocks, blocks.size());
        EXPECT_EQ(st.objects_in_use, blocks.size());
        expect_pages_match();
    }
    // The records of the large blocks live in one slab.
    EXPECT_EQ(m_heap.stats().slab_pages, 1u);
    for (auto [p, size] : blocks)
        ASSERT_TRUE(filled_with(p, size, u8(size & 0xff))) << size;
    for (auto [p, size] : blocks)
        ASSERT_TRUE(m_heap.deallocate(p).is_ok()) << size;
    expect_empty();
}

TEST_F(Slab, ThousandsOfRandomOperationsReturnToBaseline)
{
    struct Live {
        u8* p;
        size_t size;
        u8 fill;
    };
    std::vector<Live> live;
    std::mt19937_64 rng(7);
    size_t requested = 0;
    for (int op = 0; op < 20000; ++op) {
        if (live.empty() || rng() % 100 < 55) {
            size_t size = rng() % 64 == 0 ? 2049 + rng() % (40 * 1024) : 1 + rng() % 2048;
            auto p = static_cast<u8*>(m_heap.allocate(size));
            ASSERT_NE(p, nullptr);
            u8 fill = u8(rng());
            std::memset(p, fill, size);
            live.push_back({p, size, fill});
            requested += size;
        } else {
            size_t i = rng() % live.size();
            ASSERT_TRUE(filled_with(live[i].p, live[i].size, live[i].fill)) << "op " << op;
            ASSERT_TRUE(m_heap.deallocate(live[i].p).is_ok()) << "op " << op;
            requested -= live[i].size;
            live[i] = live.back();
            live.pop_back();
        }
        HeapStats st = m_heap.stats();
        ASSERT_EQ(st.objects_in_use, live.size()) << "op " << op;
        ASSERT_EQ(st.bytes_requested, requested) << "op " << op;
        ASSERT_EQ(st.pages_held(), m_source.pages_out()) << "op " << op;
    }
    std::shuffle(live.begin(), live.end(), rng);
    for (const Live& l : live) {
        ASSERT_TRUE(filled_with(l.p, l.size, l.fill));
        ASSERT_TRUE(m_heap.deallocate(l.p).is_ok());
    }
    expect_empty();
}

TEST(SlabHeap, AbsurdSizesGiveNull)
{
    // A size near 2^64 must not round up to a small block.
    FakePageSource source(1 << 12);
    Heap heap;
    heap.init(source);
    for (size_t size : {SIZE_MAX, SIZE_MAX - PAGE_SIZE + 2, SIZE_MAX / 2, (PAGE_SIZE << lib::mm::MAX_ORDER) + 1})
        EXPECT_EQ(heap.allocate(size), nullptr) << size;
    EXPECT_EQ(source.pages_out(), 0u);
    EXPECT_EQ(heap.stats().pages_held(), 0u);
}

TEST(SlabHeap, ExhaustedPageSourceGivesNullWithoutLeaks)
{
    FakePageSource source(10);
    Heap heap;
    heap.init(source);
    const size_t per_slab = heap.stats().classes[2].objects_per_slab;
    std::vector<void*> objects;
    while (void* p = heap.allocate(64 - RZ))
        objects.push_back(p);
    EXPECT_EQ(objects.size(), 10 * per_slab);
    EXPECT_EQ(source.pages_out(), 10u);
    EXPECT_EQ(heap.allocate(PAGE_SIZE), nullptr);
    EXPECT_EQ(heap.stats().objects_in_use, objects.size());
    for (void* p : objects)
        ASSERT_TRUE(heap.deallocate(p).is_ok());
    EXPECT_EQ(source.pages_out(), 0u);

    // A large block whose pages fail after its record's slab was allocated:
    // the record slab must go back.
    source.set_limit(2);
    EXPECT_EQ(heap.allocate(2 * PAGE_SIZE), nullptr);
    EXPECT_EQ(source.pages_out(), 0u);
    EXPECT_EQ(heap.stats().pages_held(), 0u);

    // One large block fits; the second fails with its record rolled back.
    void* big = heap.allocate(PAGE_SIZE);
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(heap.allocate(PAGE_SIZE), nullptr);
    EXPECT_EQ(source.pages_out(), 2u);
    EXPECT_EQ(heap.stats().large_blocks, 1u);
    EXPECT_EQ(heap.stats().objects_in_use, 1u);
    ASSERT_TRUE(heap.deallocate(big).is_ok());

    source.set_limit(0);
    EXPECT_EQ(heap.allocate(1), nullptr);
    EXPECT_EQ(heap.allocate(Heap::MAX_ALLOCATION), nullptr);
    EXPECT_EQ(source.pages_out(), 0u);
    EXPECT_EQ(source.bad_frees(), 0u);
    EXPECT_EQ(heap.stats().pages_held(), 0u);
}

TEST_F(Slab, BadFreesAreRejectedAndChangeNothing)
{
    // A large block first, so its record is slot 0 of the first 32-byte slab.
    auto big = static_cast<u8*>(m_heap.allocate(2 * PAGE_SIZE));
    auto a = static_cast<u8*>(m_heap.allocate(32 - RZ));
    auto b = static_cast<u8*>(m_heap.allocate(32 - RZ));
    auto c = static_cast<u8*>(m_heap.allocate(100));
    ASSERT_TRUE(big && a && b && c);
    ASSERT_TRUE(m_heap.deallocate(a).is_ok());
    const HeapStats before = m_heap.stats();
    const size_t pages_before = m_source.pages_out();

    alignas(4096) static u8 foreign[2 * 4096];
    FakePageSource other_source;
    Heap other;
    other.init(other_source);
    auto theirs = static_cast<u8*>(other.allocate(32 - RZ));
    ASSERT_NE(theirs, nullptr);

    struct Bad {
        void* p;
        const char* why;
        const char* detail;
    };
    const Bad bad[] = {
        {a, "double free", "double free"},
        {b + 1, "inside an object", "start of an object"},
        {b + 16, "half-way into a 32-byte object", "start of an object"},
        {c + 64, "half-way into a 128-byte object", "start of an object"},
        {reinterpret_cast<u8*>(lib::align_down(reinterpret_cast<uptr>(b), PAGE_SIZE)) + 8, "into the slab header",
         "start of an object"},
        {reinterpret_cast<void*>(lib::align_down(reinterpret_cast<uptr>(b), PAGE_SIZE)), "the slab page itself",
         "large block"},
        {big + PAGE_SIZE, "second page of a large block", "large block"},
        {big + 64, "inside the first page of a large block", "not from this heap"},
        {foreign + 64, "memory the heap never saw", "not from this heap"},
        {foreign + PAGE_SIZE, "page-aligned foreign memory", "large block"},
        {theirs, "another heap's object", "not from this heap"},
        {b - 64, "the heap's record of the large block", "own record"},
    };
    ASSERT_EQ(reinterpret_cast<uptr>(b) % PAGE_SIZE, reinterpret_cast<uptr>(a) % PAGE_SIZE + 32)
        << "layout assumption: a and b are slots 1 and 2";
    for (const Bad& x : bad) {
        auto r = m_heap.deallocate(x.p);
        ASSERT_TRUE(r.is_error()) << x.why;
        EXPECT_EQ(r.code(), Errno::einval) << x.why;
        ASSERT_NE(r.error().what, nullptr);
        EXPECT_NE(std::strstr(r.error().what, x.detail), nullptr) << x.why << ": " << r.error().what;
        HeapStats now = m_heap.stats();
        EXPECT_EQ(now.objects_in_use, before.objects_in_use) << x.why;
        EXPECT_EQ(now.bytes_requested, before.bytes_requested) << x.why;
        EXPECT_EQ(now.pages_held(), before.pages_held()) << x.why;
        EXPECT_EQ(m_source.pages_out(), pages_before) << x.why;
    }
    // The large block freed twice: the second is found in no record.
    ASSERT_TRUE(m_heap.deallocate(big).is_ok());
    EXPECT_EQ(m_heap.deallocate(big).code(), Errno::einval);
    ASSERT_TRUE(m_heap.deallocate(b).is_ok());
    ASSERT_TRUE(m_heap.deallocate(c).is_ok());
    ASSERT_TRUE(other.deallocate(theirs).is_ok());
    expect_empty();
    EXPECT_EQ(other_source.pages_out(), 0u);
}

namespace {

struct Tracked {
    Tracked(int* destroyed, u64 value) : destroyed(destroyed), value(value) {}
    ~Tracked() { ++*destroyed; }
    int* destroyed;
    u64 value;
    u64 pad[3] = {};
};

struct alignas(256) Wide {
    u8 bytes[256];
};

} // namespace

TEST_F(Slab, MakeConstructsAndDestroyDestructs)
{
    int destroyed = 0;
    Tracked* t = m_heap.make<Tracked>(&destroyed, 0x1234);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->value, 0x1234u);
    EXPECT_EQ(t->destroyed, &destroyed);
    EXPECT_EQ(m_heap.stats().classes[class_index_for(sizeof(Tracked))].objects_in_use, 1u);

    // A bad pointer is refused before its destructor runs.
    auto bogus = reinterpret_cast<Tracked*>(reinterpret_cast<u8*>(t) + 8);
    EXPECT_TRUE(m_heap.destroy(bogus).is_error());
    EXPECT_EQ(destroyed, 0);

    ASSERT_TRUE(m_heap.destroy(t).is_ok());
    EXPECT_EQ(destroyed, 1);
    EXPECT_TRUE(m_heap.destroy<Tracked>(nullptr).is_ok());

    Wide* w = m_heap.make<Wide>();
    ASSERT_NE(w, nullptr);
    EXPECT_TRUE(aligned(w, alignof(Wide)));
    ASSERT_TRUE(m_heap.destroy(w).is_ok());
    expect_empty();
}

TEST_F(Slab, StatsCountPerClass)
{
    void* p[5] = {m_heap.allocate(100), m_heap.allocate(100), m_heap.allocate(128 - RZ), m_heap.allocate(8),
                  m_heap.allocate(5000)};
    HeapStats st = m_heap.stats();
    EXPECT_EQ(st.classes[3].objects_in_use, 3u);
    EXPECT_EQ(st.classes[3].slabs, 1u);
    EXPECT_EQ(st.classes[0].objects_in_use, 1u);
    EXPECT_EQ(st.classes[1].objects_in_use, 0u) << "large-block records are not caller objects";
    EXPECT_EQ(st.classes[1].slabs, 1u) << "but their slab is a held page";
    EXPECT_EQ(st.objects_in_use, 5u);
    EXPECT_EQ(st.bytes_requested, 100u + 100 + 128 - RZ + 8 + 5000);
    EXPECT_EQ(st.bytes_allocated, 3u * 128 + 16 + 2 * PAGE_SIZE);
    EXPECT_EQ(st.slab_pages, 3u);
    EXPECT_EQ(st.large_pages, 2u);
    EXPECT_EQ(st.pages_held(), m_source.pages_out());
    for (unsigned c = 0; c < Heap::CLASS_COUNT; ++c) {
        EXPECT_EQ(st.classes[c].object_size, Heap::MIN_OBJECT_SIZE << c);
        EXPECT_GE(st.classes[c].objects_per_slab, 1u);
    }
    EXPECT_GE(st.classes[0].objects_per_slab, 200u) << "the header must stay small";
    for (void* q : p)
        ASSERT_TRUE(m_heap.deallocate(q).is_ok());
    expect_empty();
}

#ifdef MYRIAD_HARDENING
// The hardened heap (host_tests_hardened): red zones checked on free,
// freed slots poisoned and checked when handed out again, check_all().
namespace {

using lib::mm::HeapCorruption;
using Kind = lib::mm::HeapCorruption::Kind;

class RecordingHandler final : public lib::mm::CorruptionHandler {
public:
    void report(const HeapCorruption& c) override { reports.push_back(c); }
    std::vector<HeapCorruption> reports;
};

class HardenedSlab : public Slab {
protected:
    void SetUp() override
    {
        Slab::SetUp();
        m_heap.set_corruption_handler(&m_handler);
    }
    void TearDown() override
    {
        Slab::TearDown();
        expect_none();
    }

    // Exactly one report so far, of this kind, object and offset; cleared.
    void expect_one(Kind kind, const void* object, size_t offset, u8 expected, u8 found)
    {
        ASSERT_EQ(m_handler.reports.size(), 1u);
        const HeapCorruption& c = m_handler.reports[0];
        EXPECT_EQ(c.kind, kind);
        EXPECT_EQ(c.object, object);
        EXPECT_EQ(c.offset, offset);
        EXPECT_EQ(c.expected, expected);
        EXPECT_EQ(c.found, found);
        m_handler.reports.clear();
    }
    void expect_none() { EXPECT_TRUE(m_handler.reports.empty()) << m_handler.reports.size() << " report(s)"; }

    RecordingHandler m_handler;
};

} // namespace

TEST_F(HardenedSlab, EveryObjectHasARedZoneAndStartsPoisoned)
{
    EXPECT_EQ(Heap::RED_ZONE, 8u);
    for (size_t size = 1; size <= Heap::MAX_SLAB_REQUEST; ++size) {
        auto p = static_cast<u8*>(m_heap.allocate(size));
        ASSERT_NE(p, nullptr);
        size_t slot = class_size_for(size);
        ASSERT_GE(slot - size, Heap::RED_ZONE) << size;
        ASSERT_TRUE(filled_with(p, size, lib::mm::SLAB_POISON_FREE)) << size;
        ASSERT_TRUE(filled_with(p + size, slot - size, lib::mm::SLAB_RED_ACTIVE)) << size;
        std::memset(p, 0x11, size); // the caller's bytes are the caller's
        ASSERT_TRUE(m_heap.deallocate(p).is_ok());
    }
    expect_none();
    auto big = static_cast<u8*>(m_heap.allocate(Heap::MAX_SLAB_REQUEST + 1));
    EXPECT_TRUE(aligned(big, PAGE_SIZE)) << "past MAX_SLAB_REQUEST: a large block";
    EXPECT_TRUE(filled_with(big + Heap::MAX_SLAB_REQUEST + 1, PAGE_SIZE - Heap::MAX_SLAB_REQUEST - 1,
                            lib::mm::SLAB_RED_ACTIVE));
    ASSERT_TRUE(m_heap.deallocate(big).is_ok());
    expect_none();
    expect_empty();
}

TEST_F(HardenedSlab, RedZoneOverrunIsReportedOnFree)
{
    // One byte past the end, and the last byte of the slot, for slab
    // objects of several classes and for large blocks.
    for (size_t size : {size_t(1), size_t(8), size_t(24), size_t(100), size_t(1000), Heap::MAX_SLAB_REQUEST,
                        size_t(3000), size_t(PAGE_SIZE + 5)}) {
        size_t end = size <= Heap::MAX_SLAB_REQUEST ? class_size_for(size)
                                                     : (size <= PAGE_SIZE ? PAGE_SIZE : 2 * PAGE_SIZE);
        for (size_t offset : {size, end - 1}) {
            auto keep = m_heap.allocate(size); // so the slab outlives the free
            auto p = static_cast<u8*>(m_heap.allocate(size));
            ASSERT_TRUE(p && keep);
            p[offset] = 0x42;
            ASSERT_TRUE(m_heap.deallocate(p).is_ok()) << "the object is still freed";
            expect_one(Kind::RedZone, p, offset, lib::mm::SLAB_RED_ACTIVE, 0x42);
            ASSERT_TRUE(m_heap.deallocate(keep).is_ok());
            expect_none();
        }
    }
    expect_empty();
}

TEST_F(HardenedSlab, WriteAfterFreeIsReportedWhenTheSlotIsReused)
{
    for (size_t size : {size_t(8), size_t(40), size_t(500)}) {
        auto keep = static_cast<u8*>(m_heap.allocate(size));
        auto victim = static_cast<u8*>(m_heap.allocate(size));
        ASSERT_TRUE(keep && victim);
        ASSERT_TRUE(m_heap.deallocate(victim).is_ok());
        EXPECT_TRUE(filled_with(victim, class_size_for(size), lib::mm::SLAB_POISON_FREE)) << "freed: poisoned";
        victim[size / 2] = 0x00; // the stale pointer is used
        auto again = static_cast<u8*>(m_heap.allocate(size));
        ASSERT_EQ(again, victim) << "the lowest free slot of the first partial slab comes back";
        expect_one(Kind::WriteAfterFree, victim, size / 2, lib::mm::SLAB_POISON_FREE, 0x00);
        ASSERT_TRUE(m_heap.deallocate(again).is_ok());
        ASSERT_TRUE(m_heap.deallocate(keep).is_ok());
        expect_none();
    }
    expect_empty();
}

TEST_F(HardenedSlab, DoubleFreeIsRefusedWithoutAReport)
{
    auto keep = m_heap.allocate(24);
    auto p = m_heap.allocate(24);
    ASSERT_TRUE(m_heap.deallocate(p).is_ok());
    auto r = m_heap.deallocate(p);
    ASSERT_TRUE(r.is_error());
    EXPECT_NE(std::strstr(r.error().what, "double free"), nullptr);
    expect_none(); // the poison was not disturbed by the refused free
    auto again = m_heap.allocate(24);
    EXPECT_EQ(again, p);
    expect_none();
    ASSERT_TRUE(m_heap.deallocate(again).is_ok());
    ASSERT_TRUE(m_heap.deallocate(keep).is_ok());
    expect_empty();
}

TEST_F(HardenedSlab, CheckAllFindsCorruptionInPartialAndFullSlabsAndLargeBlocks)
{
    // Two full slabs of 64-byte objects and a partial third, plus large blocks.
    const size_t per_slab = m_heap.stats().classes[2].objects_per_slab;
    std::vector<u8*> objects;
    for (size_t i = 0; i < 2 * per_slab + 3; ++i)
        objects.push_back(static_cast<u8*>(m_heap.allocate(50)));
    auto big = static_cast<u8*>(m_heap.allocate(5000));
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(m_heap.check_all(), 0u);
    expect_none();

    objects[0][50] = 1;                 // red zone, in a full slab
    ASSERT_TRUE(m_heap.deallocate(objects[2 * per_slab + 1]).is_ok());
    objects[2 * per_slab + 1][3] = 2;   // a freed slot of the partial slab
    big[6000] = 3;                      // a large block's red zone
    EXPECT_EQ(m_heap.check_all(), 3u);
    ASSERT_EQ(m_handler.reports.size(), 3u);
    int red = 0, freed = 0;
    for (const HeapCorruption& c : m_handler.reports) {
        if (c.kind == Kind::RedZone && c.object == objects[0] && c.offset == 50 && c.found == 1)
            ++red;
        if (c.kind == Kind::RedZone && c.object == big && c.offset == 6000 && c.found == 3)
            ++red;
        if (c.kind == Kind::WriteAfterFree && c.object == objects[2 * per_slab + 1] && c.offset == 3 && c.found == 2)
            ++freed;
    }
    EXPECT_EQ(red, 2);
    EXPECT_EQ(freed, 1);
    m_handler.reports.clear();

    // Repair, free everything: nothing more to report.
    objects[0][50] = lib::mm::SLAB_RED_ACTIVE;
    objects[2 * per_slab + 1][3] = lib::mm::SLAB_POISON_FREE;
    big[6000] = lib::mm::SLAB_RED_ACTIVE;
    EXPECT_EQ(m_heap.check_all(), 0u);
    objects.erase(objects.begin() + long(2 * per_slab + 1));
    for (u8* p : objects)
        ASSERT_TRUE(m_heap.deallocate(p).is_ok());
    ASSERT_TRUE(m_heap.deallocate(big).is_ok());
    expect_none();
    expect_empty();
}
#endif
