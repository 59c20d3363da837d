// In-kernel self-tests. A case is written
//
//     KTEST(page_alloc, exhaust_and_return) { EXPECT_EQ(a, b); ASSERT_TRUE(p); }
//
// and registers itself in the .ktest linker section; `ktest` on the kernel
// command line runs every suite (`ktest=suite1,suite2` a subset), prints
// KTAP version 1 and powers off with status 0 only if every case passed.
// EXPECT_* records a failure and continues; ASSERT_* returns from the case.
#pragma once

#include "kernel/printk.hpp"
#include "lib/optional.hpp"

namespace kernel::ktest {

class Context {
public:
    // Records a failure; prints a KTAP diagnostic line ("# file:line: ...").
    void fail(const char* file, int line, const char* expression);
    template <typename A, typename B>
    void fail_values(const char* file, int line, const char* expression, const A& a, const B& b)
    {
        fail(file, line, expression);
        print_raw("        # left: {}, right: {}\n", a, b);
    }
    void skip(const char* reason) { m_skip_reason = reason; }
    bool failed() const { return m_failed; }
    const char* skip_reason() const { return m_skip_reason; }

private:
    bool m_failed = false;
    const char* m_skip_reason = nullptr;
};

struct Case {
    const char* suite;
    const char* name;
    void (*run)(Context&);
};

// Runs the suites named in `filter` (comma-separated; empty = all) and
// returns the number of failed cases.
int run(lib::StringView filter);
// The kernel command line's value for `key` (for cases gated by options,
// such as ktest.fail, or fed expectations, such as ktest.mem_mib).
lib::Optional<lib::StringView> option(lib::StringView key);

} // namespace kernel::ktest

#define KTEST(suite, name)                                                                          \
    static void ktest_##suite##__##name(::kernel::ktest::Context&);                               \
    [[gnu::used, gnu::section(".ktest")]] static constexpr ::kernel::ktest::Case                 \
        ktest_case_##suite##__##name{#suite, #name, ktest_##suite##__##name};                    \
    static void ktest_##suite##__##name([[maybe_unused]] ::kernel::ktest::Context& ktest_context)

#define KTEST_CHECK_BINARY(a, op, b, on_fail)                                                      \
    do {                                                                                           \
        auto&& ktest_a = (a);                                                                      \
        auto&& ktest_b = (b);                                                                      \
        if (!(ktest_a op ktest_b)) {                                                               \
            ktest_context.fail_values(__FILE__, __LINE__, #a " " #op " " #b, ktest_a, ktest_b);   \
            on_fail;                                                                               \
        }                                                                                          \
    } while (0)

#define KTEST_CHECK(cond, on_fail)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            ktest_context.fail(__FILE__, __LINE__, #cond);                                         \
            on_fail;                                                                               \
        }                                                                                          \
    } while (0)

#define EXPECT_TRUE(c) KTEST_CHECK((c), (void)0)
#define EXPECT_FALSE(c) KTEST_CHECK(!(c), (void)0)
#define EXPECT_EQ(a, b) KTEST_CHECK_BINARY(a, ==, b, (void)0)
#define EXPECT_NE(a, b) KTEST_CHECK_BINARY(a, !=, b, (void)0)
#define EXPECT_LT(a, b) KTEST_CHECK_BINARY(a, <, b, (void)0)
#define EXPECT_LE(a, b) KTEST_CHECK_BINARY(a, <=, b, (void)0)
#define EXPECT_GT(a, b) KTEST_CHECK_BINARY(a, >, b, (void)0)
#define EXPECT_GE(a, b) KTEST_CHECK_BINARY(a, >=, b, (void)0)
#define ASSERT_TRUE(c) KTEST_CHECK((c), return)
#define ASSERT_FALSE(c) KTEST_CHECK(!(c), return)
#define ASSERT_EQ(a, b) KTEST_CHECK_BINARY(a, ==, b, return)
#define ASSERT_NE(a, b) KTEST_CHECK_BINARY(a, !=, b, return)
#define ASSERT_GE(a, b) KTEST_CHECK_BINARY(a, >=, b, return)
#define ASSERT_GT(a, b) KTEST_CHECK_BINARY(a, >, b, return)
#define KTEST_SKIP(reason)                                                                         \
    do {                                                                                           \
        ktest_context.skip(reason);                                                                \
        return;                                                                                    \
    } while (0)
