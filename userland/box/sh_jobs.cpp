// Jobs: waiting for the foreground pipeline, the table of background and
// stopped pipelines, their reports, and the terminal's foreground process
// group (glibc manual, "Implementing a Job Control Shell"). Job control
// is on only when the interactive shell can make itself the terminal's
// foreground group; without it (no terminal, or a kernel without
// process groups) everything runs in the shell's group.
#include "box/sh.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace box::sh {
namespace {

int exit_code(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status); // as every POSIX shell reports it
    return 0;
}

std::string describe_end(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status) == 0 ? "Done" : "Exit " + std::to_string(WEXITSTATUS(wait_status));
    return strsignal(WTERMSIG(wait_status));
}

} // namespace

void Shell::init_job_control()
{
    // The shell itself survives ^C, ^\ and ^Z, and may set the terminal's
    // group while not in it; children reset these (become_child).
    for (int sig : {SIGINT, SIGQUIT, SIGTSTP, SIGTTOU})
        signal(sig, SIG_IGN);
    if (tcgetpgrp(STDIN_FILENO) < 0)
        return; // not our controlling terminal, or no such ioctl
    pid_t old_group = getpgrp();
    setpgid(0, 0); // EPERM for a session leader, which leads its group already
    if (tcsetpgrp(STDIN_FILENO, getpgrp()) != 0) {
        if (getpgrp() != old_group)
            setpgid(0, old_group);
        return;
    }
    m_job_control = true;
    m_shell_pgid = getpgrp();
}

void Shell::give_terminal(pid_t pgid)
{
    if (m_job_control && pgid > 0)
        tcsetpgrp(STDIN_FILENO, pgid);
}

// Waits for every process of a foreground job; its status is the last
// one's. A stopped job (^Z) goes to the table instead.
int Shell::wait_foreground(Job& job)
{
    give_terminal(job.pgid);
    bool stopped = false;
    for (size_t i = 0; i < job.pids.size() && !stopped; ++i) {
        if (job.done[i])
            continue;
        int wait_status = 0;
        pid_t got;
        while ((got = waitpid(job.pids[i], &wait_status, m_job_control ? WUNTRACED : 0)) < 0 && errno == EINTR) {
        }
        if (got > 0 && WIFSTOPPED(wait_status)) {
            stopped = true;
            break;
        }
        job.done[i] = true;
        job.statuses[i] = got > 0 ? wait_status : 0;
        note_status(job.statuses[i], i + 1 == job.pids.size());
    }
    give_terminal(m_shell_pgid);
    if (stopped) {
        job.stopped = true;
        if (m_mode.interactive)
            std::fputc('\n', stderr); // after the terminal's "^Z"
        add_job(job);
        m_exit_note = false;
        return 128 + SIGTSTP;
    }
    return exit_code(job.statuses.back());
}

int Shell::add_job(Job job)
{
    if (job.number == 0) {
        job.number = 1;
        for (const Job& other : m_jobs)
            job.number = std::max(job.number, other.number + 1);
    }
    if (job.statuses.size() != job.pids.size()) {
        job.statuses.assign(job.pids.size(), 0);
        job.done.assign(job.pids.size(), false);
    }
    if (m_mode.notes) {
        if (job.stopped)
            std::fprintf(stderr, "[%d]+ Stopped  %s\n", job.number, job.text.c_str());
        else
            std::fprintf(stderr, "[%d] %d\n", job.number, int(job.pids.back()));
    }
    m_last_background = job.pids.back();
    int number = job.number;
    m_jobs.push_back(std::move(job));
    std::sort(m_jobs.begin(), m_jobs.end(), [](const Job& a, const Job& b) { return a.number < b.number; });
    return number;
}

// "%N", "%%", "%+" or nothing: the newest job; a PID: the job holding it.
Job* Shell::find_job(const std::string& spec)
{
    if (m_jobs.empty())
        return nullptr;
    if (spec.empty() || spec == "%%" || spec == "%+")
        return &m_jobs.back();
    bool percent = spec[0] == '%';
    std::string digits = percent ? spec.substr(1) : spec;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9)
        return nullptr;
    int n = std::stoi(digits);
    for (Job& job : m_jobs) {
        if (percent ? job.number == n : std::find(job.pids.begin(), job.pids.end(), n) != job.pids.end())
            return &job;
    }
    return nullptr;
}

void Shell::remove_job(int number)
{
    std::erase_if(m_jobs, [number](const Job& job) { return job.number == number; });
}

void Shell::reap_jobs()
{
    for (size_t j = 0; j < m_jobs.size();) {
        Job& job = m_jobs[j];
        for (size_t i = 0; i < job.pids.size(); ++i) {
            if (job.done[i])
                continue;
            int wait_status = 0;
            pid_t got = waitpid(job.pids[i], &wait_status, WNOHANG | (m_job_control ? WUNTRACED | WCONTINUED : 0));
            if (got == 0)
                continue;
            if (got > 0 && WIFSTOPPED(wait_status)) {
                job.stopped = true;
            } else if (got > 0 && WIFCONTINUED(wait_status)) {
                job.stopped = false;
            } else {
                job.done[i] = true;
                job.statuses[i] = got > 0 ? wait_status : 0;
            }
        }
        if (std::find(job.done.begin(), job.done.end(), false) != job.done.end()) {
            ++j;
            continue;
        }
        if (m_mode.notes)
            std::fprintf(stderr, "[%d]+ %s  %s\n", job.number, describe_end(job.statuses.back()).c_str(),
                         job.text.c_str());
        m_jobs.erase(m_jobs.begin() + long(j));
    }
}

int Shell::builtin_jobs(std::vector<std::string>&)
{
    reap_jobs();
    for (const Job& job : m_jobs)
        std::printf("[%d]+ %s  %s\n", job.number, job.stopped ? "Stopped" : "Running", job.text.c_str());
    return 0;
}

int Shell::builtin_fg(std::vector<std::string>& args)
{
    Job* found = find_job(args.size() > 1 ? args[1] : "");
    if (!found) {
        std::fprintf(stderr, "sh: fg: %s: no such job\n", args.size() > 1 ? args[1].c_str() : "current");
        return 1;
    }
    Job job = *found;
    remove_job(job.number);
    std::fprintf(stderr, "%s\n", job.text.c_str());
    job.stopped = false;
    give_terminal(job.pgid);
    kill(job.pgid > 0 ? -job.pgid : job.pids.back(), SIGCONT);
    return wait_foreground(job);
}

int Shell::builtin_bg(std::vector<std::string>& args)
{
    Job* job = find_job(args.size() > 1 ? args[1] : "");
    if (!job) {
        std::fprintf(stderr, "sh: bg: %s: no such job\n", args.size() > 1 ? args[1].c_str() : "current");
        return 1;
    }
    job->stopped = false;
    kill(job->pgid > 0 ? -job->pgid : job->pids.back(), SIGCONT);
    std::fprintf(stderr, "[%d]+ %s &\n", job->number, job->text.c_str());
    return 0;
}

// wait [JOB|PID...]: without operands every job, status 0 (XCU wait).
int Shell::builtin_wait(std::vector<std::string>& args)
{
    std::vector<int> numbers;
    int status = 0;
    if (args.size() == 1) {
        for (const Job& job : m_jobs)
            numbers.push_back(job.number);
    }
    for (size_t a = 1; a < args.size(); ++a) {
        Job* job = find_job(args[a]);
        if (!job) {
            std::fprintf(stderr, "sh: wait: %s: no such job\n", args[a].c_str());
            status = k_status_not_found;
            continue;
        }
        numbers.push_back(job->number);
    }
    for (int number : numbers) {
        Job* job = find_job("%" + std::to_string(number));
        for (size_t i = 0; i < job->pids.size(); ++i) {
            if (job->done[i])
                continue;
            int wait_status = 0;
            pid_t got;
            while ((got = waitpid(job->pids[i], &wait_status, 0)) < 0 && errno == EINTR) {
            }
            job->done[i] = true;
            job->statuses[i] = got > 0 ? wait_status : 0;
        }
        if (args.size() > 1)
            status = exit_code(job->statuses.back());
        remove_job(number);
    }
    return status;
}

// kill as a builtin only to understand job specs: every %N becomes its
// process group (-PGID after "--") or its last pid, then /bin/kill does
// the rest (signal names, -l, messages).
int Shell::builtin_kill(std::vector<std::string>& args)
{
    std::vector<std::string> argv{"kill"};
    bool separated = false;
    std::vector<std::string> targets;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--")
            separated = true;
        if (!a.empty() && a[0] == '%') {
            Job* job = find_job(a);
            if (!job) {
                std::fprintf(stderr, "sh: kill: %s: no such job\n", a.c_str());
                return 1;
            }
            targets.push_back(job->pgid > 0 ? "-" + std::to_string(job->pgid) : std::to_string(job->pids.back()));
        } else if (targets.empty()) {
            argv.push_back(a);
        } else {
            targets.push_back(a);
        }
    }
    if (!targets.empty() && !separated)
        argv.push_back("--");
    argv.insert(argv.end(), targets.begin(), targets.end());
    pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "sh: kill: fork: %s\n", std::strerror(errno));
        return 1;
    }
    if (pid == 0) {
        std::vector<char*> v;
        for (auto& s : argv)
            v.push_back(s.data());
        v.push_back(nullptr);
        execvp("kill", v.data());
        std::fprintf(stderr, "sh: kill: %s\n", std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace box::sh
