// pstree [-p] [-n] [-A|-U] [PID]: the process tree from /proc/*/stat
// (field 4, the parent), rooted at PID (by default 1, or every process
// whose parent is not there), as psmisc's pstree draws it:
//   init(1)-+-sh(2)---pstree(5)
//           `-spin(3)
// -p shows pids (and keeps identical siblings apart; without it they
// merge as "2*[spin]"); children are sorted by name, with -n by pid.
// Lines are drawn in ASCII unless -U or a UTF-8 locale ($LC_ALL,
// $LC_CTYPE, $LANG) asks for the box-drawing characters; -A forces ASCII.
#include "box/applets.h"
#include "box/procfs.h"
#include "box/util.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

namespace {

struct Glyphs {
    const char* single; // parent to its only child
    const char* first;  // parent to the first of several
    const char* middle; // the ones after it
    const char* last;
    const char* bar;    // continuing past a child's further lines
};

constexpr Glyphs k_ascii{"---", "-+-", " |-", " `-", " | "};
constexpr Glyphs k_utf8{"───", "─┬─", " ├─", " └─", " │ "};

struct Node {
    box::procfs::Stat stat;
    std::vector<int> children;
};

struct Tree {
    std::map<int, Node> nodes;
    const Glyphs* glyphs = &k_ascii;
    bool show_pids = false;
    // Drawn already: a parent loop in a corrupt /proc cannot recurse forever.
    mutable std::set<int> drawn;
};

// Columns a UTF-8 string takes (one per code point; no wide characters
// in command names here).
size_t display_width(std::string_view text)
{
    auto starts_code_point = [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; };
    return size_t(std::count_if(text.begin(), text.end(), starts_code_point));
}

std::vector<std::string> draw(const Tree& tree, int pid);

std::string label(const Tree& tree, const Node& node)
{
    if (tree.show_pids)
        return node.stat.comm + "(" + std::to_string(node.stat.pid) + ")";
    return node.stat.comm;
}

// "N*[" before the first line of a block, "]" after its last, its
// other lines shifted to match.
std::vector<std::string> repeated(std::vector<std::string> block, size_t count)
{
    std::string prefix = std::to_string(count) + "*[";
    for (size_t i = 0; i < block.size(); ++i)
        block[i] = (i == 0 ? prefix : std::string(prefix.size(), ' ')) + block[i];
    block.back() += "]";
    return block;
}

std::vector<std::string> draw(const Tree& tree, int pid)
{
    const Node& node = tree.nodes.at(pid);
    std::string own = label(tree, node);
    if (!tree.drawn.insert(pid).second)
        return {own};
    std::vector<std::vector<std::string>> blocks;
    for (int child : node.children)
        blocks.push_back(draw(tree, child));
    if (!tree.show_pids) {
        // Identical sibling subtrees merge into one "N*[...]".
        std::vector<std::vector<std::string>> merged;
        std::vector<size_t> counts;
        for (auto& block : blocks) {
            auto same = std::find(merged.begin(), merged.end(), block);
            if (same != merged.end()) {
                ++counts[size_t(same - merged.begin())];
            } else {
                merged.push_back(std::move(block));
                counts.push_back(1);
            }
        }
        blocks.clear();
        for (size_t i = 0; i < merged.size(); ++i)
            blocks.push_back(counts[i] > 1 ? repeated(std::move(merged[i]), counts[i]) : std::move(merged[i]));
    }
    if (blocks.empty())
        return {own};

    const Glyphs& g = *tree.glyphs;
    std::string indent(display_width(own), ' ');
    std::vector<std::string> lines;
    for (size_t k = 0; k < blocks.size(); ++k) {
        bool first = k == 0, last = k + 1 == blocks.size();
        const char* connector = blocks.size() == 1 ? g.single : first ? g.first : last ? g.last : g.middle;
        const std::string continuation = last ? "   " : g.bar;
        for (size_t i = 0; i < blocks[k].size(); ++i) {
            if (i == 0)
                lines.push_back((first ? own : indent) + connector + blocks[k][i]);
            else
                lines.push_back(indent + continuation + blocks[k][i]);
        }
    }
    return lines;
}

bool utf8_locale()
{
    for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
        const char* value = std::getenv(name);
        if (value && *value) {
            std::string v = value;
            for (char& c : v)
                c = char(std::tolower(static_cast<unsigned char>(c)));
            return v.find("utf-8") != std::string::npos || v.find("utf8") != std::string::npos;
        }
    }
    return false;
}

int usage()
{
    std::fprintf(stderr, "usage: pstree [-p] [-n] [-A|-U] [PID]\n");
    return 1;
}

} // namespace

int box::pstree_main(int argc, char** argv)
{
    Tree tree;
    tree.glyphs = utf8_locale() ? &k_utf8 : &k_ascii;
    bool by_pid = false;
    int opt;
    while ((opt = getopt(argc, argv, "pnAU")) != -1) {
        if (opt == 'p')
            tree.show_pids = true;
        else if (opt == 'n')
            by_pid = true;
        else if (opt == 'A')
            tree.glyphs = &k_ascii;
        else if (opt == 'U')
            tree.glyphs = &k_utf8;
        else
            return usage();
    }
    int root = 0;
    if (optind < argc) {
        std::string_view arg = argv[optind];
        auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), root);
        if (optind + 1 < argc || ec != std::errc{} || end != arg.data() + arg.size() || root <= 0)
            return usage();
    }

    for (int pid : procfs::list_pids())
        if (auto stat = procfs::read_stat(pid))
            tree.nodes[pid].stat = std::move(*stat);
    std::vector<int> roots;
    for (auto& [pid, node] : tree.nodes) {
        auto parent = tree.nodes.find(node.stat.ppid);
        if (parent != tree.nodes.end() && node.stat.ppid != pid)
            parent->second.children.push_back(pid);
        else if (root == 0)
            roots.push_back(pid);
    }
    for (auto& [pid, node] : tree.nodes) {
        std::sort(node.children.begin(), node.children.end(), [&](int a, int b) {
            const auto& sa = tree.nodes.at(a).stat;
            const auto& sb = tree.nodes.at(b).stat;
            if (by_pid || sa.comm == sb.comm)
                return a < b;
            return sa.comm < sb.comm;
        });
    }
    if (root != 0) {
        if (!tree.nodes.contains(root))
            return 1;
        roots = {root};
    } else if (tree.nodes.contains(1)) {
        roots = {1};
    }

    std::string out;
    for (int pid : roots)
        for (const auto& line : draw(tree, pid))
            out += line + "\n";
    if (!write_all(STDOUT_FILENO, out)) {
        report("pstree", "write");
        return 1;
    }
    return roots.empty() ? 1 : 0;
}
