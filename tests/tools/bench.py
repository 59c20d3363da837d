#!/usr/bin/env python3
"""Run userland/bench inside Myriad under QEMU -icount shift=0 (one boot
per benchmark, bench as init), print instructions per operation next to
xv6-riscv's and the targets, write JSON, and with --check fail if any
figure is more than 25% worse than the recorded baseline.

Without --quick it also does the scale runs: ping-pong with 4 096
sleepers, how many sleeping processes fit in 128 MiB and 1 GiB and the
bytes each costs, a fork bomb's recovery, and the instructions from reset
to the first shell prompt; --plot draws the two scale curves (gnuplot).

Instruction counts under -icount are deterministic for a given build, so
the check is not flaky; updating the baseline is a deliberate commit."""
import argparse
import json
import os
import re
import subprocess
import sys
import time

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
# Full runs only (not in --quick, so not in the regression guard): name:
# (bench arguments, --mem, what is printed).
SCALE = {
    "sleepers_4096": (["sleepers", "4096", "2000"], "512M"),
    "capacity_128m": (["capacity"], "128M"),
    "capacity_1g": (["capacity"], "1G"),
    "forkbomb_128m": (["forkbomb_recovery"], "128M"),
}
NOTES = []
LINE = re.compile(r"^(\w+) (\d+) (\d+) (\d+)\r?$", re.M)


def run_one(image, args, mem):
    cmd = [sys.executable, os.path.join(HERE, "qemu.py"), "--image", image, "--icount", "--mem", mem,
           "--append", "init=/bin/bench -- " + " ".join(args), "--timeout", "600"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    boot = re.search(r"kernel ready \((\d+) instructions since reset\)", out)
    # The scale runs explain their figures in lines of their own.
    NOTES.extend(f"[{mem}] {line.strip()}" for line in re.findall(r"^(?:capacity|forkbomb_recovery): .*$", out, re.M))
    return {m.group(1): int(m.group(2)) for m in LINE.finditer(out)}, int(boot.group(1)) if boot else None


def boot_to_prompt(image):
    """Instructions from reset to the first shell prompt: the shell keeps
    rdinstret from just before its first prompt in a variable."""
    sys.path.insert(0, HERE)
    import qemu
    args = argparse.Namespace(machine="virt", smp=1, mem="128M", uboot=False, image=image, image_file=None,
                              append="", initrd=None, icount=True, gdb=False)
    console = qemu.Console(qemu.qemu_command(args, False))
    deadline = time.monotonic() + 120
    count = None
    old_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # the reader thread echoes the console
    try:
        if console.expect("$ ", deadline):
            console.send("echo first-prompt $MYRIAD_FIRST_PROMPT_INSTRET\r")
            while count is None and time.monotonic() < deadline and console.proc.poll() is None:
                m = re.search(r"first-prompt (\d+)\r?\n", console.output)
                count = int(m.group(1)) if m else None
                time.sleep(0.1)
    finally:
        console.proc.kill()
        console.proc.wait()
        sys.stdout = old_stdout
    return count


def plot(results, path):
    """The two scale curves: ping-pong cost against sleeping processes, and
    fork cost against the parent's touched heap."""
    data = os.path.splitext(os.path.abspath(path))[0]
    os.makedirs(os.path.dirname(data), exist_ok=True)
    sleepers = [(n, results.get(f"sleepers_{n}")) for n in (0, 64, 1024, 4096)]
    heaps = [(m, results.get(f"fork_heap_{m}m")) for m in (1, 16, 64)]
    with open(data + "_sleepers.dat", "w") as f:
        f.writelines(f"{n} {v}\n" for n, v in sleepers if v)
    with open(data + "_fork_heap.dat", "w") as f:
        f.writelines(f"{m} {v}\n" for m, v in heaps if v)
    script = f"""set terminal png size 1200,500
set output '{path}'
set multiplot layout 1,2
set title 'pipe ping-pong round trip vs sleeping processes'
set xlabel 'sleeping processes'
set ylabel 'instructions per round trip'
set yrange [0:*]
set grid
set key bottom right
plot '{data}_sleepers.dat' using 1:2 with linespoints lw 2 pt 7 title 'Myriad'
set title 'fork + exit + wait vs parent heap touched'
set xlabel 'heap (MiB)'
set ylabel 'instructions per fork'
plot '{data}_fork_heap.dat' using 1:2 with linespoints lw 2 pt 7 title 'Myriad'
unset multiplot
"""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        print(f"plot: gnuplot failed: {r.stderr.strip()}")
    else:
        print(f"plot: {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--image", required=True)
    p.add_argument("--quick", action="store_true", help="short loops (the regression guard)")
    p.add_argument("--json", help="write the results here")
    p.add_argument("--baseline", help="recorded results to compare with")
    p.add_argument("--ceiling", action="append", default=[], metavar="NAME=N",
                   help="with --check: fail if NAME takes more than N instructions per op "
                        "(a promise, such as getpid's 150, kept whatever the baseline says)")
    p.add_argument("--check", action="store_true", help="fail if a figure is >25%% worse than the baseline")
    p.add_argument("--mem", default="256M")
    p.add_argument("--plot", help="with the full runs: draw the scale curves into this PNG")
    args = p.parse_args()

    results, boot = {}, None
    for name, (full, quick, _, _) in BENCHMARKS.items():
        got, boot_count = run_one(args.image, quick if args.quick else full, args.mem)
        results.update(got)
        boot = boot or boot_count
    if boot:
        results["boot_to_kernel_ready"] = boot
    if not args.quick:
        for name, (bench_args, mem) in SCALE.items():
            got, _ = run_one(args.image, bench_args, mem)
            if name.startswith("capacity_") or name.startswith("forkbomb_"):
                suffix = name.split("_", 1)[1]
                got = {f"{k}_{suffix}": v for k, v in got.items()}
            if not got:
                print(f"scale run {name}: no figures (see: bench {' '.join(bench_args)} with --mem {mem})")
            results.update(got)
        prompt = boot_to_prompt(args.image)
        if prompt:
            results["boot_to_first_prompt"] = prompt

    print(f"{'operation':24} {'xv6-riscv':>12} {'target':>10} {'Myriad':>12} {'vs xv6':>8}")
    for name, (_, _, xv6, target) in BENCHMARKS.items():
        mine = results.get(name)
        ratio = f"{xv6 / mine:.1f}x" if mine and xv6 else ""
        print(f"{name:24} {xv6 or '':>12} {target or '':>10} {mine if mine is not None else 'missing':>12} {ratio:>8}")
    if boot:
        print(f"{'boot_to_kernel_ready':24} {'':>12} {10000000:>10} {boot:>12}")
    prompt = results.get("boot_to_first_prompt")
    if prompt:
        # xv6-riscv's figure is to its shell's prompt.
        print(f"{'boot_to_first_prompt':24} {421000000:>12} {10000000:>10} {prompt:>12} {421000000 / prompt:>7.1f}x")
    if not args.quick:
        print()
        print("scale runs")
        s = [results.get(f"sleepers_{n}") for n in (0, 64, 1024, 4096)]
        if s[0]:
            worst = max((v / s[0] - 1) * 100 for v in s if v)
            print(f"{'ping-pong, 0/64/1024/4096 sleepers':40} {' / '.join(str(v) for v in s)}  (worst +{worst:.1f}% vs 0; target <= 10%)")
        for mem, target in (("128m", 2048), ("1g", 16384)):
            n = results.get(f"capacity_{mem}")
            b = results.get(f"capacity_bytes_per_process_{mem}")
            if n:
                print(f"{'sleeping processes that fit, ' + mem:40} {n} (target >= {target}), {b} bytes each (target <= 32768),"
                      f" {results.get(f'capacity_lost_kib_{mem}')} KiB not back after reaping")
        n = results.get("forkbomb_processes_128m")
        if n:
            print(f"{'fork bomb, 128m':40} {n} processes (RLIMIT_NPROC), all gone {results.get('forkbomb_recovery_instructions_128m')}"
                  f" instructions after SIGINT, {results.get('forkbomb_lost_kib_128m')} KiB not back")
        for note in NOTES:
            print(f"  {note}")
        if args.plot:
            plot(results, args.plot)
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
    if args.check:
        for ceiling in args.ceiling:
            name, _, limit = ceiling.partition("=")
            mine = results.get(name)
            if mine is None or mine > int(limit):
                print(f"OVER THE CEILING: {name}: {mine} instructions per op, at most {limit} promised")
                failures.append(name)
    for name in failures:
        print(f"FAIL: {name}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
