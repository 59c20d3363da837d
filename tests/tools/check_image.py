#!/usr/bin/env python3
"""Check the Linux RISC-V image header of an Image (boot-image-header.rst):
a 4-byte jump, text_offset 0x200000, image_size covering the ELF's whole
extent (bss included), little-endian flags, version 0.2, magic "RISCV"
and magic2 "RSC\\x05" at offset 56. U-Boot's booti refuses anything else."""
import struct
import subprocess
import sys

image, elf, nm = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(image, "rb").read()
code0, code1, text_offset, image_size, flags, version, res1, res2, magic, magic2, res4 = struct.unpack(
    "<IIQQQIIQ8sII", data[:64])
symbols = {l.split()[2]: int(l.split()[0], 16) for l in open(nm) if len(l.split()) == 3}
expected_size = symbols["__kernel_end"] - symbols["__kernel_start"]
problems = []
if code0 & 0x7f != 0x6f:
    problems.append(f"code0 {code0:#x} is not a 4-byte jal (a compressed jump shifts the header)")
if text_offset != 0x200000:
    problems.append(f"text_offset {text_offset:#x}")
if image_size != expected_size:
    problems.append(f"image_size {image_size:#x}, the kernel spans {expected_size:#x}")
if image_size < len(data):
    problems.append("image_size is smaller than the file")
if flags & 1:
    problems.append("flags say big-endian")
if version != 2:
    problems.append(f"version {version:#x}, expected 0.2")
if magic != b"RISCV\0\0\0" or magic2 != 0x05435352:
    problems.append(f"magic {magic!r} / {magic2:#x}")
target = ((code0 >> 31) << 20 | ((code0 >> 12) & 0xff) << 12 | ((code0 >> 20) & 1) << 11 | ((code0 >> 21) & 0x3ff) << 1)
if target != 64:
    problems.append(f"code0 jumps to {target}, expected just past the 64-byte header")
for p in problems:
    print("FAIL:", p)
print(f"Image header: text_offset {text_offset:#x}, image_size {image_size:#x}, version {version >> 16}.{version & 0xffff}")
sys.exit(1 if problems else 0)
