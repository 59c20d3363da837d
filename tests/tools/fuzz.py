#!/usr/bin/env python3
"""Run a syscall-fuzzing campaign: boot Myriad with /bin/fuzz as init and
watch it (./myriad fuzz, and the fuzz.* CTest tests).

The campaign fails on a kernel panic, a hang (no line from the fuzzer for
--progress-timeout seconds), or whatever the fuzzer itself reports (a
canary change, a steady memory loss, an unkillable worker). Every failure
prints the seed, the command that reruns it and the last calls of the
workers: the fuzzer prints them itself when it is still alive; after a
panic or a hang this script stops the machine and reads the call rings out
of a dump of guest RAM (they are page-sized and self-describing, see
userland/fuzz/shared_area.h). To catch the machine before a panic powers
it off, QEMU's GDB stub holds a breakpoint on kernel::power_off.

--stress adds mm_check=1 (the kernel checks every address space after
every memory operation and panics on a violation).

--expect-failure TEXT turns the verdict around for the tests that prove
failures are seen: the run passes only if it fails with TEXT in the reason.
"""
import argparse
import os
import random
import re
import socket
import struct
import sys
import tempfile
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import qemu  # noqa: E402

RAM_BASE = 0x80000000  # QEMU virt: RAM starts at 2 GiB
RING_MAGIC = 0x676E6952327A7546  # "Fuz2Ring", shared_area.h
RING_HEADER = struct.Struct("<QQQiIQQQII")  # magic nonce serial pid slot count mutants forks storms threads
RECORD = struct.Struct("<IHBB6Qq")  # seq number where who args[6] result
RING_RECORDS = 63
WHERE = {0: "worker", 1: "child ", 2: "throw ", 3: "mutant", 4: "thread"}
# Records that are not calls (shared_area.h).
CONSOLE_RECORD, STORM_RECORD, GROUP_CHILD_RECORD = 0xFFFE, 0xFFFD, 0xFFFC
PENDING = 0x7FFFFFFFFFFFFFFE
MASK = (1 << 64) - 1


class Unset(SimpleNamespace):
    """Options for qemu.qemu_command: every option not given is None."""

    def __getattr__(self, name):
        return None


def derive_seed(seed, serial):
    """rng.h's derive_seed: the campaign's nonce is derive_seed(seed, 0xfeedfacecafe)."""
    z = (seed + 0x9E3779B97F4A7C15 * (serial + 1)) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def syscall_names():
    path = os.path.join(ROOT, "userland", "fuzz", "syscall_table.cpp")
    try:
        with open(path) as f:
            return {int(n): name for n, name in re.findall(r'\{(\d+), "(\w+)"', f.read())}
    except OSError:
        return {}


def mem_bytes(size):
    m = re.fullmatch(r"(\d+)([KMG]?)", size)
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]


def format_rings(dump, nonce, names):
    """The newest ring of each worker slot found in a RAM dump, as text."""
    rings = {}
    for offset in range(0, len(dump) - 4096 + 1, 4096):
        if dump[offset:offset + 8] != struct.pack("<Q", RING_MAGIC):
            continue
        magic, ring_nonce, serial, pid, slot, count, mutants, forks, *_ = RING_HEADER.unpack_from(dump, offset)
        if ring_nonce != nonce or count == 0:
            continue
        if slot not in rings or rings[slot][0] < serial:
            rings[slot] = (serial, pid, count, offset)
    lines = []
    for slot, (serial, pid, count, offset) in sorted(rings.items()):
        shown = min(count, RING_RECORDS)
        lines.append(f"  worker #{serial} (pid {pid}, slot {slot}): {count} calls, last {shown}:")
        for seq in range(count - shown, count):
            at = offset + 64 + (seq % RING_RECORDS) * RECORD.size
            rseq, number, where, who, *rest = RECORD.unpack_from(dump, at)
            args, result = rest[:6], rest[6]
            shown_result = "(no return)" if result == PENDING else (
                f"-{os.strerror(-result)}" if -4096 < result < 0 else f"{result & MASK:#x}")
            name = WHERE.get(where, "?")
            if who:
                name = ("thread" if where == 4 else name.strip()[:5]) + str(who)
            if where == 3:
                text = f"mutant execve = wait status {result:#x}"
            elif number == CONSOLE_RECORD:
                text = f"found the console at fd {args[0]}"
            elif number == STORM_RECORD:
                text = f"thread storm of {args[0]} threads ({args[1]} steps) = " + (
                    "(not over)" if result == PENDING else f"{result} not joined")
            elif number == GROUP_CHILD_RECORD:
                text = f"thread group child (action {args[0]}, {args[1]} threads, pid {args[2]}) = wait status {shown_result}"
            else:
                arglist = ", ".join(f"{a:#x}" for a in args)
                text = f"{names.get(number, f'sys_{number}')}({arglist}) = {shown_result}"
            lines.append(f"    {rseq:6} {name} {text}")
    return "\n".join(lines) if lines else "  (no call rings of this campaign found in guest RAM)"


class Monitor:
    """QEMU's human monitor on a unix socket."""

    def __init__(self, path):
        self.path = path

    def command(self, text, timeout=60):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.path)
            self._until_prompt(s)
            s.sendall(text.encode() + b"\n")
            return self._until_prompt(s)

    @staticmethod
    def _until_prompt(s):
        data = b""
        while not data.rstrip().endswith(b"(qemu)"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")


class GdbStub:
    """Just enough of the GDB remote protocol to stop the guest at one address."""

    def __init__(self, path, timeout=10):
        end = time.monotonic() + timeout
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self.buffer = b""

    def send(self, data):
        checksum = sum(data.encode()) % 256
        self.s.sendall(f"${data}#{checksum:02x}".encode())

    def receive(self, timeout):
        """The next packet's payload, or None after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buffer)
            if m:
                self.buffer = self.buffer[m.end():]
                self.s.sendall(b"+")
                return m.group(1).decode()
            remaining = end - time.monotonic()
            if remaining <= 0:
                return None
            self.s.settimeout(remaining)
            try:
                chunk = self.s.recv(4096)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buffer += chunk

    def request(self, data, timeout=10):
        self.send(data)
        return self.receive(timeout)


def symbol_address(nm_path, name):
    try:
        with open(nm_path) as f:
            for line in f:
                fields = line.split()
                if len(fields) == 3 and fields[2] == name:
                    return int(fields[0], 16)
    except OSError:
        pass
    return None


def dump_rings(monitor, mem, nonce):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ram")
        try:
            monitor.command("stop")
            monitor.command(f'pmemsave {RAM_BASE:#x} {mem_bytes(mem):#x} "{path}"', timeout=120)
            with open(path, "rb") as f:
                dump = f.read()
        except (OSError, socket.timeout) as e:
            return f"  (could not dump guest RAM: {e})"
    return format_rings(dump, nonce, syscall_names())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, help="default: a random one (printed)")
    p.add_argument("--stress", action="store_true", help="kernel option mm_check=1")
    p.add_argument("--mem", default="128M")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--fuzz-args", default="", help="more arguments for /bin/fuzz (e.g. '--parallel 4')")
    p.add_argument("--append", default="", help="more kernel command-line options")
    p.add_argument("--progress-timeout", type=float, default=90,
                   help="a hang: this many seconds without a line from the fuzzer")
    p.add_argument("--expect-failure", metavar="TEXT",
                   help="pass only if the campaign fails with TEXT in the reason (tests of the checks)")
    args = p.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1, 1 << 32)
    # Slower under mm_check: a minute of campaign is several of wall clock.
    stress_factor = 6 if args.stress else 1
    kernel_args = " ".join(filter(None, ["mm_check=1" if args.stress else "", args.append]))
    # Under mm_check every call walks every address space (tens of calls a
    # second, not thousands): workers get a longer deadline and fewer calls.
    stress_args = "--deadline 60 --calls 100 " if args.stress else ""
    fuzz_args = f"--seconds {args.seconds:g} --seed {seed} {stress_args}{args.fuzz_args}".strip()
    append = f"{kernel_args} init=/bin/fuzz -- {fuzz_args}".strip()
    rerun = f"./myriad fuzz --seconds {args.seconds:g} --seed {seed}" + (" --stress" if args.stress else "")
    nonce = derive_seed(seed, 0xFEEDFACECAFE)

    if not os.path.exists(args.image):
        sys.exit(f"fuzz.py: no kernel image at {args.image}; build first")
    sock_dir = tempfile.mkdtemp(prefix="myriad-fuzz-")
    monitor_path = os.path.join(sock_dir, "monitor")
    # qemu.py's options, named; any this list does not name reads as unset.
    options = Unset(machine="virt", smp=args.smp, mem=args.mem, append=append, image=args.image)
    cmd = qemu.qemu_command(options, interactive=False)
    cmd[cmd.index("-monitor") + 1] = f"unix:{monitor_path},server=on,wait=off"
    gdb_path = os.path.join(sock_dir, "gdb")
    power_off = symbol_address(os.path.join(os.path.dirname(args.image), "kernel.nm"), "_ZN6kernel9power_offEi")
    if power_off is not None:
        cmd += ["-S", "-gdb", f"unix:{gdb_path},server=on,wait=off"]
    print("+ " + " ".join(cmd), flush=True)
    print(f"fuzz.py: seed {seed}; rerun with: {rerun}", flush=True)

    console = qemu.Console(cmd)
    monitor = Monitor(monitor_path)
    gdb = None
    if power_off is not None:
        # Started halted: the breakpoint is in before the first instruction.
        gdb = GdbStub(gdb_path)
        gdb.request("?")
        if gdb.request(f"Z0,{power_off:x},2") != "OK":
            sys.exit("fuzz.py: QEMU's GDB stub refused the breakpoint on kernel::power_off")
        gdb.send("c")
    started = time.monotonic()
    deadline = started + 60 + args.seconds * stress_factor * 1.5 + args.progress_timeout
    last_progress, progress_lines = started, 0
    failure, status, read_rings, rings = None, None, False, None
    while True:
        time.sleep(0.2)
        with console.lock:
            output = console.output
        lines = output.count("\nfuzz: ")
        if lines != progress_lines:
            progress_lines, last_progress = lines, time.monotonic()
        off = re.search(r"power: off \(status (\d+)\)", output)
        if gdb and gdb.receive(0.01) is not None:
            # At kernel::power_off: the machine is stopped with its RAM intact.
            time.sleep(0.3)  # the console reader catches up
            if "PANIC" in console.output:
                failure = "kernel panic"
                rings = dump_rings(monitor, args.mem, nonce)
            gdb.send("D")  # detach: the guest goes on to power off
            gdb = None
            continue
        if "PANIC" in output and (off or power_off is None):
            failure, read_rings = "kernel panic", power_off is None
            break
        if off:
            status = int(off.group(1))
            if "PANIC" in output:
                failure = failure or "kernel panic"
            break
        if console.proc.poll() is not None:
            failure = f"QEMU exited ({console.proc.returncode}) without the guest powering off"
            break
        now = time.monotonic()
        limit = args.progress_timeout * stress_factor
        if now - last_progress > limit:
            failure, read_rings = f"hang: no output from the fuzzer for {limit:.0f} s", True
            break
        if now > deadline:
            failure, read_rings = f"the campaign did not end within {deadline - started:.0f} s", True
            break

    if read_rings and console.proc.poll() is None:
        rings = dump_rings(monitor, args.mem, nonce)
    try:
        monitor.command("quit", timeout=5)
    except (OSError, socket.timeout):
        pass
    try:
        console.proc.wait(timeout=10)
    except Exception:
        console.proc.kill()
    time.sleep(0.1)  # let the reader drain
    output = console.output
    if failure is None:
        m = re.search(r"fuzz: FAIL: (.*)", output)
        if m:
            failure = "the fuzzer reports: " + m.group(1)
        elif status != 0:
            failure = f"the guest powered off with status {status}"
        elif not re.search(r"fuzz: summary: .*: PASS", output):
            failure = "no PASS summary from the fuzzer"

    print()
    summary = re.search(r"fuzz: summary: .*", output)
    if summary:
        print("fuzz.py: " + summary.group(0))
    if failure:
        print(f"fuzz.py: FAIL: {failure}")
        print(f"fuzz.py: seed {seed}; rerun with: {rerun}")
        if rings is not None:
            print("fuzz.py: last calls of each worker slot (from guest RAM):")
            print(rings)
    if args.expect_failure:
        if failure and args.expect_failure in failure + output:
            print(f"fuzz.py: PASS: the campaign failed as expected ({args.expect_failure!r})")
            sys.exit(0)
        print(f"fuzz.py: FAIL: expected a failure mentioning {args.expect_failure!r}")
        sys.exit(1)
    print("fuzz.py: FAIL" if failure else "fuzz.py: PASS")
    sys.exit(1 if failure else 0)


if __name__ == "__main__":
    main()
