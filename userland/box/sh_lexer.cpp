// The shell's tokenizer (POSIX XCU 2.3, 2.2 quoting, 2.6.1-2.6.2 for the
// parts of words it recognizes): splits source text into operators,
// IO numbers and words, each word a list of literal and parameter pieces
// that sh_expand.cpp turns into fields when the command runs.
#include "box/sh.h"

#include <cctype>
#include <cstring>

namespace box::sh {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Characters that end an unquoted word (XCU 2.2: the metacharacters).
bool ends_word(char c) { return std::strchr(" \t\n;&|<>()", c) != nullptr; }

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
public:
    explicit Lexer(std::string_view src)
        : m_src(src)
    {
    }

    LexResult run()
    {
        LexResult result{ParseStatus::Complete, {}, {}};
        while (m_status == ParseStatus::Complete) {
            bool continued = false; // a line ends in '\': more must come
            while (m_pos < m_src.size()) {
                if (is_blank(m_src[m_pos])) {
                    ++m_pos;
                } else if (m_src.substr(m_pos, 2) == "\\\n") {
                    m_pos += 2;
                    continued = true;
                    continue;
                } else {
                    break;
                }
                continued = false;
            }
            if (m_pos >= m_src.size() && continued) {
                incomplete("unexpected end of file after \\");
                break;
            }
            if (m_pos >= m_src.size()) {
                result.tokens.push_back(Token{TokenKind::End, {}, -1, m_pos, m_pos});
                break;
            }
            if (m_src[m_pos] == '#') {
                while (m_pos < m_src.size() && m_src[m_pos] != '\n')
                    ++m_pos;
                continue;
            }
            size_t begin = m_pos;
            Token token{TokenKind::Word, {}, -1, begin, begin};
            if (!operator_token(token) && !io_number(token))
                word(token.word);
            token.end = m_pos;
            result.tokens.push_back(std::move(token));
        }
        result.status = m_status;
        result.error = m_error;
        return result;
    }

private:
    bool operator_token(Token& token)
    {
        struct Op {
            const char* text;
            TokenKind kind;
        };
        // Longest first.
        static constexpr Op k_ops[] = {
            {"&&", TokenKind::AndIf}, {"||", TokenKind::OrIf},   {">>", TokenKind::DGreat},
            {">&", TokenKind::GreatAnd}, {"<&", TokenKind::LessAnd}, {"\n", TokenKind::Newline},
            {"|", TokenKind::Pipe},   {"&", TokenKind::Amp},     {";", TokenKind::Semi},
            {"<", TokenKind::Less},   {">", TokenKind::Great},
        };
        std::string_view rest = m_src.substr(m_pos);
        if (rest.starts_with("<<")) {
            fail("here-documents (<<) are not supported");
            return true;
        }
        if (rest.starts_with("(") || rest.starts_with(")")) {
            fail("subshells ( ) are not supported");
            return true;
        }
        for (const Op& op : k_ops) {
            if (rest.starts_with(op.text)) {
                token.kind = op.kind;
                m_pos += std::strlen(op.text);
                return true;
            }
        }
        return false;
    }

    // Digits directly before '<' or '>' name the descriptor (XCU 2.10.1).
    bool io_number(Token& token)
    {
        size_t end = m_pos;
        while (end < m_src.size() && std::isdigit(static_cast<unsigned char>(m_src[end])))
            ++end;
        if (end == m_pos || end - m_pos > 4 || end >= m_src.size() || (m_src[end] != '<' && m_src[end] != '>'))
            return false;
        token.kind = TokenKind::IoNumber;
        token.io_number = std::stoi(std::string(m_src.substr(m_pos, end - m_pos)));
        m_pos = end;
        return true;
    }

    void word(Word& word)
    {
        while (m_status == ParseStatus::Complete && m_pos < m_src.size() && !ends_word(m_src[m_pos])) {
            char c = m_src[m_pos];
            if (c == '\\') {
                if (m_pos + 1 >= m_src.size())
                    return incomplete("unexpected end of file after \\");
                if (m_src[m_pos + 1] != '\n')
                    literal(word, m_src[m_pos + 1], true);
                m_pos += 2;
                if (m_pos >= m_src.size() && m_src[m_pos - 1] == '\n')
                    return incomplete("unexpected end of file after \\");
            } else if (c == '\'') {
                auto close = m_src.find('\'', m_pos + 1);
                if (close == std::string_view::npos)
                    return incomplete("unterminated '");
                literal(word, m_src.substr(m_pos + 1, close - m_pos - 1), true);
                m_pos = close + 1;
            } else if (c == '"') {
                double_quoted(word);
            } else if (c == '$') {
                dollar(word, false);
            } else if (c == '~' && word.segments.empty() && (m_pos + 1 >= m_src.size() || m_src[m_pos + 1] == '/' || ends_word(m_src[m_pos + 1]))) {
                word.segments.push_back(Segment{Segment::Kind::Tilde, {}, false});
                ++m_pos;
            } else {
                literal(word, c, false);
                ++m_pos;
            }
        }
    }

    // "...": \ keeps its meaning only before $ ` " \ and newline (XCU 2.2.3).
    void double_quoted(Word& word)
    {
        ++m_pos;
        size_t segments_before = word.segments.size();
        for (;;) {
            if (m_pos >= m_src.size())
                return incomplete("unterminated \"");
            char c = m_src[m_pos];
            if (c == '"') {
                ++m_pos;
                // "" is still a word; "$@" without parameters is not.
                if (word.segments.size() == segments_before)
                    literal(word, "", true);
                return;
            }
            if (c == '\\' && m_pos + 1 < m_src.size() && std::strchr("$`\"\\\n", m_src[m_pos + 1])) {
                if (m_src[m_pos + 1] != '\n')
                    literal(word, m_src[m_pos + 1], true);
                m_pos += 2;
            } else if (c == '$') {
                dollar(word, true);
                if (m_status != ParseStatus::Complete)
                    return;
            } else {
                literal(word, c, true);
                ++m_pos;
            }
        }
    }

    // $NAME, ${NAME}, $0..$9, ${10}, $? $$ $# $@ $* $! (XCU 2.6.2, 2.5.2);
    // a '$' before anything else is itself.
    void dollar(Word& word, bool quoted)
    {
        size_t start = m_pos + 1;
        if (start >= m_src.size()) {
            literal(word, '$', quoted);
            m_pos = start;
            return;
        }
        char c = m_src[start];
        std::string name;
        if (c == '{') {
            auto close = m_src.find('}', start + 1);
            if (close == std::string_view::npos)
                return incomplete("unterminated ${");
            name = std::string(m_src.substr(start + 1, close - start - 1));
            bool digits = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
            bool special = name.size() == 1 && std::strchr("?$#@*!", name[0]);
            if (!Shell::is_name(name) && !digits && !special)
                return fail("bad substitution: ${" + name + "}");
            m_pos = close + 1;
        } else if (is_name_start(c)) {
            size_t end = start;
            while (end < m_src.size() && is_name_char(m_src[end]))
                ++end;
            name = std::string(m_src.substr(start, end - start));
            m_pos = end;
        } else if (std::isdigit(static_cast<unsigned char>(c)) || std::strchr("?$#@*!", c)) {
            name = std::string(1, c);
            m_pos = start + 1;
        } else {
            literal(word, '$', quoted);
            m_pos = start;
            return;
        }
        word.segments.push_back(Segment{Segment::Kind::Param, std::move(name), quoted});
    }

    static void literal(Word& word, std::string_view text, bool quoted)
    {
        if (!word.segments.empty() && word.segments.back().kind == Segment::Kind::Literal && word.segments.back().quoted == quoted) {
            word.segments.back().text.append(text);
            return;
        }
        if (text.empty() && !quoted)
            return;
        word.segments.push_back(Segment{Segment::Kind::Literal, std::string(text), quoted});
    }
    static void literal(Word& word, char c, bool quoted) { literal(word, std::string_view(&c, 1), quoted); }

    void incomplete(std::string message)
    {
        m_status = ParseStatus::Incomplete;
        m_error = std::move(message);
    }
    void fail(std::string message)
    {
        m_status = ParseStatus::Error;
        m_error = std::move(message);
    }

    std::string_view m_src;
    size_t m_pos = 0;
    ParseStatus m_status = ParseStatus::Complete;
    std::string m_error;
};

} // namespace

LexResult lex(std::string_view source) { return Lexer(source).run(); }

bool Shell::is_name(std::string_view s)
{
    if (s.empty() || !is_name_start(s[0]))
        return false;
    for (char c : s)
        if (!is_name_char(c))
            return false;
    return true;
}

} // namespace box::sh
