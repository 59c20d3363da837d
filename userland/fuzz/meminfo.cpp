// /proc/meminfo and the leak verdict (see meminfo.h).
#include "meminfo.h"

#include <cstdio>
#include <cstring>

namespace fuzz {

MemInfo read_meminfo()
{
    MemInfo m;
    std::FILE* f = std::fopen("/proc/meminfo", "r");
    if (!f)
        return m;
    char line[128];
    int found = 0;
    while (std::fgets(line, sizeof line, f)) {
        long long value = 0;
        char name[64];
        if (std::sscanf(line, "%63[^:]: %lld", name, &value) != 2)
            continue;
        if (!std::strcmp(name, "MemAvailable"))
            m.available_kb = value, ++found;
        else if (!std::strcmp(name, "Cached"))
            m.cached_kb = value, ++found;
        else if (!std::strcmp(name, "MemFree"))
            m.free_kb = value;
        else if (!std::strcmp(name, "Slab"))
            m.slab_kb = value;
        else if (!std::strcmp(name, "KernelStack"))
            m.kernel_stack_kb = value;
    }
    std::fclose(f);
    m.ok = found == 2;
    return m;
}

std::string MemInfo::describe() const
{
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, "MemAvailable %lld + Cached %lld = %lld kB (Slab %lld, KernelStack %lld)",
                  (long long)available_kb, (long long)cached_kb, (long long)usable_kb(), (long long)slab_kb,
                  (long long)kernel_stack_kb);
    return buffer;
}

bool MemoryTracker::update(const MemInfo& now, std::string& why)
{
    std::int64_t loss = loss_kb(now);
    if (loss <= k_tolerance_kb) {
        m_streak = 0;
        return true;
    }
    if (m_streak++ == 0)
        m_streak_start_loss = loss;
    if (m_streak < k_streak_rounds)
        return true;
    char buffer[200];
    if (loss > m_streak_start_loss + k_tolerance_kb) {
        std::snprintf(buffer, sizeof buffer, "memory loss growing: %lld kB below baseline %d rounds ago, %lld kB now",
                      (long long)m_streak_start_loss, m_streak - 1, (long long)loss);
        why = buffer;
        return false;
    }
    if (loss > k_large_loss_kb) {
        std::snprintf(buffer, sizeof buffer, "memory lost: %lld kB below baseline for %d rounds in a row",
                      (long long)loss, m_streak);
        why = buffer;
        return false;
    }
    return true;
}

} // namespace fuzz
