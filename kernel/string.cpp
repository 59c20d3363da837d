// The C library functions the compiler may emit calls to (memset, memcpy,
// memmove, memcmp) even in freestanding code, plus the pure-virtual hook.
// Word-at-a-time where both pointers allow it.
#include "lib/types.hpp"
#include "kernel/panic.hpp"

extern "C" {

void* memset(void* dst, int c, usize n)
{
    auto* d = static_cast<u8*>(dst);
    u64 pattern = u8(c) * 0x0101010101010101ull;
    while (n && (uptr(d) & 7)) {
        *d++ = u8(c);
        --n;
    }
    // 64 bytes an iteration: zeroing a page is ~600 instructions, not ~2 000.
    for (; n >= 64; n -= 64, d += 64) {
        auto* w = reinterpret_cast<u64*>(d);
        w[0] = w[1] = w[2] = w[3] = w[4] = w[5] = w[6] = w[7] = pattern;
    }
    for (; n >= 8; n -= 8, d += 8)
        *reinterpret_cast<u64*>(d) = pattern;
    while (n--)
        *d++ = u8(c);
    return dst;
}

void* memcpy(void* dst, const void* src, usize n)
{
    auto* d = static_cast<u8*>(dst);
    auto* s = static_cast<const u8*>(src);
    if (((uptr(d) ^ uptr(s)) & 7) == 0) {
        while (n && (uptr(d) & 7)) {
            *d++ = *s++;
            --n;
        }
        for (; n >= 64; n -= 64, d += 64, s += 64) {
            auto* to = reinterpret_cast<u64*>(d);
            auto* from = reinterpret_cast<const u64*>(s);
            u64 a = from[0], b = from[1], c = from[2], e = from[3], f = from[4], g = from[5], h = from[6],
                i = from[7];
            to[0] = a, to[1] = b, to[2] = c, to[3] = e, to[4] = f, to[5] = g, to[6] = h, to[7] = i;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *reinterpret_cast<u64*>(d) = *reinterpret_cast<const u64*>(s);
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void* memmove(void* dst, const void* src, usize n)
{
    auto* d = static_cast<u8*>(dst);
    auto* s = static_cast<const u8*>(src);
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

int memcmp(const void* a, const void* b, usize n)
{
    auto* x = static_cast<const u8*>(a);
    auto* y = static_cast<const u8*>(b);
    for (usize i = 0; i < n; ++i)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

usize strlen(const char* s)
{
    usize n = 0;
    while (s[n])
        ++n;
    return n;
}

// __builtin_ctzll without the bit-manipulation extension (the kernel is
// built for rv64imac): libgcc's loop took about 45 instructions, and the
// scheduler asks on every wake-up (the hart of a one-hart affinity mask).
// A de Bruijn sequence finds the lowest set bit in a multiply and a load.
// Undefined for 0, as the builtin.
int __ctzdi2(u64 x)
{
    static constexpr u8 INDEX[64] = {0,  1,  48, 2,  57, 49, 28, 3,  61, 58, 50, 42, 38, 29, 17, 4,
                                     62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
                                     63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
                                     46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9,  13, 8,  7,  6};
    return INDEX[((x & -x) * 0x03f79d71b4cb0a89ull) >> 58];
}

// Called if a pure virtual function is ever invoked (a kernel bug).
void __cxa_pure_virtual() { PANIC("pure virtual function called"); }

} // extern "C"
