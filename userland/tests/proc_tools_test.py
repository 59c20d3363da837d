#!/usr/bin/env python3
"""ps, top, kill, pstree, sleep, nice and time under qemu-riscv64-static.

  proc_tools_test.py --qemu QEMU --rootfs DIR CASE     run one case
  proc_tools_test.py --list                            the case names

Under qemu-user the tools read the host's /proc, the reference for the
format Myriad's /proc follows. The processes they are made to look at
are host programs started here (sleep, a copy of sleep named "a) (b"),
children of this script. One exception: qemu-user synthesizes the
tool's OWN /proc/PID/stat (state "0", most fields 0), so the tests look
at other processes' states, not the tool's.
"""
import argparse
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time

import casekit
from casekit import case

class Runner:
    def __init__(self, qemu, rootfs, scratch):
        self.qemu = qemu
        self.rootfs = os.path.abspath(rootfs)
        self.dir = scratch
        self.children = []

    def env(self, extra=None):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.dir, "LC_ALL": "C"}
        env.update(extra or {})
        return env

    def cmd(self, tool, args):
        return [self.qemu, casekit.image_program(self.rootfs, "bin/" + tool)] + list(args)

    def tool(self, name, *args, env=None):
        """Runs rootfs/bin/NAME under qemu; (status, stdout, stderr)."""
        proc = subprocess.run(self.cmd(name, args), capture_output=True, timeout=30, cwd=self.dir,
                              env=env or self.env())
        return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")

    def spawn(self, *argv, **kwargs):
        """A host process, a child of this script, killed at the end."""
        proc = subprocess.Popen(list(argv), cwd=self.dir, env=self.env(), **kwargs)
        self.children.append(proc)
        return proc

    def cleanup(self):
        for proc in self.children:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


class Check(casekit.Check):
    def run(self, what, result, status=0, err=""):
        """Checks the status of a (status, stdout, stderr) triple, and that
        stderr holds ERR (empty: that it is empty)."""
        got_status, _, got_err = result
        self.eq(f"{what}: status", got_status, status)
        if err:
            self.contains(f"{what}: stderr", got_err, err)
        else:
            self.eq(f"{what}: stderr", got_err, "")


def host_stat(pid):
    """(comm, state, ppid) from the host's /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    comm = text[text.index("(") + 1:text.rindex(")")]
    rest = text[text.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1])


def wait_state(pid, states, timeout=5):
    """Waits until the host says PID is in one of STATES."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host_stat(pid)[1] in states:
            return True
        time.sleep(0.02)
    return False


def line_of(output, pid, column):
    """The line of a ps-like table whose COLUMN (0-based word) is PID."""
    for line in output.splitlines()[1:]:
        words = line.split()
        if len(words) > column and words[column] == str(pid):
            return line
    return None


# A host program (run from a file, for a plain command line) with named
# threads: it names each (writing its own /proc/self/task/TID/comm), says
# "ready" and waits for its stdin to close.
THREADED = r"""
import sys, threading
names = sys.argv[1:]
ready = threading.Barrier(len(names) + 1)
def run(name):
    with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
        f.write(name)
    ready.wait()
    threading.Event().wait()
for name in names:
    threading.Thread(target=run, args=(name,), daemon=True).start()
ready.wait()
print("ready", flush=True)
sys.stdin.read()
"""


def threaded(r, names):
    """Starts THREADED with threads named NAMES; (process, tids ascending,
    {tid: comm}) from the host's /proc/PID/task once every thread sleeps."""
    script = os.path.join(r.dir, "threaded.py")
    with open(script, "w") as f:
        f.write(THREADED)
    proc = r.spawn(sys.executable, script, *names, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.command = f"{sys.executable} {script} {' '.join(names)}"
    proc.stdout.readline()
    tids = sorted(int(t) for t in os.listdir(f"/proc/{proc.pid}/task"))
    for tid in tids:
        wait_state_of(f"/proc/{proc.pid}/task/{tid}/stat", "S")
    comms = {}
    for tid in tids:
        with open(f"/proc/{proc.pid}/task/{tid}/comm") as f:
            comms[tid] = f.read().rstrip("\n")
    return proc, tids, comms


def wait_state_of(path, states, timeout=5):
    """wait_state for a stat file given by its path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            text = f.read()
        if text[text.rindex(")") + 2:].split()[0] in states:
            return True
        time.sleep(0.02)
    return False


def host_ps(*args):
    """procps's ps on the host, if there is one: its rows as lists of words."""
    ps = shutil.which("ps")
    if not ps:
        return None
    out = subprocess.run([ps, *args], capture_output=True, text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
    return [line.split() for line in out.splitlines()]


def missing_pid():
    """A pid no process has (above any pid_max: kill says ESRCH)."""
    pid = 4194304 + 12345
    while os.path.exists(f"/proc/{pid}"):
        pid += 1
    return pid


# ---- ps ----

@case
def ps_lists_child(r, c):
    sleeper = r.spawn("sleep", "5")
    wait_state(sleeper.pid, "S")
    status, out, err = r.tool("ps", "-ef")
    c.run("ps -ef", (status, out, err))
    c.match("ps -ef header", out, r"\AUID +PID +PPID +C STIME TTY +TIME CMD\n")
    line = line_of(out, sleeper.pid, 1)
    c.true(f"ps -ef lists {sleeper.pid}: {out!r}", line is not None)
    if line:
        words = line.split()
        c.eq("PPID", words[2], str(os.getpid()))
        c.true(f"CMD is 'sleep 5': {line!r}", line.endswith(" sleep 5"))
        c.match("TIME", line, r" 00:00:00 sleep 5$")

    # Without options: this session's processes (the sleep shares the
    # script's), PID TTY TIME CMD, CMD the command name.
    status, out, err = r.tool("ps")
    c.run("ps", (status, out, err))
    c.match("ps header", out, r"\A +PID TTY +TIME CMD\n")
    line = line_of(out, sleeper.pid, 0)
    c.true(f"ps lists {sleeper.pid}: {out!r}", line is not None)
    if line:
        c.match("ps row", line, r"^ *\d+ \? +00:00:00 sleep$")

    status, out, err = r.tool("ps", "aux")
    c.run("ps aux", (status, out, err))
    c.match("ps aux header", out, r"\AUSER +PID %CPU %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND\n")
    line = line_of(out, sleeper.pid, 1)
    c.true(f"ps aux lists {sleeper.pid}", line is not None)
    if line:
        c.match("ps aux row", line, r"^\S+ +\d+ +\d+\.\d +\d+\.\d +[1-9]\d* +[1-9]\d* \? +S +\S+ +0:00 sleep 5$")

    # -p selects; nothing selected: exit status 1, just the header.
    status, out, err = r.tool("ps", "-p", str(sleeper.pid))
    c.eq("ps -p rows", len(out.splitlines()), 2)
    status, out, err = r.tool("ps", "-p", "1,1")
    c.eq("ps -p 1,1 status", status, 0)
    status, out, err = r.tool("ps", "-p", str(missing_pid()))
    c.eq("ps -p missing: status", status, 1)
    c.eq("ps -p missing: rows", len(out.splitlines()), 1)
    c.run("bad option", r.tool("ps", "-Q"), status=1, err="unknown option")


@case
def ps_states_and_odd_names(r, c):
    # comm "a) (b": the state is the word after the LAST ')'.
    odd = os.path.join(r.dir, "a) (b")
    shutil.copy("/bin/sleep", odd)
    sleeper = r.spawn(odd, "5")
    stopped = r.spawn("sleep", "5")
    stopped.send_signal(signal.SIGSTOP)
    zombie = r.spawn("true")  # never waited for until the end: a zombie
    c.true("a) (b sleeps", wait_state(sleeper.pid, "S"))
    c.true("stopped", wait_state(stopped.pid, "T"))
    c.true("zombie", wait_state(zombie.pid, "Z"))

    status, out, err = r.tool("ps", "aux")
    c.run("ps aux", (status, out, err))
    for pid, state, command in [(sleeper.pid, "S", f"{odd} 5"), (stopped.pid, "T", "sleep 5"),
                                (zombie.pid, "Z", "[true] <defunct>")]:
        line = line_of(out, pid, 1)
        c.true(f"ps aux lists {pid}", line is not None)
        if line:
            c.eq(f"STAT of {command}", line.split()[7], state)
            c.true(f"COMMAND of {pid}: {line!r}", line.endswith(" " + command))

    status, out, err = r.tool("ps")
    line = line_of(out, sleeper.pid, 0)
    c.true(f"ps lists {sleeper.pid}", line is not None)
    if line:
        c.true(f"CMD is the comm 'a) (b': {line!r}", line.endswith(" a) (b"))

    status, out, err = r.tool("ps", "-f", "-p", str(sleeper.pid))
    line = line_of(out, sleeper.pid, 1)
    c.true(f"ps -f lists {sleeper.pid}", line is not None)
    if line:
        c.eq("PPID after the odd comm", line.split()[2], str(os.getpid()))
    stopped.send_signal(signal.SIGCONT)


@case
def ps_threads(r, c):
    """-L and -T: a line per thread, from /proc/PID/task, as procps."""
    proc, tids, comms = threaded(r, ["worker-a", "worker b"])
    pid = proc.pid
    c.eq("threads", len(tids), 3)

    for option, column in [("-L", "LWP"), ("-T", "SPID")]:
        status, out, err = r.tool("ps", option, "-p", str(pid))
        c.run(f"ps {option}", (status, out, err))
        c.match(f"ps {option} header", out, rf"\A +PID +{column} TTY +TIME CMD\n")
        rows = out.splitlines()[1:]
        c.eq(f"ps {option}: a line per thread", len(rows), len(tids))
        for row, tid in zip(rows, tids):
            c.match(f"ps {option} row of {tid}", row, rf"^ *{pid} +{tid} \? +00:00:00 {re.escape(comms[tid])}$")
        reference = host_ps(option, "-p", str(pid))
        if reference is not None:
            c.eq(f"ps {option} as procps's", [line.split() for line in out.splitlines()], reference)

    # -f: the process's command line, PPID, and with -L the thread count.
    status, out, err = r.tool("ps", "-Lf", "-p", str(pid))
    c.run("ps -Lf", (status, out, err))
    c.match("ps -Lf header", out, r"\AUID +PID +PPID +LWP +C NLWP STIME TTY +TIME CMD\n")
    rows = [line.split() for line in out.splitlines()[1:]]
    c.eq("ps -Lf: pid ppid lwp nlwp", [(w[1], w[2], w[3], w[5]) for w in rows],
         [(str(pid), str(os.getpid()), str(tid), "3") for tid in tids])
    for line in out.splitlines()[1:]:
        c.true(f"ps -Lf CMD is the command line: {line!r}", line.endswith(" " + proc.command))
    reference = host_ps("-Lf", "-p", str(pid))
    if reference is not None:
        # All but C, STIME and TIME, which may differ by when each looked.
        pick = lambda words: words[:4] + [words[5], words[7]] + words[9:]
        c.eq("ps -Lf as procps's", [pick(line.split()) for line in out.splitlines()], [pick(w) for w in reference])

    status, out, err = r.tool("ps", "-Tf", "-p", str(pid))
    c.run("ps -Tf", (status, out, err))
    c.match("ps -Tf header", out, r"\AUID +PID +SPID +PPID +C STIME TTY +TIME CMD\n")
    rows = [line.split() for line in out.splitlines()[1:]]
    c.eq("ps -Tf: pid spid ppid", [(w[1], w[2], w[3]) for w in rows],
         [(str(pid), str(tid), str(os.getpid())) for tid in tids])

    status, out, err = r.tool("ps", "-L", "u", "-p", str(pid))
    c.run("ps -L u", (status, out, err))
    c.match("ps -L u header", out,
            r"\AUSER +PID +LWP %CPU NLWP %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND\n")
    rows = [line.split() for line in out.splitlines()[1:]]
    c.eq("ps -L u: pid lwp nlwp stat", [(w[1], w[2], w[4], w[9]) for w in rows],
         [(str(pid), str(tid), "3", "Sl") for tid in tids])
    status, out, err = r.tool("ps", "-T", "u", "-p", str(pid))
    c.match("ps -T u header", out, r"\AUSER +PID +SPID %CPU %MEM +VSZ +RSS TTY +STAT START +TIME COMMAND\n")
    c.eq("ps -T u rows", len(out.splitlines()), len(tids) + 1)

    # Without -L or -T: one line for the process, as before.
    status, out, err = r.tool("ps", "-p", str(pid))
    c.run("ps", (status, out, err))
    c.eq("ps: one line", len(out.splitlines()), 2)
    c.match("ps row", out, rf"\n *{pid} \? +00:00:00 {re.escape(comms[pid])}\n\Z")
    c.run("ps -L missing", r.tool("ps", "-L", "-p", str(missing_pid())), status=1)
    proc.stdin.close()
    proc.wait(timeout=10)


def processor_of(path):
    """Field 39 (processor) of a host stat file."""
    with open(path) as f:
        text = f.read()
    return int(text[text.rindex(")") + 2:].split()[36])


def pinned_sleeper(r, cpu, seconds="10"):
    """A host sleep pinned to CPU, once it sleeps."""
    proc = r.spawn("sleep", seconds, preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    wait_state(proc.pid, "S")
    return proc


@case
def ps_psr(r, c):
    """PSR, the CPU a process or thread runs or last ran on (stat field
    39): in -o and in -F, as procps shows it."""
    cpus = sorted(os.sched_getaffinity(0))
    for cpu in {cpus[0], cpus[-1]}:
        sleeper = pinned_sleeper(r, cpu)
        c.eq(f"the host's field 39 for a sleep pinned to {cpu}", processor_of(f"/proc/{sleeper.pid}/stat"), cpu)
        status, out, err = r.tool("ps", "-o", "pid,psr,comm", "-p", str(sleeper.pid))
        c.run("ps -o pid,psr,comm", (status, out, err))
        c.match("ps -o header", out, r"\A +PID PSR COMMAND\n")
        c.eq(f"ps -o row (pinned to {cpu})", [l.split() for l in out.splitlines()[1:]],
             [[str(sleeper.pid), str(cpu), "sleep"]])
        reference = host_ps("-o", "pid,psr,comm", "-p", str(sleeper.pid))
        if reference is not None:
            c.eq("ps -o as procps's", [l.split() for l in out.splitlines()], reference)

        status, out, err = r.tool("ps", "-F", "-p", str(sleeper.pid))
        c.run("ps -F", (status, out, err))
        c.match("ps -F header", out, r"\AUID +PID +PPID +C +SZ +RSS PSR STIME TTY +TIME CMD\n")
        line = line_of(out, sleeper.pid, 1)
        c.true(f"ps -F lists {sleeper.pid}: {out!r}", line is not None)
        if line:
            c.eq("ps -F PSR", line.split()[6], str(cpu))
            c.true(f"ps -F CMD: {line!r}", line.endswith(f" sleep 10"))
        reference = host_ps("-F", "-p", str(sleeper.pid))
        if reference is not None:
            # All but C, STIME and TIME, which may differ by when each looked,
            # and RSS: procps 4 reads status's VmRSS, Linux's stat field 24
            # is a sum of per-CPU counters that may lag it.
            pick = lambda w: w[:3] + [w[4], w[6], w[8]] + w[10:]
            c.eq("ps -F as procps's", [pick(l.split()) for l in out.splitlines()], [pick(w) for w in reference])
        sleeper.kill()

    # Threads: -LF and -o with -L, a PSR per thread.
    proc, tids, comms = threaded(r, ["worker-a", "worker b"])
    psr = {tid: processor_of(f"/proc/{proc.pid}/task/{tid}/stat") for tid in tids}
    status, out, err = r.tool("ps", "-LF", "-p", str(proc.pid))
    c.run("ps -LF", (status, out, err))
    c.match("ps -LF header", out, r"\AUID +PID +PPID +LWP +C NLWP +SZ +RSS PSR STIME TTY +TIME CMD\n")
    rows = [l.split() for l in out.splitlines()[1:]]
    c.eq("ps -LF: lwp psr", [(w[3], w[8]) for w in rows], [(str(t), str(psr[t])) for t in tids])
    reference = host_ps("-LF", "-p", str(proc.pid))
    if reference is not None:
        pick = lambda w: w[:4] + [w[5], w[6], w[8], w[10]] + w[12:]  # as -F's: no C, RSS, STIME, TIME
        c.eq("ps -LF as procps's", [pick(l.split()) for l in out.splitlines()], [pick(w) for w in reference])
    status, out, err = r.tool("ps", "-L", "-o", "pid,lwp,psr,stat,comm", "-p", str(proc.pid))
    c.run("ps -L -o", (status, out, err))
    c.eq("ps -L -o rows", [l.split() for l in out.splitlines()],
         [["PID", "LWP", "PSR", "STAT", "COMMAND"]] +
         [[str(proc.pid), str(t), str(psr[t]), "Sl", *comms[t].split()] for t in tids])
    reference = host_ps("-L", "-o", "pid,lwp,psr,stat,comm", "-p", str(proc.pid))
    if reference is not None:
        c.eq("ps -L -o as procps's", [l.split() for l in out.splitlines()], reference)
    proc.stdin.close()
    proc.wait(timeout=10)
    c.run("unknown -o key", r.tool("ps", "-o", "pid,bogus"), status=1, err='unknown user-defined format specifier "bogus"')


# ---- kill ----

@case
def kill_list(r, c):
    status, out, err = r.tool("kill", "-l")
    c.run("kill -l", (status, out, err))
    lines = out.split("\n")
    c.eq("first line", lines[0], " 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP")
    c.eq("third line", lines[2], "11) SIGSEGV\t12) SIGUSR2\t13) SIGPIPE\t14) SIGALRM\t15) SIGTERM")
    c.contains("kill -l", out, "31) SIGSYS\t34) SIGRTMIN\t35) SIGRTMIN+1")
    c.contains("kill -l", out, "49) SIGRTMIN+15\t50) SIGRTMAX-14")
    c.true(f"kill -l ends with SIGRTMAX: {out[-40:]!r}", out.endswith("63) SIGRTMAX-1\t64) SIGRTMAX\t\n"))
    if shutil.which("bash"):
        bash = subprocess.run(["bash", "-c", "kill -l"], capture_output=True, text=True).stdout
        c.eq("kill -l as bash's", out, bash)

    c.run("kill -l 9", r.tool("kill", "-l", "9"))
    c.eq("kill -l 9", r.tool("kill", "-l", "9")[1], "KILL\n")
    c.eq("kill -l KILL", r.tool("kill", "-l", "KILL")[1], "9\n")
    c.eq("kill -l SIGTERM", r.tool("kill", "-l", "SIGTERM")[1], "15\n")
    c.eq("kill -l 137 (an exit status)", r.tool("kill", "-l", "137")[1], "KILL\n")
    c.run("kill -l 99", r.tool("kill", "-l", "99"), status=1, err="kill: 99: invalid signal specification")


@case
def kill_signals(r, c):
    for args, number in [(["-s", "TERM"], signal.SIGTERM), (["-9"], signal.SIGKILL), (["-KILL"], signal.SIGKILL),
                         (["-SIGINT"], signal.SIGINT), (["-n", "1"], signal.SIGHUP), ([], signal.SIGTERM)]:
        sleeper = r.spawn("sleep", "5")
        c.run(f"kill {args}", r.tool("kill", *args, str(sleeper.pid)))
        try:
            c.eq(f"kill {args}: how sleep ended", sleeper.wait(timeout=5), -number)
        except subprocess.TimeoutExpired:
            c.true(f"kill {args}: sleep still runs", False)

    # A negative pid is a process group: both members die.
    leader = r.spawn("sleep", "5", preexec_fn=lambda: os.setpgid(0, 0))
    member = r.spawn("sleep", "5", preexec_fn=lambda: os.setpgid(0, leader.pid))
    c.run("kill -- -PGID", r.tool("kill", "--", f"-{leader.pid}"))
    for proc in [leader, member]:
        try:
            c.eq(f"kill -- -PGID: {proc.pid}", proc.wait(timeout=5), -signal.SIGTERM)
        except subprocess.TimeoutExpired:
            c.true(f"kill -- -PGID: {proc.pid} still runs", False)

    # A stopped process, then SIGCONT by name in lower case.
    sleeper = r.spawn("sleep", "5")
    c.run("kill -STOP", r.tool("kill", "-STOP", str(sleeper.pid)))
    c.true("stopped", wait_state(sleeper.pid, "T"))
    c.run("kill -s cont", r.tool("kill", "-s", "cont", str(sleeper.pid)))
    c.true("continued", wait_state(sleeper.pid, "S"))


@case
def kill_errors(r, c):
    pid = missing_pid()
    c.eq("missing pid", r.tool("kill", str(pid)), (1, "", f"kill: ({pid}) - No such process\n"))
    # One bad pid among good ones: the others still get the signal.
    sleeper = r.spawn("sleep", "5")
    c.run("good and missing", r.tool("kill", str(pid), str(sleeper.pid)), status=1,
          err=f"kill: ({pid}) - No such process")
    c.eq("the good one died", sleeper.wait(timeout=5), -signal.SIGTERM)
    c.run("not a pid", r.tool("kill", "abc"), status=1, err="kill: abc: arguments must be process or job IDs")
    c.run("bad signal", r.tool("kill", "-FOO", "1"), status=1, err="kill: FOO: invalid signal specification")
    c.run("bad -s", r.tool("kill", "-s", "FOO", "1"), status=1, err="kill: FOO: invalid signal specification")
    c.run("no pid", r.tool("kill"), status=2, err="usage")
    c.run("-s without a signal", r.tool("kill", "-s"), status=2, err="usage")


# ---- pstree ----

@case
def pstree_parent_chain(r, c):
    me = os.getpid()
    comm = host_stat(me)[0]
    proc = subprocess.Popen(r.cmd("pstree", ["-p"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=r.dir, env=r.env())
    out, err = proc.communicate(timeout=30)
    out = out.decode(errors="replace")
    c.eq("pstree -p: status", proc.returncode, 0)
    c.eq("pstree -p: stderr", err, b"")
    # Its own pid, under this script, in ASCII (LC_ALL=C).
    c.contains("pstree -p", out, f"{comm}({me})---pstree({proc.pid})")
    c.true(f"rooted at 1: {out[:80]!r}", re.match(r"\A\S+\(1\)[-+]", out) is not None)
    # Every ancestor up to 1 is on the way there.
    pid = me
    while pid > 1:
        ancestor, _, parent = host_stat(pid)
        c.contains(f"ancestor {pid}", out, f"{ancestor}({pid})")
        pid = parent
    for line in out.splitlines():
        c.true(f"ASCII only: {line!r}", line.isascii())


@case
def pstree_drawing(r, c):
    me = os.getpid()
    comm = host_stat(me)[0]
    sleepers = [r.spawn("sleep", "5") for _ in range(2)]
    for s in sleepers:
        wait_state(s.pid, "S")
    status, out, err = r.tool("pstree", "-p", str(me))
    c.run("pstree -p PID", (status, out, err))
    a, b = sorted(s.pid for s in sleepers)
    # Children by name (pstree < sleep), then by pid.
    pad = " " * len(f"{comm}({me})")
    lines = out.splitlines()
    c.eq("pstree -p PID: lines", len(lines), 3)
    if len(lines) == 3:
        c.match("first child", lines[0], rf"^{re.escape(comm)}\({me}\)-\+-pstree\(\d+\)$")
        c.eq("middle child", lines[1], f"{pad} |-sleep({a})")
        c.eq("last child", lines[2], f"{pad} `-sleep({b})")

    # Without -p identical siblings merge.
    status, out, err = r.tool("pstree", str(me))
    c.run("pstree PID", (status, out, err))
    c.eq("merged", out, f"{comm}-+-pstree\n{' ' * len(comm)} `-2*[sleep]\n")

    # -U, or a UTF-8 locale: box-drawing characters.
    status, out, err = r.tool("pstree", "-U", str(me))
    c.eq("pstree -U", out, f"{comm}─┬─pstree\n{' ' * len(comm)} └─2*[sleep]\n")
    status, out, err = r.tool("pstree", str(me), env=r.env({"LC_ALL": "", "LANG": "en_US.UTF-8"}))
    c.eq("pstree in UTF-8", out, f"{comm}─┬─pstree\n{' ' * len(comm)} └─2*[sleep]\n")
    status, out, err = r.tool("pstree", "-A", str(me), env=r.env({"LC_ALL": "", "LANG": "en_US.UTF-8"}))
    c.eq("pstree -A in UTF-8", out, f"{comm}-+-pstree\n{' ' * len(comm)} `-2*[sleep]\n")

    c.eq("missing root", r.tool("pstree", str(missing_pid())), (1, "", ""))
    c.run("bad option", r.tool("pstree", "-Z"), status=1, err="usage")


# ---- top ----

@case
def top_batch(r, c):
    sleeper = r.spawn("sleep", "5")
    wait_state(sleeper.pid, "S")
    start = time.monotonic()
    status, out, err = r.tool("top", "-b", "-n", "2", "-d", "0.5")
    elapsed = time.monotonic() - start
    c.run("top -b -n 2", (status, out, err))
    c.true(f"two frames 0.5 s apart: took {elapsed:.2f} s", elapsed >= 0.5)
    top_line = r"^top - \d\d:\d\d:\d\d up .*,  load average: [\d.]+, [\d.]+, [\d.]+$"
    c.eq("top lines", len(re.findall(top_line, out, re.M)), 2)
    c.eq("Tasks lines", len(re.findall(
        r"^Tasks: +\d+ total, +\d+ running, +\d+ sleeping, +\d+ stopped, +\d+ zombie$", out, re.M)), 2)
    c.eq("Mem lines", len(re.findall(r"^MiB Mem : +[\d.]+ total, +[\d.]+ free, +[\d.]+ used", out, re.M)), 2)
    c.eq("table headers", len(re.findall(
        r"^ +PID USER +PR +NI +VIRT +RES S +P +%CPU +%MEM +TIME\+ COMMAND$", out, re.M)), 2)
    rows = [l for l in out.splitlines() if re.match(rf"^ *{sleeper.pid} ", l)]
    c.eq(f"sleep {sleeper.pid} in each frame", len(rows), 2)
    for row in rows:
        c.match("sleep's row", row,
                r"^ *\d+ \S+ +\d+ +-?\d+ +\d+\S* +\d+\S* S +\d+ +0\.0 +\d+\.\d +0:00\.\d\d sleep$")
    # Sorted by %CPU, highest first.
    frame = out.split("\n\n")[-1]
    cpus = [float(l.split()[8]) for l in frame.splitlines() if re.match(r"^ *\d+ ", l)]
    c.true(f"sorted by %CPU: {cpus[:10]}", cpus == sorted(cpus, reverse=True))
    c.run("bad option", r.tool("top", "-x"), status=1, err="usage")
    c.run("bad -n", r.tool("top", "-n", "0"), status=1, err="usage")


@case
def top_threads(r, c):
    """-H: a row per thread, its tid under PID and its own name."""
    proc, tids, comms = threaded(r, ["worker-a", "worker b"])
    status, out, err = r.tool("top", "-H", "-b", "-n", "1")
    c.run("top -H", (status, out, err))
    m = re.search(r"^Threads: +(\d+) total, +\d+ running, +\d+ sleeping, +\d+ stopped, +\d+ zombie$", out, re.M)
    c.true(f"Threads line: {out[:400]!r}", m is not None)
    c.lacks("top -H", out, "Tasks:")
    table = [l for l in out.splitlines() if re.match(r"^ *\d+ ", l)]
    if m:
        c.eq("Threads: total is the rows", int(m.group(1)), len(table))
    for tid in tids:
        row = next((l for l in table if l.split()[0] == str(tid)), None)
        c.true(f"top -H lists thread {tid}", row is not None)
        if row:
            c.match(f"row of {tid}", row,
                    rf"^ *{tid} \S+ +\d+ +-?\d+ +\d+\S* +\d+\S* S +\d+ +\d+\.\d +\d+\.\d +\d+:\d\d\.\d\d {re.escape(comms[tid])}$")

    # Without -H: the process's row only, and "Tasks:".
    status, out, err = r.tool("top", "-b", "-n", "1")
    c.run("top", (status, out, err))
    c.contains("top", out, "\nTasks:")
    ids = [l.split()[0] for l in out.splitlines() if re.match(r"^ *\d+ ", l)]
    c.true(f"top lists {proc.pid}", str(proc.pid) in ids)
    for tid in tids[1:]:
        c.true(f"top lists no thread {tid}", str(tid) not in ids)
    proc.stdin.close()
    proc.wait(timeout=10)


def cpu_lines():
    """The N of the host's /proc/stat cpuN lines."""
    with open("/proc/stat") as f:
        return [int(m) for m in re.findall(r"^cpu(\d+) ", f.read(), re.M)]


CPU_STATES = r"(?: *\d+\.\d (?:us|sy|ni|id|wa|hi|si|st),?){8}"


@case
def top_per_cpu(r, c):
    """-1: a %CpuN line per CPU of /proc/stat instead of %Cpu(s); the P
    column: the CPU each process runs or last ran on."""
    cpus = sorted(os.sched_getaffinity(0))
    sleeper = pinned_sleeper(r, cpus[-1])
    status, out, err = r.tool("top", "-1", "-b", "-n", "2", "-d", "0.3")
    c.run("top -1 -b", (status, out, err))
    online = cpu_lines()
    per_cpu = re.findall(rf"^%Cpu(\d+) *:({CPU_STATES})$", out, re.M)
    c.eq("a %CpuN line per cpuN line of /proc/stat, in each frame", [int(n) for n, _ in per_cpu], online * 2)
    c.lacks("top -1", out, "%Cpu(s)")
    for n, states in per_cpu:
        total = sum(float(v) for v in re.findall(r"\d+\.\d", states))
        c.true(f"%Cpu{n} adds up to 100 (or nothing passed): {states}", total == 0 or 99.0 <= total <= 101.0)
    rows = [l for l in out.splitlines() if re.match(rf"^ *{sleeper.pid} ", l)]
    c.eq("the pinned sleep in each frame", len(rows), 2)
    for row in rows:
        c.eq(f"P of the sleep pinned to {cpus[-1]}: {row!r}", row.split()[7], str(cpus[-1]))

    status, out, err = r.tool("top", "-b", "-n", "1")
    c.eq("without -1: one %Cpu(s) line", len(re.findall(rf"^%Cpu\(s\):{CPU_STATES}$", out, re.M)), 1)
    c.eq("without -1: no %CpuN line", re.findall(r"^%Cpu\d", out, re.M), [])


@case
def top_terminal_per_cpu(r, c):
    """On a terminal the '1' key switches to a line per CPU and back."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(r.cmd("top", ["-d", "0.3"]), stdin=slave, stdout=slave, stderr=slave, cwd=r.dir,
                            env=r.env({"TERM": "xterm", "LINES": "40", "COLUMNS": "120"}))
    seen = b""

    def expect(pattern, timeout=10):
        """Waits for a frame matching PATTERN; consumes what came before."""
        nonlocal seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frames = seen.split(b"\033[H\033[J")
            for i, frame in enumerate(frames[1:-1], 1):  # whole frames only
                if re.search(pattern, frame.decode(errors="replace"), re.M):
                    seen = b"\033[H\033[J".join(frames[i + 1:])
                    return frame.decode(errors="replace")
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        return None

    try:
        online = cpu_lines()
        c.true("first frame: %Cpu(s)", expect(r"^%Cpu\(s\):") is not None)
        os.write(master, b"1")
        frame = expect(r"^%Cpu\d+ *:")
        c.true("'1': a line per CPU", frame is not None)
        if frame:
            c.eq("'1': the CPUs of /proc/stat", [int(n) for n in re.findall(r"^%Cpu(\d+) *:", frame, re.M)], online)
            c.lacks("'1'", frame, "%Cpu(s)")
            c.true(f"'1': the table follows: {frame!r}", re.search(r"^ +PID USER .* P +%CPU", frame, re.M) is not None)
        os.write(master, b"1")
        frame = expect(r"^%Cpu\(s\):")
        c.true("'1' again: one line", frame is not None and not re.search(r"^%Cpu\d", frame, re.M))
        os.write(master, b"q")
        c.eq("q: exit status", proc.wait(timeout=5), 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)


@case
def top_terminal(r, c):
    """top on a pseudo-terminal: raw mode, 'k' PID Enter kills, 'q' quits
    and gives the terminal back as it was."""
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen(r.cmd("top", ["-d", "0.3"]), stdin=slave, stdout=slave, stderr=slave, cwd=r.dir,
                            env=r.env({"TERM": "xterm"}))
    seen = b""

    def expect(text, timeout=10):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        found = text.encode() in seen
        seen = seen[seen.find(text.encode()) + len(text):] if found else b""
        return found

    try:
        sleeper = r.spawn("sleep", "10")
        c.true("first frame", expect("\033[H\033[J") and expect("PID USER"))
        mode = termios.tcgetattr(slave)
        c.true("raw: no ICANON, no ECHO", not mode[3] & (termios.ICANON | termios.ECHO))
        c.eq("VMIN, VTIME", (mode[6][termios.VMIN], mode[6][termios.VTIME]), (0, 0))
        os.write(master, b"k")
        c.true("kill prompt", expect("PID to signal/kill"))
        os.write(master, f"{sleeper.pid}\r".encode())
        try:
            c.eq("k: the sleep got SIGTERM", sleeper.wait(timeout=5), -signal.SIGTERM)
        except subprocess.TimeoutExpired:
            c.true("k: the sleep still runs", False)
        c.true("redraws", expect("\033[H\033[J") and expect("PID USER"))
        os.write(master, b"q")
        c.eq("q: exit status", proc.wait(timeout=5), 0)
        c.eq("terminal restored", termios.tcgetattr(slave), before)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)


# ---- time, sleep, nice ----

@case
def time_reports(r, c):
    status, out, err = r.tool("time", "/bin/sleep", "0.2")
    c.eq("time: status", status, 0)
    m = re.fullmatch(r"\nreal\t(\d+)m(\d+\.\d{3})s\nuser\t0m\d+\.\d{3}s\nsys\t0m\d+\.\d{3}s\n", err)
    c.true(f"bash's format: {err!r}", m is not None)
    if m:
        real = int(m.group(1)) * 60 + float(m.group(2))
        c.true(f"real {real} >= 0.2", 0.2 <= real < 10)
    # The command's exit status; 128 + N for signal N.
    c.eq("exit status", r.tool("time", "/bin/sh", "-c", "exit 3")[0], 3)
    c.eq("signal", r.tool("time", "/bin/sh", "-c", "kill -TERM $$")[0], 128 + signal.SIGTERM)
    status, out, err = r.tool("time", "-p", "/bin/true")
    c.eq("time -p", status, 0)
    c.true(f"POSIX format: {err!r}", re.fullmatch(r"real \d+\.\d\d\nuser \d+\.\d\d\nsys \d+\.\d\d\n", err) is not None)
    status, out, err = r.tool("time", "/nonexistent")
    c.eq("not found: status", status, 127)
    c.contains("not found", err, "time: /nonexistent: No such file or directory")
    c.run("no command", r.tool("time"), status=2, err="usage")


@case
def sleep_duration(r, c):
    for args, least in [(["0.2"], 0.2), (["0.1", "0.1s"], 0.2), ([".01m"], 0.6)]:
        start = time.monotonic()
        result = r.tool("sleep", *args)
        elapsed = time.monotonic() - start
        c.run(f"sleep {args}", result)
        c.true(f"sleep {args} took {elapsed:.3f} s", least <= elapsed < least + 5)
    c.run("invalid", r.tool("sleep", "x"), status=1, err="sleep: invalid time interval 'x'")
    c.run("negative", r.tool("sleep", "-1"), status=1, err="invalid time interval")
    c.run("no operand", r.tool("sleep"), status=1, err="missing operand")


@case
def nice_runs(r, c):
    base = os.getpriority(os.PRIO_PROCESS, 0)
    c.eq("nice alone", r.tool("nice"), (0, f"{base}\n", ""))
    c.eq("nice CMD", r.tool("nice", "/usr/bin/nice"), (0, f"{min(base + 10, 19)}\n", ""))
    c.eq("nice -n 5", r.tool("nice", "-n", "5", "/usr/bin/nice"), (0, f"{min(base + 5, 19)}\n", ""))
    c.eq("nice -3", r.tool("nice", "-3", "/usr/bin/nice"), (0, f"{min(base + 3, 19)}\n", ""))
    c.eq("nice -n 50 clamps", r.tool("nice", "-n", "50", "/usr/bin/nice"), (0, "19\n", ""))
    c.eq("arguments", r.tool("nice", "/bin/echo", "a", "b"), (0, "a b\n", ""))
    status, out, err = r.tool("nice", "/nonexistent")
    c.eq("not found: status", status, 127)
    c.contains("not found", err, "nice: /nonexistent: No such file or directory")
    c.run("bad adjustment", r.tool("nice", "-n", "x", "/bin/true"), status=125, err="invalid adjustment")


if __name__ == "__main__":
    casekit.main(__doc__, Runner, make_check=Check, scratch_prefix="proc")
