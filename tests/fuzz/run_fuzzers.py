#!/usr/bin/env python3
"""Run the libFuzzer harnesses of lib/'s parsers (build/fuzz/fuzz_NAME).

  run_fuzzers.py --source S --build B --ctest NAME
      CTest's run: a fixed number of runs (CTEST_RUNS) from -seed=1 over the
      seed corpus only, into a scratch corpus: deterministic, seconds.
  run_fuzzers.py --source S --build B [--seconds N | --runs N] [--seed S] [NAME...]
      By hand (./myriad fuzz-host): each target for N seconds (default 60),
      its corpus kept in build/fuzz/corpus/NAME between runs. Prints
      executions and exec/s per target.

Seeds: tests/fuzz/seeds/NAME/ (small hand-made inputs and minimized
crashers, committed) plus the real inputs in tests/fixtures and those the
build makes (device trees from QEMU and dtc, ELF files from the toolchain,
cpio archives from cpio). A crash, leak or sanitizer report leaves its
input in build/fuzz/artifacts/NAME/ and fails the run.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

# name: (seed globs, relative to the source tree (S/) or the build tree
# (B/); -max_len; runs under CTest)
TARGETS = {
    "fdt": (["S/tests/fixtures/*.dtb", "B/fixtures/*.dtb", "B/fixtures/bad/*.dtb"], 16384, 5000),
    "elf": (["B/fixtures/elf/*"], 16384, 20000),
    "cpio": (["B/fixtures/cpio/*.cpio", "B/fixtures/bad/*.cpio"], 16384, 20000),
    "cmdline": ([], 2048, 50000),
    "shebang": ([], 512, 50000),
    "format": ([], 1024, 30000),
    "path": ([], 8192, 50000),
}


def seed_files(name, source, build):
    globs, _, _ = TARGETS[name]
    files = []
    for g in globs:
        root = source if g.startswith("S/") else build
        files += [f for f in sorted(glob.glob(os.path.join(root, g[2:])))
                  if os.path.isfile(f) and not f.endswith((".readelf", ".txt"))]
    files += sorted(glob.glob(os.path.join(source, "tests/fuzz/seeds", name, "*")))
    return files


def run_one(name, args, corpus, runs, seconds, seed):
    binary = os.path.join(args.build, "fuzz", f"fuzz_{name}")
    if not os.path.exists(binary):
        print(f"run_fuzzers: no {binary}; build first (./myriad build)")
        return False, {}
    _, max_len, _ = TARGETS[name]
    artifacts = os.path.join(args.build, "fuzz", "artifacts", name)
    os.makedirs(artifacts, exist_ok=True)
    seeds = tempfile.mkdtemp(prefix=f"seeds-{name}-", dir=os.path.join(args.build, "fuzz"))
    try:
        files = seed_files(name, args.source, args.build)
        for i, f in enumerate(files):
            shutil.copy(f, os.path.join(seeds, f"{i:03d}-{os.path.basename(f)}"))
        cmd = [binary, f"-seed={seed}", f"-max_len={max_len}", "-print_final_stats=1",
               f"-artifact_prefix={artifacts}/", "-rss_limit_mb=2048", "-timeout=10"]
        cmd += [f"-runs={runs}"] if runs else [f"-max_total_time={seconds}"]
        cmd += [corpus, seeds]
        print("+ " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace")
    finally:
        shutil.rmtree(seeds, ignore_errors=True)
    out = proc.stdout
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
    ok = proc.returncode == 0
    if not ok:
        print(out[-20000:])
        print(f"run_fuzzers: fuzz_{name} FAILED (exit {proc.returncode}); inputs in {artifacts}/; "
              f"reproduce with {binary} FILE")
    else:
        print("\n".join(out.splitlines()[-12:]))
    stats["seeds"] = len(files)
    return ok, stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--ctest", metavar="NAME", help="the short deterministic run CTest makes")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--runs", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("targets", nargs="*")
    args = p.parse_args()

    if args.ctest:
        if args.ctest not in TARGETS:
            p.error(f"unknown target {args.ctest}: {', '.join(TARGETS)}")
        with tempfile.TemporaryDirectory(prefix=f"corpus-{args.ctest}-") as corpus:
            ok, stats = run_one(args.ctest, args, corpus, TARGETS[args.ctest][2], 0, 1)
        print(f"libfuzzer.{args.ctest}: {stats.get('number_of_executed_units', '?')} executions, "
              f"{stats.get('average_exec_per_sec', '?')} exec/s, {stats.get('seeds')} seeds: "
              f"{'PASS' if ok else 'FAIL'}")
        sys.exit(0 if ok else 1)

    targets = args.targets or [t for t in TARGETS
                               if os.path.exists(os.path.join(args.build, "fuzz", f"fuzz_{t}"))]
    results = []
    for name in targets:
        if name not in TARGETS:
            p.error(f"unknown target {name}: {', '.join(TARGETS)}")
        corpus = os.path.join(args.build, "fuzz", "corpus", name)
        os.makedirs(corpus, exist_ok=True)
        ok, stats = run_one(name, args, corpus, args.runs, args.seconds, args.seed)
        results.append((name, ok, stats, len(os.listdir(corpus))))
    print(f"\n{'target':10} {'result':6} {'executions':>12} {'exec/s':>8} {'seconds':>8} {'corpus':>7}")
    for name, ok, stats, corpus_size in results:
        execs = int(stats.get("number_of_executed_units", 0))
        rate = int(stats.get("average_exec_per_sec", 0))
        secs = execs / rate if rate else 0
        print(f"{name:10} {'ok' if ok else 'FAIL':6} {execs:>12} {rate:>8} {secs:>8.0f} {corpus_size:>7}")
    sys.exit(0 if all(ok for _, ok, _, _ in results) else 1)


if __name__ == "__main__":
    main()
