// /bin/sh: a minimal shell. Reads command lines from fd 0 with read(2)
// (a line may arrive in several reads, and one read may hold several
// lines), splits them into words, and runs each command with fork +
// execve, waiting for it with waitpid. Builtins: exit [N], cd [DIR].
// `sh -c COMMAND` runs one command line and exits with its status.
//
// Words split on blanks; '...' quotes literally, "..." quotes with the
// escapes \" \\ \$ \` inside, a backslash outside quotes escapes the
// next character, and # starts a comment. A name without '/' is searched along $PATH
// (/bin:/sbin when unset). Reading from fd 0, the shell prints the prompt
// "$ " on fd 2 and a note when a command fails ("sh: exit N", "sh: killed
// by SIGSEGV"); with -c it leaves that to the caller, who gets the status.
#include "box/applets.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

constexpr const char* k_default_path = "/bin:/sbin";
constexpr int k_status_not_found = 127;  // POSIX 2.8.2: command not found
constexpr int k_status_cannot_exec = 126; // found, but not executable

// Lines from a file descriptor, whatever the sizes of the reads. A serial
// console without ICRNL ends lines with '\r', so '\r', '\n' and "\r\n"
// each end one line.
class LineReader {
public:
    explicit LineReader(int fd)
        : m_fd(fd)
    {
    }

    // The next line without its terminator; nullopt at end of input (a
    // last line without a terminator is still returned first).
    std::optional<std::string> next()
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
            if (m_pending.empty())
                return std::nullopt;
            return std::exchange(m_pending, {});
        }
    }

private:
    int m_fd;
    std::string m_pending;
    bool m_skip_newline = false;
};

// Splits a command line into words; nullopt (with a message in `error`)
// for an unterminated quote.
std::optional<std::vector<std::string>> split_words(std::string_view line, std::string& error)
{
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    auto finish_word = [&] {
        if (in_word)
            words.push_back(std::exchange(word, {}));
        in_word = false;
    };
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == ' ' || c == '\t') {
            finish_word();
        } else if (c == '#' && !in_word) {
            break;
        } else if (c == '\'') {
            auto close = line.find('\'', i + 1);
            if (close == std::string_view::npos) {
                error = "unterminated '";
                return std::nullopt;
            }
            word.append(line.substr(i + 1, close - i - 1));
            in_word = true;
            i = close;
        } else if (c == '"') {
            in_word = true;
            for (++i;; ++i) {
                if (i >= line.size()) {
                    error = "unterminated \"";
                    return std::nullopt;
                }
                if (line[i] == '"')
                    break;
                if (line[i] == '\\' && i + 1 < line.size() && std::strchr("\"\\$`", line[i + 1]))
                    ++i;
                word.push_back(line[i]);
            }
        } else if (c == '\\') {
            if (i + 1 < line.size())
                word.push_back(line[++i]);
            in_word = true;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    finish_word();
    return words;
}

// In the child: execve the command, searching $PATH for a name without
// '/'. Never returns. (execvpe(3) would do the search, but on ENOEXEC it
// runs the file as a shell script, and this shell cannot read scripts.)
[[noreturn]] void exec_command(std::vector<std::string>& words)
{
    std::vector<char*> argv;
    for (auto& word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);
    const std::string& name = words[0];

    int error = ENOENT;
    if (name.find('/') != std::string::npos) {
        execve(name.c_str(), argv.data(), environ);
        error = errno;
    } else {
        const char* path = std::getenv("PATH");
        std::string_view dirs = path ? path : k_default_path;
        for (;;) {
            auto colon = dirs.find(':');
            std::string_view dir = dirs.substr(0, colon);
            std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
            execve(candidate.c_str(), argv.data(), environ);
            // Keep looking past names that are not there; remember why a
            // name that is there could not run (EACCES, ENOEXEC ...).
            if (errno != ENOENT && errno != ENOTDIR)
                error = errno;
            if (colon == std::string_view::npos)
                break;
            dirs.remove_prefix(colon + 1);
        }
    }
    if (error == ENOENT) {
        std::fprintf(stderr, "sh: %s: not found\n", name.c_str());
        _exit(k_status_not_found);
    }
    std::fprintf(stderr, "sh: %s: %s\n", name.c_str(), std::strerror(error));
    _exit(k_status_cannot_exec);
}

class Shell {
public:
    explicit Shell(bool notes)
        : m_notes(notes)
    {
    }

    // Runs one command line; afterwards status() is its exit status.
    void run_line(std::string_view line)
    {
        std::string error;
        auto words = split_words(line, error);
        if (!words) {
            std::fprintf(stderr, "sh: syntax error: %s\n", error.c_str());
            m_status = 2;
            return;
        }
        if (words->empty())
            return;
        const std::string& name = words->front();
        if (name == "exit")
            return builtin_exit(*words);
        if (name == "cd")
            return builtin_cd(*words);
        run_program(*words);
    }

    int status() const { return m_status; }
    bool exit_requested() const { return m_exit_requested; }

private:
    void builtin_exit(const std::vector<std::string>& words)
    {
        if (words.size() > 2) {
            std::fprintf(stderr, "sh: exit: too many arguments\n");
            m_status = 2;
            return;
        }
        if (words.size() == 2) {
            char* end = nullptr;
            errno = 0;
            long value = std::strtol(words[1].c_str(), &end, 10);
            if (errno != 0 || words[1].empty() || *end != '\0' || value < INT_MIN || value > INT_MAX) {
                std::fprintf(stderr, "sh: exit: bad number: %s\n", words[1].c_str());
                m_status = 2;
                return;
            }
            m_status = int(value & 0xff); // exit statuses are 8 bits
        }
        m_exit_requested = true;
    }

    void builtin_cd(const std::vector<std::string>& words)
    {
        const char* home = std::getenv("HOME");
        const char* dir = words.size() > 1 ? words[1].c_str() : (home ? home : "/");
        m_status = 0;
        if (chdir(dir) != 0) {
            std::fprintf(stderr, "sh: cd: %s: %s\n", dir, std::strerror(errno));
            m_status = 1;
        }
    }

    void run_program(std::vector<std::string>& words)
    {
        std::fflush(nullptr);
        pid_t pid = fork();
        if (pid < 0) {
            std::fprintf(stderr, "sh: fork: %s\n", std::strerror(errno));
            m_status = k_status_cannot_exec;
            return;
        }
        if (pid == 0)
            exec_command(words);

        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                std::fprintf(stderr, "sh: waitpid: %s\n", std::strerror(errno));
                m_status = k_status_cannot_exec;
                return;
            }
        }
        if (WIFEXITED(status)) {
            m_status = WEXITSTATUS(status);
            // 126/127: the child already said why.
            if (m_notes && m_status != 0 && m_status != k_status_not_found && m_status != k_status_cannot_exec)
                std::fprintf(stderr, "sh: exit %d\n", m_status);
        } else if (WIFSIGNALED(status)) {
            int sig = WTERMSIG(status);
            m_status = 128 + sig; // as every POSIX shell reports it
            if (m_notes) {
                const char* abbrev = sigabbrev_np(sig);
                if (abbrev)
                    std::fprintf(stderr, "sh: killed by SIG%s\n", abbrev);
                else
                    std::fprintf(stderr, "sh: killed by signal %d\n", sig);
            }
        }
    }

    bool m_notes;
    int m_status = 0;
    bool m_exit_requested = false;
};

} // namespace

int box::sh_main(int argc, char** argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "-c") == 0) {
        if (argc < 3) {
            std::fprintf(stderr, "sh: -c: option requires an argument\n");
            return 2;
        }
        Shell shell(false);
        shell.run_line(argv[2]);
        return shell.status();
    }
    if (argc >= 2) {
        std::fprintf(stderr, "usage: sh [-c COMMAND]\n");
        return 2;
    }

    Shell shell(true);
    LineReader input(STDIN_FILENO);
    while (!shell.exit_requested()) {
        std::fputs("$ ", stderr);
        auto line = input.next();
        if (!line)
            break;
        shell.run_line(*line);
    }
    return shell.status();
}
