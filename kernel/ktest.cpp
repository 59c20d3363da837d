// The ktest runner: groups the registered cases by suite (in link order)
// and prints KTAP version 1 (https://docs.kernel.org/dev-tools/ktap.html):
// one top-level test per suite, its cases as a nested subtest.
#include "kernel/ktest.hpp"
#include "kernel/boot.hpp"

extern "C" const kernel::ktest::Case __ktest_start[], __ktest_end[];

namespace kernel::ktest {

void Context::fail(const char* file, int line, const char* expression)
{
    m_failed = true;
    print_raw("        # {}:{}: EXPECTATION FAILED: {}\n", file, line, expression);
}

lib::Optional<lib::StringView> option(lib::StringView key) { return boot_info().cmdline.get(key); }

static bool same(const char* a, const char* b) { return lib::StringView(a) == lib::StringView(b); }

static bool selected(lib::StringView filter, const char* suite)
{
    if (filter.is_empty())
        return true;
    lib::StringView rest = filter;
    while (!rest.is_empty()) {
        usize comma = rest.find(',');
        if (rest.substring(0, comma) == lib::StringView(suite))
            return true;
        rest = comma < rest.length() ? rest.substring(comma + 1) : lib::StringView();
    }
    return false;
}

// The first case of each suite, in link order; a suite's cases need not be
// adjacent in the section.
static bool is_first_of_suite(const Case* c)
{
    for (const Case* p = __ktest_start; p < c; ++p)
        if (same(p->suite, c->suite))
            return false;
    return true;
}

int run(lib::StringView filter)
{
    unsigned suites = 0;
    for (const Case* c = __ktest_start; c < __ktest_end; ++c)
        if (is_first_of_suite(c) && selected(filter, c->suite))
            ++suites;

    print_raw("KTAP version 1\n1..{}\n", suites);
    int failed_cases = 0;
    unsigned suite_number = 0;
    for (const Case* s = __ktest_start; s < __ktest_end; ++s) {
        if (!is_first_of_suite(s) || !selected(filter, s->suite))
            continue;
        unsigned cases = 0;
        for (const Case* c = s; c < __ktest_end; ++c)
            cases += same(c->suite, s->suite);
        print_raw("    KTAP version 1\n    # Subtest: {}\n    1..{}\n", s->suite, cases);
        bool suite_failed = false;
        unsigned number = 0;
        for (const Case* c = s; c < __ktest_end; ++c) {
            if (!same(c->suite, s->suite))
                continue;
            Context context;
            c->run(context);
            ++number;
            if (context.failed()) {
                suite_failed = true;
                ++failed_cases;
                print_raw("    not ok {} {}\n", number, c->name);
            } else if (context.skip_reason()) {
                print_raw("    ok {} {} # SKIP {}\n", number, c->name, context.skip_reason());
            } else {
                print_raw("    ok {} {}\n", number, c->name);
            }
        }
        print_raw("{} {} {}\n", suite_failed ? "not ok" : "ok", ++suite_number, s->suite);
    }
    return failed_cases;
}

} // namespace kernel::ktest
