#!/usr/bin/env python3
"""The boot image's programs under qemu-riscv64-static (the Linux reference).

  programs_test.py --qemu QEMU --rootfs DIR CASE     run one case
  programs_test.py --list                            the case names

qemu-user cannot execve another RISC-V program (no binfmt_misc), but its
execve of a host program works, so the shell's commands here are host
programs (/bin/false, /bin/echo, /bin/sh) -- what is tested is the shell:
reading, splitting, quoting, PATH search, waiting, the notes it prints;
threads_demo runs directly (a std::thread program), and the dynamically
linked demos with the image's /lib as qemu's library prefix.
usertests' `programs` group runs the image's own programs under Myriad.
"""
import argparse
import os
import subprocess
import sys
import time

import casekit
from casekit import case

class Runner:
    def __init__(self, qemu, rootfs):
        self.qemu = qemu
        self.rootfs = rootfs

    def run(self, program, args=(), stdin=b"", env=None, chunks=None, image_libraries=False):
        """Runs rootfs/PROGRAM; returns (status, stdout, stderr).

        `chunks` feeds stdin in pieces with pauses between them, so one
        line arrives in several reads. `image_libraries`: a dynamically
        linked program takes its loader and shared libraries from the
        image's /lib (qemu's -L prefix), as it does on Myriad."""
        prefix = ["-L", self.rootfs] if image_libraries else []
        cmd = [self.qemu] + prefix + [casekit.image_program(self.rootfs, program)] + list(args)
        full_env = {"PATH": "/usr/bin:/bin"} if env is None else env
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=full_env)
        if chunks:
            for chunk in chunks:
                proc.stdin.write(chunk)
                proc.stdin.flush()
                time.sleep(0.2)
            stdin = b""
        out, err = proc.communicate(stdin, timeout=60)
        return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


@case
def sh_exit_builtin(r, c):
    status, out, err = r.run("bin/sh", stdin=b"exit 3\necho not reached\n")
    c.eq("status", status, 3)
    c.eq("stderr (no prompt: stdin is not a terminal)", err, "")
    c.eq("stdout", out, "")


@case
def sh_eof_ends_with_last_status(r, c):
    status, _, err = r.run("bin/sh", stdin=b"")
    c.eq("status at EOF", status, 0)
    c.eq("stderr (no prompt: stdin is not a terminal)", err, "")
    status, _, _ = r.run("bin/sh", stdin=b"/bin/false\n")
    c.eq("status after false, then EOF", status, 1)
    status, _, _ = r.run("bin/sh", stdin=b"exit 6")  # no newline before EOF
    c.eq("unterminated last line", status, 6)


@case
def sh_line_in_several_reads(r, c):
    status, _, err = r.run("bin/sh", chunks=[b"ex", b"it", b" 5\n"])
    c.eq("status", status, 5)
    c.lacks("stderr", err, "not found")


@case
def sh_several_lines_in_one_read(r, c):
    status, out, _ = r.run("bin/sh", stdin=b"/bin/echo one\n/bin/echo two\nexit 2\nexit 3\n")
    c.eq("stdout", out, "one\ntwo\n")
    c.eq("status", status, 2)


@case
def sh_carriage_returns(r, c):
    # A raw serial console ends lines with \r; \r\n is one line end.
    status, out, err = r.run("bin/sh", stdin=b"/bin/echo a\r\n/bin/echo b\rexit 4\r")
    c.eq("stdout", out, "a\nb\n")
    c.eq("status", status, 4)
    c.eq("prompts (none: stdin is not a terminal)", err, "")


@case
def sh_quoting(r, c):
    script = b"/bin/echo 'single  quoted' \"double \\\"quoted\\\"\" back\\ slash a''b \"\" # comment\n"
    status, out, _ = r.run("bin/sh", stdin=script)
    c.eq("stdout", out, 'single  quoted double "quoted" back slash ab \n')
    c.eq("status", status, 0)
    status, _, err = r.run("bin/sh", stdin=b"/bin/echo 'open\n")
    c.contains("stderr", err, "sh: syntax error: unterminated '")
    c.eq("status", status, 2)


@case
def sh_path_search(r, c):
    status, out, _ = r.run("bin/sh", stdin=b"echo found on PATH\n", env={"PATH": "/nonexistent:/bin"})
    c.eq("stdout", out, "found on PATH\n")
    c.eq("status", status, 0)
    # PATH unset: /bin:/sbin.
    status, out, _ = r.run("bin/sh", stdin=b"echo default PATH\n", env={})
    c.eq("stdout (PATH unset)", out, "default PATH\n")


@case
def sh_not_found(r, c):
    status, _, err = r.run("bin/sh", stdin=b"no_such_command x\n/no/such/path\nexit\n")
    c.contains("stderr", err, "sh: no_such_command: not found\n")
    c.contains("stderr", err, "sh: /no/such/path: not found\n")
    c.eq("status", status, 127)


@case
def sh_cannot_exec(r, c):
    status, _, err = r.run("bin/sh", stdin=b"/\n")
    c.contains("stderr", err, "sh: /: Permission denied\n")
    c.eq("status", status, 126)
    status, _, err = r.run("bin/sh", stdin=os.path.join(r.rootfs, "bin/garbage").encode() + b"\n")
    c.contains("stderr", err, "Exec format error\n")
    c.eq("status", status, 126)


@case
def sh_notes_exit_and_signal(r, c):
    status, _, err = r.run("bin/sh", stdin=b"/bin/sh -c 'exit 9'\n/bin/sh -c 'kill -SEGV $$'\n/bin/true\n")
    c.contains("stderr", err, "sh: exit 9\n")
    c.contains("stderr", err, "sh: killed by SIGSEGV\n")
    c.eq("status", status, 0)


@case
def sh_dash_c(r, c):
    status, out, err = r.run("bin/sh", ["-c", "exit 7"])
    c.eq("status", status, 7)
    c.eq("stderr (no prompt)", err, "")
    status, out, err = r.run("bin/sh", ["-c", "/bin/echo 'x  y'"])
    c.eq("stdout", out, "x  y\n")
    status, _, err = r.run("bin/sh", ["-c", "/bin/false"])
    c.eq("status of false", status, 1)
    c.eq("no note with -c", err, "")
    status, _, _ = r.run("bin/sh", ["-c", "/bin/sh -c 'kill -KILL $$'"])
    c.eq("status of a killed command", status, 128 + 9)
    status, _, _ = r.run("bin/sh", ["-c"])
    c.eq("-c without command", status, 2)


@case
def echo(r, c):
    status, out, _ = r.run("bin/echo", ["hello", "", "world"])
    c.eq("stdout", out, "hello  world\n")
    c.eq("status", status, 0)
    _, out, _ = r.run("bin/echo", ["-n", "no", "newline"])
    c.eq("stdout -n", out, "no newline")
    _, out, _ = r.run("bin/echo")
    c.eq("stdout, no words", out, "\n")


@case
def true_false(r, c):
    c.eq("true", r.run("bin/true")[0], 0)
    c.eq("false", r.run("bin/false")[0], 1)


@case
def spin(r, c):
    start = time.monotonic()
    status, out, _ = r.run("bin/spin", ["0.3"])
    took = time.monotonic() - start
    c.eq("status", status, 0)
    c.eq("quiet", out, "")
    if not 0.3 <= took < 10:
        c.failures.append(f"spin 0.3 took {took:.2f} s")
    status, out, _ = r.run("bin/spin", ["-v", "0.1"])
    c.contains("-v", out, "spin: ")
    status, _, err = r.run("bin/spin", ["soon"])
    c.eq("bad number", status, 2)
    c.contains("stderr", err, "spin: bad number of seconds: soon")


@case
def threads_demo(r, c):
    # A plain std::thread program (userland/demos/threads_demo.cpp): the
    # same lines on every run, status 0 only if every result is right.
    status, out, err = r.run("bin/threads_demo")
    c.eq("stdout", out,
         "threads_demo: primes below 100000, counted by 8 threads: 9592\n"
         "threads_demo: sum of 4000 items through a queue of 16, 4 producers, 4 consumers: 7998000\n"
         "threads_demo: sum of 1..1000000 by 4 std::async tasks: 500000500000\n"
         "threads_demo: ok\n")
    c.eq("stderr", err, "")
    c.eq("status", status, 0)


@case
def dynamic_programs(r, c):
    # Built with the cross compiler's defaults (userland/demos): the
    # image's loader and libraries run them, and they print what
    # usertests' exec_dynamic_* expect on Myriad.
    status, out, err = r.run("bin/hello", ["one", "two"], image_libraries=True)
    c.eq("hello stdout", out, f"Hello from a dynamically linked program: {os.path.join(r.rootfs, 'bin/hello')}, "
                              "2 argument(s)\n")
    c.eq("hello status", status, 0)
    status, out, err = r.run("bin/dynamic_cxx", ["10", "x", "7", "-3"], image_libraries=True)
    c.eq("dynamic_cxx stdout", out, "dynamic c++: 10 7 -3, 1 not a number, sqrt(2) = 1.41421\n")
    c.eq("dynamic_cxx stderr", err, "")
    c.eq("dynamic_cxx status", status, 0)


@case
def init_not_pid_1(r, c):
    status, _, err = r.run("sbin/init")
    c.eq("status", status, 1)
    c.contains("stderr", err, "init: must run as process 1")


if __name__ == "__main__":
    casekit.main(__doc__, lambda qemu, rootfs, _scratch: Runner(qemu, rootfs))
