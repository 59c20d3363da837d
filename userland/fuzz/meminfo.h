// Free memory across the campaign: MemAvailable + Cached from /proc/meminfo
// after every round, against a baseline taken after warm-up rounds. A
// kernel that leaks loses a little every round; one that only caches
// settles. Failure is a loss that persists and grows, or a large one.
#pragma once

#include <cstdint>
#include <string>

namespace fuzz {

struct MemInfo {
    bool ok = false;
    std::int64_t available_kb = 0;
    std::int64_t cached_kb = 0;
    std::int64_t free_kb = 0;
    std::int64_t slab_kb = 0;
    std::int64_t kernel_stack_kb = 0;

    std::int64_t usable_kb() const { return available_kb + cached_kb; }
    std::string describe() const;
};

MemInfo read_meminfo();

class MemoryTracker {
public:
    // Within this much of the baseline is no loss (kernel caches wobble).
    static constexpr std::int64_t k_tolerance_kb = 512;
    // Rounds in a row below baseline before a growing loss fails.
    static constexpr int k_streak_rounds = 6;
    // A loss this large fails after k_streak_rounds even if it stopped growing.
    static constexpr std::int64_t k_large_loss_kb = 4096;

    void set_baseline(const MemInfo& m) { m_baseline = m; m_has_baseline = true; }
    bool has_baseline() const { return m_has_baseline; }
    const MemInfo& baseline() const { return m_baseline; }

    // Returns false (with the reason in `why`) when the loss counts as a leak.
    bool update(const MemInfo& now, std::string& why);
    std::int64_t loss_kb(const MemInfo& now) const { return m_baseline.usable_kb() - now.usable_kb(); }

private:
    MemInfo m_baseline;
    bool m_has_baseline = false;
    int m_streak = 0;
    std::int64_t m_streak_start_loss = 0;
};

} // namespace fuzz
