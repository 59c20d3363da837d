"""Scaffolding shared by the qemu-user test drivers (programs_test.py,
shell_test.py, proc_tools_test.py): a registry of cases, a collector of
failed checks, and the command line CTest calls them with:
    DRIVER --list                       the case names, one per line
    DRIVER --qemu Q --rootfs R CASE     run one case; exit 0 only if it passed
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Check:
    def __init__(self):
        self.failures = []

    def eq(self, what, actual, expected):
        if actual != expected:
            self.failures.append(f"{what}: got {actual!r}, expected {expected!r}")

    def contains(self, what, text, part):
        if part not in text:
            self.failures.append(f"{what}: {part!r} not in {text!r}")

    def lacks(self, what, text, part):
        if part in text:
            self.failures.append(f"{what}: {part!r} unexpectedly in {text!r}")

    def match(self, what, text, pattern):
        if not re.search(pattern, text, re.M):
            self.failures.append(f"{what}: /{pattern}/ does not match {text!r}")

    def true(self, what, condition):
        if not condition:
            self.failures.append(what)

    def run(self, what, result, status=0, out=None, err=None):
        """Checks a (status, stdout, stderr) triple; err=None: stderr must be empty."""
        got_status, got_out, got_err = result
        self.eq(f"{what}: status", got_status, status)
        if out is not None:
            self.eq(f"{what}: stdout", got_out, out)
        if err is None:
            self.eq(f"{what}: stderr", got_err, "")
        else:
            self.contains(f"{what}: stderr", got_err, err)


def main(doc, make_runner, make_check=Check, scratch_prefix=None):
    """make_runner(qemu, rootfs, scratch) -> the driver's Runner; scratch is a
    fresh directory (removed afterwards) when scratch_prefix is given, else None."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qemu")
    p.add_argument("--rootfs")
    p.add_argument("--list", action="store_true")
    p.add_argument("case", nargs="?")
    args = p.parse_args()
    if args.list:
        print("\n".join(CASES))
        return
    if args.case not in CASES or not args.qemu or not args.rootfs:
        p.error(f"need --qemu, --rootfs and a case: {', '.join(CASES)}")
    check = make_check()
    scratch = tempfile.mkdtemp(prefix=f"{scratch_prefix}-{args.case}-", dir=os.getcwd()) if scratch_prefix else None
    runner = make_runner(args.qemu, args.rootfs, os.path.realpath(scratch) if scratch else None)
    try:
        CASES[args.case](runner, check)
    finally:
        if hasattr(runner, "cleanup"):
            runner.cleanup()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    for f in check.failures:
        print(f"FAIL: {f}")
    print(f"{args.case}: {'FAIL' if check.failures else 'PASS'}")
    sys.exit(1 if check.failures else 0)


# Myriad's own multi-call program keeps its tools (the teaching versions
# that busybox's replaced on /bin) under this folder of the image, one
# link per applet name.
BOX_DIR = "usr/libexec/box"


def image_program(rootfs, program):
    """rootfs/PROGRAM, where "bin/NAME" is the box tool NAME when the
    box has it: these drivers check Myriad's own programs."""
    if program.startswith("bin/"):
        boxed = os.path.join(rootfs, BOX_DIR, program[len("bin/"):])
        if os.path.exists(boxed):
            return boxed
    return os.path.join(rootfs, program)
