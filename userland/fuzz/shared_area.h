// The memory the watchdog shares with its workers, at fixed addresses:
// one ring of recent system calls per worker slot (so the watchdog can
// show what a worker did when something fails) and the 4-page canary
// block whose even words only the watchdog writes and whose odd words the
// workers write (a change to an even word means one process's write
// reached another's memory, or a page was freed under a mapping).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace fuzz {

constexpr std::size_t k_page = 4096;
constexpr std::size_t k_max_slots = 16;
constexpr std::size_t k_ring_records = 63;
constexpr std::size_t k_canary_pages = 4;
constexpr std::size_t k_words_per_page = k_page / sizeof(std::uint64_t);

// Far from everything the kernel places by itself (programs at 64 KiB,
// the stack near 1 GiB, mmap top-down from 0x3f00000000): no mapping a
// worker makes grows into them unless it asks for the address, and the
// generators never ask for one inside [k_forbidden_start, k_forbidden_end).
constexpr std::uintptr_t k_rings_base = 0x2000000000;
constexpr std::uintptr_t k_canary_base = 0x2100000000;
constexpr std::uintptr_t k_forbidden_start = 0x1f00000000;
constexpr std::uintptr_t k_forbidden_end = 0x2200000000;

// Marks a record whose call has not returned (yet, or ever).
constexpr std::int64_t k_pending = 0x7ffffffffffffffe;
// Marks a record whose call was not made (fuzz --worker N --skip ...).
constexpr std::int64_t k_skipped = 0x7ffffffffffffffd;

// Who made a call: the worker (its main thread), a fork-style child, a
// throwaway child (calls that replace or end their caller), a mutant exec,
// or one of the worker's threads during a thread storm (threads.h).
enum class Where : std::uint8_t { worker, fork_child, throwaway_child, mutant, thread };

struct CallRecord {
    std::uint32_t seq;
    std::uint16_t number;
    Where where;
    std::uint8_t who; // which thread of a storm (1..6); 0 for the main thread
    std::uint64_t args[6];
    std::int64_t result; // raw syscall return: -errno on failure
};
static_assert(sizeof(CallRecord) == 64);

// Records that are not system calls (their `number` is past any call's):
// a worker holding the console (worker.h), a thread storm (args: threads,
// the main thread's steps; result: threads not joined in time), a thread
// group child (threads.h; args: action, threads, pid; result: wait status).
constexpr std::uint16_t k_console_record = 0xfffe;
constexpr std::uint16_t k_storm_record = 0xfffd;
constexpr std::uint16_t k_group_child_record = 0xfffc;

// One page, so a dump of guest RAM finds each ring whole.
struct Ring {
    std::uint64_t magic;
    std::uint64_t nonce; // the campaign's: tells this campaign's rings from stale pages
    std::uint64_t serial; // worker number within the campaign
    std::int32_t pid;
    std::uint32_t slot;
    std::atomic<std::uint64_t> count; // calls recorded (index = count % k_ring_records)
    std::atomic<std::uint64_t> mutant_execs;
    std::atomic<std::uint64_t> forks;
    // Thread storms (threads.h) in the low 16 bits, their threads left
    // running (given up on after 1.5 s) in the high 16 (one 32-bit word:
    // riscv64 has no 16-bit atomic add without libatomic).
    std::atomic<std::uint32_t> storms;
    std::atomic<std::uint32_t> threads; // threads the storms started
    CallRecord records[k_ring_records];
};
static_assert(sizeof(Ring) == k_page);

constexpr std::uint64_t k_ring_magic = 0x676e6952327a7546ull; // "Fuz2Ring"

struct SharedArea {
    Ring* rings = nullptr;               // k_max_slots of them
    std::uint64_t* canary_block = nullptr; // k_canary_pages pages
    std::uint64_t nonce = 0;
};

// Maps both regions at their fixed addresses and fills the canaries.
bool map_shared_area(SharedArea& area, std::uint64_t nonce);

// Appends a record to `ring`; returns it so the caller can fill in the
// result. Threads of one worker share its ring (the count is atomic).
CallRecord& ring_begin(Ring& ring, Where where, long number, const std::uint64_t (&args)[6], std::uint8_t who = 0);
// Fills in the result of a record ring_begin returned with sequence number
// `seq`, unless the ring came round to its slot meanwhile (threads share a
// ring, and a call may block while others record dozens).
inline void ring_end(CallRecord& record, std::uint32_t seq, std::int64_t result)
{
    if (record.seq == seq)
        record.result = result;
}

// The last calls of the worker that used `ring`, oldest first, one per line.
std::string format_ring(const Ring& ring, std::size_t max_lines);

// --- Canaries ---------------------------------------------------------------

// Even words of the shared block are canaries; a worker writes odd words.
inline bool is_canary_word(std::size_t index) { return index % 2 == 0; }
std::uint64_t canary_value(std::uint64_t nonce, std::size_t region, std::size_t index);

// A region of canary words: the watchdog's private memory, or the shared block.
struct CanaryRegion {
    const char* name;
    std::uint64_t* words;
    std::size_t count;
    bool every_other; // only even words are canaries (the shared block)
};

void fill_canaries(const CanaryRegion& region, std::size_t region_id, std::uint64_t nonce);
// Returns a description of every changed word (empty if intact).
std::string check_canaries(const CanaryRegion& region, std::size_t region_id, std::uint64_t nonce);

} // namespace fuzz
