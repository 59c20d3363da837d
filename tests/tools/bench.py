#!/usr/bin/env python3
"""Run userland/bench inside Myriad under QEMU -icount shift=0 (one boot
per benchmark, bench as init), print instructions per operation next to
xv6-riscv's and the targets, write JSON, and with --check fail if any
figure is more than 25% worse than the recorded baseline.

Instruction counts under -icount are deterministic for a given build, so
the check is not flaky; updating the baseline is a deliberate commit."""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# name: (bench arguments full, quick, xv6-riscv reference, target)
BENCHMARKS = {
    "null_syscall": (["null_syscall", "100000"], ["null_syscall", "5000"], 1130, 120),
    "fork_exit_wait": (["fork_exit_wait", "1000"], ["fork_exit_wait", "50"], 473030, 40000),
    "fork_exec_wait": (["fork_exec_wait", "200"], ["fork_exec_wait", "10"], 1548700, 250000),
    "pipe_pingpong": (["pipe_pingpong", "10000"], ["pipe_pingpong", "500"], 95790, 8000),
    "brk_grow_shrink": (["brk_grow_shrink", "1000"], ["brk_grow_shrink", "200"], 40590, 3000),
    "fork_heap_1m": (["fork_heap_1m", "20"], ["fork_heap_1m", "3"], None, None),
    "fork_heap_16m": (["fork_heap_16m", "10"], ["fork_heap_16m", "2"], None, None),
    "fork_heap_64m": (["fork_heap_64m", "5"], ["fork_heap_64m", "2"], None, None),
    "sleepers_0": (["sleepers", "0", "2000"], ["sleepers", "0", "300"], None, None),
    "sleepers_64": (["sleepers", "64", "2000"], ["sleepers", "64", "300"], None, None),
    "sleepers_1024": (["sleepers", "1024", "2000"], ["sleepers", "1024", "300"], None, None),
}
LINE = re.compile(r"^(\w+) (\d+) (\d+) (\d+)\r?$", re.M)


def run_one(image, args, mem):
    cmd = [sys.executable, os.path.join(HERE, "qemu.py"), "--image", image, "--icount", "--mem", mem,
           "--append", "init=/bin/bench -- " + " ".join(args), "--timeout", "600"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    boot = re.search(r"kernel ready \((\d+) instructions since reset\)", out)
    return {m.group(1): int(m.group(2)) for m in LINE.finditer(out)}, int(boot.group(1)) if boot else None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image", required=True)
    p.add_argument("--quick", action="store_true", help="short loops (the regression guard)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--baseline", help="recorded results to compare with")
    p.add_argument("--check", action="store_true", help="fail if a figure is >25%% worse than the baseline")
    p.add_argument("--mem", default="256M")
    args = p.parse_args()

    results, boot = {}, None
    for name, (full, quick, _, _) in BENCHMARKS.items():
        got, boot_count = run_one(args.image, quick if args.quick else full, args.mem)
        results.update(got)
        boot = boot or boot_count
    if boot:
        results["boot_to_kernel_ready"] = boot

    print(f"{'operation':24} {'xv6-riscv':>12} {'target':>10} {'Myriad':>12} {'vs xv6':>8}")
    for name, (_, _, xv6, target) in BENCHMARKS.items():
        mine = results.get(name)
        ratio = f"{xv6 / mine:.1f}x" if mine and xv6 else ""
        print(f"{name:24} {xv6 or '':>12} {target or '':>10} {mine if mine is not None else 'missing':>12} {ratio:>8}")
    if boot:
        print(f"{'boot_to_kernel_ready':24} {421000000:>12} {10000000:>10} {boot:>12} {421000000 / boot:>7.1f}x")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        json.dump(results, open(args.json, "w"), indent=1, sort_keys=True)

    failures = [n for n in BENCHMARKS if n not in results]
    if args.check and args.baseline:
        baseline = json.load(open(args.baseline))
        # Only the benchmarks: they print nothing while counting, so their
        # counts repeat exactly. The boot figure includes firmware waiting
        # for the UART while the host drains the console, which depends on
        # host load: reported, not guarded.
        for name, recorded in baseline.items():
            if name not in BENCHMARKS:
                continue
            mine = results.get(name)
            if mine is None:
                failures.append(name)
            elif mine > recorded * 1.25:
                print(f"REGRESSION: {name}: {mine} instructions per op, recorded {recorded} (+{100 * (mine / recorded - 1):.0f}%)")
                failures.append(name)
    for name in failures:
        print(f"FAIL: {name}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
