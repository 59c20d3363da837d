// Fixed-width integer names and the handful of type utilities the kernel
// needs. The bare-metal toolchain ships no libstdc++ headers, so this file
// stands in for <cstdint>/<utility>/<type_traits> in code shared by the
// kernel and the host tests.
#pragma once

#include <stddef.h>
#include <stdint.h>

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;
using isize = ptrdiff_t;
using uptr = uintptr_t;

namespace lib {

template <typename T> struct RemoveReference { using Type = T; };
template <typename T> struct RemoveReference<T&> { using Type = T; };
template <typename T> struct RemoveReference<T&&> { using Type = T; };
template <typename T> using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename T> struct RemoveCv { using Type = T; };
template <typename T> struct RemoveCv<const T> { using Type = T; };
template <typename T> struct RemoveCv<volatile T> { using Type = T; };
template <typename T> struct RemoveCv<const volatile T> { using Type = T; };
template <typename T> using RemoveCvRefT = typename RemoveCv<RemoveReferenceT<T>>::Type;

template <typename T> constexpr RemoveReferenceT<T>&& move(T&& v) noexcept
{
    return static_cast<RemoveReferenceT<T>&&>(v);
}

template <typename T> constexpr T&& forward(RemoveReferenceT<T>& v) noexcept
{
    return static_cast<T&&>(v);
}

template <typename T> constexpr void swap(T& a, T& b) noexcept
{
    T tmp = move(a);
    a = move(b);
    b = move(tmp);
}

template <typename A, typename B> inline constexpr bool is_same = __is_same(A, B);
template <typename A, typename B> concept SameAs = is_same<A, B> && is_same<B, A>;
template <typename T> inline constexpr bool is_integral_v = false;
#define MYRIAD_INTEGRAL(T) template <> inline constexpr bool is_integral_v<T> = true;
MYRIAD_INTEGRAL(bool) MYRIAD_INTEGRAL(char) MYRIAD_INTEGRAL(signed char) MYRIAD_INTEGRAL(unsigned char)
MYRIAD_INTEGRAL(short) MYRIAD_INTEGRAL(unsigned short) MYRIAD_INTEGRAL(int) MYRIAD_INTEGRAL(unsigned int)
MYRIAD_INTEGRAL(long) MYRIAD_INTEGRAL(unsigned long) MYRIAD_INTEGRAL(long long)
MYRIAD_INTEGRAL(unsigned long long) MYRIAD_INTEGRAL(char8_t) MYRIAD_INTEGRAL(char16_t) MYRIAD_INTEGRAL(char32_t)
#undef MYRIAD_INTEGRAL
template <typename T> concept Integral = is_integral_v<RemoveCvRefT<T>>;
template <typename T> concept SignedIntegral = Integral<T> && (T(-1) < T(0));
template <typename T> concept UnsignedIntegral = Integral<T> && !SignedIntegral<T>;

template <typename T> constexpr T min(T a, T b) { return a < b ? a : b; }
template <typename T> constexpr T max(T a, T b) { return a < b ? b : a; }

constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }

// Big-endian loads for device-tree and cpio parsing; never unaligned-unsafe.
inline u32 load_be32(const void* p)
{
    auto b = static_cast<const u8*>(p);
    return (u32(b[0]) << 24) | (u32(b[1]) << 16) | (u32(b[2]) << 8) | u32(b[3]);
}

inline u64 load_be64(const void* p)
{
    return (u64(load_be32(p)) << 32) | load_be32(static_cast<const u8*>(p) + 4);
}

} // namespace lib

// Placement new without <new>: the kernel has no libstdc++ headers; the host
// build gets the real one.
#if __has_include(<new>) && !defined(MYRIAD_KERNEL)
#include <new>
#else
inline void* operator new(size_t, void* p) noexcept { return p; }
inline void* operator new[](size_t, void* p) noexcept { return p; }
#endif
