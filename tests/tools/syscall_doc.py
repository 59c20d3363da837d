#!/usr/bin/env python3
"""The system-call table in docs/processes.md, generated from the one list
(kernel/syscall/syscalls.def).

    syscall_doc.py              rewrite the table between the markers
    syscall_doc.py --check      exit 1 with a diff if the doc is stale, or if
                                the list disagrees with itself, with the
                                handlers' files or with the fuzzer's table
    syscall_doc.py --self-test  show that --check catches each of those

Python 3, standard library only.
"""
import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEF = "kernel/syscall/syscalls.def"
DOC = "docs/processes.md"
FUZZ_TABLE = "userland/fuzz/syscall_table.cpp"
BEGIN = "<!-- syscall-table begin: generated from kernel/syscall/syscalls.def by tests/tools/syscall_doc.py -->"
END = "<!-- syscall-table end -->"

# family -> the file its handlers live in
FAMILY_FILES = {
    "process": "kernel/syscall/process.cpp",
    "memory": "kernel/syscall/memory.cpp",
    "time": "kernel/syscall/time.cpp",
    "files": "kernel/syscall/files.cpp",
    "paths": "kernel/syscall/paths.cpp",
    "signals": "kernel/syscall/signals.cpp",
    "sched": "kernel/syscall/sched.cpp",
    "poll": "kernel/syscall/poll.cpp",
    "futex": "kernel/syscall/futex.cpp",
    "system": "kernel/syscall/system.cpp",
    "credentials": "kernel/syscall/credentials.cpp",
    "shm": "kernel/syscall/shm.cpp",
    "timers": "kernel/syscall/timers.cpp",
    "signal_frame": "kernel/trap/signal_frame.cpp",
}
ATTRS = {"none": "", "no_restart": "never restarted after a signal handler", "eintr_final": "never restarted"}
# Parameters that are not taken from a register.
SPECIAL_PARAMS = {"Thread&", "Process&", "arch::TrapFrame&"}

ENTRY = re.compile(r"^(SYSCALL|ALIAS|MISSING)\((.*)\)\s*$")


class ListError(Exception):
    pass


def split_fields(text):
    """Split a macro's arguments at top-level commas (parentheses and
    string literals keep theirs)."""
    fields, depth, current, quoted, escaped = [], 0, "", False, False
    for ch in text:
        if quoted:
            current += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            fields.append(current.strip())
            current = ""
            continue
        current += ch
    fields.append(current.strip())
    return fields


def string_literal(field, where):
    if not (field.startswith('"') and field.endswith('"')):
        raise ListError(f"{where}: the note must be a string literal: {field}")
    return field[1:-1].replace('\\"', '"')


def parse_def(path):
    entries = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            m = ENTRY.match(line)
            where = f"{path}:{lineno}"
            if not m:
                raise ListError(f"{where}: not a SYSCALL/ALIAS/MISSING line: {line}")
            kind, fields = m.group(1), split_fields(m.group(2))
            want = {"SYSCALL": 7, "ALIAS": 6, "MISSING": 3}[kind]
            if len(fields) != want:
                raise ListError(f"{where}: {kind} takes {want} fields, found {len(fields)}")
            e = {"kind": kind, "number": int(fields[0]), "name": fields[1], "where": where}
            if kind == "MISSING":
                e["note"] = string_literal(fields[2], where)
            else:
                e["handler"], e["family"], e["attrs"] = fields[2], fields[3], fields[4]
                e["note"] = string_literal(fields[-1], where)
                if kind == "SYSCALL":
                    params = fields[5]
                    if not (params.startswith("(") and params.endswith(")")):
                        raise ListError(f"{where}: parameters must be parenthesised: {params}")
                    e["params"] = [p.strip() for p in split_fields(params[1:-1]) if p.strip()]
            entries.append(e)
    return entries


def validate(entries, root):
    problems = []
    seen_numbers, seen_names, handlers = {}, {}, {}
    previous = -1
    for e in entries:
        n = e["number"]
        if n in seen_numbers:
            problems.append(f"{e['where']}: number {n} already used at {seen_numbers[n]}")
        seen_numbers[n] = e["where"]
        if e["name"] in seen_names:
            problems.append(f"{e['where']}: name {e['name']} already used at {seen_names[e['name']]}")
        seen_names[e["name"]] = e["where"]
        if n < previous:
            problems.append(f"{e['where']}: not sorted by number ({n} after {previous})")
        previous = n
        if not 0 <= n < 512:
            problems.append(f"{e['where']}: number {n} outside the table (0..511)")
        if e["kind"] == "MISSING":
            continue
        if e["family"] not in FAMILY_FILES:
            problems.append(f"{e['where']}: unknown family {e['family']} (known: {', '.join(FAMILY_FILES)})")
            continue
        if e["attrs"] not in ATTRS:
            problems.append(f"{e['where']}: unknown attrs {e['attrs']} (known: {', '.join(ATTRS)})")
        if e["kind"] == "SYSCALL":
            if e["handler"] in handlers:
                problems.append(f"{e['where']}: handler sys_{e['handler']} listed twice (use ALIAS)")
            handlers[e["handler"]] = e
            source = os.path.join(root, FAMILY_FILES[e["family"]])
            text = open(source).read() if os.path.exists(source) else ""
            if not re.search(r"^Result<u64> sys_%s\(" % re.escape(e["handler"]), text, re.M):
                problems.append(f"{e['where']}: sys_{e['handler']} is not defined in {FAMILY_FILES[e['family']]}")
    for e in entries:
        if e["kind"] == "ALIAS":
            target = handlers.get(e["handler"])
            if not target:
                problems.append(f"{e['where']}: alias of sys_{e['handler']}, which no SYSCALL line has")
            elif target["family"] != e["family"]:
                problems.append(f"{e['where']}: family {e['family']} differs from its handler's ({target['family']})")
    return problems


def fuzz_problems(entries, fuzz_path):
    """The fuzzer's table (userland/fuzz/syscall_table.cpp) must give every
    listed number the same name."""
    if not os.path.exists(fuzz_path):
        return [f"{fuzz_path}: missing"]
    fuzz = {}
    for m in re.finditer(r'\{\s*(\d+)\s*,\s*"([a-z0-9_]+)"', open(fuzz_path).read()):
        fuzz[int(m.group(1))] = m.group(2)
    problems = []
    for e in entries:
        got = fuzz.get(e["number"])
        if got is None:
            problems.append(f"{fuzz_path}: no entry for {e['number']} ({e['name']})")
        elif got != e["name"]:
            problems.append(f"{fuzz_path}: {e['number']} is {got} there, {e['name']} in {DEF}")
    return problems


def arguments(params):
    shown = [p for p in params if p.replace(" ", "").rsplit("&", 1)[0] + "&" not in SPECIAL_PARAMS]
    return ", ".join(f"`{p}`" for p in shown)


def table(entries):
    handlers = {e["handler"]: e for e in entries if e["kind"] == "SYSCALL"}
    rows = [
        "| nr | name | file | arguments | notes |",
        "|---:|---|---|---|---|",
    ]
    for e in entries:
        if e["kind"] == "MISSING":
            note = "not implemented: `ENOSYS`" + (f"; {e['note']}" if e["note"] else "")
            rows.append(f"| {e['number']} | `{e['name']}` | | | {note} |")
            continue
        notes = []
        params = handlers[e["handler"]]["params"] if e["handler"] in handlers else []
        if e["kind"] == "ALIAS":
            notes.append(f"same handler as `{handlers[e['handler']]['name'] if e['handler'] in handlers else e['handler']}`")
        if e["note"]:
            notes.append(e["note"])
        if ATTRS.get(e["attrs"]):
            notes.append(ATTRS[e["attrs"]])
        rows.append(
            f"| {e['number']} | `{e['name']}` | `{FAMILY_FILES.get(e['family'], e['family'])}` | {arguments(params)} | {'; '.join(notes)} |"
        )
    return "\n".join(rows) + "\n"


def linux_calls(fuzz_path):
    """Every riscv64 system call, number -> name: the fuzzer keeps a copy
    of Linux's table (include/uapi/asm-generic/unistd.h)."""
    if not os.path.exists(fuzz_path):
        return {}
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r'\{\s*(\d+)\s*,\s*"([a-z0-9_]+)"', open(fuzz_path).read())}


def lacking(entries, linux):
    """The paragraph naming the Linux calls the list has no line for."""
    listed = {e["number"] for e in entries}
    names = [f"`{name}` ({nr})" for nr, name in sorted(linux.items()) if nr not in listed]
    if not names:
        return ""
    return ("\nMyriad has no handler for the other " + str(len(names)) + " riscv64 calls of Linux's table "
            "(as the fuzzer's copy of it, `userland/fuzz/syscall_table.cpp`, lists them): they return `ENOSYS`. "
            "The ones a program was seen to need have a line of their own above: " + ", ".join(names) + ".\n")


def render(doc_text, entries, linux=None):
    if doc_text.count(BEGIN) != 1 or doc_text.count(END) != 1:
        raise ListError(f"{DOC} must hold each marker once:\n  {BEGIN}\n  {END}")
    head, rest = doc_text.split(BEGIN)
    _, tail = rest.split(END)
    return head + BEGIN + "\n" + table(entries) + lacking(entries, linux or {}) + END + tail


def run(args):
    root = args.root
    def_path = args.def_file or os.path.join(root, DEF)
    doc_path = args.doc or os.path.join(root, DOC)
    fuzz_path = args.fuzz_table or os.path.join(root, FUZZ_TABLE)
    try:
        entries = parse_def(def_path)
        problems = validate(entries, root)
        if args.check:
            problems += fuzz_problems(entries, fuzz_path)
        current = open(doc_path).read()
        wanted = render(current, entries, linux_calls(fuzz_path))
    except (ListError, OSError) as error:
        print(f"syscall_doc: {error}", file=sys.stderr)
        return 1
    for p in problems:
        print(f"syscall_doc: {p}", file=sys.stderr)
    if args.check:
        if current != wanted:
            sys.stderr.writelines(
                difflib.unified_diff(current.splitlines(True), wanted.splitlines(True), doc_path, doc_path + " (generated)")
            )
            print(f"syscall_doc: {doc_path} is stale; run tests/tools/syscall_doc.py", file=sys.stderr)
            return 1
        return 1 if problems else 0
    if problems:
        return 1
    if current != wanted:
        with open(doc_path, "w") as f:
            f.write(wanted)
        print(f"syscall_doc: wrote the table in {doc_path}")
    return 0


def self_test(root):
    """--check must pass on the tree as it is and fail on each kind of
    breakage, made in copies."""
    me = os.path.abspath(__file__)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        def copy(rel):
            dst = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.join(root, rel), dst)
            return dst

        for rel in [DEF, DOC, FUZZ_TABLE] + sorted(set(FAMILY_FILES.values())):
            copy(rel)
        originals = {rel: open(os.path.join(tmp, rel)).read() for rel in [DEF, DOC, FUZZ_TABLE]}

        def check():
            r = subprocess.run([sys.executable, me, "--check", "--root", tmp], capture_output=True, text=True)
            return r.returncode, r.stderr

        def case(name, rel, mutate, expect_failure=True, expect_text=None):
            path = os.path.join(tmp, rel)
            with open(path, "w") as f:
                f.write(mutate(originals[rel]))
            code, err = check()
            with open(path, "w") as f:
                f.write(originals[rel])
            ok = (code != 0) == expect_failure and (expect_text is None or expect_text in err)
            print(f"{'ok' if ok else 'FAILED'}: {name} (exit {code})")
            if not ok:
                failures.append(name)
                sys.stdout.write(err)

        def drop_row(doc):
            lines = doc.splitlines(True)
            i = next(i for i, l in enumerate(lines) if l.startswith("| 63 |"))
            return "".join(lines[:i] + lines[i + 1 :])

        case("the tree as it is", DOC, lambda s: s, expect_failure=False)
        case("a row missing from the doc", DOC, drop_row, expect_text="is stale")
        case("a note changed in the list", DEF, lambda s: s.replace('"`AT_REMOVEDIR`"', '"rmdir too"'), expect_text="is stale")
        case("a new call in the list", DEF, lambda s: s + 'MISSING(500, not_a_call, "")\n', expect_text="is stale")
        case("a number listed twice", DEF, lambda s: s + 'MISSING(63, read_again, "")\n', expect_text="already used")
        case("a handler not in its file", DEF, lambda s: s.replace("(57, close, close, files", "(57, close, close, paths"),
             expect_text="not defined in")
        case("the fuzzer naming a number differently", FUZZ_TABLE, lambda s: s.replace('{63, "read"', '{63, "reed"'),
             expect_text="63 is reed there")
        case("markers gone from the doc", DOC, lambda s: s.replace(END, ""), expect_text="marker")
    print("self-test:", "FAILED " + ", ".join(failures) if failures else "all cases behaved")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail (with a diff) instead of writing")
    parser.add_argument("--self-test", action="store_true", help="show that --check catches breakage")
    parser.add_argument("--root", default=ROOT, help="source tree (default: this script's)")
    parser.add_argument("--def-file", help=f"the list (default ROOT/{DEF})")
    parser.add_argument("--doc", help=f"the document (default ROOT/{DOC})")
    parser.add_argument("--fuzz-table", help=f"the fuzzer's table (default ROOT/{FUZZ_TABLE})")
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.root)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
