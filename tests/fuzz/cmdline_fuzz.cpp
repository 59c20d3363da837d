// libFuzzer harness for lib/cmdline: any text up to and past 1024 bytes;
// an accepted line answers every lookup with views into the text.
#include "fuzz_support.hpp"
#include "lib/cmdline.hpp"

#include <cstdint>
#include <string>

using namespace lib;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    StringView text(reinterpret_cast<const char*>(data), size);
    auto parsed = CommandLine::parse(text);
    if (parsed.is_error()) {
        FUZZ_CHECK(parsed.code() == Errno::einval || parsed.code() == Errno::e2big);
        FUZZ_CHECK(parsed.error().what != nullptr);
        return 0;
    }
    const CommandLine& line = parsed.value();
    FUZZ_CHECK(size <= CommandLine::k_max_length);
    FUZZ_CHECK(line.count() <= CommandLine::k_max_entries);
    usize n = 0;
    for (CommandLine::Entry e : line) {
        FUZZ_CHECK(!e.key.is_empty());
        FUZZ_CHECK(fuzz_inside(e.key.data(), e.key.length(), data, size));
        if (e.has_value && !e.value.is_empty())
            FUZZ_CHECK(fuzz_inside(e.value.data(), e.value.length(), data, size));
        FUZZ_CHECK(line.has(e.key));
        auto value = line.get(e.key);
        FUZZ_CHECK(value.has_value());
        (void)line.get_u64(e.key);
        usize items = 0;
        for (StringView item : CommandLine::split_list(*value)) {
            FUZZ_CHECK(!item.is_empty() && item.find(',') == item.length());
            FUZZ_CHECK(++items <= value->length());
        }
        (void)CommandLine::split_list(*value, '=').contains("x");
        ++n;
    }
    FUZZ_CHECK(n == line.count());
    (void)line.entry(line.count());
    StringView rest = line.init_arguments();
    if (!rest.is_empty())
        FUZZ_CHECK(fuzz_inside(rest.data(), rest.length(), data, size));
    // Written out again (values with blanks quoted), the line parses to
    // the same entries.
    std::string again;
    for (CommandLine::Entry e : line) {
        if (!again.empty())
            again += ' ';
        again.append(e.key.data(), e.key.length());
        if (!e.has_value)
            continue;
        std::string value(e.value.data(), e.value.length());
        bool blank = value.find_first_of(" \t\n\r\v\f") != std::string::npos;
        again += blank ? "=\"" + value + "\"" : "=" + value;
    }
    if (!rest.is_empty())
        again += " -- " + std::string(rest.data(), rest.length());
    if (auto reparsed = CommandLine::parse(StringView(again.data(), again.size())); again.size() <= size) {
        FUZZ_CHECK(reparsed.is_ok());
        FUZZ_CHECK(reparsed->count() == line.count());
        for (usize i = 0; i < line.count(); ++i) {
            FUZZ_CHECK(reparsed->entry(i).key == line.entry(i).key);
            FUZZ_CHECK(reparsed->entry(i).has_value == line.entry(i).has_value);
            FUZZ_CHECK(reparsed->entry(i).value == line.entry(i).value);
        }
        FUZZ_CHECK(reparsed->init_arguments() == rest);
    }
    // The options kernel/main.cpp reads.
    for (auto key : {"init", "ktest", "tick_ms", "sched", "fork", "kstack_check", "asid_bits", "panic_test"}) {
        (void)line.get(key);
        (void)line.get_u64(key);
    }
    return 0;
}
