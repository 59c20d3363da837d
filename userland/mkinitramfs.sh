#!/bin/sh
# Stages the boot image's root tree and packs it as a cpio newc archive
# (the format the kernel's initramfs reader takes; "newc" = SVR4 with no
# CRC, see the kernel's Documentation/driver-api/early-userspace/
# buffer-format.rst). Called by cmake/userland.cmake.
#
# The archive is reproducible: entries sorted, owner root:root, every
# timestamp 0, inode numbers renumbered by cpio --reproducible.
set -eu

usage() {
    echo "usage: $0 --strip STRIP --cpio CPIO --links copies|hardlinks" \
         "--box BOX --busybox BUSYBOX --lua LUA --usertests USERTESTS --bench BENCH --fuzz FUZZ --threads-demo DEMO" \
         "--hello HELLO --dynamic-cxx CXX --cc CROSS_CC --rootfs DIR --out FILE" >&2
    exit 2
}

strip= cpio= links= box= busybox= lua= usertests= bench= fuzz= threads_demo= hello= dynamic_cxx= cc= rootfs= out=
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --strip) strip=$2 ;;
        --cpio) cpio=$2 ;;
        --links) links=$2 ;;
        --box) box=$2 ;;
        --busybox) busybox=$2 ;;
        --lua) lua=$2 ;;
        --usertests) usertests=$2 ;;
        --bench) bench=$2 ;;
        --fuzz) fuzz=$2 ;;
        --threads-demo) threads_demo=$2 ;;
        --hello) hello=$2 ;;
        --dynamic-cxx) dynamic_cxx=$2 ;;
        --cc) cc=$2 ;;
        --rootfs) rootfs=$2 ;;
        --out) out=$2 ;;
        *) usage ;;
    esac
    shift 2
done
for v in "$strip" "$cpio" "$links" "$box" "$busybox" "$lua" "$usertests" "$bench" "$fuzz" "$threads_demo" "$hello" "$dynamic_cxx" \
        "$cc" "$rootfs" "$out"; do
    [ -n "$v" ] || usage
done

rm -rf "$rootfs"
mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/dev" "$rootfs/proc" "$rootfs/tmp"

mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin"
link_or_copy() { # TARGET NAME
    if [ "$links" = hardlinks ]; then
        ln "$1" "$2"
    else
        cp "$1" "$2"
    fi
}

# Busybox (Debian's source, userland/thirdparty/) under the name of every
# applet it was configured with, where busybox --install puts them
# (busybox.links: /bin/sh, /bin/mount, /usr/bin/awk ...).
"$strip" -o "$rootfs/bin/busybox" "$busybox"
while read -r applet; do
    case "$applet" in /*) ;; *) continue ;; esac
    [ -e "$rootfs$applet" ] || link_or_copy "$rootfs/bin/busybox" "$rootfs$applet"
done <"$(dirname "$busybox")/busybox.links"
"$strip" -o "$rootfs/usr/bin/lua" "$lua"

# Myriad's own multi-call program (box/main.cpp dispatches on the
# basename of argv[0]) for what busybox does not do: process 1, poweroff
# by reboot(2), the test helpers, and its shell as /bin/boxsh
# (docs/userland.md says why it stays).
"$strip" -o "$rootfs/sbin/init" "$box"
for name in bin/boxsh bin/spin bin/exec_probe sbin/poweroff; do
    rm -f "$rootfs/$name"
    link_or_copy "$rootfs/sbin/init" "$rootfs/$name"
done
# Every box tool under its own name in one folder, busybox's namesakes
# too: the teaching versions, and what the box tests run (ps -L and top -H,
# which busybox lacks, are the thread view of Myriad's /proc).
mkdir -p "$rootfs/usr/libexec/box"
for name in init sh echo true false spin exec_probe poweroff chmod cat ls mkdir rm mv cp wc head \
        grep touch env pwd ps top kill pstree sleep nice time; do
    link_or_copy "$rootfs/sbin/init" "$rootfs/usr/libexec/box/$name"
done
"$strip" -o "$rootfs/bin/usertests" "$usertests"
"$strip" -o "$rootfs/bin/bench" "$bench"
"$strip" -o "$rootfs/bin/fuzz" "$fuzz"
"$strip" -o "$rootfs/bin/threads_demo" "$threads_demo"
"$strip" -o "$rootfs/bin/hello" "$hello"
"$strip" -o "$rootfs/bin/dynamic_cxx" "$dynamic_cxx"

# glibc's loader where PT_INTERP names it, and the shared libraries in the
# multiarch directory it searches, as on Debian: the cross toolchain's
# own copies (libc6-riscv64-cross, libstdc++6-riscv64-cross,
# libgcc-s1-riscv64-cross), found through the compiler.
mkdir -p "$rootfs/lib/riscv64-linux-gnu"
"$strip" --strip-unneeded -o "$rootfs/lib/ld-linux-riscv64-lp64d.so.1" \
    "$("$cc" -print-file-name=ld-linux-riscv64-lp64d.so.1)"
for lib in libc.so.6 libm.so.6 libstdc++.so.6 libgcc_s.so.1; do
    "$strip" --strip-unneeded -o "$rootfs/lib/riscv64-linux-gnu/$lib" "$("$cc" -print-file-name=$lib)"
done

# The users and groups, as on Debian (base-passwd): ps, id and ls name
# uid and gid 0 "root"; "nobody" is the unprivileged one.
mkdir -p "$rootfs/etc"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    >"$rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$rootfs/etc/group"
# The machine's own name (uname's nodename, kernel/syscall/system.cpp) on
# 127.0.1.1, as Debian's installer writes it: `hostname -f` and `-d` look
# the name up there (there is no network to ask).
printf '127.0.0.1\tlocalhost\n127.0.1.1\tmyriad\n' >"$rootfs/etc/hosts"

# Files for execve's error paths (userland/tests/exec_tests.cpp).
printf 'not an ELF file: no \\177ELF magic and no #! line\n' >"$rootfs/bin/garbage"
printf 'a text file without execute permission\n' >"$rootfs/bin/noexec"

chmod 0755 "$rootfs" "$rootfs"/* "$rootfs"/sbin/* "$rootfs"/bin/* "$rootfs"/usr/* "$rootfs"/usr/bin/* \
    "$rootfs"/usr/libexec "$rootfs"/usr/libexec/box "$rootfs"/usr/libexec/box/* \
    "$rootfs"/lib/*.so.* \
    "$rootfs"/lib/riscv64-linux-gnu "$rootfs"/lib/riscv64-linux-gnu/*
# The busybox configuration may put no applet in /usr/sbin.
find "$rootfs/usr/sbin" -type f -exec chmod 0755 {} +
chmod 0644 "$rootfs/bin/noexec"
chmod 1777 "$rootfs/tmp"
chmod 0755 "$rootfs/etc"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/hosts"
find "$rootfs" -exec touch -h -d @0 {} +

# Parents sort before their children, so a reader that creates files in
# archive order always finds the directory already there.
(cd "$rootfs" && find . -mindepth 1 | LC_ALL=C sort |
    "$cpio" --quiet -o -H newc --owner=0:0 --reproducible) >"$out.tmp"
mv "$out.tmp" "$out"
