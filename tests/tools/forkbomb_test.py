#!/usr/bin/env python3
"""A fork bomb started from Myriad's shell: the shell stays usable,
^C ends the bomb, and every page comes back.

Boots to the shell, reads /proc/meminfo (the baseline), starts
`bench forkbomb` in the background, waits until the bomb reports that fork
failed (RLIMIT_NPROC bit), checks that the shell answers a builtin (`jobs`)
while the bomb runs, brings it to the foreground and types ^C, then reads
/proc/meminfo until MemAvailable + Cached is back at the baseline and the
process count too (Cached: exec pages programs in from the boot archive on
first use; those pages moved into the page cache, they are not lost). Prints the figures and the time the machine took to recover.

MemAvailable, not MemFree: freed kernel stacks stay mapped in a small cache
(at most 64, counted in MemAvailable as the kernel counts them free). The
slack allowed is what the bomb legitimately leaves behind: the kernel's
page tables for the kernel-stack window (one 4 KiB table per 64 stacks,
kept for the next fork) and the scheduler's ready heap (8 bytes per
process, grown by doubling, kept), computed from the number of processes
the bomb reached; nothing per process.
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402


class Failed(Exception):
    pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image", required=True)
    p.add_argument("--mem", default="128M")
    p.add_argument("--timeout", type=float, default=240)
    args = p.parse_args()
    qargs = argparse.Namespace(machine="virt", smp=1, mem=args.mem, uboot=False, image=args.image, image_file=None,
                               append="", initrd=None, icount=False, gdb=False)
    cmd = qemu.qemu_command(qargs, False)
    print("+ " + " ".join(cmd), flush=True)
    console = qemu.Console(cmd)
    deadline = time.monotonic() + args.timeout

    def expect(text, seconds=None):
        limit = deadline if seconds is None else min(deadline, time.monotonic() + seconds)
        if not console.expect(text, limit):
            raise Failed(f"never saw {text!r}")

    def command(line):
        """Types a line and returns its output, up to the next prompt."""
        start = len(console.output)
        console.send(line + "\r")
        expect("# ")
        return console.output[start:]

    def meminfo():
        """MemAvailable + Cached: a program's pages read into the page
        cache for its first run (bench's, here) moved, they are not lost."""
        out = command("cat /proc/meminfo")
        m = re.search(r"MemAvailable:\s+(\d+) kB", out)
        c = re.search(r"Cached:\s+(\d+) kB", out)
        if not m or not c:
            raise Failed(f"no MemAvailable or Cached in {out!r}")
        return int(m.group(1)) + int(c.group(1))

    def processes():
        out = command("cat /proc/loadavg")
        m = re.search(r"\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+/(\d+)", out)
        if not m:
            raise Failed(f"no process count in {out!r}")
        return int(m.group(1))

    try:
        expect("# ")
        meminfo()  # the first run of cat warms what a first exec allocates
        base_kib, base_procs = meminfo(), processes()
        console.send("bench forkbomb &\r")
        expect("forkbomb: fork failed after", 120)
        expect(" processes")
        m = re.search(r"forkbomb: fork failed after \d+ forks: ([^;]+); (\d+) processes", console.output)
        if not m or "Resource temporarily unavailable" not in m.group(1):
            raise Failed("the bomb was not stopped by RLIMIT_NPROC (EAGAIN)")
        bomb_procs = int(m.group(2))
        time.sleep(2)  # the bomb keeps trying
        # A builtin: the shell cannot fork now, but it answers. (Wait for
        # its listing itself: the prompt the shell printed after starting
        # the job may only now reach the screen, the shell being one of
        # ~500 runnable processes.)
        start = len(console.output)
        console.send("jobs\r")
        if not console.expect("]+  Running                    bench forkbomb", time.monotonic() + 60):
            raise Failed(f"jobs did not show the running bomb: {console.output[start:]!r}")
        expect("# ")
        console.send("fg\r")
        # fg echoes the job's command line once it is in the foreground
        # (not to be confused with the "[1]+ Running  bench forkbomb"
        # notice that may already be on the screen).
        expect("fg\r\nbench forkbomb")
        time.sleep(1)
        t0 = time.monotonic()
        # ^C until the prompt is back, as a person would: on a loaded host
        # the shell may still be handing the terminal to the job when the
        # first one arrives (then the shell, which ignores SIGINT, gets it).
        for attempt in range(5):
            console.send("\x03")
            if console.expect("# ", time.monotonic() + 20):
                break
        else:
            raise Failed("^C did not bring the prompt back")
        t_prompt = time.monotonic() - t0
        # Everything the bomb made must be gone: processes, then pages.
        slack_kib = 4 * (bomb_procs // 64 + 2) + (bomb_procs * 8 * 2) // 1024 + 4
        for _ in range(20):
            procs, kib = processes(), meminfo()
            if procs <= base_procs and base_kib - kib <= slack_kib:
                break
            time.sleep(0.5)
        t_back = time.monotonic() - t0
        print(f"\nforkbomb: {bomb_procs} processes at the limit; prompt back {t_prompt:.2f} s after ^C,"
              f" memory back {t_back:.2f} s after ^C (wall clock, loaded host)")
        print(f"forkbomb: MemAvailable + Cached {base_kib} kB before, {kib} kB after (slack {slack_kib} kB);"
              f" processes {base_procs} before, {procs} after")
        if procs > base_procs:
            raise Failed(f"{procs - base_procs} processes left over")
        if base_kib - kib > slack_kib:
            raise Failed(f"{base_kib - kib} kB not given back (slack {slack_kib} kB)")
        out = command("bench null_syscall 100")  # fork and exec work again
        if "null_syscall" not in out or "BENCH-JSON" not in out:
            raise Failed("the shell could not run a program after the bomb")
        console.send("poweroff\r")
        status = console.wait(deadline)
        if status != 0:
            raise Failed(f"QEMU exited {status}")
    except Failed as e:
        console.proc.kill()
        console.proc.wait()
        print(f"\nFAIL: {e}")
        sys.exit(1)
    if "PANIC" in console.output:
        print("\nFAIL: the kernel panicked")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
