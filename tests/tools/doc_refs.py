#!/usr/bin/env python3
"""The docs a newcomer follows name only things that exist.

For each Markdown file given (default: the README and every page of docs/),
every `code span` that looks like a path (and every path of the tree in
a fenced block) (has a slash, or ends in a source
extension) must name a file or folder of the tree -- a bare file name
anywhere in it, `a/b.{hpp,cpp}` each of its expansions -- and every code
span that looks like a call (`name(...)`, `Type::name`) must name an
identifier that the sources (arch/, kernel/, lib/, drivers/, userland/,
tests/) contain. Prints each dangling reference; exit 1 if there is one.

  doc_refs.py [FILE.md...]
  doc_refs.py --self-test      a planted dangling file and function are caught
"""
import pathlib
import re
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_DOCS = ["README.md", "docs/layout.md", "docs/processes.md", "docs/memory.md", "docs/boot.md",
                "docs/files.md", "docs/performance.md", "docs/robustness.md", "docs/boards.md"]
SOURCE_DIRS = ["arch", "kernel", "lib", "drivers", "userland", "tests"]
EXTENSIONS = (".cpp", ".hpp", ".S", ".h", ".py", ".def", ".inc", ".cmake", ".md", ".json", ".ld", ".sh")
SPAN = re.compile(r"`([^`\n]+)`")
CALL = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*::)*([A-Za-z_][A-Za-z0-9_]*)\(")
QUALIFIED = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*::)+([A-Za-z_][A-Za-z0-9_]*)$")


def expand(path):
    m = re.search(r"\{([^}]*)\}", path)
    if not m:
        return [path]
    return [p for alt in m.group(1).split(",") for p in expand(path[: m.start()] + alt + path[m.end():])]


class Tree:
    def __init__(self, root):
        self.root = root
        self.names = set()
        self.words = set()
        for folder in SOURCE_DIRS:
            for f in (root / folder).rglob("*"):
                if f.is_file():
                    self.names.add(f.name)
                    if f.suffix in EXTENSIONS:
                        self.words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.read_text(errors="replace")))
        for f in root.iterdir():
            self.names.add(f.name)

    def has_path(self, path):
        for p in expand(path.rstrip("/")):
            if "/" in p:
                # `lib/cpio`: a module, lib/cpio.hpp and .cpp.
                if not any((self.root / (p + ext)).exists() for ext in ("", ".hpp", ".cpp")):
                    return False
            elif p not in self.names:
                return False
        return True


# Other projects' paths the docs cite (Linux's headers): not ours to check.
FOREIGN = ("asm-generic/", "linux/", "uapi/", "include/")
TOP_LEVEL = {"arch", "kernel", "lib", "drivers", "userland", "tests", "docs", "cmake", "build"}


def looks_like_path(span):
    if span.startswith(("/", "-", ".", "build/")) or span.startswith(FOREIGN) or any(c in span for c in "*:<=$ "):
        return False  # options, other projects' paths, build products, patterns
    if re.search(r"(?<![a-z])[A-Z]{2,}(?![a-z])", span):
        return False  # a placeholder: tests/fuzz/NAME_fuzz.cpp
    if span.endswith(EXTENSIONS):
        return True
    return "/" in span and span.split("/", 1)[0] in TOP_LEVEL


FENCE = re.compile(r"^```.*?^```", re.M | re.S)
FENCED_PATH = re.compile(r"(?<![\w/.-])((?:arch|kernel|lib|drivers|userland|tests|docs)/[\w./{},-]*[\w}/])")


def references(text):
    # In pictures and listings (fenced blocks), the paths of the tree.
    for block in FENCE.finditer(text):
        for m in FENCED_PATH.finditer(block.group(0)):
            line = text.count("\n", 0, block.start() + m.start()) + 1
            if looks_like_path(m.group(1)):
                yield line, "path", m.group(1)
    for m in SPAN.finditer(text):
        span = m.group(1).strip()
        line = text.count("\n", 0, m.start()) + 1
        # "Linux's `kernel/fork.c`", "(xv6's `kernel/proc.c`)": another project's.
        if re.search(r"(Linux|xv6|SerenityOS|Zircon|seL4|Managarm|glibc|OpenSBI|QEMU)('s)?\W{0,3}$",
                     text[max(0, m.start() - 16):m.start()]):
            continue
        if " " in span and not CALL.match(span):
            continue
        if CALL.match(span):
            yield line, "call", CALL.match(span).group(1)
        elif QUALIFIED.match(span):
            yield line, "name", QUALIFIED.match(span).group(1)
        elif looks_like_path(span):
            yield line, "path", span


def check(tree, docs):
    problems = []
    for doc in docs:
        text = (tree.root / doc).read_text()
        for line, kind, ref in references(text):
            ok = tree.has_path(ref) if kind == "path" else ref in tree.words
            if not ok:
                problems.append(f"{doc}:{line}: `{ref}` ({kind}) names nothing in the tree")
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "kernel").mkdir()
        (root / "docs").mkdir()
        (root / "kernel" / "real.cpp").write_text("void real_function() {}\n")
        (root / "docs" / "d.md").write_text(
            "`kernel/real.cpp` has `real_function()`; `kernel/gone.cpp` and `gone_function()` do not exist,\n"
            "nor does `kernel::Thing::missing_member`.\n"
            "```\nentry -> kernel/real.cpp -> kernel/gone_too.cpp\n```\n")
        found = check(Tree(root), ["docs/d.md"])
        expected = ["kernel/gone.cpp", "gone_function", "missing_member", "kernel/gone_too.cpp"]
        ok = len(found) == len(expected) and all(any(e in f for f in found) for e in expected)
        print("\n".join(found))
        print("self-test:", "ok" if ok else "FAILED (expected exactly the four planted references)")
        return 0 if ok else 1


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        return self_test()
    docs = args or DEFAULT_DOCS
    problems = check(Tree(ROOT), docs)
    for p in problems:
        print(p)
    print(f"doc_refs: {len(problems)} dangling reference(s) in {', '.join(docs)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
