// xoshiro256** (Blackman and Vigna), seeded through splitmix64.
#include "kernel/random.hpp"
#include "arch/arch.hpp"
#include "kernel/spinlock.hpp"

namespace kernel {

namespace {

constinit u64 s_state[4] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 1};
constinit SpinLock s_lock(LockRank::Random);

u64 splitmix(u64& x)
{
    u64 z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

u64 rotl(u64 x, int k) { return (x << k) | (x >> (64 - k)); }

u64 next_random_locked()
{
    s_lock.assert_held();
    u64 result = rotl(s_state[1] * 5, 7) * 9;
    u64 t = s_state[1] << 17;
    s_state[2] ^= s_state[0];
    s_state[3] ^= s_state[1];
    s_state[1] ^= s_state[2];
    s_state[0] ^= s_state[3];
    s_state[2] ^= t;
    s_state[3] = rotl(s_state[3], 45);
    return result;
}

} // namespace

void random_init(const u8* seed, usize seed_length)
{
    SpinLockGuard guard(s_lock);
    u64 mix = arch::read_time() ^ (arch::read_instret() << 32);
    for (usize i = 0; i < seed_length; ++i)
        mix = (mix ^ seed[i]) * 0x100000001b3ull; // FNV-1a step
    for (u64& word : s_state)
        word ^= splitmix(mix);
}

void random_fill(void* buffer, usize length)
{
    auto* out = static_cast<u8*>(buffer);
    SpinLockGuard guard(s_lock);
    s_state[0] ^= arch::read_time(); // a little fresh entropy per call
    while (length > 0) {
        u64 v = next_random_locked();
        usize n = lib::min<usize>(length, 8);
        __builtin_memcpy(out, &v, n);
        out += n;
        length -= n;
    }
}

} // namespace kernel
