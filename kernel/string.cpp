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

// Called if a pure virtual function is ever invoked (a kernel bug).
void __cxa_pure_virtual() { PANIC("pure virtual function called"); }

} // extern "C"
