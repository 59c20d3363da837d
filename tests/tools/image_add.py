#!/usr/bin/env python3
"""The boot image's files plus the user's own, as an initrd (cpio newc).

  image_add.py --rootfs build/userland/rootfs --out FILE PATH[:DEST] ...

Copies the image's tree (the one the kernel has built in) into a staging
folder next to FILE, adds each PATH at DEST (default: /NAME at the root;
a DEST ending in / is a folder to put NAME in; a folder PATH is copied
whole), and packs the tree with cpio as mkinitramfs.sh does. The kernel
takes an external initrd instead of its built-in archive, so the result
holds everything the built-in one does and the additions.

`./myriad run --add PATH[:DEST]` calls this and boots the result."""
import argparse
import os
import shutil
import subprocess
import sys


def destination(spec):
    """(source, absolute destination inside the image) of PATH[:DEST]."""
    source, sep, dest = spec.partition(":")
    if not sep or not dest:
        dest = "/"
    name = os.path.basename(os.path.normpath(source))
    if dest.endswith("/"):
        dest += name
    if not dest.startswith("/"):
        dest = "/" + dest
    return source, os.path.normpath(dest)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rootfs", required=True, help="the boot image's tree (build/userland/rootfs)")
    p.add_argument("--out", required=True, help="the initrd to write")
    p.add_argument("add", nargs="+", metavar="PATH[:DEST]")
    args = p.parse_args()
    if not os.path.isdir(args.rootfs):
        sys.exit(f"image_add: no image tree at {args.rootfs} (build first)")
    stage = args.out + ".d"
    shutil.rmtree(stage, ignore_errors=True)
    # cp -a keeps the tree's hard links (the multi-call binary's names),
    # which cpio then stores once: copytree would store 30 copies.
    subprocess.run(["cp", "-a", args.rootfs, stage], check=True)
    for spec in args.add:
        source, dest = destination(spec)
        if not os.path.exists(source):
            sys.exit(f"image_add: {source}: no such file or folder")
        target = os.path.join(stage, dest.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        print(f"image_add: {source} -> {dest}")
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=stage, check=True, capture_output=True,
                           text=True).stdout.splitlines()
    listing = "".join(n + "\n" for n in sorted(names))  # parents before their children
    with open(args.out + ".tmp", "wb") as out:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc", "--owner=0:0"], cwd=stage, input=listing.encode(),
                       stdout=out, check=True)
    os.replace(args.out + ".tmp", args.out)
    shutil.rmtree(stage)


if __name__ == "__main__":
    main()
