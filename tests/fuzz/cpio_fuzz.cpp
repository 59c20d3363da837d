// libFuzzer harness for lib/cpio: walk every entry of one or more
// concatenated newc archives, as kernel/initramfs.cpp does, checking that
// each name and data view lies inside the buffer; validate() must agree
// with the walk.
#include "fuzz_support.hpp"
#include "lib/cpio.hpp"

#include <cstdint>

using namespace lib;
using namespace lib::cpio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Reader reader(data, size);
    Entry entry;
    usize count = 0;
    usize last_offset = 0;
    bool failed = false;
    for (;;) {
        auto more = reader.next(entry);
        if (more.is_error()) {
            FUZZ_CHECK(more.code() == Errno::einval && more.error().what != nullptr);
            // An error is sticky.
            auto again = reader.next(entry);
            FUZZ_CHECK(again.is_error() && again.error().what == more.error().what);
            failed = true;
            break;
        }
        if (!more.value()) {
            FUZZ_CHECK(!reader.next(entry).value_or(true));
            break;
        }
        FUZZ_CHECK(!entry.name.is_empty());
        FUZZ_CHECK(entry.name.find('\0') == entry.name.length());
        FUZZ_CHECK(fuzz_inside(entry.name.data(), entry.name.length(), data, size));
        FUZZ_CHECK(fuzz_inside(entry.data, entry.filesize, data, size));
        fuzz_touch(entry.data, entry.filesize);
        FUZZ_CHECK(count == 0 || entry.offset > last_offset);
        FUZZ_CHECK(entry.offset % k_alignment == 0);
        last_offset = entry.offset;
        (void)entry.may_be_hard_link();
        ++count;
        FUZZ_CHECK(count * k_header_size <= size);
    }
    auto checked = validate(data, size);
    FUZZ_CHECK(checked.is_error() == failed);
    if (checked.is_ok())
        FUZZ_CHECK(checked.value() == count);
    usize visited = 0;
    auto walked = for_each(data, size, [&](const Entry&) { ++visited; });
    FUZZ_CHECK(walked.is_error() == failed && visited == count);
    return 0;
}
