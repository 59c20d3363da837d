// The shell's variables and word expansion (XCU 2.6): tilde, parameters,
// then field splitting of the unquoted expansions on blanks and newlines
// (IFS is always " \t\n"). No command substitution, arithmetic or
// pathname expansion.
#include "box/sh.h"

#include <unistd.h>
#include <utility>

namespace box::sh {
namespace {

bool is_ifs(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// Builds fields from pieces: quoted text joins the current field (and
// makes it exist, even empty); unquoted expansion text splits it.
class Fields {
public:
    void quoted(std::string_view text)
    {
        m_current.append(text);
        m_started = true;
    }

    void split(std::string_view text)
    {
        for (char c : text) {
            if (is_ifs(c)) {
                end_field();
            } else {
                m_current.push_back(c);
                m_started = true;
            }
        }
    }

    // Ends the current field, if there is one.
    void end_field()
    {
        if (m_started)
            m_fields.push_back(std::exchange(m_current, {}));
        m_started = false;
    }

    // "$@" between two parameters: the field ends even if empty.
    void force_break()
    {
        m_fields.push_back(std::exchange(m_current, {}));
        m_started = true;
    }

    std::vector<std::string>& finish()
    {
        end_field();
        return m_fields;
    }

private:
    std::vector<std::string> m_fields;
    std::string m_current;
    bool m_started = false;
};

std::string join(const std::vector<std::string>& words)
{
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i)
            out.push_back(' ');
        out += words[i];
    }
    return out;
}

} // namespace

Shell::Shell(ShellMode mode)
    : m_mode(mode)
    , m_shell_pid(getpid())
{
    for (char** env = environ; env && *env; ++env) {
        std::string_view entry(*env);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos || !is_name(entry.substr(0, eq)))
            continue;
        m_vars[std::string(entry.substr(0, eq))] = Var{std::string(entry.substr(eq + 1)), true};
    }
    // $PWD names the working directory (XCU 2.5.3), exported as by other shells.
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) {
        Var& pwd = m_vars["PWD"];
        pwd.value = cwd;
        pwd.exported = true;
    }
    if (m_mode.interactive)
        init_job_control();
}

void Shell::set_positional(std::string arg0, std::vector<std::string> args)
{
    m_arg0 = std::move(arg0);
    m_args = std::move(args);
}

std::optional<std::string> Shell::var(const std::string& name) const
{
    auto it = m_vars.find(name);
    if (it == m_vars.end())
        return std::nullopt;
    return it->second.value;
}

void Shell::set_var(const std::string& name, std::string value) { m_vars[name].value = std::move(value); }

std::optional<std::string> Shell::param(const std::string& name) const
{
    if (name == "?")
        return std::to_string(m_status);
    if (name == "$")
        return std::to_string(m_shell_pid);
    if (name == "#")
        return std::to_string(m_args.size());
    if (name == "!")
        return m_last_background ? std::optional(std::to_string(m_last_background)) : std::nullopt;
    if (name == "@" || name == "*")
        return join(m_args);
    if (name.find_first_not_of("0123456789") == std::string::npos) {
        size_t n = std::stoul(name);
        if (n == 0)
            return m_arg0;
        return n <= m_args.size() ? std::optional(m_args[n - 1]) : std::nullopt;
    }
    return var(name);
}

std::vector<std::string> Shell::expand_words(const std::vector<Word>& words) const
{
    Fields fields;
    for (const Word& word : words) {
        for (const Segment& segment : word.segments) {
            switch (segment.kind) {
            case Segment::Kind::Literal:
                fields.quoted(segment.text); // literal text never splits
                break;
            case Segment::Kind::Tilde:
                fields.quoted(var("HOME").value_or("~"));
                break;
            case Segment::Kind::Param:
                if (segment.text == "@" || (segment.text == "*" && !segment.quoted)) {
                    // Each positional parameter is its own field (XCU 2.5.2).
                    for (size_t i = 0; i < m_args.size(); ++i) {
                        if (segment.quoted) {
                            if (i)
                                fields.force_break();
                            fields.quoted(m_args[i]);
                        } else {
                            if (i)
                                fields.end_field();
                            fields.split(m_args[i]);
                        }
                    }
                } else if (segment.quoted) {
                    fields.quoted(param(segment.text).value_or(""));
                } else {
                    fields.split(param(segment.text).value_or(""));
                }
                break;
            }
        }
        fields.end_field();
    }
    return std::move(fields.finish());
}

std::string Shell::expand_single(const Word& word) const
{
    std::string out;
    for (const Segment& segment : word.segments) {
        if (segment.kind == Segment::Kind::Literal)
            out += segment.text;
        else if (segment.kind == Segment::Kind::Tilde)
            out += var("HOME").value_or("~");
        else
            out += param(segment.text).value_or("");
    }
    return out;
}

std::vector<std::string> Shell::child_environment(const std::vector<std::pair<std::string, std::string>>& extra) const
{
    std::map<std::string, std::string> env;
    for (const auto& [name, v] : m_vars)
        if (v.exported && v.value)
            env[name] = *v.value;
    for (const auto& [name, value] : extra)
        env[name] = value;
    std::vector<std::string> out;
    for (const auto& [name, value] : env)
        out.push_back(name + "=" + value);
    return out;
}

} // namespace box::sh
