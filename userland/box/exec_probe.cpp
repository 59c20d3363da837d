// /bin/exec_probe: the program usertests execs to see what execve(2)
// delivered -- argv, envp, the auxiliary vector, a fresh memory image. The
// protocol is in common/exec_probe_protocol.h.
#include "box/applets.h"
#include "common/exec_probe_protocol.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <elf.h>
#include <string>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace {

// A fresh image has its data as the ELF file says and its bss zeroed,
// whatever the program that called execve had there.
int g_data_word = 0x5eed;
unsigned char g_bss[64 * 1024];

bool g_ok = true;

void mismatch(const char* what, const std::string& detail = {})
{
    std::fprintf(stderr, "        # exec_probe: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
    g_ok = false;
}

std::string quoted(const char* s)
{
    if (s == nullptr)
        return "NULL";
    std::string q = std::string("\"") + s + "\"";
    return q.size() > 60 ? q.substr(0, 57) + "...(" + std::to_string(std::strlen(s)) + " bytes)" : q;
}

void compare_list(const char* what, char** actual, const std::vector<std::string>& expected)
{
    size_t count = 0;
    while (actual[count] != nullptr)
        ++count;
    if (count != expected.size())
        mismatch(what, "has " + std::to_string(count) + " entries, expected " + std::to_string(expected.size()));
    for (size_t i = 0; i < count && i < expected.size(); ++i) {
        if (expected[i] != actual[i])
            mismatch(what, "[" + std::to_string(i) + "] is " + quoted(actual[i]) + ", expected " +
                               quoted(expected[i].c_str()));
    }
}

void check_auxv()
{
    // What static glibc reads at startup (elf/dl-support.c _dl_aux_init,
    // csu/libc-start.c): a missing AT_RANDOM crashes it before main().
    if (getauxval(AT_PAGESZ) != 4096)
        mismatch("AT_PAGESZ", std::to_string(getauxval(AT_PAGESZ)));
    if (getauxval(AT_PHDR) == 0)
        mismatch("AT_PHDR missing");
    if (getauxval(AT_PHENT) != sizeof(Elf64_Phdr))
        mismatch("AT_PHENT", std::to_string(getauxval(AT_PHENT)));
    if (getauxval(AT_PHNUM) == 0)
        mismatch("AT_PHNUM missing");
    if (getauxval(AT_ENTRY) == 0)
        mismatch("AT_ENTRY missing");
    if (getauxval(AT_RANDOM) == 0)
        mismatch("AT_RANDOM missing");
    if (getauxval(AT_SECURE) != 0)
        mismatch("AT_SECURE set");
    // AT_PHDR must point at this very program's headers.
    auto* phdr = reinterpret_cast<const Elf64_Phdr*>(getauxval(AT_PHDR));
    bool found_load = false;
    for (unsigned long i = 0; phdr && i < getauxval(AT_PHNUM); ++i)
        found_load |= phdr[i].p_type == PT_LOAD;
    if (!found_load)
        mismatch("AT_PHDR has no PT_LOAD header");
    if (g_data_word != 0x5eed)
        mismatch("initialized data", std::to_string(g_data_word));
    for (unsigned char byte : g_bss) {
        if (byte != 0) {
            mismatch("bss is not zero");
            break;
        }
    }
}

void check_big(int argc, char** argv)
{
    if (argc < 4)
        return mismatch("big: usage: exec_probe big N LEN ARGS...");
    int count = std::atoi(argv[2]);
    int length = std::atoi(argv[3]);
    if (argc - 4 != count)
        return mismatch("big: argument count", std::to_string(argc - 4) + ", expected " + std::to_string(count));
    for (int i = 0; i < count; ++i) {
        if (argv[4 + i] != exec_probe::big_argument(i, length))
            return mismatch("big: argument differs", std::to_string(i));
    }
}

} // namespace

int box::exec_probe_main(int argc, char** argv)
{
    std::string mode = argc >= 2 ? argv[1] : "";
    if (mode == "exit" && argc == 3)
        return std::atoi(argv[2]);
    if (mode == "no-timer" && argc == 3) {
        // The POSIX timer the caller made before exec is gone (execve(2)).
        itimerspec value{};
        if (syscall(SYS_timer_gettime, std::atoi(argv[2]), &value) == 0 || errno != EINVAL) {
            mismatch("no-timer: the timer survived exec");
            return exec_probe::k_mismatch;
        }
        return 0;
    }
    if (mode == "argv-envp") {
        if (argv[argc] != nullptr)
            mismatch("argv[argc] is not NULL");
        compare_list("argv", argv, exec_probe::expected_argv());
        compare_list("envp", environ, exec_probe::expected_envp());
    } else if (mode == "auxv") {
        check_auxv();
    } else if (mode == "big") {
        check_big(argc, argv);
    } else {
        mismatch("usage: exec_probe exit N | no-timer ID | argv-envp | auxv | big N LEN ARGS...");
    }
    return g_ok ? 0 : exec_probe::k_mismatch;
}
