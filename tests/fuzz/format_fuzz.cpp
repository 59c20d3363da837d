// libFuzzer harness for lib/format (printk's formatter): the input is an
// argument list followed by a format string. Every argument kind the
// templates can produce (signed, unsigned, bool, char, string views,
// NUL-terminated strings, pointers, a custom format_value type) meets any
// format string, into buffers of several sizes. The output must stay in
// its buffer, NUL-terminated, and bounded by what the format string can ask
// for (k_format_max_width per placeholder).
#include "fuzz_support.hpp"
#include "lib/format.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using namespace lib;

namespace {

// Counts bytes and checks that every write has a sane length.
class CountingSink final : public FormatSink {
public:
    void write(const char* s, usize n) override
    {
        FUZZ_CHECK(n > 0 || s != nullptr);
        fuzz_touch(s, n);
        m_length += n;
    }
    usize length() const { return m_length; }

private:
    usize m_length = 0;
};

struct Input {
    const uint8_t* p;
    size_t left;
    uint8_t byte() { return left ? (--left, *p++) : 0; }
    uint64_t word()
    {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v = v << 8 | byte();
        return v;
    }
};

constexpr usize k_max_args = 8;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    Input in{data, size};
    usize count = in.byte() % (k_max_args + 1);
    // Strings the arguments point at, each its own exactly-sized heap
    // block (ASan sees a read past a view's end).
    std::vector<std::vector<char>> strings;
    strings.reserve(k_max_args);
    FormatArg args[k_max_args];
    static const Errno errnos[] = {Errno::einval, Errno::enoent, Errno(0), Errno(4095)};
    for (usize i = 0; i < count; ++i) {
        uint8_t kind = in.byte();
        switch (kind % 9) {
        case 0: args[i] = make_format_arg(i64(in.word())); break;
        case 1: args[i] = make_format_arg(u64(in.word())); break;
        case 2: args[i] = make_format_arg(bool(in.byte() & 1)); break;
        case 3: args[i] = make_format_arg(char(in.byte())); break;
        case 4:
        case 5: {
            usize n = in.byte() % 64;
            if (n > in.left)
                n = in.left;
            std::vector<char> s(in.p, in.p + n);
            in.p += n;
            in.left -= n;
            if (kind % 9 == 5)
                s.push_back('\0'); // NUL-terminated
            strings.push_back(std::move(s));
            const char* text = strings.back().data();
            if (kind % 9 == 4)
                args[i] = make_format_arg(StringView(text, strings.back().size()));
            else
                args[i] = make_format_arg(text);
            break;
        }
        case 6: args[i] = make_format_arg(reinterpret_cast<const void*>(uptr(in.word()))); break;
        case 7: args[i] = make_format_arg(nullptr); break;
        default: args[i] = make_format_arg(errnos[in.byte() % 4]); break;
        }
    }
    // The rest is the format string, in its own exactly-sized block.
    std::vector<char> fmt(in.p, in.p + in.left);
    StringView format(fmt.data(), fmt.size());

    CountingSink counter;
    vformat(counter, format, args, count);
    // Each format byte yields at most one placeholder's worth of output.
    usize bound = (fmt.size() + 1) * (k_format_max_width + 128);
    FUZZ_CHECK(counter.length() <= bound);

    for (usize capacity : {usize(0), usize(1), usize(7), usize(64), counter.length() + 1}) {
        std::vector<char> buffer(capacity + 1, '\x5a'); // one guard byte
        BufferSink sink(buffer.data(), capacity);
        vformat(sink, format, args, count);
        FUZZ_CHECK(sink.length() == counter.length()); // deterministic
        FUZZ_CHECK(buffer[capacity] == '\x5a');
        if (capacity > 0) {
            FUZZ_CHECK(sink.stored() <= capacity - 1);
            FUZZ_CHECK(buffer[sink.stored()] == '\0');
        }
    }
    // A format_value hook formats one argument with a spec of its own.
    for (usize i = 0; i < count; ++i) {
        CountingSink one;
        FormatSpec spec;
        spec.width = uint32_t(fmt.size());
        spec.type = fmt.empty() ? '\0' : fmt[0];
        if (spec.width <= k_format_max_width)
            format_arg(one, spec, args[i]);
    }
    return 0;
}
