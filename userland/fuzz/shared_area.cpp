// The shared rings and the canaries (see shared_area.h).
#include "shared_area.h"

#include "syscall_table.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>

// The bounds of this program's image (GNU ld's default linker script).
extern "C" const char __executable_start, _end;

namespace fuzz {

namespace {

void* map_fixed_shared(std::uintptr_t address, std::size_t length)
{
    // MAP_FIXED_NOREPLACE would be the careful choice, but nothing else can
    // be at these addresses in a freshly started init; MAP_FIXED is what
    // every kernel the fuzzer runs on understands.
    void* p = mmap(reinterpret_cast<void*>(address), length, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED || reinterpret_cast<std::uintptr_t>(p) != address)
        return nullptr;
    return p;
}

const char* where_name(Where where)
{
    switch (where) {
    case Where::worker: return "worker";
    case Where::fork_child: return "child ";
    case Where::throwaway_child: return "throw ";
    case Where::mutant: return "mutant";
    case Where::thread: return "thread";
    }
    return "?";
}

// "worker", or "thread3" for a storm's third thread.
std::string who_name(const CallRecord& r)
{
    std::string name = where_name(r.where);
    if (r.who)
        name = (r.where == Where::thread ? "thread" : name.substr(0, 5)) + std::to_string(r.who);
    return name;
}

} // namespace

bool map_shared_area(SharedArea& area, std::uint64_t nonce)
{
    area.nonce = nonce;
    void* rings = map_fixed_shared(k_rings_base, k_max_slots * sizeof(Ring));
    void* block = map_fixed_shared(k_canary_base, k_canary_pages * k_page);
    if (!rings || !block)
        return false;
    area.rings = static_cast<Ring*>(rings);
    area.canary_block = static_cast<std::uint64_t*>(block);
    for (std::size_t slot = 0; slot < k_max_slots; ++slot) {
        Ring& ring = area.rings[slot];
        ring.magic = k_ring_magic;
        ring.nonce = nonce;
        ring.slot = std::uint32_t(slot);
    }
    return true;
}

CallRecord& ring_begin(Ring& ring, Where where, long number, const std::uint64_t (&args)[6], std::uint8_t who)
{
    std::uint64_t seq = ring.count.fetch_add(1, std::memory_order_relaxed);
    CallRecord& r = ring.records[seq % k_ring_records];
    r.result = k_pending;
    r.seq = std::uint32_t(seq);
    r.number = std::uint16_t(number);
    r.where = where;
    r.who = who;
    std::memcpy(r.args, args, sizeof r.args);
    return r;
}

std::string format_ring(const Ring& ring, std::size_t max_lines)
{
    std::string out;
    char line[256];
    std::uint64_t count = ring.count.load(std::memory_order_relaxed);
    std::uint64_t shown = std::min<std::uint64_t>({count, std::uint64_t(k_ring_records), std::uint64_t(max_lines)});
    std::snprintf(line, sizeof line, "  worker #%" PRIu64 " (pid %d, slot %u): %" PRIu64 " calls, last %" PRIu64 ":\n",
                  ring.serial, ring.pid, ring.slot, count, shown);
    out += line;
    for (std::uint64_t seq = count - shown; seq < count; ++seq) {
        const CallRecord& r = ring.records[seq % k_ring_records];
        char result[32];
        if (r.result == k_pending)
            std::snprintf(result, sizeof result, "(no return)");
        else if (r.result == k_skipped)
            std::snprintf(result, sizeof result, "(skipped)");
        else if (r.result < 0 && r.result > -4096)
            std::snprintf(result, sizeof result, "-%s", errno_name(int(-r.result)));
        else
            std::snprintf(result, sizeof result, "%#" PRIx64, std::uint64_t(r.result));
        if (r.number == k_console_record) {
            std::snprintf(line, sizeof line, "    %6u worker found the console at fd %" PRIu64 "\n", r.seq, r.args[0]);
            out += line;
            continue;
        }
        if (r.number == k_storm_record) {
            std::snprintf(line, sizeof line, "    %6u %s thread storm of %" PRIu64 " threads (%" PRIu64 " steps) = %s\n",
                          r.seq, who_name(r).c_str(), r.args[0], r.args[1],
                          r.result == k_pending ? "(not over)" : (std::to_string(r.result) + " not joined").c_str());
            out += line;
            continue;
        }
        if (r.number == k_group_child_record) {
            std::snprintf(line, sizeof line,
                          "    %6u %s thread group child (action %" PRIu64 ", %" PRIu64 " threads, pid %" PRIu64
                          ") = wait status %s\n",
                          r.seq, who_name(r).c_str(), r.args[0], r.args[1], r.args[2], result);
            out += line;
            continue;
        }
        if (r.where == Where::mutant) {
            // args[1] names the mutation: a string literal of this same
            // program, printed only if the address is one of ours.
            auto* what = reinterpret_cast<const char*>(r.args[1]);
            if (what < &__executable_start || what >= &_end)
                what = "?";
            std::snprintf(line, sizeof line, "    %6u mutant execve(%s) = wait status %#" PRIx64 "\n", r.seq, what,
                          std::uint64_t(r.result));
            out += line;
            continue;
        }
        std::snprintf(line, sizeof line,
                      "    %6u %s %s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                      ") = %s\n",
                      r.seq, who_name(r).c_str(), syscall_name(r.number), r.args[0], r.args[1], r.args[2], r.args[3],
                      r.args[4], r.args[5], result);
        out += line;
    }
    return out;
}

std::uint64_t canary_value(std::uint64_t nonce, std::size_t region, std::size_t index)
{
    return 0xca11ab1e00000000ull ^ nonce ^ (std::uint64_t(region) << 40) ^
           (std::uint64_t(index) * 0x9e3779b97f4a7c15ull);
}

void fill_canaries(const CanaryRegion& region, std::size_t region_id, std::uint64_t nonce)
{
    for (std::size_t i = 0; i < region.count; ++i)
        if (!region.every_other || is_canary_word(i))
            region.words[i] = canary_value(nonce, region_id, i);
}

std::string check_canaries(const CanaryRegion& region, std::size_t region_id, std::uint64_t nonce)
{
    std::string out;
    std::size_t changed = 0;
    for (std::size_t i = 0; i < region.count; ++i) {
        if (region.every_other && !is_canary_word(i))
            continue;
        std::uint64_t want = canary_value(nonce, region_id, i);
        std::uint64_t got = region.words[i];
        if (got == want)
            continue;
        if (++changed <= 8) {
            char line[160];
            std::snprintf(line, sizeof line, "  %s: word %zu (page %zu, %p) is %#" PRIx64 ", expected %#" PRIx64 "\n",
                          region.name, i, i / k_words_per_page, static_cast<void*>(&region.words[i]), got, want);
            out += line;
        }
    }
    if (changed > 8)
        out += "  " + std::string(region.name) + ": " + std::to_string(changed) + " canary words changed in all\n";
    return out;
}

} // namespace fuzz
