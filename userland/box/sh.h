// The shell's pieces (sh.cpp, sh_lexer.cpp, sh_parser.cpp, sh_expand.cpp,
// sh_exec.cpp, sh_jobs.cpp, sh_builtins.cpp): the syntax tree the parser
// builds and the Shell that runs it. Grammar (POSIX XCU 2.9, a subset):
//
//   program   := linebreak (and_or (';' | '&' | '\n') linebreak)*
//   and_or    := pipeline (('&&' | '||') linebreak pipeline)*
//   pipeline  := ['!'] command ('|' linebreak command)*
//   command   := (NAME=value)* (word | redirection)+ | (NAME=value)+
//   redirection := [N] ('<' | '>' | '>>' | '<&' | '>&') word
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace box::sh {

constexpr int k_status_syntax = 2;        // POSIX 2.8.1: syntax error
constexpr int k_status_cannot_exec = 126; // found, but not executable
constexpr int k_status_not_found = 127;   // POSIX 2.8.2: command not found

// ---- Syntax (sh_lexer.cpp, sh_parser.cpp) ----

// A piece of a word: text to keep as it is, a parameter to expand ($NAME,
// ${NAME}, $?, $$, $#, $@, $*, $!, $0..$9) or a leading ~ ($HOME).
// `quoted` says whether the piece stood inside quotes: only unquoted
// expansions are split into fields.
struct Segment {
    enum class Kind { Literal, Param, Tilde };
    Kind kind;
    std::string text; // the literal text, or the parameter's name
    bool quoted;
};

struct Word {
    std::vector<Segment> segments;
};

enum class RedirOp { In, Out, Append, DupIn, DupOut };

struct Redirection {
    int fd;
    RedirOp op;
    Word target;
};

struct Assignment {
    std::string name;
    Word value;
};

struct SimpleCommand {
    std::vector<Assignment> assignments;
    std::vector<Word> words;
    std::vector<Redirection> redirections;
};

struct Pipeline {
    bool negated = false;
    std::vector<SimpleCommand> commands;
};

enum class Connector { And, Or };

struct AndOrList {
    std::vector<Pipeline> pipelines;
    std::vector<Connector> connectors; // connectors[i] joins pipelines[i] and [i + 1]
    bool background = false;
    std::string text; // the source, for job reports
};

using Program = std::vector<AndOrList>;

enum class TokenKind {
    Word, IoNumber, Newline, End,
    Pipe, OrIf, Amp, AndIf, Semi,
    Less, Great, DGreat, LessAnd, GreatAnd,
};

struct Token {
    TokenKind kind;
    Word word;          // TokenKind::Word
    int io_number = -1; // TokenKind::IoNumber
    size_t begin = 0, end = 0; // offsets in the source
};

// Incomplete: the source ends inside a quote, after '|', '&&', '||' or a
// trailing backslash: more lines may complete it.
enum class ParseStatus { Complete, Incomplete, Error };

struct LexResult {
    ParseStatus status;
    std::vector<Token> tokens;
    std::string error;
};

struct ParseResult {
    ParseStatus status;
    Program program;
    std::string error;
};

LexResult lex(std::string_view source);
ParseResult parse(std::string_view source);

// ---- Running (sh_exec.cpp, sh_expand.cpp, sh_jobs.cpp, sh_builtins.cpp) ----

struct ShellMode {
    bool interactive = false; // reading a terminal: prompts, job control
    bool notes = false;       // reading stdin: "sh: exit N", "[N] PID", "[N]+ Done"
};

// A pipeline started by the shell: in the background, or stopped.
struct Job {
    int number = 0;
    pid_t pgid = 0; // 0 without job control
    std::vector<pid_t> pids;
    std::vector<int> statuses; // wait statuses, valid where done[i]
    std::vector<bool> done;
    bool stopped = false;
    std::string text;
};

class Shell {
public:
    explicit Shell(ShellMode mode);

    void set_positional(std::string arg0, std::vector<std::string> args);
    void run_program(const Program& program);
    // Reaps finished background jobs; reports them in notes mode.
    void reap_jobs();
    void syntax_error(const std::string& message);

    int status() const { return m_status; }
    bool exit_requested() const { return m_exit_requested; }
    const ShellMode& mode() const { return m_mode; }

    // Variables (sh_expand.cpp).
    std::optional<std::string> var(const std::string& name) const;
    void set_var(const std::string& name, std::string value);
    static bool is_name(std::string_view s);

private:
    struct Var {
        std::optional<std::string> value; // nullopt: exported but never set
        bool exported = false;
    };
    using Builtin = int (Shell::*)(std::vector<std::string>&);

    // sh_expand.cpp
    std::vector<std::string> expand_words(const std::vector<Word>& words) const;
    std::string expand_single(const Word& word) const;
    std::optional<std::string> param(const std::string& name) const;
    std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra) const;

    // sh_exec.cpp
    void run_and_or(const AndOrList& list);
    int run_pipeline(const Pipeline& pipeline, bool background, const std::string& text);
    int run_in_shell(const SimpleCommand& command, std::vector<std::string>& words, Builtin builtin);
    void start_async_list(const AndOrList& list);
    [[noreturn]] void run_child(const SimpleCommand& command, std::vector<std::string>& words, pid_t pgid,
                                bool background, int in_fd, int out_fd);
    void become_child(pid_t pgid, bool background);
    bool apply_redirections(const std::vector<Redirection>& redirections, std::vector<std::pair<int, int>>* saved);
    static void restore_fds(std::vector<std::pair<int, int>>& saved);
    void note_status(int wait_status, bool last);

    // sh_jobs.cpp
    void init_job_control();
    int wait_foreground(Job& job);
    int add_job(Job job);
    Job* find_job(const std::string& spec);
    void remove_job(int number);
    void give_terminal(pid_t pgid);

    // sh_builtins.cpp
    static Builtin find_builtin(const std::string& name);
    int builtin_cd(std::vector<std::string>& args);
    int builtin_pwd(std::vector<std::string>& args);
    int builtin_exit(std::vector<std::string>& args);
    int builtin_export(std::vector<std::string>& args);
    int builtin_unset(std::vector<std::string>& args);
    int builtin_shift(std::vector<std::string>& args);
    int builtin_colon(std::vector<std::string>& args);
    int builtin_wait(std::vector<std::string>& args);
    int builtin_jobs(std::vector<std::string>& args);
    int builtin_fg(std::vector<std::string>& args);
    int builtin_bg(std::vector<std::string>& args);
    int builtin_kill(std::vector<std::string>& args);

    ShellMode m_mode;
    int m_status = 0;
    bool m_exit_requested = false;
    bool m_exit_note = false; // the last status came from a program's exit(N), N != 0
    std::map<std::string, Var> m_vars;
    std::string m_arg0;
    std::vector<std::string> m_args;
    pid_t m_shell_pid;
    pid_t m_last_background = 0; // $!
    bool m_job_control = false;
    bool m_in_child = false; // a forked subshell: no job reports, no terminal
    pid_t m_shell_pgid = 0;
    std::vector<Job> m_jobs;
};

} // namespace box::sh
