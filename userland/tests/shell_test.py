#!/usr/bin/env python3
"""The shell and the file utilities of the boot image under qemu-riscv64-static.

  shell_test.py --qemu QEMU --rootfs DIR CASE     run one case
  shell_test.py --list                            the case names

Each case runs in a scratch directory of its own (made in the current
directory, removed afterwards). As in programs_test.py, the commands the
shell runs are host programs (/usr/bin/printf, sort, tr ...): qemu-user
can execve a host program but not another RISC-V one, so what is tested
in the sh_* cases is the shell -- grammar, expansion, redirections, jobs.
The utilities (cat, ls, wc ...) run directly under qemu. The sh_tty_*
cases give the shell a pseudo-terminal as its controlling terminal:
prompts, ^C, ^Z and the terminal's foreground process group.
"""
import argparse
import fcntl
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

HOST_PATH = "/usr/bin:/bin"

class Runner:
    def __init__(self, qemu, rootfs, scratch):
        self.qemu = qemu
        self.rootfs = os.path.abspath(rootfs)
        self.dir = scratch

    def env(self, extra=None):
        env = {"PATH": HOST_PATH, "HOME": self.dir, "LC_ALL": "C"}
        env.update(extra or {})
        return env

    def run(self, program, args=(), stdin=b"", env=None, cwd=None, argv0=None):
        """Runs rootfs/PROGRAM under qemu; returns (status, stdout, stderr)."""
        cmd = [self.qemu] + (["-0", argv0] if argv0 else []) + [casekit.image_program(self.rootfs, program)] + list(args)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=30, cwd=cwd or self.dir,
                              env=self.env() if env is None else env)
        return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")

    def sh(self, script, *args, stdin=b"", env=None, cwd=None):
        """sh -c SCRIPT [ARGS...]"""
        return self.run("bin/sh", ["-c", script] + list(args), stdin=stdin, env=env, cwd=cwd)

    def sh_stdin(self, text, env=None, cwd=None):
        """sh reading TEXT from a pipe: no prompts, but notes and job reports."""
        return self.run("bin/sh", stdin=text.encode(), env=env, cwd=cwd)

    def tool(self, name, *args, stdin=b"", cwd=None, env=None):
        return self.run("bin/" + name, args, stdin=stdin, cwd=cwd, env=env)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text, mode=None):
        with open(self.path(name), "w") as f:
            f.write(text)
        if mode is not None:
            os.chmod(self.path(name), mode)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()


class Terminal:
    """The shell on a pseudo-terminal that is its controlling terminal."""

    def __init__(self, r):
        self.master, slave = pty.openpty()

        def session():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([r.qemu, casekit.image_program(r.rootfs, "bin/sh")], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=r.dir, env=r.env(), preexec_fn=session)
        os.close(slave)
        self.seen = b""

    def expect(self, text, timeout=10):
        """Waits for TEXT in the output since the last expect; the output up to it."""
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.seen and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:
                    break
        if want not in self.seen:
            return None
        upto, self.seen = self.seen.split(want, 1)
        return upto.decode(errors="replace")

    def prompt(self, timeout=10):
        """The output up to the next prompt (which follows a line end)."""
        upto = self.expect("\n$ ", timeout)
        return None if upto is None else upto + "\n"

    def send(self, text):
        os.write(self.master, text.encode())

    def close(self):
        try:
            status = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait(timeout=10)
        os.close(self.master)
        return status


# ---- the shell: grammar ----

@case
def sh_pipelines(r, c):
    c.run("3 stages", r.sh("printf 'b\\na\\nc\\n' | sort | tr a-z A-Z"), out="A\nB\nC\n")
    c.run("5 stages", r.sh("echo x | cat | cat | cat | tr x y"), out="y\n")
    c.run("status of the last", r.sh("false | true"), status=0, out="")
    c.run("status of the last (fails)", r.sh("true | false"), status=1, out="")
    c.run("! negates", r.sh("! true"), status=1)
    c.run("! negates a pipeline", r.sh("! echo x | grep -q y"), status=0)
    c.run("a reader that quits early (SIGPIPE) is quiet", r.sh("yes | head -n 2"), out="y\ny\n")
    c.run("pipe across lines", r.sh("echo abc |\n\ntr b B"), out="aBc\n")


@case
def sh_redirect_files(r, c):
    c.run("> and >>", r.sh("echo one > f; echo two >> f; cat f"), out="one\ntwo\n")
    c.run("> truncates", r.sh("echo three > f; cat < f"), out="three\n")
    c.run("N< and N>", r.sh("cat 0< f 1> g; cat g"), out="three\n")
    c.run("redirection only creates", r.sh("> empty"))
    c.eq("empty file", r.read("empty"), "")
    c.run("redirection before the command", r.sh("> h echo before; cat h"), out="before\n")
    c.run("target from a variable", r.sh("T=var.txt; echo v > $T; cat \"$T\""), out="v\n")
    status, out, err = r.sh("echo no > /nonexistent/x; echo $?")
    c.contains("open error", err, "sh: /nonexistent/x: No such file or directory")
    c.eq("failed redirection: command not run, status 1", out, "1\n")
    status, out, err = r.sh("cat < missing")
    c.eq("< missing: status", status, 1)
    c.contains("< missing", err, "sh: missing: No such file or directory")


@case
def sh_redirect_descriptors(r, c):
    status, out, err = r.sh("ls /nonexistent 2> err; cat err")
    c.contains("2> to a file", out, "nonexistent")
    c.eq("2>: stderr", err, "")
    c.run("2>&1 into a pipe", r.sh("ls /nonexistent 2>&1 | wc -l"), out="1\n")
    c.run(">&2", r.sh("echo to-stderr >&2"), out="", err="to-stderr\n")
    c.run("1>&2", r.sh("echo to-stderr 1>&2"), out="", err="to-stderr\n")
    # Left to right: 2>&1 takes stdout before > moves it.
    status, out, err = r.sh("ls /nonexistent 2>&1 > f")
    c.contains("2>&1 > f: the error goes to the old stdout", out, "nonexistent")
    c.eq("2>&1 > f: f", r.read("f"), "")
    c.run("N>file, N>&M", r.sh("/bin/sh -c 'echo to-3 >&3' 3> f3; cat f3"), out="to-3\n")
    c.run("N<&M", r.sh("echo data > in; cat 0<&4 4< in"), status=1, err="sh: 4: Bad file descriptor")
    c.run("N<&M in order", r.sh("cat 4< in 0<&4"), out="data\n")
    c.run(">&- closes", r.sh("/bin/sh -c 'echo x >&3' 3>&-"), status=2, err="")
    c.run("bad descriptor", r.sh("echo x >&7"), status=1, err="sh: 7: Bad file descriptor")
    c.run("bad target", r.sh("echo x >&y"), status=1, err="sh: y: bad file descriptor number")
    # A builtin's redirections are undone afterwards.
    c.run("builtin redirected", r.sh("pwd > p; echo after"), out="after\n")
    c.eq("builtin output", r.read("p"), r.dir + "\n")
    c.run(">> appends", r.sh("echo 1 >> a; echo 2 >> a; echo 3 1>>a; cat a"), out="1\n2\n3\n")


@case
def sh_lists(r, c):
    c.run("&& || ;", r.sh("true && echo a; false && echo b; false || echo c; true || echo d"), out="a\nc\n")
    c.run("chains", r.sh("false && echo e || echo f; true || false && echo g"), out="f\ng\n")
    c.run("&& across lines", r.sh("true &&\n  echo next-line"), out="next-line\n")
    c.run("status of a list", r.sh("true; false"), status=1)
    c.run("newlines separate", r.sh("echo 1\n\necho 2\n"), out="1\n2\n")
    c.run("$?", r.sh("false; echo $?; true; echo $?; sh -c 'exit 7'; echo \"$?\""), out="1\n0\n7\n")
    c.run("$? of not found", r.sh("nonexistent_cmd 2>/dev/null; echo $?"), out="127\n")


@case
def sh_quoting(r, c):
    c.run("single quotes", r.sh("echo '$X \\ \"x\"  #'"), out='$X \\ "x"  #\n')
    c.run("double quotes", r.sh('X=v; echo "$X ${X}w \\$X \\" \\\\ \'s\' #"'), out='v vw $X " \\ \'s\' #\n')
    c.run("backslash", r.sh("echo a\\ b \\$X \\'q\\'"), out="a b $X 'q'\n")
    c.run("empty words survive", r.sh("printf '[%s]' '' \"\" a''b; echo"), out="[][][ab]\n")
    c.run("parts join", r.sh("X=x; printf '[%s]' 'a'\"b\"c$X\"$X\"; echo"), out="[abcxx]\n")
    c.run("unquoted expansion splits", r.sh("X='1  2 '; printf '[%s]' $X; echo"), out="[1][2]\n")
    c.run("quoted expansion does not", r.sh("X='1  2 '; printf '[%s]' \"$X\"; echo"), out="[1  2 ]\n")
    c.run("empty expansion vanishes", r.sh("printf '[%s]' $NOPE a; echo"), out="[a]\n")
    c.run("quoted empty expansion stays", r.sh("printf '[%s]' \"$NOPE\"; echo"), out="[]\n")
    c.run("quote across lines", r.sh("echo 'a\nb'"), out="a\nb\n")
    c.run("line continuation", r.sh("echo a \\\nb"), out="a b\n")
    c.run("lone $", r.sh("echo $ a$ \"$\""), out="$ a$ $\n")
    c.run("tilde", r.sh("echo ~ ~/x '~' a~"), out=f"{r.dir} {r.dir}/x ~ a~\n")
    for script, message in [("echo 'open", "unterminated '"), ('echo "open', 'unterminated "'),
                            ("echo ${X", "unterminated ${"), ("echo ${1x}", "bad substitution")]:
        c.run(script, r.sh(script), status=2, err=f"sh: syntax error: {message}")


@case
def sh_syntax_errors(r, c):
    for script, message in [("echo a |", "unexpected end of file"), ("| echo", "unexpected |"),
                            ("echo >", "unexpected newline"), ("true && && true", "unexpected &&"),
                            (";", "unexpected ;"), ("cat << EOF", "here-documents"),
                            ("(echo)", "subshells"), ("echo a ;; echo b", "unexpected ;")]:
        c.run(repr(script), r.sh(script), status=2, err=f"sh: syntax error: {message}")
    # -c and scripts stop at a syntax error; standard input goes on.
    c.run("-c stops", r.sh("echo before\necho |\n|\necho after"), status=2, out="before\n", err="syntax error")
    status, out, err = r.sh_stdin("| x\necho still here\n")
    c.run("stdin goes on", (status, out, err), out="still here\n", err="sh: syntax error: unexpected |")


@case
def sh_comments(r, c):
    c.run("comments", r.sh("# a whole line\necho a # trailing\necho b#c '#d' \"#e\"\n   # indented"),
          out="a\nb#c #d #e\n")
    c.run("only a comment", r.sh("# nothing"), out="")


@case
def sh_variables(r, c):
    c.run("assign and expand", r.sh("X=1 Y=two; echo $X ${Y}s \"$X$Y\""), out="1 twos 1two\n")
    c.run("assign from expansion", r.sh("X='a b'; Y=$X; printf '[%s]' \"$Y\"; echo"), out="[a b]\n")
    c.run("positional", r.sh("echo $0 $1 $2 $# \"$3\"", "zero", "one", "two"), out="zero one two 2 \n")
    c.run("$@ and $*", r.sh("printf '[%s]' \"$@\"; printf '<%s>' \"$*\"; printf '{%s}' $@; echo", "x",
                            "a b", "c"), out="[a b][c]<a b c>{a}{b}{c}\n")
    c.run('"$@" without parameters', r.sh("sh -c 'echo $#' inner \"$@\""), out="0\n")
    status, out, _ = r.sh("echo $$; sh -c 'echo $PPID'")
    lines = out.split()
    c.true(f"$$ is the shell, the parent of its children: {out!r}", len(lines) == 2 and lines[0] == lines[1])
    c.run("$!", r.sh("true & p=$!; wait; test -n \"$p\" && echo ok"), out="ok\n")
    c.run("the environment comes in", r.sh("echo $FROM_ENV", env=r.env({"FROM_ENV": "yes"})), out="yes\n")


@case
def sh_export_unset(r, c):
    c.run("unexported stays in the shell", r.sh("X=1; env | grep ^X=; echo $X"), out="1\n")
    c.run("export NAME", r.sh("X=1; export X; env | grep ^X="), out="X=1\n")
    c.run("export NAME=VALUE", r.sh("export Y=2 Z=3; env | grep -E '^(Y|Z)='"), out="Y=2\nZ=3\n")
    c.run("assignment to an exported name", r.sh("export Y=2; Y=4; env | grep ^Y="), out="Y=4\n")
    c.run("export lists", r.sh("export Q=\"it's\"; export | grep Q="), out="export Q='it'\\''s'\n")
    c.run("unset", r.sh("export X=1; unset X; env | grep -c ^X=; echo \"[$X]\""), status=0, out="0\n[]\n")
    c.run("unset an inherited one", r.sh("unset HOME; echo \"[$HOME]\"; env | grep -c ^HOME="), status=1,
          out="[]\n0\n")
    c.run("bad name", r.sh("export 1X=2"), status=1, err="sh: export: 1X=2: not a valid name")
    c.run("bad name (unset)", r.sh("unset a-b"), status=1, err="sh: unset: a-b: not a valid name")


@case
def sh_assignment_prefix(r, c):
    c.run("for the command only", r.sh("A=1 B='x y' env | grep -E '^(A|B)='; echo \"[$A]\""),
          out="A=1\nB=x y\n[]\n")
    c.run("overrides an exported one", r.sh("export A=1; A=2 env | grep ^A=; echo $A"), out="A=2\n1\n")
    c.run("PATH= for the search", r.sh("PATH=/nonexistent ls"), status=127, err="sh: ls: not found")
    os.mkdir(r.path("sub"))
    c.run("for a builtin, then restored", r.sh("HOME=$PWD/sub cd; pwd; echo $HOME"),
          out=f"{r.dir}/sub\n{r.dir}\n")
    c.run("in a pipeline", r.sh("A=p env | grep ^A= | cat"), out="A=p\n")


@case
def sh_background(r, c):
    # Reading stdin: "[N] PID" when started, "[N]+ Done" before the next command.
    status, out, err = r.sh_stdin("sleep 0.3 &\necho started\nsleep 0.6\n"
                                  "sh -c 'exit 3' &\nsleep 0.3\n"
                                  "sh -c 'kill -TERM $$' &\nsleep 0.3\n"
                                  "false || echo or-list &\nsleep 0.3\necho end\n")
    c.eq("status", status, 0)
    c.eq("stdout", out, "started\nor-list\nend\n")
    c.match("started", err, r"^\[1\] \d+$")
    c.contains("done", err, "[1]+ Done  sleep 0.3\n")
    c.contains("exit", err, "[1]+ Exit 3  sh -c 'exit 3'\n")
    c.contains("signal", err, "[1]+ Terminated  sh -c 'kill -TERM $$'\n")
    c.contains("and-or list", err, "[1]+ Done  false || echo or-list\n")
    status, _, err = r.sh_stdin("sleep 0.5 &\nsleep 0.5 &\n")
    c.match("numbers", err, r"\[1\] \d+\n\[2\] \d+\n")
    # -c: quiet; wait.
    c.run("wait", r.sh("sleep 0.2 & echo first; wait; echo second"), out="first\nsecond\n")
    c.run("wait PID", r.sh("sh -c 'exit 4' & wait $!; echo $?"), out="4\n")
    c.run("wait %N", r.sh("sh -c 'exit 5' & sleep 0.1 & wait %1; echo $?"), out="5\n")
    c.run("wait for nothing", r.sh("wait %3"), status=127, err="sh: wait: %3: no such job")
    start = time.monotonic()
    c.run("does not wait", r.sh("sleep 2 >/dev/null 2>&1 & echo now"), out="now\n")
    c.true("background job held up the shell", time.monotonic() - start < 1.5)


@case
def sh_cd_pwd(r, c):
    os.makedirs(r.path("a", "b"))
    c.run("cd DIR", r.sh("cd a/b; pwd; echo $PWD"), out=f"{r.dir}/a/b\n{r.dir}/a/b\n")
    c.run("cd ..", r.sh("cd a/b; cd ..; pwd"), out=f"{r.dir}/a\n")
    c.run("cd = $HOME", r.sh("cd /; cd; pwd", env=r.env({"HOME": r.path("a")})), out=f"{r.dir}/a\n")
    c.run("cd -", r.sh("cd a; cd /; cd -; pwd"), out=f"{r.dir}/a\n{r.dir}/a\n")
    c.run("cd into a file", r.sh("touch f; cd f"), status=1, err="sh: cd: f: Not a directory")
    c.run("cd missing", r.sh("cd nowhere; pwd"), out=f"{r.dir}\n", err="sh: cd: nowhere: No such file or directory")
    c.run("HOME unset", r.sh("unset HOME; cd"), status=1, err="sh: cd: HOME not set")
    c.run("children start there", r.sh("cd a && /bin/pwd"), out=f"{r.dir}/a\n")
    c.run("cd in a pipeline is lost", r.sh("cd a | true; pwd"), out=f"{r.dir}\n")


@case
def sh_exit(r, c):
    c.run("exit N", r.sh("echo before; exit 5; echo after"), status=5, out="before\n")
    c.run("exit: last status", r.sh("false; exit"), status=1)
    c.run("exit 256", r.sh("exit 256"), status=0)
    c.run("bad number", r.sh("exit x; echo still"), status=0, out="still\n", err="sh: exit: bad number: x")
    c.run("in an and-or list", r.sh("true && exit 3 || echo no; echo no"), status=3, out="")
    c.run("from stdin", r.sh_stdin("echo a\nexit 4\necho b\n"), status=4, out="a\n")
    c.run("in a pipeline: a subshell", r.sh("exit 3 | true; echo on"), out="on\n")


@case
def sh_scripts(r, c):
    r.write("s.sh", "# a script\necho \"$0\" $#\nprintf '[%s]' \"$@\"; echo\nshift\necho \"$1\"\nX=in-script\n"
            "echo $X\nexit 7\necho not reached\n")
    c.run("sh FILE ARGS", r.sh("sh s.sh a 'b c' d"), status=7, out="s.sh 3\n[a][b c][d]\nb c\nin-script\n")
    c.run("directly", r.run("bin/sh", ["s.sh", "x"]), status=7, out="s.sh 1\n[x]\n\nin-script\n")
    r.write("last.sh", "false\n")
    c.run("status of the last command", r.run("bin/sh", ["last.sh"]), status=1)
    r.write("bad.sh", "echo ok\necho 'open\n")
    c.run("syntax error", r.run("bin/sh", ["bad.sh"]), status=2, out="ok\n", err="unterminated '")
    c.run("missing script", r.run("bin/sh", ["nope.sh"]), status=127, err="sh: nope.sh: No such file or directory")
    c.run("unknown option", r.run("bin/sh", ["-z"]), status=2, err="unknown option")
    # The script's descriptor is the shell's own; stdin is the command's.
    r.write("stdin.sh", "cat\n")
    c.run("commands read stdin", r.run("bin/sh", ["stdin.sh"], stdin=b"input\n"), out="input\n")


@case
def sh_shebang(r, c):
    # The kernel runs "#!INTERPRETER ARG" as INTERPRETER ARG SCRIPT ARGS...;
    # here INTERPRETER is qemu and ARG the image's sh, so the sh gets the
    # script's path as argv[1], as under Myriad with "#!/bin/sh".
    line = f"#!{r.qemu} {r.rootfs}/bin/sh\n"
    if len(line) > 255:
        print("SKIP: #! line longer than the kernel's 255 bytes")
        return
    r.write("run.sh", line + "echo \"$0\" \"$@\"\nexit 3\n", mode=0o755)
    c.run("from the shell", r.sh("./run.sh a 'b c'; echo status $?"), out="./run.sh a b c\nstatus 3\n")
    c.run("along PATH", r.sh("run.sh x", env=r.env({"PATH": r.dir + ":" + HOST_PATH})),
          status=3, out=f"{r.dir}/run.sh x\n")


@case
def sh_not_found_and_denied(r, c):
    c.run("not found", r.sh("no_such_command x"), status=127, err="sh: no_such_command: not found\n")
    c.run("not found with /", r.sh("./nothing"), status=127, err="sh: ./nothing: not found\n")
    r.write("text", "echo hi\n", mode=0o644)
    c.run("no execute permission", r.sh("./text"), status=126, err="sh: ./text: Permission denied\n")
    c.run("a directory", r.sh("/"), status=126, err="sh: /: Permission denied\n")
    c.run("in a pipeline", r.sh("echo x | no_such_command | cat; echo $?"), out="0\n",
          err="sh: no_such_command: not found")
    c.run("PATH searched in order", r.sh("echo found", env=r.env({"PATH": "/nonexistent:" + HOST_PATH})),
          out="found\n")
    c.run("PATH unset: /bin:/sbin", r.sh("echo default", env={}), out="default\n")


@case
def sh_signal_reports(r, c):
    c.run("SIGSEGV", r.sh("sh -c 'kill -SEGV $$'; echo $?"), out="139\n", err="sh: killed by SIGSEGV\n")
    c.run("SIGTERM", r.sh("sh -c 'kill -TERM $$'"), status=143, err="sh: killed by SIGTERM\n")
    c.run("SIGINT: quiet", r.sh("sh -c 'kill -INT $$'; echo $?"), out="130\n", err=None)
    c.run("SIGPIPE: quiet", r.sh("sh -c 'kill -PIPE $$'; echo $?"), out="141\n", err=None)
    status, _, err = r.sh_stdin("sh -c 'exit 9'\nsh -c 'kill -KILL $$'\ntrue\n")
    c.contains("stdin: exit note", err, "sh: exit 9\n")
    c.contains("stdin: kill note", err, "sh: killed by SIGKILL\n")
    c.lacks("no note for || ", r.sh_stdin("false || true\n")[2], "sh: exit")


@case
def sh_process_groups(r, c):
    # Without a terminal there is no job control: the children stay in
    # the shell's process group (so that ^C reaches them).
    proc = subprocess.Popen([r.qemu, casekit.image_program(r.rootfs, "bin/sh"), "-c", "cut -d' ' -f5 /proc/self/stat | cat"],
                            stdout=subprocess.PIPE, cwd=r.dir, env=r.env(), start_new_session=True)
    out, _ = proc.communicate(timeout=30)
    c.eq("group of a child without job control", out.decode().strip(), str(proc.pid))


def tty_stat(out):
    m = re.search(r"pid=(\d+) pgrp=(\d+) tpgid=(\d+)", out or "")
    return tuple(int(x) for x in m.groups()) if m else None


STAT = "/bin/sh -c 'set -- $(cat /proc/$$/stat); echo pid=$$ pgrp=$5 tpgid=$8'"


@case
def sh_tty_prompt_and_eof(r, c):
    t = Terminal(r)
    try:
        c.true("first prompt", t.expect("$ ") is not None)
        t.send("echo 'one\ntwo'\n")
        c.true("continuation prompt", t.expect("> ") is not None)
        out = t.prompt()
        c.contains("output", out or "", "one\r\ntwo\r\n")
        t.send(STAT + "\n")
        stat = tty_stat(t.prompt())
        c.true(f"foreground job leads its own group and has the terminal: {stat}",
               stat is not None and stat[0] == stat[1] == stat[2] and stat[1] != t.proc.pid)
        t.send(STAT + " | cat\n")
        stat = tty_stat(t.prompt())
        c.true(f"pipeline too: {stat}", stat is not None and stat[1] == stat[2] and stat[1] != t.proc.pid)
        t.send("false\n")
        c.contains("exit note", t.prompt() or "", "sh: exit 1")
        t.send("\x04")
        c.true("exit at ^D", t.expect("exit\r\n") is not None)
    finally:
        c.eq("status at EOF (the last command's)", t.close(), 1)


@case
def sh_tty_interrupt(r, c):
    t = Terminal(r)
    try:
        t.expect("$ ")
        start = time.monotonic()
        t.send("/bin/sh -c 'echo ready; exec sleep 5'\n")
        c.true("started", t.expect("ready\r\n") is not None)
        time.sleep(0.2)
        t.send("\x03")
        after = t.prompt()
        c.true("^C ends the command, not the shell", after is not None and time.monotonic() - start < 4)
        c.lacks("no note for SIGINT", after or "", "killed")
        t.send("echo status $?\n")
        c.contains("status", t.prompt() or "", "status 130")
        t.send("sleep 0.2 &\n")
        c.true("[1] PID", re.search(r"\[1\] \d+", t.prompt() or "") is not None)
        time.sleep(0.5)
        t.send("echo x\n")
        c.contains("Done before the prompt", t.prompt() or "", "[1]+ Done  sleep 0.2")
        t.send("exit 4\n")
    finally:
        c.eq("exit status", t.close(), 4)


@case
def sh_tty_stop_and_fg(r, c):
    t = Terminal(r)
    try:
        t.expect("$ ")
        t.send("/bin/sh -c 'echo ready; sleep 3; echo finished'\n")
        c.true("started", t.expect("ready\r\n") is not None)
        # The shell hands the terminal to the job around the time the job
        # prints; on a loaded machine give that a moment before ^Z.
        time.sleep(0.5)
        t.send("\x1a")
        c.true("^Z stops it", t.expect("[1]+ Stopped  /bin/sh -c 'echo ready; sleep 3; echo finished'") is not None)
        t.prompt()
        t.send("jobs\n")
        c.contains("jobs", t.prompt() or "", "[1]+ Stopped")
        t.send("fg\n")
        c.contains("fg continues it in the foreground", t.prompt() or "", "finished\r\n")
        t.send("echo status $?\n")
        c.contains("status", t.prompt() or "", "status 0")
        t.send("fg\n")
        c.contains("no job", t.prompt() or "", "sh: fg: current: no such job")
        t.send("exit\n")
    finally:
        t.close()


@case
def sh_no_prompt_without_terminal(r, c):
    c.run("stdin is a pipe", r.sh_stdin("echo a\n"), out="a\n", err=None)
    c.run("EOF: last status, no 'exit'", r.sh_stdin("false\n"), status=1, err="sh: exit 1\n")


# ---- the utilities ----

@case
def cat(r, c):
    r.write("a", "one\ntwo\n")
    r.write("b", "three")
    c.run("files", r.tool("cat", "a", "b"), out="one\ntwo\nthree")
    c.run("stdin", r.tool("cat", stdin=b"in\n"), out="in\n")
    c.run("- is stdin", r.tool("cat", "a", "-", "b", stdin=b"mid\n"), out="one\ntwo\nmid\nthree")
    c.run("-n counts on", r.tool("cat", "-n", "a", "b"), out="     1\tone\n     2\ttwo\n     3\tthree")
    c.run("missing", r.tool("cat", "a", "missing", "b"), status=1, out="one\ntwo\nthree",
          err="cat: missing: No such file or directory\n")
    os.mkdir(r.path("d"))
    c.run("directory", r.tool("cat", "d"), status=1, err="cat: d: Is a directory\n")
    c.run("bad option", r.tool("cat", "-z"), status=2, err="usage")


@case
def ls(r, c):
    r.write("b", "12345", mode=0o640)
    r.write(".hidden", "")
    os.mkdir(r.path("a"))
    os.chmod(r.path("a"), 0o755)
    r.write("a/inner", "")
    os.symlink("b", r.path("link"))
    c.run("sorted names", r.tool("ls"), out="a\nb\nlink\n")
    c.run("-a", r.tool("ls", "-a"), out=".\n..\n.hidden\na\nb\nlink\n")
    status, out, err = r.tool("ls", "-l")
    c.eq("-l status", status, 0)
    c.match("-l dir", out, r"^drwxr-xr-x 2 +\d+ a$")
    c.match("-l file", out, r"^-rw-r----- 1 +5 b$")
    c.match("-l link", out, r"^lrwxrwxrwx 1 +1 link -> b$")
    c.eq("-l lines", len(out.splitlines()), 3)
    c.run("a file lists itself", r.tool("ls", "b"), out="b\n")
    c.run("a dir lists its entries", r.tool("ls", "a"), out="inner\n")
    c.run("several operands", r.tool("ls", "a", "b", "link"), out="b\nlink\n\na:\ninner\n")
    c.run("two dirs", r.tool("ls", "a", "."), out=".:\na\nb\nlink\n\na:\ninner\n")
    c.run("missing", r.tool("ls", "missing", "b"), status=2, out="b\n",
          err="ls: missing: No such file or directory\n")
    os.chmod(r.path("b"), 0o4755)
    os.chmod(r.path("a"), 0o1777)
    status, out, _ = r.tool("ls", "-l")
    c.match("setuid", out, r"^-rwsr-xr-x 1 +5 b$")
    c.match("sticky", out, r"^drwxrwxrwt")
    status, out, _ = r.tool("ls", "-l", os.path.join(r.rootfs, casekit.BOX_DIR))
    c.match("ls -l /bin shows sh", out, r"^-rwxr-xr-x +\d+ +\d+ sh$")
    c.run("bad option", r.tool("ls", "-z"), status=2, err="usage")


@case
def mkdir(r, c):
    c.run("one", r.tool("mkdir", "d"))
    c.true("made", os.path.isdir(r.path("d")))
    c.run("exists", r.tool("mkdir", "d"), status=1, err="mkdir: d: File exists\n")
    c.run("no parent", r.tool("mkdir", "x/y"), status=1, err="mkdir: x/y: No such file or directory\n")
    c.run("-p", r.tool("mkdir", "-p", "p/q/r", "d", "d/e/"))
    c.true("-p made them", os.path.isdir(r.path("p/q/r")) and os.path.isdir(r.path("d/e")))
    r.write("f", "")
    c.run("-p through a file", r.tool("mkdir", "-p", "f/g"), status=1, err="mkdir: f: File exists\n")
    c.run("no operand", r.tool("mkdir"), status=2, err="mkdir: missing operand")


@case
def rm(r, c):
    r.write("f", "x")
    c.run("file", r.tool("rm", "f"))
    c.true("gone", not os.path.exists(r.path("f")))
    c.run("missing", r.tool("rm", "f"), status=1, err="rm: f: No such file or directory\n")
    c.run("-f missing", r.tool("rm", "-f", "f"))
    c.run("-f nothing", r.tool("rm", "-f"))
    os.makedirs(r.path("t/u/v"))
    r.write("t/u/file", "")
    r.write("t/.dot", "")
    c.run("directory", r.tool("rm", "t"), status=1, err="rm: t: Is a directory\n")
    c.run("-r", r.tool("rm", "-r", "t"))
    c.true("tree gone", not os.path.exists(r.path("t")))
    os.mkdir(r.path("e"))
    c.run("-rf", r.tool("rm", "-rf", "e", "nothing"))
    c.run("refuses .", r.tool("rm", "-rf", "."), status=1, err="rm: .: refusing to remove\n")
    c.true(". still there", os.path.isdir(r.dir))
    c.run("no operand", r.tool("rm"), status=2, err="rm: missing operand")


@case
def mv(r, c):
    r.write("a", "A")
    c.run("rename", r.tool("mv", "a", "b"))
    c.eq("moved", (os.path.exists(r.path("a")), r.read("b")), (False, "A"))
    os.mkdir(r.path("d"))
    r.write("c", "C")
    c.run("into a directory", r.tool("mv", "b", "c", "d"))
    c.eq("in d", sorted(os.listdir(r.path("d"))), ["b", "c"])
    c.run("a directory", r.tool("mv", "d", "e"))
    c.true("renamed dir", os.path.isfile(r.path("e/b")))
    c.run("missing", r.tool("mv", "nope", "x"), status=1, err="mv: nope: No such file or directory\n")
    r.write("f", "")
    r.write("g", "")
    c.run("several into a file", r.tool("mv", "f", "g", "e/b"), status=1, err="mv: e/b: Not a directory\n")
    c.run("one operand", r.tool("mv", "f"), status=2, err="mv: missing operand")


@case
def cp(r, c):
    r.write("a", "contents\n", mode=0o750)
    c.run("file", r.tool("cp", "a", "b"))
    c.eq("copy", (r.read("b"), os.stat(r.path("b")).st_mode & 0o777), ("contents\n", 0o750))
    r.write("b", "a much longer old content\n")
    c.run("over a file", r.tool("cp", "a", "b"))
    c.eq("truncated", r.read("b"), "contents\n")
    os.mkdir(r.path("d"))
    c.run("into a directory", r.tool("cp", "a", "b", "d"))
    c.eq("in d", sorted(os.listdir(r.path("d"))), ["a", "b"])
    c.run("directory without -r", r.tool("cp", "d", "e"), status=1, err="cp: d: Is a directory\n")
    os.mkdir(r.path("d/sub"))
    r.write("d/sub/deep", "deep\n")
    os.symlink("a", r.path("d/link"))
    c.run("-r", r.tool("cp", "-r", "d", "e"))
    c.eq("tree", (r.read("e/sub/deep"), os.readlink(r.path("e/link"))), ("deep\n", "a"))
    c.run("-r into itself ends", r.tool("cp", "-r", "d", "d/sub"))
    c.true("one level", os.path.isfile(r.path("d/sub/d/sub/deep")) and not os.path.exists(r.path("d/sub/d/sub/d")))
    c.run("same file", r.tool("cp", "a", "./a"), status=1, err="cp: a: is the same file as ./a\n")
    c.run("missing", r.tool("cp", "nope", "x"), status=1, err="cp: nope: No such file or directory\n")
    c.run("into a missing dir", r.tool("cp", "a", "no/x"), status=1, err="cp: no/x: No such file or directory\n")
    c.run("one operand", r.tool("cp", "a"), status=2, err="cp: missing operand")


@case
def wc(r, c):
    r.write("a", "one two\nthree\n")
    r.write("b", "x")
    c.run("-w from a pipe", r.tool("wc", "-w", stdin=b"one two\n"), out="2\n")
    c.run("all from a pipe", r.tool("wc", stdin=b"one two\n"), out="      1       2       8\n")
    c.run("file", r.tool("wc", "a"), out=" 2  3 14 a\n")
    c.run("-l file", r.tool("wc", "-l", "a"), out="2 a\n")
    c.run("several", r.tool("wc", "-lc", "a", "b"), out=" 2 14 a\n 0  1 b\n 2 15 total\n")
    c.run("empty", r.tool("wc", stdin=b""), out="      0       0       0\n")
    c.run("words over blanks", r.tool("wc", "-w", stdin=b"  a\tb \n\n c  "), out="3\n")
    c.run("missing", r.tool("wc", "a", "missing"), status=1, out=" 2  3 14 a\n 2  3 14 total\n",
          err="wc: missing: No such file or directory\n")


@case
def head(r, c):
    lines = "".join(f"{i}\n" for i in range(1, 21))
    r.write("n", lines)
    r.write("short", "a\nb")
    c.run("default 10", r.tool("head", "n"), out="".join(f"{i}\n" for i in range(1, 11)))
    c.run("-n 3", r.tool("head", "-n", "3", "n"), out="1\n2\n3\n")
    c.run("-n3", r.tool("head", "-n3", "n"), out="1\n2\n3\n")
    c.run("-2", r.tool("head", "-2", "n"), out="1\n2\n")
    c.run("-n 0", r.tool("head", "-n", "0", "n"), out="")
    c.run("stdin", r.tool("head", "-n", "1", stdin=b"x\ny\n"), out="x\n")
    c.run("short file", r.tool("head", "short"), out="a\nb")
    c.run("several", r.tool("head", "-n", "1", "n", "short"), out="==> n <==\n1\n\n==> short <==\na\n")
    c.run("bad number", r.tool("head", "-n", "x", "n"), status=2, err="head: x: invalid number of lines")
    c.run("missing", r.tool("head", "missing"), status=1, err="head: missing: No such file or directory\n")
    # Stops reading once done: an endless writer gets SIGPIPE.
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    proc = subprocess.run([r.qemu, casekit.image_program(r.rootfs, "bin/head"), "-n", "2"], stdin=yes.stdout,
                          capture_output=True, timeout=30)
    yes.stdout.close()
    c.eq("endless input", (proc.returncode, proc.stdout), (0, b"y\ny\n"))
    c.eq("writer ended by SIGPIPE", yes.wait(timeout=10), -signal.SIGPIPE)


@case
def grep(r, c):
    r.write("a", "apple\nBanana\ncherry\n")
    r.write("b", "banana split\n")
    c.run("match", r.tool("grep", "an", "a"), out="Banana\n")
    c.run("no match: 1", r.tool("grep", "zz", "a"), status=1, out="")
    c.run("-v", r.tool("grep", "-v", "an", "a"), out="apple\ncherry\n")
    c.run("-c", r.tool("grep", "-c", "e", "a"), out="2\n")
    c.run("-n", r.tool("grep", "-n", "rr", "a"), out="3:cherry\n")
    c.run("-i", r.tool("grep", "-i", "BANANA", "a", "b"), out="a:Banana\nb:banana split\n")
    c.run("several files", r.tool("grep", "an", "a", "b"), out="a:Banana\nb:banana split\n")
    c.run("-c several", r.tool("grep", "-c", "an", "a", "b"), out="a:1\nb:1\n")
    c.run("stdin", r.tool("grep", "y", stdin=b"x\ny\nyy\n"), out="y\nyy\n")
    c.run("-q", r.tool("grep", "-q", "apple", "a"), out="")
    c.run("-e for a dash", r.tool("grep", "-e", "-x-", stdin=b"a-x-b\n"), out="a-x-b\n")
    c.run("empty pattern", r.tool("grep", "", "b"), out="banana split\n")
    c.run("missing: 2", r.tool("grep", "an", "a", "missing"), status=2, out="a:Banana\n",
          err="grep: missing: No such file or directory\n")
    os.mkdir(r.path("d"))
    c.run("directory: 2", r.tool("grep", "x", "d"), status=2, err="grep: d: Is a directory\n")
    c.run("no pattern: 2", r.tool("grep"), status=2, err="usage")


@case
def touch(r, c):
    c.run("creates", r.tool("touch", "new", "new2"))
    c.eq("empty files", (r.read("new"), r.read("new2")), ("", ""))
    r.write("old", "keep")
    os.utime(r.path("old"), (1000, 1000))
    c.run("updates", r.tool("touch", "old"))
    st = os.stat(r.path("old"))
    c.true(f"times now: {st.st_mtime}", abs(st.st_mtime - time.time()) < 60 and abs(st.st_atime - time.time()) < 60)
    c.eq("contents kept", r.read("old"), "keep")
    os.mkdir(r.path("d"))
    os.utime(r.path("d"), (1000, 1000))
    c.run("a directory", r.tool("touch", "d"))
    c.true("dir time", os.stat(r.path("d")).st_mtime > 1000)
    c.run("-c does not create", r.tool("touch", "-c", "absent"))
    c.true("not created", not os.path.exists(r.path("absent")))
    c.run("missing dir", r.tool("touch", "no/f"), status=1, err="touch: no/f: No such file or directory\n")


@case
def env(r, c):
    # (qemu-user hands the guest its environment in another order.)
    status, out, err = r.tool("env", env={"A": "1", "B": "two words"})
    c.run("prints", (status, "".join(sorted(out.splitlines(True))), err), out="A=1\nB=two words\n")
    status, out, err = r.tool("env", "C=3", env={"A": "1"})
    c.run("NAME=VALUE", (status, "".join(sorted(out.splitlines(True))), err), out="A=1\nC=3\n")
    c.run("-i", r.tool("env", "-i", "X=y", env={"A": "1"}), out="X=y\n")
    c.run("-u", r.tool("env", "-u", "A", env={"A": "1", "B": "2"}), out="B=2\n")
    c.run("runs a command", r.tool("env", "GREETING=hi", "/bin/sh", "-c", "echo $GREETING $A", env={"A": "1"}),
          out="hi 1\n")
    c.run("searches PATH", r.tool("env", "printf", "x"), out="x")
    c.run("not found", r.tool("env", "no_such_command"), status=127,
          err="env: no_such_command: No such file or directory\n")


@case
def pwd(r, c):
    os.mkdir(r.path("sub"))
    c.run("pwd", r.tool("pwd", cwd=r.path("sub")), out=r.path("sub") + "\n")
    c.run("-P", r.tool("pwd", "-P"), out=r.dir + "\n")
    c.run("bad option", r.tool("pwd", "-x"), status=2, err="usage")


if __name__ == "__main__":
    casekit.main(__doc__, Runner, scratch_prefix="shell")
