#!/usr/bin/env python3
"""A core file Myriad writes is one GDB reads: the backtrace of a crash.

Builds userland/demos/crash_demo.c (static, -g) with the cross compiler,
adds it to the boot image (image_add.py), boots it as init: it crashes a
child in crash_in_leaf (called by middle_function, called by
outer_function) with RLIMIT_CORE unlimited and prints the core on the
console, page by page in base64. The core is rebuilt here and
`gdb-multiarch -batch -ex bt PROGRAM CORE` must name the three functions,
innermost first, and the faulting source line."""
import argparse
import base64
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True)
    p.add_argument("--rootfs", required=True, help="the boot image's tree (build/userland/rootfs)")
    p.add_argument("--source", required=True, help="userland/demos/crash_demo.c")
    p.add_argument("--work", required=True, help="a folder for the program, the initrd and the core")
    p.add_argument("--cc", default="riscv64-linux-gnu-gcc")
    p.add_argument("--timeout", type=float, default=90)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    program = os.path.join(args.work, "crash_demo")
    initrd = os.path.join(args.work, "initrd.cpio")
    core_path = os.path.join(args.work, "core")
    subprocess.run([args.cc, "-static", "-g", "-O0", "-Wall", "-Werror", args.source, "-o", program], check=True)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "image_add.py"),
                    "--rootfs", args.rootfs, "--out", initrd, f"{program}:/bin/crash_demo"], check=True,
                   stdout=subprocess.DEVNULL)

    qargs = argparse.Namespace(machine="virt", smp=1, mem="128M", uboot=False, image=args.image, image_file=None,
                               append="init=/bin/crash_demo", initrd=initrd, icount=False, gdb=False)
    cmd = qemu.qemu_command(qargs, False)
    print("+ " + " ".join(cmd), flush=True)
    console = qemu.Console(cmd)
    status = console.wait(time.monotonic() + args.timeout)
    console.expect("\n", time.monotonic() + 1)  # let the reader drain
    output = console.output.replace("\r", "")
    failures = []
    if status != 0:
        failures.append(f"QEMU ended with status {status}, expected 0 (crash_demo saw no core)")
    if "crash_demo: child killed by signal 11, core dumped" not in output:
        failures.append("crash_demo did not report a dumped core")
    size = re.search(r"^CORE-SIZE (\d+)$", output, re.M)
    if not size or "CORE-END" not in output:
        failures.append("no core on the console")
    else:
        core = bytearray(int(size.group(1)))
        for m in re.finditer(r"^CORE-PAGE (\d+) ([A-Za-z0-9+/=]+)$", output, re.M):
            data = base64.b64decode(m.group(2))
            at = int(m.group(1))
            core[at:at + len(data)] = data
        with open(core_path, "wb") as f:
            f.write(core)
        gdb = subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "bt", program, core_path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print("--- gdb-multiarch -batch -ex bt crash_demo core\n" + gdb.stdout, flush=True)
        with open(args.source) as f:
            line = next(i for i, text in enumerate(f, 1) if "the faulting line" in text)
        # GDB shows frame #0 when it loads the core, then the backtrace.
        bt = gdb.stdout[gdb.stdout.rfind("\n#0 "):]
        frames = [m.group(1) for m in re.finditer(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) ", bt, re.M)]
        if frames[:4] != ["crash_in_leaf", "middle_function", "outer_function", "main"]:
            failures.append(f"backtrace frames {frames}, expected crash_in_leaf, middle_function, outer_function, main")
        if not re.search(rf"^#0 .*crash_in_leaf .* at .*crash_demo\.c:{line}$", gdb.stdout, re.M):
            failures.append(f"frame #0 does not name crash_demo.c:{line}")
        if "SIGSEGV" not in gdb.stdout:
            failures.append("gdb does not say the program was terminated by SIGSEGV")
    for f in failures:
        print("FAIL: " + f)
    print("PASS" if not failures else "FAILED", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
