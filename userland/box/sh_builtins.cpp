// The shell's builtins: the commands that change the shell itself (cd,
// exit, export, unset, shift) or its jobs (wait, jobs, fg, bg; in
// sh_jobs.cpp), plus pwd and ':'. Each takes its words, the name first,
// and returns its exit status.
#include "box/sh.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace box::sh {
namespace {

std::optional<std::string> current_directory()
{
    std::string buffer(PATH_MAX, '\0');
    if (!getcwd(buffer.data(), buffer.size()))
        return std::nullopt;
    buffer.resize(std::strlen(buffer.c_str()));
    return buffer;
}

// Single quotes that the shell reads back as the same string.
std::string quote(const std::string& value)
{
    std::string out = "'";
    for (char c : value) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    return out + "'";
}

} // namespace

Shell::Builtin Shell::find_builtin(const std::string& name)
{
    struct Entry {
        const char* name;
        Builtin builtin;
    };
    static constexpr Entry k_builtins[] = {
        {"cd", &Shell::builtin_cd},       {"pwd", &Shell::builtin_pwd},     {"exit", &Shell::builtin_exit},
        {"export", &Shell::builtin_export}, {"unset", &Shell::builtin_unset}, {"shift", &Shell::builtin_shift},
        {":", &Shell::builtin_colon},     {"wait", &Shell::builtin_wait},   {"jobs", &Shell::builtin_jobs},
        {"fg", &Shell::builtin_fg},       {"bg", &Shell::builtin_bg},       {"kill", &Shell::builtin_kill},
    };
    for (const Entry& entry : k_builtins)
        if (name == entry.name)
            return entry.builtin;
    return nullptr;
}

int Shell::builtin_colon(std::vector<std::string>&) { return 0; }

// cd [DIR]: DIR, or $HOME; `cd -` goes to $OLDPWD and prints it.
int Shell::builtin_cd(std::vector<std::string>& args)
{
    if (args.size() > 2) {
        std::fprintf(stderr, "sh: cd: too many arguments\n");
        return 1;
    }
    std::string dir;
    bool print = false;
    if (args.size() == 1) {
        auto home = var("HOME");
        if (!home) {
            std::fprintf(stderr, "sh: cd: HOME not set\n");
            return 1;
        }
        dir = *home;
    } else if (args[1] == "-") {
        auto old = var("OLDPWD");
        if (!old) {
            std::fprintf(stderr, "sh: cd: OLDPWD not set\n");
            return 1;
        }
        dir = *old;
        print = true;
    } else {
        dir = args[1];
    }
    auto before = current_directory();
    if (chdir(dir.c_str()) != 0) {
        std::fprintf(stderr, "sh: cd: %s: %s\n", dir.c_str(), std::strerror(errno));
        return 1;
    }
    if (before)
        set_var("OLDPWD", *before);
    if (auto now = current_directory()) {
        set_var("PWD", *now);
        if (print)
            std::printf("%s\n", now->c_str());
    }
    return 0;
}

int Shell::builtin_pwd(std::vector<std::string>&)
{
    auto dir = current_directory();
    if (!dir) {
        std::fprintf(stderr, "sh: pwd: %s\n", std::strerror(errno));
        return 1;
    }
    std::printf("%s\n", dir->c_str());
    return 0;
}

// exit [N]: N modulo 256 (exit statuses are 8 bits), else the last status.
int Shell::builtin_exit(std::vector<std::string>& args)
{
    if (args.size() > 2) {
        std::fprintf(stderr, "sh: exit: too many arguments\n");
        return 2;
    }
    int status = m_status;
    if (args.size() == 2) {
        char* end = nullptr;
        errno = 0;
        long value = std::strtol(args[1].c_str(), &end, 10);
        if (errno != 0 || args[1].empty() || *end != '\0' || value < INT_MIN || value > INT_MAX) {
            std::fprintf(stderr, "sh: exit: bad number: %s\n", args[1].c_str());
            return 2;
        }
        status = int(value & 0xff);
    }
    m_exit_requested = true;
    return status;
}

// export [NAME[=VALUE]...]; without operands, the exported variables in
// a form the shell reads back.
int Shell::builtin_export(std::vector<std::string>& args)
{
    if (args.size() == 1) {
        for (const auto& [name, v] : m_vars) {
            if (!v.exported)
                continue;
            if (v.value)
                std::printf("export %s=%s\n", name.c_str(), quote(*v.value).c_str());
            else
                std::printf("export %s\n", name.c_str());
        }
        return 0;
    }
    int status = 0;
    for (size_t i = 1; i < args.size(); ++i) {
        auto eq = args[i].find('=');
        std::string name = args[i].substr(0, eq);
        if (!is_name(name)) {
            std::fprintf(stderr, "sh: export: %s: not a valid name\n", args[i].c_str());
            status = 1;
            continue;
        }
        Var& v = m_vars[name];
        v.exported = true;
        if (eq != std::string::npos)
            v.value = args[i].substr(eq + 1);
    }
    return status;
}

int Shell::builtin_unset(std::vector<std::string>& args)
{
    int status = 0;
    for (size_t i = 1; i < args.size(); ++i) {
        if (!is_name(args[i])) {
            std::fprintf(stderr, "sh: unset: %s: not a valid name\n", args[i].c_str());
            status = 1;
            continue;
        }
        m_vars.erase(args[i]);
    }
    return status;
}

// shift [N]: drops the first N positional parameters (default 1).
int Shell::builtin_shift(std::vector<std::string>& args)
{
    size_t n = 1;
    if (args.size() > 1) {
        char* end = nullptr;
        long value = std::strtol(args[1].c_str(), &end, 10);
        if (args[1].empty() || *end != '\0' || value < 0) {
            std::fprintf(stderr, "sh: shift: bad number: %s\n", args[1].c_str());
            return 1;
        }
        n = size_t(value);
    }
    if (n > m_args.size()) {
        std::fprintf(stderr, "sh: shift: can't shift that many\n");
        return 1;
    }
    m_args.erase(m_args.begin(), m_args.begin() + long(n));
    return 0;
}

} // namespace box::sh
