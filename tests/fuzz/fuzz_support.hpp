// Shared by the libFuzzer harnesses: a check that aborts (so libFuzzer
// records the input) when a parser breaks a promise its header makes.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

// [p, p + n) lies inside [base, base + size).
inline bool fuzz_inside(const void* p, unsigned long n, const void* base, unsigned long size)
{
    auto a = reinterpret_cast<unsigned long>(p), b = reinterpret_cast<unsigned long>(base);
    return a >= b && n <= size && a - b <= size - n;
}

// Reads every byte of [p, p + n), so AddressSanitizer checks the range.
inline unsigned fuzz_touch(const void* p, unsigned long n)
{
    auto c = static_cast<const unsigned char*>(p);
    unsigned sum = 0;
    for (unsigned long i = 0; i < n; ++i)
        sum += c[i];
    return sum;
}
