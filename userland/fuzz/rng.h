// The fuzzer's one source of randomness: every choice a worker or the
// watchdog makes comes from an Rng seeded from the campaign seed, so a
// seed names a campaign (up to the scheduling of the processes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>

namespace fuzz {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_engine(seed) {}

    std::uint64_t next() { return m_engine(); }
    // Uniform enough for fuzzing (the modulo bias is irrelevant here).
    std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }
    bool one_in(unsigned n) { return below(n) == 0; }

    template<typename T, std::size_t N>
    const T& pick(const T (&values)[N])
    {
        return values[below(N)];
    }
    template<typename T, std::size_t N>
    T& pick(T (&values)[N])
    {
        return values[below(N)];
    }
    template<typename Container>
    auto& pick(Container& values)
    {
        return values[below(values.size())];
    }

private:
    std::mt19937_64 m_engine;
};

// A seed for worker `serial` of the campaign `seed` (splitmix64 finaliser,
// so neighbouring serials get unrelated streams).
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t serial)
{
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (serial + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

} // namespace fuzz
