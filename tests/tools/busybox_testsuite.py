#!/usr/bin/env python3
"""Busybox's own test suite (testsuite/runtest) under Myriad and under Linux.

  busybox_testsuite.py --testsuite SRC/testsuite --busybox BUSYBOX
      --config BUSYBOX_BUILD/.config --links busybox.links --known FILE
      --work DIR [--qemu-user QEMU] [--image IMAGE] [--side linux|myriad|both]
      [--applets A,B,...|all] [--verbose]

Runs upstream's runner on applets the configuration builds that have
tests (by default: every one but the four sums in Myriad, where each test
must pass or be a listed failure, and those of DEFAULT below but
MYRIAD_ONLY_BY_DEFAULT on both sides, compared; `--applets all` or a
list: those, on both sides), once under qemu-riscv64-static (Linux's system calls, the host's
kernel) and once booted in Myriad, with the same busybox binary, the same
staged copy of the suite and the same environment, then compares every
test's result (PASS, FAIL, SKIPPED, UNTESTED) between the two.

It fails when a result differs between the two sides, when a test fails
on both sides and is not in the list of known failures (--known: one
`APPLET/NAME<TAB>reason` line each), or when a listed test no longer fails on both
(the list must stay true).

Both sides run the suite under busybox's ash, the way Myriad's /bin/sh
does. Under qemu-user the host kernel would start a script's `#!/bin/sh`
with the host's shell, so the staged runtest starts each NAME.tests as
`sh NAME.tests` (with a line saying which applet it is at, the only
changes to upstream's files), and every applet
name on the Linux side is a two-line wrapper that starts busybox under
qemu-riscv64-static with that name as argv[0] (there is no binfmt_misc
registration to rely on). PATH holds those names and nothing of the
host's, as Myriad's PATH holds busybox's applets and no host programs.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = re.compile(r"^(PASS|FAIL|SKIPPED|UNTESTED): (.*?)\r?$")
APPLET = re.compile(r"^bbtest: applet (\S+) at ([0-9.]+)\r?$")
END = "bbtest: runtest exited"
# all_sourcecode reads busybox's source tree, which neither side has.
NOT_RUN = {"all_sourcecode"}
# What CTest runs: the applets whose tests lean on the kernel (files,
# directories, links, archives, processes, the system's own files), not
# the text processors (awk, sed, grep, cut, tr, sort, printf...), whose
# many tests are mostly computation and cost most of the Linux side's
# time: every program started there is a qemu-riscv64-static start
# (about 25 ms of CPU). `--applets all` runs every applet with tests
# (docs/userland.md has the times of both).
DEFAULT = {
    "cp", "mv", "ln", "ls", "du", "dd", "find", "xargs", "touch", "mkdir", "rm", "rmdir", "realpath",
    "readlink", "tail", "head", "cat", "tee", "wc", "tar", "gzip", "gunzip", "pidof", "taskset", "hostname",
    "id", "uptime", "which", "pwd", "test", "mount", "date",
}
# Of those, the ones whose tests start the most programs (half of the
# Linux side's time between them: tar 24 s, cp 21 s, mv 9 s, date 7 s on a
# loaded two-core host) run in Myriad alone by default, where every test
# must pass or be a listed failure; `--applets all` and `--applets NAME,..`
# compare them with Linux too (every result was the same when measured).
MYRIAD_ONLY_BY_DEFAULT = {"tar", "cp", "mv", "date"}
# The four sums (md5sum.tests, run again for the others) start 8 000
# programs: 37 s of the 60 s that every applet takes in Myriad. By default
# every other applet with tests runs in Myriad (where each test must pass
# or be a listed failure), the DEFAULT ones also on Linux.
SUMS = {"md5sum", "sha1sum", "sha256sum", "sha512sum"}


RUN_SH = """\
# Written by tests/tools/busybox_testsuite.py: runs busybox's testsuite/runtest.
exec </dev/null 2>&1
export PATH={path} SHELL={shell} HOME=/ TZ=UTC LC_ALL=C
unset VERBOSE SKIP_KNOWN_BUGS
{prepare}
cd {bb}/testsuite || exit 1
echo "bbtest: start"
sh ./runtest {verbose}{applets}
status=$?
read up idle </proc/uptime
echo "bbtest: applet (end) at $up"
echo "{end} $status"
"""


def stage(args, dest):
    """dest/testsuite (the suite, runtest starting each NAME.tests with sh)
    and dest/.config; runtest's bindir is dest, where busybox goes."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    shutil.copytree(args.testsuite, os.path.join(dest, "testsuite"), symlinks=True)
    shutil.copy(args.config, os.path.join(dest, ".config"))
    runtest = os.path.join(dest, "testsuite", "runtest")
    text = open(runtest).read()
    changes = [('\t\t\t"$tsdir/$applet.tests"\n', '\t\t\tsh "$tsdir/$applet.tests"\n'),
               # Which applet the next results belong to, and when (the
               # shell's own read: no program started).
               ('for applet in $applets; do\n',
                'for applet in $applets; do\n\tread bbtest_up bbtest_idle </proc/uptime\n'
                '\techo "bbtest: applet $applet at $bbtest_up"\n')]
    for old, new in changes:
        if text.count(old) != 1:
            sys.exit(f"FAIL: {runtest} has changed; this script's edit of it no longer applies")
        text = text.replace(old, new)
    open(runtest, "w").write(text)


def applets_to_run(args, every=False):
    applets = {os.path.basename(line.strip()) for line in open(args.links) if line.strip()}
    applets.add("busybox")
    tests = set()
    for name in os.listdir(args.testsuite):
        path = os.path.join(args.testsuite, name)
        if name.endswith(".tests"):
            tests.add(name[: -len(".tests")])
        elif os.path.isdir(path):
            tests.add(name)
    found = (applets & tests) - NOT_RUN
    return sorted(found if every else found & DEFAULT)


def parse(output):
    """({applet/name: result}, {applet: seconds}) from runtest's lines; a
    name seen again for the same applet gets #2, #3..."""
    results, seen, applet, started, seconds = {}, collections.Counter(), "?", {}, {}
    for line in output.splitlines():
        m = APPLET.match(line)
        if m:
            applet = m.group(1)
            started[applet] = float(m.group(2))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        name = f"{applet}/{m.group(2).strip()}"
        seen[name] += 1
        if seen[name] > 1:
            name = f"{name} #{seen[name]}"
        results[name] = m.group(1)
    order = sorted(started, key=started.get)
    for a, b in zip(order, order[1:]):
        seconds[a] = started[b] - started[a]
    return results, seconds


def run_linux(args, applets):
    root = os.path.join(args.work, "linux")
    shutil.rmtree(root, ignore_errors=True)
    bb = os.path.join(root, "bb")
    stage(args, bb)
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir)
    wrapper = os.path.join(bb, "busybox")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec {args.qemu_user} -0 "${{0##*/}}" {os.path.abspath(args.busybox)} "$@"\n')
    os.chmod(wrapper, 0o755)
    for line in open(args.links):
        name = os.path.basename(line.strip())
        if name and not os.path.exists(os.path.join(bindir, name)):
            os.symlink(wrapper, os.path.join(bindir, name))
    script = os.path.join(root, "run.sh")
    with open(script, "w") as f:
        f.write(RUN_SH.format(path=bindir, shell=os.path.join(bindir, "sh"), prepare="", bb=bb, end=END,
                              verbose="-v " if args.verbose else "", applets=" ".join(applets)))
    cmd = [args.qemu_user, "-0", "sh", os.path.abspath(args.busybox), script]
    env = {"PATH": bindir, "SHELL": os.path.join(bindir, "sh"), "HOME": "/", "TZ": "UTC", "LC_ALL": "C"}
    start = time.monotonic()
    try:
        run = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, cwd=root, timeout=args.timeout)
        output = run.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode("utf-8", "replace") + f"\n(timed out after {args.timeout} s)\n"
    return output, time.monotonic() - start


def run_myriad(args, applets):
    root = os.path.join(args.work, "myriad")
    tree = os.path.join(root, "tree")
    shutil.rmtree(root, ignore_errors=True)
    bb = os.path.join(tree, "bbtest", "bb")
    stage(args, bb)
    with open(os.path.join(tree, "bbtest", "run.sh"), "w") as f:
        f.write(RUN_SH.format(path="/bin:/sbin:/usr/bin:/usr/sbin", shell="/bin/sh", prepare="ln -sf /bin/busybox /bbtest/bb/busybox",
                              bb="/bbtest/bb", end=END, verbose="-v " if args.verbose else "",
                              applets=" ".join(applets)))
    initrd = os.path.join(root, "bbtest.cpio")
    files = subprocess.run(["find", ".", "-mindepth", "1"], cwd=tree, check=True, stdout=subprocess.PIPE).stdout
    with open(initrd, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--owner=0:0", "--quiet"], cwd=tree, input=files,
                       stdout=out, check=True)
    cmd = [sys.executable, os.path.join(HERE, "qemu.py"), "--image", args.image, "--initrd", initrd,
           "--append", "init=/bin/sh -- /bbtest/run.sh", "--expect", END, "--expect-exit", "0",
           "--timeout", str(args.timeout)]
    if args.smp:
        cmd += ["--smp", str(args.smp)]
    start = time.monotonic()
    run = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = run.stdout.decode("utf-8", "replace")
    if run.returncode != 0:
        output += f"\n(qemu.py exited {run.returncode})\n"
    return output, time.monotonic() - start


def read_known(path):
    known = {}
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, reason = line.partition("\t")
        if not sep or not reason.strip():
            sys.exit(f"FAIL: {path}:{n}: want NAME<TAB>reason")
        known[name.strip()] = reason.strip()
    return known


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--testsuite", required=True)
    p.add_argument("--busybox", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--links", required=True)
    p.add_argument("--known", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--qemu-user", default="qemu-riscv64-static")
    p.add_argument("--image")
    p.add_argument("--smp", type=int, default=0)
    p.add_argument("--side", choices=["linux", "myriad", "both"], default="both")
    p.add_argument("--applets", help="comma-separated, or 'all' (every built applet with tests); "
                   "default those of DEFAULT that are built")
    p.add_argument("--timeout", type=float, default=240)
    p.add_argument("--verbose", action="store_true", help="runtest -v: a diff for each failing test")
    args = p.parse_args()
    if args.side != "linux" and not args.image:
        p.error("--image is needed to run Myriad's side")
    qemu_user = shutil.which(args.qemu_user)
    if args.side != "myriad" and not qemu_user:
        p.error(f"{args.qemu_user} not found")
    args.qemu_user = qemu_user
    linux_applets = None
    if args.applets == "all":
        applets = applets_to_run(args, every=True)
    elif args.applets:
        applets = args.applets.split(",")
    else:
        applets = [a for a in applets_to_run(args, every=True) if a not in SUMS]
        linux_applets = [a for a in applets if a in DEFAULT and a not in MYRIAD_ONLY_BY_DEFAULT]
    if linux_applets is None:
        linux_applets = applets
    os.makedirs(args.work, exist_ok=True)
    print(f"applets: {' '.join(applets)}")
    if linux_applets != applets:
        print(f"in Myriad only (each must pass): {' '.join(a for a in applets if a not in linux_applets)}")

    # The two sides run at once: Myriad's is one QEMU process (one host
    # core), Linux's a chain of qemu-user processes, one at a time.
    runners = [(s, r, linux_applets if s == "linux" else applets)
               for s, r in (("linux", run_linux), ("myriad", run_myriad)) if args.side in (s, "both")]
    with concurrent.futures.ThreadPoolExecutor(len(runners)) as pool:
        futures = [(side, pool.submit(runner, args, which)) for side, runner, which in runners]
        outputs = [(side, *future.result()) for side, future in futures]
    sides = {}
    for side, output, seconds in outputs:
        sys.stdout.write(f"===== {side} =====\n{output}\n")
        results, per_applet = parse(output)
        print(f"===== {side}: {len(results)} results in {seconds:.1f} s; "
              f"{dict(collections.Counter(results.values()))}")
        slowest = sorted(per_applet.items(), key=lambda kv: -kv[1])[:12]
        print(f"===== {side}: slowest applets: " + ", ".join(f"{a} {s:.1f} s" for a, s in slowest))
        if END not in output or not results:
            print(f"FAIL: the {side} run did not finish (no '{END}') or gave no results")
            sys.exit(1)
        sides[side] = results

    known = read_known(args.known)
    failures = []
    names = sorted(set().union(*(r.keys() for r in sides.values())))
    for name in names:
        got = {side: r.get(name, "missing") for side, r in sides.items()
               if side != "linux" or name.split("/")[0] in linux_applets}
        if len(set(got.values())) > 1:
            failures.append(f"{name}: " + ", ".join(f"{s} {v}" for s, v in got.items()))
        elif "FAIL" in got.values() and name not in known:
            failures.append(f"{name}: fails on {' and '.join(got)} and is not in {args.known}")
    if args.side == "both":
        for name in known:
            if name.split("/")[0] not in linux_applets:
                continue
            if any(r.get(name) != "FAIL" for r in sides.values()):
                seen = ", ".join(f"{s} {r.get(name, 'missing')}" for s, r in sides.items())
                failures.append(f"{name}: listed in {args.known} but does not fail on both sides ({seen})")
    for name in names:
        if name in known:
            print(f"known failure: {name}: {known[name]}")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"busybox testsuite: {len(names)} tests compared, {len(failures)} problem(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
