// libFuzzer harness for lib/shebang: any file start; an accepted line
// yields an interpreter without blanks or NULs and an argument, both inside
// the first 256 bytes of the file.
#include "fuzz_support.hpp"
#include "lib/shebang.hpp"

#include <cstdint>

using namespace lib;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = shebang::parse(data, size);
    if (parsed.is_error()) {
        FUZZ_CHECK(parsed.code() == Errno::enoexec && parsed.error().what != nullptr);
        return 0;
    }
    FUZZ_CHECK(shebang::is_script(data, size));
    usize window = size < shebang::k_buffer_size ? size : shebang::k_buffer_size;
    StringView interp = parsed->interpreter;
    if (!interp.is_empty())
        FUZZ_CHECK(fuzz_inside(interp.data(), interp.length(), data + 2, window - 2));
    for (usize i = 0; i < interp.length(); ++i)
        FUZZ_CHECK(interp[i] != ' ' && interp[i] != '\t' && interp[i] != '\0' && interp[i] != '\n');
    if (parsed->has_argument) {
        StringView arg = parsed->argument;
        // Empty when the line ends in blanks without a newline (Linux then
        // passes ""), so only a non-empty one must lie in the file.
        if (!arg.is_empty())
            FUZZ_CHECK(fuzz_inside(arg.data(), arg.length(), data + 2, window - 2));
        FUZZ_CHECK(arg.data() > interp.data() + interp.length());
        FUZZ_CHECK(arg.find('\0') == arg.length() && arg.find('\n') == arg.length());
        FUZZ_CHECK(arg.is_empty() || (arg[0] != ' ' && arg[0] != '\t'));
    }
    return 0;
}
