#!/usr/bin/env python3
"""Where a benchmark's instructions go, phase by phase.

Builds a kernel with MYRIAD_PHASE_PROFILE (arch/riscv/phase_profile.hpp) in
build/kernel-prof, boots it twice under -icount shift=0 with
`init=/bin/bench -- NAME N` for two loop counts N1 < N2, and prints
(sum(N2) - sum(N1)) / (N2 - N1) for every phase: the per-operation cost
with boot, exec, warm-up and printing cancelled out exactly.

  tests/tools/phase_profile.py null_syscall 2000 12000
  tests/tools/phase_profile.py pipe_pingpong 500 2500

The probes themselves are excluded from the counts (see the header), so
the phases add up to within a few instructions of what ./myriad bench
reports for an unprofiled kernel."""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
LINE = re.compile(r"phase-profile (\S+) (\d+) (\d+)\r?$", re.M)


def build(build_dir, initramfs):
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DMYRIAD_PART=kernel",
                        "-DMYRIAD_INITRAMFS=" + initramfs,
                        "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(ROOT, "toolchain-riscv.cmake"),
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                        "-DCMAKE_CXX_FLAGS=-DMYRIAD_PHASE_PROFILE", "-DCMAKE_ASM_FLAGS=-DMYRIAD_PHASE_PROFILE"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build_dir, "Image")


def run(image, bench, n):
    cmd = [sys.executable, os.path.join(HERE, "qemu.py"), "--image", image, "--icount",
           "--append", f"init=/bin/bench -- {bench} {n}", "--timeout", "600"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    phases = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in LINE.finditer(out)}
    bench_line = re.search(rf"^{bench} (\d+) ", out, re.M)
    if not phases:
        sys.exit("no phase-profile lines in the output:\n" + out)
    return phases, int(bench_line.group(1)) if bench_line else None


def operations(n):
    """How many operations `bench NAME n` runs in all: measure() in
    userland/bench/bench.cpp runs a warm-up of n/10 (1 to 1000) first."""
    return n + min(max(n // 10, 1), 1000)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench")
    p.add_argument("n1", type=int)
    p.add_argument("n2", type=int)
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "kernel-prof"))
    p.add_argument("--initramfs", default=os.path.join(ROOT, "build", "userland", "initramfs.cpio"))
    args = p.parse_args()
    image = build(args.build_dir, args.initramfs)
    a, _ = run(image, args.bench, args.n1)
    b, per_op = run(image, args.bench, args.n2)
    d = operations(args.n2) - operations(args.n1)
    total = 0.0
    print(f"{'phase':12} {'instr/op':>9} {'marks/op':>9}")
    for name in b:
        if name == "residual":
            continue
        instr = (b[name][0] - a[name][0]) / d
        marks = (b[name][1] - a[name][1]) / d
        total += instr
        print(f"{name:12} {instr:9.1f} {marks:9.2f}")
    print(f"{'total':12} {total:9.1f}")
    if per_op is not None:
        print(f"(the bench program's own figure under this profiled kernel: {per_op})")


if __name__ == "__main__":
    main()
