// The shell's parser: tokens (sh_lexer.cpp) to lists of and-or lists of
// pipelines of simple commands (the grammar is at the top of sh.h). A
// source that ends where more must follow ("a |", "a &&") is Incomplete,
// so the reader can ask for another line.
#include "box/sh.h"

namespace box::sh {
namespace {

const char* describe(TokenKind kind)
{
    switch (kind) {
    case TokenKind::Word: return "word";
    case TokenKind::IoNumber: return "number";
    case TokenKind::Newline: return "newline";
    case TokenKind::End: return "end of file";
    case TokenKind::Pipe: return "|";
    case TokenKind::OrIf: return "||";
    case TokenKind::Amp: return "&";
    case TokenKind::AndIf: return "&&";
    case TokenKind::Semi: return ";";
    case TokenKind::Less: return "<";
    case TokenKind::Great: return ">";
    case TokenKind::DGreat: return ">>";
    case TokenKind::LessAnd: return "<&";
    case TokenKind::GreatAnd: return ">&";
    }
    return "?";
}

bool is_unquoted(const Word& word, std::string_view text)
{
    return word.segments.size() == 1 && word.segments[0].kind == Segment::Kind::Literal && !word.segments[0].quoted &&
        word.segments[0].text == text;
}

// NAME=value with NAME unquoted (XCU 2.9.1 step 1); the value is the rest.
std::optional<Assignment> as_assignment(const Word& word)
{
    if (word.segments.empty() || word.segments[0].kind != Segment::Kind::Literal || word.segments[0].quoted)
        return std::nullopt;
    const std::string& first = word.segments[0].text;
    auto eq = first.find('=');
    if (eq == std::string::npos || !Shell::is_name(std::string_view(first).substr(0, eq)))
        return std::nullopt;
    Assignment assignment{first.substr(0, eq), Word{{word.segments.begin(), word.segments.end()}}};
    std::string rest = first.substr(eq + 1);
    if (rest.empty())
        assignment.value.segments.erase(assignment.value.segments.begin());
    else
        assignment.value.segments[0].text = std::move(rest);
    return assignment;
}

class Parser {
public:
    Parser(std::string_view source, std::vector<Token> tokens)
        : m_source(source)
        , m_tokens(std::move(tokens))
    {
    }

    ParseResult run()
    {
        ParseResult result{ParseStatus::Complete, {}, {}};
        skip_newlines();
        while (ok() && peek() != TokenKind::End) {
            size_t begin = m_tokens[m_pos].begin;
            AndOrList list = and_or();
            if (!ok())
                break;
            list.text = std::string(m_source.substr(begin, m_tokens[m_pos].begin - begin));
            while (!list.text.empty() && (list.text.back() == ' ' || list.text.back() == '\t'))
                list.text.pop_back();
            TokenKind sep = peek();
            if (sep == TokenKind::Amp || sep == TokenKind::Semi) {
                list.background = sep == TokenKind::Amp;
                ++m_pos;
            } else if (sep != TokenKind::Newline && sep != TokenKind::End) {
                unexpected();
                break;
            }
            result.program.push_back(std::move(list));
            skip_newlines();
        }
        result.status = m_status;
        result.error = m_error;
        return result;
    }

private:
    AndOrList and_or()
    {
        AndOrList list;
        list.pipelines.push_back(pipeline());
        while (ok() && (peek() == TokenKind::AndIf || peek() == TokenKind::OrIf)) {
            list.connectors.push_back(peek() == TokenKind::AndIf ? Connector::And : Connector::Or);
            ++m_pos;
            more_must_follow();
            if (ok())
                list.pipelines.push_back(pipeline());
        }
        return list;
    }

    Pipeline pipeline()
    {
        Pipeline pipeline;
        if (peek() == TokenKind::Word && is_unquoted(m_tokens[m_pos].word, "!")) {
            pipeline.negated = true;
            ++m_pos;
        }
        pipeline.commands.push_back(command());
        while (ok() && peek() == TokenKind::Pipe) {
            ++m_pos;
            more_must_follow();
            if (ok())
                pipeline.commands.push_back(command());
        }
        return pipeline;
    }

    SimpleCommand command()
    {
        SimpleCommand command;
        bool any = false;
        while (ok()) {
            TokenKind kind = peek();
            if (kind == TokenKind::Word) {
                Word& word = m_tokens[m_pos++].word;
                auto assignment = command.words.empty() ? as_assignment(word) : std::nullopt;
                if (assignment)
                    command.assignments.push_back(std::move(*assignment));
                else
                    command.words.push_back(std::move(word));
            } else if (kind == TokenKind::IoNumber || is_redirection(kind)) {
                redirection(command);
            } else {
                break;
            }
            any = true;
        }
        if (ok() && !any)
            unexpected();
        return command;
    }

    static bool is_redirection(TokenKind kind)
    {
        return kind == TokenKind::Less || kind == TokenKind::Great || kind == TokenKind::DGreat ||
            kind == TokenKind::LessAnd || kind == TokenKind::GreatAnd;
    }

    void redirection(SimpleCommand& command)
    {
        int fd = -1;
        if (peek() == TokenKind::IoNumber)
            fd = m_tokens[m_pos++].io_number;
        Redirection redirection{fd, RedirOp::In, {}};
        switch (peek()) {
        case TokenKind::Less: redirection.op = RedirOp::In; break;
        case TokenKind::Great: redirection.op = RedirOp::Out; break;
        case TokenKind::DGreat: redirection.op = RedirOp::Append; break;
        case TokenKind::LessAnd: redirection.op = RedirOp::DupIn; break;
        case TokenKind::GreatAnd: redirection.op = RedirOp::DupOut; break;
        default: return unexpected();
        }
        if (fd < 0)
            fd = redirection.op == RedirOp::In || redirection.op == RedirOp::DupIn ? 0 : 1;
        redirection.fd = fd;
        ++m_pos;
        if (peek() != TokenKind::Word)
            return unexpected();
        redirection.target = std::move(m_tokens[m_pos++].word);
        command.redirections.push_back(std::move(redirection));
    }

    // After '|', '&&' or '||' a command must follow, maybe on a later line.
    void more_must_follow()
    {
        skip_newlines();
        if (peek() == TokenKind::End) {
            m_status = ParseStatus::Incomplete;
            m_error = "unexpected end of file";
        }
    }

    void unexpected()
    {
        m_status = ParseStatus::Error;
        m_error = std::string("unexpected ") + describe(peek());
    }

    void skip_newlines()
    {
        while (peek() == TokenKind::Newline)
            ++m_pos;
    }

    TokenKind peek() const { return m_tokens[m_pos].kind; }
    bool ok() const { return m_status == ParseStatus::Complete; }

    std::string_view m_source;
    std::vector<Token> m_tokens;
    size_t m_pos = 0;
    ParseStatus m_status = ParseStatus::Complete;
    std::string m_error;
};

} // namespace

ParseResult parse(std::string_view source)
{
    LexResult lexed = lex(source);
    if (lexed.status != ParseStatus::Complete)
        return ParseResult{lexed.status, {}, lexed.error};
    return Parser(source, std::move(lexed.tokens)).run();
}

} // namespace box::sh
