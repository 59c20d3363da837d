#!/bin/sh
# Builds busybox from its Debian source tree with our configuration
# (busybox.config: defconfig, static, the networking applets and the
# init/halt family left out; docs/userland.md says why),
# out of tree with busybox's own kbuild makefiles (make O=...).
#
#   build_busybox.sh --src SRC --config CONFIG --cross PREFIX --out DIR
#
# Leaves DIR/busybox (with symbols: DIR/busybox_unstripped) and
# DIR/busybox.links, the path of every applet it has.
set -eu

usage() { echo "usage: $0 --src SRC --config CONFIG --cross PREFIX --out DIR" >&2; exit 2; }
src= config= cross= out=
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --src) src=$2 ;;
        --config) config=$2 ;;
        --cross) cross=$2 ;;
        --out) out=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$src" ] && [ -n "$config" ] && [ -n "$cross" ] && [ -n "$out" ] || usage

mkdir -p "$out"
out=$(cd "$out" && pwd)
# A changed configuration is a new .config; kbuild's dependency files
# rebuild only what the changed options touch.
if ! cmp -s "$config" "$out/.config.ours"; then
    cp "$config" "$out/.config"
    cp "$config" "$out/.config.ours"
fi
jobs=${MYRIAD_BUSYBOX_JOBS:-2}
# oldconfig answers any option the configuration does not mention with
# its default (none, for the version the configuration was made for).
yes '' | make -s -C "$src" O="$out" CROSS_COMPILE="$cross" oldconfig >/dev/null
make -s -C "$src" O="$out" CROSS_COMPILE="$cross" -j"$jobs" busybox busybox.links >"$out/make.log" 2>&1 || {
    tail -n 40 "$out/make.log" >&2
    echo "$0: busybox build failed (whole log: $out/make.log)" >&2
    exit 1
}
