#!/usr/bin/env python3
"""Boot Myriad in QEMU: interactively (./myriad run) or scripted (CTest).

Scripted runs take a sequence of steps, run in order:
  --expect TEXT      wait until TEXT appears in the console output
  --send TEXT        type TEXT (escapes: \\r \\n \\x03)
  --ktap             parse the KTAP the kernel prints; every case must pass
and then check how QEMU ended (--expect-exit N, default 0). The whole
console output is echoed, so a failing CTest log shows the boot log.
"""
import argparse
import atexit
import bisect
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

MACHINES = {
    # name: (QEMU machine, extra harts the model adds that never run Myriad)
    "virt": ("virt", 0),
    "sifive_u": ("sifive_u", 1),  # hart 0 is the E51 monitor core (no S-mode)
    "spike": ("spike", 0),        # HTIF console behind SBI; no UART, no PLIC
}


UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"  # Debian's u-boot-qemu
UBOOT_LOAD_ADDRESS = "0x84000000"  # U-Boot's kernel_addr_r on QEMU virt


def qemu_command(args, interactive):
    machine, extra_harts = MACHINES[args.machine]
    cmd = ["qemu-system-riscv64", "-machine", machine, "-smp", str(args.smp + extra_harts),
           "-m", args.mem, "-bios", "default"]
    if args.uboot:
        # OpenSBI starts U-Boot (S-mode); the Image waits in RAM for `booti`,
        # as it would after a `load` from an SD card or TFTP on a board.
        image = args.image_file or args.image
        cmd += ["-kernel", UBOOT, "-device", f"loader,file={image},addr={UBOOT_LOAD_ADDRESS}"]
    else:
        cmd += ["-kernel", args.image]
    cmd += ["-nographic"] if interactive else ["-display", "none", "-serial", "stdio", "-monitor", "none"]
    if args.append and not args.uboot:
        cmd += ["-append", args.append]
    if args.initrd and not args.uboot:
        cmd += ["-initrd", args.initrd]
    if getattr(args, "dtb", None):  # other runners build their own args
        cmd += ["-dtb", args.dtb]
    if args.icount:
        cmd += ["-icount", "shift=0"]
    if args.gdb:
        cmd += ["-s", "-S"]
    return cmd + (getattr(args, "qemu_args", None) or [])  # fuzz.py passes None for every option not given


class Console:
    """QEMU's serial console over pipes, with a reader thread."""

    def __init__(self, cmd, char_delay=0.002):
        self.char_delay = char_delay
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.output = ""
        self.seen = 0  # how far --expect has consumed
        self.eof = False  # the reader has read everything QEMU wrote
        self.on_timeout = None  # called before a QEMU that outlived its deadline is killed
        self.lock = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                break
            text = chunk.decode("utf-8", "replace")
            sys.stdout.write(text)
            sys.stdout.flush()
            with self.lock:
                self.output += text
                self.lock.notify_all()
        with self.lock:
            self.eof = True
            self.lock.notify_all()

    def expect(self, text, deadline):
        with self.lock:
            while True:
                index = self.output.find(text, self.seen)
                if index >= 0:
                    self.seen = index + len(text)
                    return True
                # Once QEMU has exited, what it wrote last may still be in
                # the pipe: give up only when the reader has reached its end.
                if self.eof or time.monotonic() > deadline:
                    return False
                self.lock.wait(timeout=0.2)

    def send(self, text):
        # A byte at a time, like a person typing, so the UART FIFO never overflows.
        for byte in text.encode():
            self.proc.stdin.write(bytes([byte]))
            self.proc.stdin.flush()
            time.sleep(self.char_delay)

    def wait(self, deadline):
        # A machine that cannot power off says so and halts (see
        # kernel/power.cpp); its status is the one it announced.
        while self.proc.poll() is None and time.monotonic() < deadline:
            with self.lock:
                halted = re.search(r"power: off \(status (\d+)\)[\s\S]*halted", self.output)
            if halted:
                time.sleep(0.2)
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()
                    print(f"[qemu.py: the guest halted; using its announced status {halted.group(1)}]")
                    return int(halted.group(1))
            time.sleep(0.1)
        try:
            return self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if self.on_timeout:
                self.on_timeout()
            self.proc.kill()
            self.proc.wait()
            return None


def kernel_symbols(image):
    """(addresses, names) of kernel.elf's text symbols beside the Image, or
    None when it or nm is missing."""
    elf = os.path.join(os.path.dirname(os.path.abspath(image)), "kernel.elf")
    try:
        out = subprocess.run(["riscv64-unknown-elf-nm", "-n", "-C", elf], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return (addrs, names) if addrs else None


def dump_harts(monitor_path, image):
    """Where every hart is when a scripted run times out: QEMU's `info
    registers -a` through the monitor socket, the pc, ra and trap CSRs of
    each, with kernel addresses named (a hang's first clue)."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(monitor_path)
        s.sendall(b"info registers -a\n")
        data, end = b"", time.monotonic() + 3
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError as error:
        print(f"qemu.py: no register dump ({error})")
        return
    symbols = kernel_symbols(image)
    # Only code is named: a stack or data address past the text is left bare.
    text_end = symbols[0][symbols[1].index("__text_end")] if symbols and "__text_end" in symbols[1] else 0

    def named(match):
        value = int(match.group(0), 16)
        if symbols and symbols[0][0] <= value < text_end:
            i = bisect.bisect_right(symbols[0], value) - 1
            if i >= 0:
                return f"{match.group(0)} <{symbols[1][i]}+{value - symbols[0][i]:#x}>"
        return match.group(0)

    print("qemu.py: the harts at the timeout (QEMU's info registers -a):")
    for line in data.decode("utf-8", "replace").splitlines():
        stripped = line.strip()
        if stripped.startswith(("CPU#", "pc ", "sepc", "scause", "stval", "x0/zero")):
            print("  " + re.sub(r"\b[0-9a-f]{16}\b", named, stripped))


def parse_ktap(output):
    """Returns (cases, problems): cases as (suite, name, result)."""
    lines = [l.rstrip("\r") for l in output.splitlines()]
    cases, problems = [], []
    try:
        start = lines.index("KTAP version 1")
    except ValueError:
        return cases, ["no 'KTAP version 1' header"]
    plan = re.match(r"^1\.\.(\d+)$", lines[start + 1]) if start + 1 < len(lines) else None
    if not plan:
        problems.append("no top-level plan line")
    suite, suites_done = None, 0
    for line in lines[start + 2:]:
        m = re.match(r"^    # Subtest: (\S+)$", line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r"^    (ok|not ok) (\d+) (\S+)(?: # (SKIP).*)?$", line)
        if m:
            result = "SKIP" if m.group(4) else ("PASS" if m.group(1) == "ok" else "FAIL")
            cases.append((suite, m.group(3), result))
            continue
        if re.match(r"^(ok|not ok) \d+ \S+", line):
            suites_done += 1
    if plan and suites_done != int(plan.group(1)):
        problems.append(f"plan says {plan.group(1)} suites, {suites_done} finished "
                        "(a panic or hang cut the run short?)")
    return cases, problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True)
    p.add_argument("--machine", default="virt", choices=sorted(MACHINES))
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", default="128M")
    p.add_argument("--append", default="")
    p.add_argument("--initrd")
    p.add_argument("--dtb", help="the device tree blob to boot with instead of the one QEMU builds")
    p.add_argument("--icount", action="store_true")
    p.add_argument("--gdb", action="store_true")
    p.add_argument("--qemu-arg", action="append", dest="qemu_args", default=[],
                   help="one more argument for QEMU (repeat for each), e.g. -plugin FILE")
    p.add_argument("--image-file", help="with --uboot: the file to load instead of --image (Image.gz)")
    p.add_argument("--uboot", action="store_true",
                   help=f"boot U-Boot ({UBOOT}) with the Image loaded at {UBOOT_LOAD_ADDRESS}")
    p.add_argument("--interactive", action="store_true")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--char-delay", type=float, default=0.002,
                   help="seconds between typed bytes (spike's HTIF console holds one byte)")
    p.add_argument("--expect-exit", type=int, default=0,
                   help="required QEMU exit status; -1 = any non-zero")
    p.add_argument("--expect", action="append", dest="steps",
                   type=lambda t: ("expect", t.encode().decode("unicode_escape")))
    p.add_argument("--send", action="append", dest="steps",
                   type=lambda t: ("send", t.encode().decode("unicode_escape")))
    p.add_argument("--ktap", action="append_const", dest="steps", const=("ktap", None))
    p.add_argument("--sleep", action="append", dest="steps", type=lambda t: ("sleep", float(t)),
                   help="wait this many seconds (e.g. for a program to get going before ^C)")
    p.add_argument("--ktap-expect-fail", action="append", default=[], metavar="SUITE.CASE",
                   help="with --ktap: this case must fail (proves failures are seen)")
    p.add_argument("--stop-after-steps", action="store_true",
                   help="end QEMU once the steps passed instead of waiting for the guest to power off")
    p.add_argument("--reject", action="append", default=[],
                   help="fail if this text ever appears in the output")
    args = p.parse_args()

    if not os.path.exists(args.image):
        sys.exit(f"qemu.py: no kernel image at {args.image}; build first")
    cmd = qemu_command(args, args.interactive)
    if args.interactive:
        os.execvp(cmd[0], cmd)

    # A monitor socket instead of none, so that a run that times out can
    # say where each hart was (dump_harts).
    monitor_dir = tempfile.mkdtemp(prefix="myriad-qemu-")
    atexit.register(shutil.rmtree, monitor_dir, True)
    monitor_path = os.path.join(monitor_dir, "monitor")
    if "-monitor" in cmd and cmd[cmd.index("-monitor") + 1] == "none":
        cmd[cmd.index("-monitor") + 1] = f"unix:{monitor_path},server,nowait"
    print("+ " + " ".join(cmd), flush=True)
    deadline = time.monotonic() + args.timeout
    console = Console(cmd, args.char_delay)
    console.on_timeout = lambda: dump_harts(monitor_path, args.image)
    failures = []
    ktap_wanted = False
    for kind, value in args.steps or []:
        if kind == "expect" and not console.expect(value, deadline):
            failures.append(f"never saw {value!r}")
            break
        if kind == "send":
            console.send(value)
        if kind == "sleep":
            time.sleep(value)
        if kind == "ktap":
            ktap_wanted = True
    if args.stop_after_steps and not failures:
        time.sleep(0.2)
        console.proc.kill()
        console.proc.wait()
        status = args.expect_exit
    else:
        status = console.wait(deadline)
    time.sleep(0.1)  # let the reader drain
    print()
    if status is None:
        failures.append(f"timed out after {args.timeout:.0f} s")
    elif args.expect_exit == -1 and status == 0:
        failures.append("QEMU exited 0 but a failure status was expected")
    elif args.expect_exit != -1 and status != args.expect_exit:
        failures.append(f"QEMU exited {status}, expected {args.expect_exit}")
    for text in args.reject:
        if text in console.output:
            failures.append(f"output contains {text!r}")
    if ktap_wanted:
        cases, problems = parse_ktap(console.output)
        failures += problems
        counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        for suite, name, result in cases:
            counts[result] += 1
            print(f"ktest {result:4} {suite}.{name}")
            wanted_fail = f"{suite}.{name}" in args.ktap_expect_fail
            if result == "FAIL" and not wanted_fail:
                failures.append(f"ktest case {suite}.{name} failed")
            if result != "FAIL" and wanted_fail:
                failures.append(f"ktest case {suite}.{name} should have failed but says {result}")
        for wanted in args.ktap_expect_fail:
            if wanted not in {f"{s}.{n}" for s, n, _ in cases}:
                failures.append(f"ktest case {wanted} never ran")
        if not cases:
            failures.append("no ktest cases ran")
        print(f"ktest: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    for f in failures:
        print(f"FAIL: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
