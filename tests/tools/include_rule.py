#!/usr/bin/env python3
"""The arch boundary, checked: portable code reaches the machine only
through arch/arch.hpp, and arch/riscv/ reaches the kernel only through
kernel/arch_hooks.hpp (docs/layout.md, "How to find your way").

Rules (a file breaking one is printed with the line):
  1. kernel/, drivers/, lib/: no #include of arch/riscv/..., no name
     arch::riscv, no csr_* macro (those are the machine's).
  2. lib/: no #include of kernel/ or arch/ at all (it builds for the host).
  3. arch/riscv/: no #include of kernel/ but kernel/arch_hooks.hpp.
  4. kernel/arch_hooks.hpp includes from kernel/ only panic.hpp and
     printk.hpp, and those include nothing from kernel/ or arch/riscv/.

  include_rule.py [ROOT]       check the tree (exit 1 on a violation)
  include_rule.py --self-test  prove each rule fires on a planted violation
"""
import pathlib
import re
import sys
import tempfile

SOURCES = ("*.cpp", "*.hpp", "*.S", "*.h")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
HOOKS = "kernel/arch_hooks.hpp"
HOOKS_MAY_INCLUDE = {"kernel/panic.hpp", "kernel/printk.hpp"}


def files(root, folder):
    base = root / folder
    for pattern in SOURCES:
        yield from sorted(base.rglob(pattern))


def lines(path):
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        yield number, line


def code_part(line):
    """The line without a // comment (good enough for names and macros)."""
    return line.split("//", 1)[0]


def check(root):
    problems = []

    def bad(path, number, line, why):
        problems.append(f"{path.relative_to(root)}:{number}: {why}: {line.strip()}")

    for folder in ("kernel", "drivers", "lib"):
        for path in files(root, folder):
            for number, line in lines(path):
                m = INCLUDE.match(line)
                target = m.group(1) if m else None
                if target and target.startswith("arch/riscv/"):
                    bad(path, number, line, "portable code includes arch/riscv/ (use arch/arch.hpp)")
                if folder == "lib" and target and target.startswith(("kernel/", "arch/")):
                    bad(path, number, line, "lib/ includes kernel/ or arch/ (it must build for the host)")
                code = code_part(line)
                if "arch::riscv" in code:
                    bad(path, number, line, "portable code names arch::riscv (use the arch:: interface)")
                if re.search(r"\bcsr_(read|write|set|clear)\s*\(", code):
                    bad(path, number, line, "portable code touches a CSR")

    for path in files(root, "arch/riscv"):
        for number, line in lines(path):
            m = INCLUDE.match(line)
            if m and m.group(1).startswith("kernel/") and m.group(1) != HOOKS:
                bad(path, number, line, f"arch/riscv/ includes kernel/ other than {HOOKS}")

    hooks = root / HOOKS
    if not hooks.exists():
        problems.append(f"{HOOKS}: missing")
    else:
        for number, line in lines(hooks):
            m = INCLUDE.match(line)
            if m and m.group(1).startswith("kernel/") and m.group(1) not in HOOKS_MAY_INCLUDE:
                bad(hooks, number, line, "the hooks header includes more of kernel/ than panic and printk")
        for name in sorted(HOOKS_MAY_INCLUDE):
            path = root / name
            for number, line in lines(path):
                m = INCLUDE.match(line)
                if m and m.group(1).startswith(("kernel/", "arch/riscv/")):
                    bad(path, number, line, "part of the hooks header, so it may include only lib/ and arch/arch.hpp")
    return problems


def self_test(root):
    """Each rule, broken on purpose in a copy of the relevant files, must be caught."""
    plants = [
        ("kernel/zz_plant.cpp", '#include "arch/riscv/csr.hpp"\n'),
        ("drivers/zz_plant.cpp", "u64 f() { return arch::riscv::PAGE_SIZE; }\n"),
        ("kernel/zz_plant2.cpp", "void g() { csr_write(satp, 0); }\n"),
        ("lib/zz_plant.cpp", '#include "kernel/printk.hpp"\n'),
        ("arch/riscv/zz_plant.cpp", '#include "kernel/process/process.hpp"\n'),
    ]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = pathlib.Path(tmp)
        for folder in ("kernel", "drivers", "lib", "arch/riscv"):
            (tree / folder).mkdir(parents=True, exist_ok=True)
        for name in [HOOKS, *HOOKS_MAY_INCLUDE]:
            (tree / name).write_text((root / name).read_text())
        if check(tree):
            print("self-test: the clean scratch tree was flagged:", *check(tree), sep="\n  ")
            return 1
        for name, text in plants:
            planted = tree / name
            planted.write_text(text)
            found = check(tree)
            planted.unlink()
            if not any(p.startswith(name) for p in found):
                print(f"self-test: a violation in {name} was not caught")
                failures += 1
            else:
                print(f"self-test: caught {found[0]}")
        hooks = tree / HOOKS
        hooks.write_text(hooks.read_text() + '#include "kernel/process/process.hpp"\n')
        if not any(p.startswith(HOOKS) for p in check(tree)):
            print("self-test: a widened hooks header was not caught")
            failures += 1
    return 1 if failures else 0


def main():
    args = sys.argv[1:]
    root = pathlib.Path(__file__).resolve().parents[2]
    if args and args[0] == "--self-test":
        return self_test(root)
    if args:
        root = pathlib.Path(args[0])
    problems = check(root)
    for p in problems:
        print(p)
    print(f"include rule: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
