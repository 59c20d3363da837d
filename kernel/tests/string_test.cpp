// ktests for the C library functions the compiler calls in the kernel
// (kernel/string.cpp): the lowest-set-bit count behind __builtin_ctzll.
#include "kernel/ktest.hpp"

using namespace kernel;

namespace {

// The reference: one bit at a time.
int ctz_by_loop(u64 x)
{
    int n = 0;
    while (!(x & 1)) {
        x >>= 1;
        ++n;
    }
    return n;
}

} // namespace

KTEST(string, ctz_finds_the_lowest_set_bit)
{
    // volatile: the compiler must call __ctzdi2, not fold a constant.
    for (int bit = 0; bit < 64; ++bit) {
        volatile u64 alone = 1ull << bit;
        volatile u64 with_higher = ~0ull << bit;
        EXPECT_EQ(__builtin_ctzll(alone), bit);
        EXPECT_EQ(__builtin_ctzll(with_higher), bit);
    }
    u64 x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        volatile u64 v = x;
        if (v)
            EXPECT_EQ(__builtin_ctzll(v), ctz_by_loop(x));
    }
}
