// Running commands: and-or lists, pipelines (one child per command, each
// pipeline its own process group under job control), redirections, PATH
// search and execve, and the notes about how commands ended.
#include "box/sh.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace box::sh {
namespace {

constexpr const char* k_default_path = "/bin:/sbin";
constexpr int k_saved_fd_min = 10; // where the shell keeps its own descriptors

// In the child: execve NAME, searching `path` for a name without '/'.
// Never returns. (execvpe(3) would search, but on ENOEXEC it runs the
// file with /bin/sh, which hides "Exec format error".)
[[noreturn]] void exec_command(std::vector<std::string>& words, std::vector<std::string>& env, const std::string& path)
{
    std::vector<char*> argv;
    for (auto& word : words)
        argv.push_back(word.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    const std::string& name = words[0];

    int error = ENOENT;
    if (name.find('/') != std::string::npos) {
        execve(name.c_str(), argv.data(), envp.data());
        error = errno;
    } else {
        std::string_view dirs = path;
        for (;;) {
            auto colon = dirs.find(':');
            std::string_view dir = dirs.substr(0, colon);
            std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
            execve(candidate.c_str(), argv.data(), envp.data());
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

// Makes `from` (a pipe end, opened O_CLOEXEC) descriptor `to`, kept
// across execve.
void move_fd(int from, int to)
{
    if (from == to) {
        fcntl(to, F_SETFD, 0);
        return;
    }
    dup2(from, to);
    close(from);
}

bool parse_fd(const std::string& s, int& fd)
{
    if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos)
        return false;
    fd = std::stoi(s);
    return true;
}

} // namespace

void Shell::syntax_error(const std::string& message)
{
    std::fprintf(stderr, "sh: syntax error: %s\n", message.c_str());
    m_status = k_status_syntax;
}

void Shell::run_program(const Program& program)
{
    for (const AndOrList& list : program) {
        if (m_exit_requested)
            return;
        m_exit_note = false;
        if (list.background) {
            start_async_list(list);
            continue;
        }
        run_and_or(list);
        if (m_mode.notes && m_exit_note && !m_exit_requested)
            std::fprintf(stderr, "sh: exit %d\n", m_status);
    }
}

void Shell::run_and_or(const AndOrList& list)
{
    m_status = run_pipeline(list.pipelines[0], false, list.text);
    for (size_t i = 0; i < list.connectors.size() && !m_exit_requested; ++i) {
        if ((list.connectors[i] == Connector::And) == (m_status == 0))
            m_status = run_pipeline(list.pipelines[i + 1], false, list.text);
    }
}

// `list &`: a single pipeline runs as a job of its own; an and-or list
// runs in a forked subshell, which is then the job.
void Shell::start_async_list(const AndOrList& list)
{
    if (list.pipelines.size() == 1) {
        run_pipeline(list.pipelines[0], true, list.text);
        m_status = 0;
        return;
    }
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "sh: fork: %s\n", std::strerror(errno));
        m_status = k_status_cannot_exec;
        return;
    }
    if (pid == 0) {
        become_child(0, true);
        AndOrList foreground = list;
        foreground.background = false;
        run_and_or(foreground);
        std::fflush(nullptr);
        _exit(m_status);
    }
    if (m_job_control)
        setpgid(pid, pid);
    Job job;
    job.pgid = m_job_control ? pid : 0;
    job.pids = {pid};
    job.text = list.text;
    add_job(std::move(job));
    m_status = 0;
}

int Shell::run_pipeline(const Pipeline& pipeline, bool background, const std::string& text)
{
    const size_t n = pipeline.commands.size();
    auto finish = [&](int status) { return pipeline.negated ? status == 0 : status; };

    // A lone foreground builtin, assignment or redirection runs in the
    // shell itself, so that it can change the shell.
    if (n == 1 && !background) {
        const SimpleCommand& command = pipeline.commands[0];
        std::vector<std::string> words = expand_words(command.words);
        Builtin builtin = words.empty() ? nullptr : find_builtin(words[0]);
        if (words.empty() || builtin)
            return finish(run_in_shell(command, words, builtin));
    }

    Job job;
    job.text = text;
    int in_fd = -1;
    for (size_t i = 0; i < n; ++i) {
        const SimpleCommand& command = pipeline.commands[i];
        std::vector<std::string> words = expand_words(command.words);
        int pipe_fds[2] = {-1, -1};
        if (i + 1 < n && pipe2(pipe_fds, O_CLOEXEC) != 0) {
            std::fprintf(stderr, "sh: pipe: %s\n", std::strerror(errno));
            break;
        }
        std::fflush(nullptr);
        pid_t pid = fork();
        if (pid == 0)
            run_child(command, words, job.pgid, background, in_fd, pipe_fds[1]);
        if (pid < 0)
            std::fprintf(stderr, "sh: fork: %s\n", std::strerror(errno));
        if (in_fd >= 0)
            close(in_fd);
        if (pipe_fds[1] >= 0)
            close(pipe_fds[1]);
        in_fd = pipe_fds[0];
        if (pid < 0)
            break;
        // Both parent and child set the group, so that it exists before
        // either relies on it (the classic race, see glibc manual 28.6.3).
        if (m_job_control) {
            if (job.pgid == 0)
                job.pgid = pid;
            setpgid(pid, job.pgid);
        }
        job.pids.push_back(pid);
    }
    if (in_fd >= 0)
        close(in_fd);
    if (job.pids.empty())
        return finish(k_status_cannot_exec);
    job.statuses.assign(job.pids.size(), 0);
    job.done.assign(job.pids.size(), false);
    if (background) {
        m_last_background = job.pids.back();
        add_job(std::move(job));
        return 0;
    }
    return finish(wait_foreground(job));
}

// In a new child: its process group and terminal, default signals.
void Shell::become_child(pid_t pgid, bool background)
{
    if (m_job_control) {
        setpgid(0, pgid);
        // Still ignoring SIGTTOU here, so this cannot stop us.
        if (!background)
            tcsetpgrp(STDIN_FILENO, pgid ? pgid : getpid());
    }
    if (m_mode.interactive)
        for (int sig : {SIGINT, SIGQUIT, SIGTSTP, SIGTTOU})
            signal(sig, SIG_DFL);
    if (background && !m_job_control) {
        // XCU 2.9.3: an asynchronous list without job control ignores
        // SIGINT and SIGQUIT and reads /dev/null (when there is one).
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0 && null_fd != STDIN_FILENO) {
            dup2(null_fd, STDIN_FILENO);
            close(null_fd);
        }
    }
    m_in_child = true;
    m_job_control = false;
    m_mode = ShellMode{};
    m_jobs.clear();
}

void Shell::run_child(const SimpleCommand& command, std::vector<std::string>& words, pid_t pgid, bool background,
                      int in_fd, int out_fd)
{
    become_child(pgid, background);
    if (in_fd >= 0)
        move_fd(in_fd, STDIN_FILENO);
    if (out_fd >= 0)
        move_fd(out_fd, STDOUT_FILENO);
    if (!apply_redirections(command.redirections, nullptr))
        _exit(1);
    if (words.empty())
        _exit(0);
    if (Builtin builtin = find_builtin(words[0])) {
        for (const Assignment& a : command.assignments)
            set_var(a.name, expand_single(a.value));
        int status = (this->*builtin)(words);
        std::fflush(nullptr);
        _exit(status);
    }
    std::vector<std::pair<std::string, std::string>> extra;
    for (const Assignment& a : command.assignments)
        extra.emplace_back(a.name, expand_single(a.value));
    std::vector<std::string> env = child_environment(extra);
    // A prefix PATH= wins; an unexported PATH still searches.
    std::string path = var("PATH").value_or(k_default_path);
    for (const auto& [name, value] : extra)
        if (name == "PATH")
            path = value;
    exec_command(words, env, path);
}

// A builtin, or a command without a name, in the shell process. Its
// redirections are undone afterwards; prefix assignments last only for
// a builtin, and stay for a command that is only assignments.
int Shell::run_in_shell(const SimpleCommand& command, std::vector<std::string>& words, Builtin builtin)
{
    std::vector<std::pair<std::string, std::optional<Var>>> previous;
    for (const Assignment& a : command.assignments) {
        std::string value = expand_single(a.value);
        if (builtin) {
            auto it = m_vars.find(a.name);
            previous.emplace_back(a.name, it == m_vars.end() ? std::nullopt : std::optional(it->second));
        }
        set_var(a.name, std::move(value));
    }
    std::vector<std::pair<int, int>> saved;
    int status = 1;
    if (apply_redirections(command.redirections, &saved))
        status = builtin ? (this->*builtin)(words) : 0;
    std::fflush(nullptr);
    restore_fds(saved);
    for (auto it = previous.rbegin(); it != previous.rend(); ++it) {
        if (it->second)
            m_vars[it->first] = *it->second;
        else
            m_vars.erase(it->first);
    }
    m_exit_note = false;
    return status;
}

// Redirections left to right (XCU 2.7). With `saved`, each descriptor's
// old self is kept above k_saved_fd_min (or -1: it was closed) for
// restore_fds.
bool Shell::apply_redirections(const std::vector<Redirection>& redirections, std::vector<std::pair<int, int>>* saved)
{
    for (const Redirection& r : redirections) {
        std::string target = expand_single(r.target);
        if (saved) {
            int copy = fcntl(r.fd, F_DUPFD_CLOEXEC, k_saved_fd_min);
            if (copy < 0 && errno != EBADF) { // EBADF: not open, and closed again afterwards
                std::fprintf(stderr, "sh: %d: cannot save: %s\n", r.fd, std::strerror(errno));
                return false;
            }
            saved->emplace_back(r.fd, copy);
        }
        int fd = -1;
        if (r.op == RedirOp::DupIn || r.op == RedirOp::DupOut) {
            if (target == "-") {
                close(r.fd);
                continue;
            }
            if (!parse_fd(target, fd)) {
                std::fprintf(stderr, "sh: %s: bad file descriptor number\n", target.c_str());
                return false;
            }
            if (fd != r.fd && dup2(fd, r.fd) < 0) {
                std::fprintf(stderr, "sh: %d: %s\n", fd, std::strerror(errno));
                return false;
            }
            continue;
        }
        int flags = r.op == RedirOp::In ? O_RDONLY
            : r.op == RedirOp::Out      ? O_WRONLY | O_CREAT | O_TRUNC
                                        : O_WRONLY | O_CREAT | O_APPEND;
        fd = open(target.c_str(), flags | O_CLOEXEC, 0666);
        if (fd < 0) {
            std::fprintf(stderr, "sh: %s: %s\n", target.c_str(), std::strerror(errno));
            return false;
        }
        move_fd(fd, r.fd);
    }
    return true;
}

void Shell::restore_fds(std::vector<std::pair<int, int>>& saved)
{
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
        auto [fd, copy] = *it;
        if (copy >= 0) {
            dup2(copy, fd);
            close(copy);
        } else {
            close(fd);
        }
    }
    saved.clear();
}

// One process of a foreground pipeline ended with `wait_status`: its
// share of the notes ("sh: killed by SIGSEGV"; nothing for SIGINT and
// SIGPIPE, which the user or the pipe's reader caused).
void Shell::note_status(int wait_status, bool last)
{
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        if (sig == SIGINT) {
            if (m_mode.interactive && last)
                std::fputc('\n', stderr); // after the terminal's "^C"
        } else if (sig != SIGPIPE) {
            const char* abbrev = sigabbrev_np(sig);
            if (abbrev)
                std::fprintf(stderr, "sh: killed by SIG%s\n", abbrev);
            else
                std::fprintf(stderr, "sh: killed by signal %d\n", sig);
        }
    }
    if (last) {
        int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 0;
        m_exit_note = WIFEXITED(wait_status) && code != 0 && code != k_status_not_found && code != k_status_cannot_exec;
    }
}

} // namespace box::sh
