#!/usr/bin/env python3
"""Where a benchmark's instructions go, function by function.

Boots the production kernel (build/kernel/Image) twice under -icount
shift=0 with `init=/bin/bench -- NAME N` for two loop counts N1 < N2, with
a QEMU plugin (insn_profile/tb_count.c, built here with the host's cc) that
counts the runs of every translated block. Each block's instructions are
charged to the kernel function holding its first instruction (from
kernel.elf's symbols) or to "[user]", and the difference of the two runs
divided by the difference in operations is printed: instructions per
operation per function, boot and warm-up cancelled out.

  tests/tools/insn_profile.py pipe_pingpong 500 2500
  tests/tools/insn_profile.py --image OTHER/Image --elf OTHER/kernel.elf brk_grow_shrink 2000 12000

Blocks that an exception or interrupt leaves early are counted whole, so
a function that faults on a user copy is overcharged by the rest of its
block; the totals agree with ./myriad bench to within a few percent.
Compare two kernels with --against OTHER_ELF:OTHER_IMAGE."""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PLUGIN_SOURCE = os.path.join(HERE, "insn_profile", "tb_count.c")


def build_plugin(out_dir):
    so = os.path.join(out_dir, "tb_count.so")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(PLUGIN_SOURCE):
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, PLUGIN_SOURCE], check=True)
    return so


class Symbols:
    def __init__(self, elf):
        out = subprocess.run(["riscv64-unknown-elf-nm", "-n", "-C", elf], capture_output=True, text=True,
                             check=True).stdout
        self.addrs, self.names = [], []
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTwW":
                self.addrs.append(int(parts[0], 16))
                self.names.append(parts[2])

    def name(self, address):
        if address < (1 << 63):
            return "[user]"
        i = bisect.bisect_right(self.addrs, address) - 1
        return self.names[i] if i >= 0 else "[kernel?]"


def run(image, plugin, bench, n, out_dir, smp=1):
    out = os.path.join(out_dir, f"blocks-{bench}-{n}.txt")
    env = dict(os.environ, MYRIAD_TB_COUNT_OUT=out)
    # With more harts, bench pins itself to CPU 0 (as ./myriad bench's
    # -smp 4 column does); every hart's blocks count.
    pin = "--cpu 0 " if smp > 1 else ""
    cmd = [sys.executable, os.path.join(HERE, "qemu.py"), "--image", image, "--icount", "--smp", str(smp),
           "--qemu-arg=-plugin", "--qemu-arg=" + plugin, "--append", f"init=/bin/bench -- {pin}{bench} {n}",
           "--timeout", "600"]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    blocks = collections.Counter()
    with open(out) as f:
        for line in f:
            address, instructions, runs = line.split()
            blocks[int(address, 16)] += int(instructions) * int(runs)
    return blocks


def operations(n):
    """As phase_profile.py: measure() runs a warm-up of n/10 (1 to 1000) first."""
    return n + min(max(n // 10, 1), 1000)


def profile(image, elf, plugin, bench, n1, n2, out_dir, blocks_of=None, smp=1):
    """Instructions per operation by function; with blocks_of, by block
    (address) of the functions whose name contains that text."""
    symbols = Symbols(elf)
    per_key = collections.Counter()
    a = run(image, plugin, bench, n1, out_dir, smp)
    b = run(image, plugin, bench, n2, out_dir, smp)
    d = operations(n2) - operations(n1)
    for address in set(a) | set(b):
        name = symbols.name(address)
        if blocks_of is None:
            per_key[name] += (b[address] - a[address]) / d
        elif blocks_of in name:
            per_key[f"{address:x} {name}"] += (b[address] - a[address]) / d
    return per_key


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench")
    p.add_argument("n1", type=int)
    p.add_argument("n2", type=int)
    p.add_argument("--image", default=os.path.join(ROOT, "build", "kernel", "Image"))
    p.add_argument("--elf", help="the kernel.elf beside --image (default: there)")
    p.add_argument("--against", metavar="ELF:IMAGE", help="a second kernel: print both columns and the change")
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--blocks", metavar="TEXT", help="per block, for the functions whose name contains TEXT")
    p.add_argument("--smp", type=int, default=1,
                   help="harts; above 1, bench pins itself to CPU 0 (the -smp 4 column of ./myriad bench)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as out_dir:
        plugin = build_plugin(out_dir)
        elf = args.elf or os.path.join(os.path.dirname(args.image), "kernel.elf")
        now = profile(args.image, elf, plugin, args.bench, args.n1, args.n2, out_dir, args.blocks, args.smp)
        before = None
        if args.against:
            other_elf, other_image = args.against.split(":", 1)
            before = profile(other_image, other_elf, plugin, args.bench, args.n1, args.n2, out_dir, args.blocks,
                             args.smp)
    names = set(now) | set(before or {})
    key = (lambda n: -abs(now[n] - before[n])) if before else (lambda n: -now[n])
    rows = sorted(names, key=key)[:args.top]
    if before:
        print(f"{'against':>9} {'this':>9} {'change':>8}  function")
        for n in rows:
            print(f"{before[n]:9.1f} {now[n]:9.1f} {now[n] - before[n]:+8.1f}  {n}")
        print(f"{sum(before.values()):9.1f} {sum(now.values()):9.1f} "
              f"{sum(now.values()) - sum(before.values()):+8.1f}  total")
    else:
        print(f"{'instr/op':>9}  function")
        for n in rows:
            print(f"{now[n]:9.1f}  {n}")
        print(f"{sum(now.values()):9.1f}  total")


if __name__ == "__main__":
    main()
