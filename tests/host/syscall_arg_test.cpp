// System-call argument decoding (lib/syscall_arg.hpp) follows Linux's
// SYSCALL_DEFINE casts: int-sized parameters are the low 32 bits of the
// register, longs, sizes and pointers the whole register.
#include "lib/syscall_arg.hpp"

#include <gtest/gtest.h>

#include <type_traits>

using lib::SyscallArg;

namespace {

constexpr u64 k_high_garbage = 0xdeadbeef00000000ull;

TEST(SyscallArg, IntIsTheLow32BitsSigned)
{
    EXPECT_EQ(SyscallArg<i32>::decode(k_high_garbage | 5), 5);
    EXPECT_EQ(SyscallArg<i32>::decode(0x00000000ffffffffull), -1);
    EXPECT_EQ(SyscallArg<i32>::decode(0xffffffff80000000ull), INT32_MIN);
    EXPECT_EQ(SyscallArg<i32>::decode(0x0000000180000000ull), INT32_MIN); // bit 32 ignored
}

TEST(SyscallArg, UnsignedIntIsTheLow32Bits)
{
    EXPECT_EQ(SyscallArg<u32>::decode(0x100000000ull), 0u);
    EXPECT_EQ(SyscallArg<u32>::decode(0xffffffffffffffffull), 0xffffffffu);
    EXPECT_EQ(SyscallArg<u32>::decode(k_high_garbage | 0x80000000u), 0x80000000u);
}

TEST(SyscallArg, UmodeTIsTheLow16Bits)
{
    EXPECT_EQ(SyscallArg<u16>::decode(0x12345ull), 0x2345u);
}

TEST(SyscallArg, LongsAndSizesAreTheWholeRegister)
{
    EXPECT_EQ(SyscallArg<u64>::decode(0xfedcba9876543210ull), 0xfedcba9876543210ull);
    EXPECT_EQ(SyscallArg<usize>::decode(0x100000000ull), usize(0x100000000ull));
    EXPECT_EQ(SyscallArg<i64>::decode(0xffffffffffffffffull), -1);
    EXPECT_EQ(SyscallArg<i64>::decode(0x00000000ffffffffull), 0xffffffffll); // not sign-extended from 32 bits
}

TEST(SyscallArg, FdIsAnIntAndAtFdcwdSurvivesGarbageAbove)
{
    EXPECT_EQ(SyscallArg<Fd>::decode(0xffffff9c), Fd::at_cwd); // -100 as the low 32 bits
    EXPECT_EQ(SyscallArg<Fd>::decode(k_high_garbage | 0xffffff9c), Fd::at_cwd);
    EXPECT_EQ(int(SyscallArg<Fd>::decode(k_high_garbage | 3)), 3);
    EXPECT_EQ(int(SyscallArg<Fd>::decode(0xffffffffffffffffull)), -1);
    // 0x80000000 is a negative descriptor (EBADF), never a huge positive one.
    EXPECT_LT(int(SyscallArg<Fd>::decode(0x80000000ull)), 0);
}

TEST(SyscallArg, UserPointersAreTheWholeRegister)
{
    auto p = SyscallArg<UserPtr<const char>>::decode(0xffffffc000001000ull);
    EXPECT_EQ(p.address(), 0xffffffc000001000ull); // a kernel address stays one: uaccess refuses it
    EXPECT_FALSE(p.is_null());
    EXPECT_TRUE(SyscallArg<UserPtr<u8>>::decode(0).is_null());
    EXPECT_FALSE(bool(SyscallArg<UserPtr<u8>>::decode(0)));
}

TEST(UserPtr, ArithmeticCountsElements)
{
    struct Iovec {
        u64 base, length;
    };
    UserPtr<const Iovec> iov(0x1000);
    EXPECT_EQ((iov + 2).address(), 0x1020u);
    UserPtr<u8> bytes(0x1000);
    EXPECT_EQ((bytes + 3).address(), 0x1003u);
    EXPECT_EQ(bytes.as<const u64>().address(), 0x1000u);
    UserPtr<const u8> read_only = bytes; // T to const T converts, not back
    EXPECT_EQ(read_only.address(), 0x1000u);
}

// call_with_syscall_args: by-value parameters from registers 0, 1, 2...
// in order, reference parameters from the context objects, by type.
struct FakeProcess {
    int id;
};
struct FakeFrame {
    u64 regs[6];
};

struct Seen {
    i32 a = 0;
    const FakeProcess* process = nullptr;
    u64 b = 0;
    const FakeFrame* frame = nullptr;
    u32 c = 0;
    usize d = 0;
    Fd e = Fd(0);
};
Seen g_seen;

long probe(i32 a, FakeProcess& process, UserPtr<const char> b, FakeFrame& frame, u32 c, usize d, Fd e)
{
    g_seen = {a, &process, b.address(), &frame, c, d, e};
    return 42;
}

long frame_first(FakeFrame& frame, u64 x) { return long(x) + long(frame.regs[0] != 0); }
long no_arguments() { return 7; }

TEST(CallWithSyscallArgs, RegistersInOrderSkippingReferences)
{
    FakeProcess process{1};
    FakeFrame frame{{k_high_garbage | 0xfffffffe, 0x7fff0000ull, k_high_garbage | 9, 0x100000000ull, 0xffffff9c, 0}};
    auto reg = [&frame](unsigned i) { return frame.regs[i]; };
    EXPECT_EQ(lib::call_with_syscall_args<probe>(reg, process, frame), 42);
    EXPECT_EQ(g_seen.a, -2);             // register 0, low 32 bits
    EXPECT_EQ(g_seen.process, &process); // no register
    EXPECT_EQ(g_seen.b, 0x7fff0000ull);  // register 1, whole
    EXPECT_EQ(g_seen.frame, &frame);     // no register
    EXPECT_EQ(g_seen.c, 9u);             // register 2, low 32 bits
    EXPECT_EQ(g_seen.d, usize(0x100000000ull));
    EXPECT_EQ(g_seen.e, Fd::at_cwd); // register 4
}

TEST(CallWithSyscallArgs, ContextOrderDoesNotMatterAndUnusedRegistersAreNotRead)
{
    FakeProcess process{1};
    FakeFrame frame{{5, 0, 0, 0, 0, 0}};
    unsigned highest = 0;
    auto reg = [&](unsigned i) {
        highest = i > highest ? i : highest;
        return frame.regs[i];
    };
    EXPECT_EQ(lib::call_with_syscall_args<frame_first>(reg, process, frame), 6); // x is register 0
    EXPECT_EQ(highest, 0u);
    EXPECT_EQ(lib::call_with_syscall_args<no_arguments>(reg, frame, process), 7);
}

static_assert(lib::syscall_detail::register_of<int&, i32, long&, u64, u32>(0) == 0);
static_assert(lib::syscall_detail::register_of<int&, i32, long&, u64, u32>(3) == 1);
static_assert(lib::syscall_detail::register_of<int&, i32, long&, u64, u32>(4) == 2);

// Types a handler may and may not declare.
static_assert(lib::DecodableSyscallArg<i32>);
static_assert(lib::DecodableSyscallArg<u64>);
static_assert(lib::DecodableSyscallArg<Fd>);
static_assert(lib::DecodableSyscallArg<UserPtr<void>>);
static_assert(!lib::DecodableSyscallArg<bool>);        // not a Linux argument type
static_assert(!lib::DecodableSyscallArg<const char*>); // raw user pointers: use UserPtr
static_assert(!std::is_convertible_v<UserPtr<const u8>, UserPtr<u8>>);
static_assert(!std::is_convertible_v<u64, UserPtr<u8>>); // only explicitly
static_assert(!std::is_convertible_v<UserPtr<u8>, u64>);

} // namespace
