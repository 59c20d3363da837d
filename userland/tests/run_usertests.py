#!/usr/bin/env python3
"""Run usertests under qemu-riscv64-static (the Linux reference) for CTest.

Reads the KTAP it prints with the same parser that reads the kernel's
(tests/tools/qemu.py), lists every case, and fails unless the exit status
and every case's result are as expected:
  run_usertests.py --qemu QEMU --usertests PATH [--filter GROUPS]
                   [--expect-fail GROUP.CASE ...] [--expect-exit N] [--as-init]

--as-init runs usertests as process 1 of a new PID namespace (unshare(1)),
the way Myriad runs it with init=/bin/usertests: orphans then come to it.
Where namespaces are not allowed, it exits with 77 (CTest: skipped).
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "tools"))
from qemu import parse_ktap  # noqa: E402

SKIPPED = 77  # the test's SKIP_RETURN_CODE


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qemu", required=True)
    p.add_argument("--usertests", required=True)
    p.add_argument("--filter", default=None, help="usertests' argument: GROUP or GROUP.CASE, comma-separated")
    p.add_argument("--expect-fail", action="append", default=[], metavar="GROUP.CASE")
    p.add_argument("--expect-exit", type=int, default=0)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--as-init", action="store_true")
    args = p.parse_args()

    cmd = [args.qemu, args.usertests] + ([args.filter] if args.filter else [])
    if args.as_init:
        unshare = ["unshare", "--pid", "--fork", "--kill-child"]
        try:
            subprocess.run(unshare + ["true"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError):
            print("SKIP: cannot create a PID namespace here (unshare --pid)")
            sys.exit(SKIPPED)
        cmd = unshare + cmd
    try:
        run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=args.timeout)
    except subprocess.TimeoutExpired as e:
        sys.stdout.write((e.stdout or b"").decode("utf-8", "replace"))
        print(f"FAIL: usertests did not finish within {args.timeout} s")
        sys.exit(1)
    output = run.stdout.decode("utf-8", "replace")
    sys.stdout.write(output)

    failures = []
    if run.returncode != args.expect_exit:
        failures.append(f"usertests exited with {run.returncode}, expected {args.expect_exit}")
    cases, problems = parse_ktap(output)
    failures += problems
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for suite, name, result in cases:
        counts[result] += 1
        print(f"usertest {result:4} {suite}.{name}")
        wanted_fail = f"{suite}.{name}" in args.expect_fail
        if result == "FAIL" and not wanted_fail:
            failures.append(f"case {suite}.{name} failed")
        if result != "FAIL" and wanted_fail:
            failures.append(f"case {suite}.{name} should have failed but says {result}")
    for wanted in args.expect_fail:
        if wanted not in {f"{s}.{n}" for s, n, _ in cases}:
            failures.append(f"case {wanted} never ran")
    if not cases:
        failures.append("no cases ran")
    print(f"usertests: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    for f in failures:
        print(f"FAIL: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
