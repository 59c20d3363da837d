// /bin/sh: a small POSIX-flavoured shell. This file reads the commands:
// from a string (`sh -c COMMANDS [NAME [ARG...]]`), a script
// (`sh FILE [ARG...]`, also how the kernel runs a "#!/bin/sh" file) or
// standard input. Lines are collected until they parse completely (an
// open quote or a trailing '|', '&&', '||' asks for more) and then run.
// The grammar and the pieces are described in sh.h.
//
// Reading standard input, the shell notes how commands ended ("sh: exit
// N") and reports background jobs ("[N] PID", "[N]+ Done  CMD"); if it is
// a terminal, it also prompts ("$ " on stderr, "> " for a continuation
// line), says "exit" at end of input and does job control (sh_jobs.cpp).
#include "box/applets.h"
#include "box/sh.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/utsname.h>
#include <unistd.h>
#include <utility>

namespace box::sh {
namespace {

class Input {
public:
    virtual ~Input() = default;
    // The next line without its terminator; nullopt at end of input.
    virtual std::optional<std::string> next() = 0;
};

// Lines from a file descriptor, whatever the sizes of the reads. A serial
// console without ICRNL ends lines with '\r', so '\r', '\n' and "\r\n"
// each end one line.
class FdInput final : public Input {
public:
    explicit FdInput(int fd)
        : m_fd(fd)
    {
    }

    std::optional<std::string> next() override
    {
        for (;;) {
            if (m_skip_newline && !m_pending.empty()) {
                if (m_pending.front() == '\n')
                    m_pending.erase(0, 1);
                m_skip_newline = false;
            }
            auto end = m_pending.find_first_of("\r\n");
            if (end != std::string::npos) {
                std::string line = m_pending.substr(0, end);
                m_skip_newline = m_pending[end] == '\r';
                m_pending.erase(0, end + 1);
                return line;
            }
            if (m_eof)
                break;
            char buffer[512];
            ssize_t n = read(m_fd, buffer, sizeof buffer);
            if (n > 0) {
                m_pending.append(buffer, size_t(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                std::fprintf(stderr, "sh: read: %s\n", std::strerror(errno));
            // ^D at a terminal ends only this read; the next read waits
            // again, so remember the end.
            m_eof = true;
        }
        if (m_pending.empty())
            return std::nullopt;
        return std::exchange(m_pending, {});
    }

private:
    int m_fd;
    std::string m_pending;
    bool m_skip_newline = false;
    bool m_eof = false;
};

class StringInput final : public Input {
public:
    explicit StringInput(std::string text)
        : m_text(std::move(text))
    {
    }

    std::optional<std::string> next() override
    {
        if (m_pos >= m_text.size())
            return std::nullopt;
        auto end = m_text.find('\n', m_pos);
        if (end == std::string::npos)
            end = m_text.size();
        std::string line = m_text.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        return line;
    }

private:
    std::string m_text;
    size_t m_pos = 0;
};

// The boot figure "instructions from reset to the first shell prompt"
// (docs/performance.md): on Myriad, the hart's instret just before the
// first prompt, kept in $MYRIAD_FIRST_PROMPT_INSTRET (exact under QEMU's
// -icount shift=0). Elsewhere (Linux under qemu-user) the counter may not
// be readable from user mode, so nothing is read.
void note_first_prompt(Shell& shell)
{
#if defined(__riscv)
    utsname u {};
    if (uname(&u) != 0 || !std::strstr(u.version, "Myriad"))
        return;
    unsigned long instret;
    asm volatile("rdinstret %0" : "=r"(instret));
    shell.set_var("MYRIAD_FIRST_PROMPT_INSTRET", std::to_string(instret));
#else
    (void)shell;
#endif
}

void run(Shell& shell, Input& input)
{
    const ShellMode& mode = shell.mode();
    std::string source;
    bool first_prompt = true;
    while (!shell.exit_requested()) {
        if (source.empty())
            shell.reap_jobs();
        if (mode.interactive && first_prompt) {
            note_first_prompt(shell);
            first_prompt = false;
        }
        if (mode.interactive)
            std::fputs(source.empty() ? "$ " : "> ", stderr);
        auto line = input.next();
        if (!line) {
            if (!source.empty())
                shell.syntax_error(parse(source).error);
            if (mode.interactive)
                std::fputs("exit\n", stderr);
            return;
        }
        source += *line;
        source += '\n';
        ParseResult parsed = parse(source);
        if (parsed.status == ParseStatus::Incomplete)
            continue;
        source.clear();
        if (parsed.status == ParseStatus::Error) {
            shell.syntax_error(parsed.error);
            if (!mode.notes)
                return; // a script or -c string stops at a syntax error
            continue;
        }
        shell.run_program(parsed.program);
    }
}

} // namespace
} // namespace box::sh

int box::sh_main(int argc, char** argv)
{
    using namespace box::sh;
    std::unique_ptr<Input> input;
    std::string arg0 = argc > 0 ? argv[0] : "sh";
    int first_arg = 1;
    ShellMode mode;
    if (argc >= 2 && std::strcmp(argv[1], "-c") == 0) {
        if (argc < 3) {
            std::fprintf(stderr, "sh: -c: option requires an argument\n");
            return 2;
        }
        input = std::make_unique<StringInput>(argv[2]);
        if (argc > 3)
            arg0 = argv[3];
        first_arg = 4;
    } else if (argc >= 2 && argv[1][0] == '-' && argv[1][1] != '\0') {
        std::fprintf(stderr, "sh: %s: unknown option\nusage: sh [-c COMMANDS [NAME [ARG...]] | FILE [ARG...]]\n",
                     argv[1]);
        return 2;
    } else if (argc >= 2) {
        // The script's descriptor stays out of the way of redirections
        // and of the commands it runs.
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::fprintf(stderr, "sh: %s: %s\n", argv[1], std::strerror(errno));
            return errno == ENOENT ? k_status_not_found : k_status_cannot_exec;
        }
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
        input = std::make_unique<FdInput>(fd);
        arg0 = argv[1];
        first_arg = 2;
    } else {
        input = std::make_unique<FdInput>(STDIN_FILENO);
        mode.notes = true;
        mode.interactive = isatty(STDIN_FILENO);
    }
    Shell shell(mode);
    std::vector<std::string> args;
    for (int i = first_arg; i < argc; ++i)
        args.emplace_back(argv[i]);
    shell.set_positional(std::move(arg0), std::move(args));
    run(shell, *input);
    std::fflush(nullptr);
    return shell.status();
}
