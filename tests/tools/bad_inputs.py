#!/usr/bin/env python3
"""Builds the hostile boot inputs of tests/bad_input_tests.cmake from real
ones: an external initrd written by GNU cpio, and QEMU virt's own device
tree (dumped with -machine dumpdtb=), then damaged.

Usage: bad_inputs.py OUTDIR CPIO DTC QEMU MEM

OUTDIR/initrd-good.cpio   /etc/initrd-a and /etc/initrd-b (cpio -H newc)
OUTDIR/initrd-*.cpio      the same archive damaged in its second entry, so
                          the first entry still loads before the error:
  truncated       cut in the middle of the second entry's data
  garbage         64 KiB of random bytes (fixed seed), no archive at all
  bad-magic       the second header's magic "070701" -> "070707"
  huge-filesize   the second entry's c_filesize = 0xffffffff
  name-no-nul     the second entry's name loses its terminating NUL
OUTDIR/virt.dtb           QEMU virt's tree for -m MEM, trimmed to totalsize
OUTDIR/dtb-*.dtb          that tree with:
  bad-token       the last property's FDT_PROP token replaced by 7
  bad-nameoff     the last property's name offset far past the strings
  no-memory       no /memory node (dtc from the edited source)
  bad-memory-reg  /memory reg of 3 cells under #size-cells 2 (ditto)
  bogus-chosen    stdout-path naming no node, an initrd outside RAM (ditto)
  small-plic      the PLIC's reg only 4 KiB long, short of its contexts (ditto)
  far-poweroff    syscon-poweroff's offset past its syscon's reg (ditto)
"""
import os
import random
import re
import struct
import subprocess
import sys

HEADER = 110  # cpio(5) newc header size


def newc_entries(archive):
    """(offset, namesize, filesize) of each header."""
    out, pos = [], 0
    while pos + HEADER <= len(archive):
        namesize = int(archive[pos + 94:pos + 102], 16)
        filesize = int(archive[pos + 54:pos + 62], 16)
        out.append((pos, namesize, filesize))
        name = archive[pos + HEADER:pos + HEADER + namesize - 1]
        if name == b"TRAILER!!!":
            break
        pos = (pos + HEADER + namesize + 3) & ~3
        pos = (pos + filesize + 3) & ~3
    return out


def make_initrds(out, cpio):
    tree = os.path.join(out, "initrd-tree")
    os.makedirs(os.path.join(tree, "etc"), exist_ok=True)
    for name, text in (("initrd-a", "first entry of the external initrd\n"),
                       ("initrd-b", "second entry " * 20 + "\n")):
        with open(os.path.join(tree, "etc", name), "w") as f:
            f.write(text)
    # etc/ itself is in the built-in image: list only the two files.
    good = subprocess.run([cpio, "-o", "-H", "newc", "--quiet", "-R", "0:0"], cwd=tree, check=True,
                          input=b"etc/initrd-a\netc/initrd-b\n", stdout=subprocess.PIPE).stdout
    entries = newc_entries(good)
    second, namesize, filesize = entries[1]
    data = (second + HEADER + namesize + 3) & ~3
    variants = {
        "good": good,
        "truncated": good[:data + filesize // 2],
        "garbage": random.Random(1).randbytes(65536),
        "bad-magic": good[:second] + b"070707" + good[second + 6:],
        "huge-filesize": good[:second + 54] + b"FFFFFFFF" + good[second + 62:],
        "name-no-nul": good[:second + HEADER + namesize - 1] + b"X" + good[second + HEADER + namesize:],
    }
    for name, blob in variants.items():
        with open(os.path.join(out, f"initrd-{name}.cpio"), "wb") as f:
            f.write(blob)


def structure_tokens(blob):
    """(offset, token) of each structure-block token (Devicetree spec 5.4)."""
    off, size = struct.unpack(">I", blob[8:12])[0], struct.unpack(">I", blob[36:40])[0]
    tokens, p = [], off
    while p < off + size:
        token = struct.unpack(">I", blob[p:p + 4])[0]
        tokens.append((p, token))
        if token == 1:  # FDT_BEGIN_NODE + name
            p = (blob.index(b"\0", p + 4) + 1 + 3) & ~3
        elif token == 3:  # FDT_PROP len nameoff value
            p = (p + 12 + struct.unpack(">I", blob[p + 4:p + 8])[0] + 3) & ~3
        elif token == 9:
            break
        else:
            p += 4
    return tokens


def make_dtbs(out, dtc, qemu, mem):
    raw = os.path.join(out, "virt-dump.dtb")
    subprocess.run([qemu, "-machine", f"virt,dumpdtb={raw}", "-m", mem, "-smp", "1", "-nographic"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(raw, "rb") as f:
        blob = f.read()
    os.remove(raw)
    blob = blob[:struct.unpack(">I", blob[4:8])[0]]  # QEMU pads the dump to 1 MiB
    with open(os.path.join(out, "virt.dtb"), "wb") as f:
        f.write(blob)
    last_prop = [p for p, t in structure_tokens(blob) if t == 3][-1]
    damaged = {
        "bad-token": blob[:last_prop] + struct.pack(">I", 7) + blob[last_prop + 4:],
        "bad-nameoff": blob[:last_prop + 8] + struct.pack(">I", 0x7fffff00) + blob[last_prop + 12:],
    }
    for name, b in damaged.items():
        with open(os.path.join(out, f"dtb-{name}.dtb"), "wb") as f:
            f.write(b)

    source = subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dts", os.path.join(out, "virt.dtb")], check=True,
                            stdout=subprocess.PIPE, text=True).stdout
    memory = re.compile(r"\n\tmemory@[0-9a-f]+ \{.*?\n\t\};", re.S)
    assert memory.search(source), "no memory node in QEMU's tree"
    edits = {
        "no-memory": memory.sub("", source),
        "bad-memory-reg": memory.sub(lambda m: re.sub(r"reg = <[^>]*>", "reg = <0x00 0x80000000 0x00>", m.group(0)),
                                     source),
        "bogus-chosen": re.sub(r'stdout-path = "[^"]*";',
                               'stdout-path = "/soc/no-such-uart@0";\n\t\tlinux,initrd-start = <0x10000000>;'
                               '\n\t\tlinux,initrd-end = <0x10100000>;', source),
        "small-plic": re.sub(r"(plic@c000000 \{[^}]*?reg = <0x00 0xc000000 0x00) 0x600000>", r"\1 0x1000>", source),
        "far-poweroff": re.sub(r"(poweroff \{[^}]*?offset =) <0x00>", r"\1 <0x100000>", source),
    }
    for name, text in edits.items():
        assert text != source, f"{name}: the edit changed nothing"
        subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", "-o", os.path.join(out, f"dtb-{name}.dtb")],
                       input=text, text=True, check=True)


def main():
    out, cpio, dtc, qemu, mem = sys.argv[1:6]
    os.makedirs(out, exist_ok=True)
    make_initrds(out, cpio)
    make_dtbs(out, dtc, qemu, mem)


if __name__ == "__main__":
    main()
