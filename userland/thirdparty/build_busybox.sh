#!/bin/sh
# Builds busybox from its Debian source tree with our configuration,
# out of tree with busybox's own kbuild makefiles (make O=...).
#
#   build_busybox.sh --src SRC --options OPTIONS --cross PREFIX --out DIR
#
# OPTIONS (busybox.options) names the options that are on; the full
# .config kbuild needs is made from it here: `make allnoconfig` (every
# yes/no option off), the listed options switched on, then `make
# oldconfig` for the defaults of everything else (the numbers and strings,
# and what the list made visible). docs/userland.md says which applets
# and why.
#
# Leaves DIR/busybox (with symbols: DIR/busybox_unstripped),
# DIR/busybox.links, the path of every applet it has, and DIR/.config
# (busybox's testsuite reads it to skip what is not built).
set -eu

usage() { echo "usage: $0 --src SRC --options OPTIONS --cross PREFIX --out DIR" >&2; exit 2; }
src= options= cross= out=
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --src) src=$2 ;;
        --options) options=$2 ;;
        --cross) cross=$2 ;;
        --out) out=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$src" ] && [ -n "$options" ] && [ -n "$cross" ] && [ -n "$out" ] || usage

mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${MYRIAD_BUSYBOX_JOBS:-2}
kmake() { make -s -C "$src" O="$out" CROSS_COMPILE="$cross" "$@"; }
# A changed list (or a changed way of expanding it, this script) is a new
# .config; kbuild's dependency files then rebuild only what the changed
# options touch.
cat "$options" "$0" >"$out/.options.new"
if ! cmp -s "$out/.options.new" "$out/.options.ours" || [ ! -f "$out/.config" ]; then
    kmake allnoconfig >/dev/null
    sed -e 's/#.*//' "$options" | tr -s ' \t' '\n\n' | sed -n 's/^\([A-Z0-9_][A-Z0-9_]*\)$/CONFIG_\1=y/p' >"$out/.config.list"
    # The list, then allnoconfig's "is not set" for every other yes/no
    # option. Its numbers and strings (0 and "", not the defaults) are
    # left out, so that oldconfig gives them their defaults.
    awk 'NR == FNR { sub(/=.*/, ""); on[$0] = 1; next }
         /^# CONFIG_[A-Z0-9_]* is not set$/ { s = $2; if (!(s in on)) print }' \
        "$out/.config.list" "$out/.config" >"$out/.config.rest"
    cat "$out/.config.list" "$out/.config.rest" >"$out/.config"
    rm -f "$out/.config.list" "$out/.config.rest"
    yes '' | kmake oldconfig >/dev/null
    # A misspelt or dependent-on-something-off option would be silently
    # dropped by kconfig: every listed option must have come through.
    missing=$(sed -e 's/#.*//' "$options" | tr -s ' \t' '\n\n' | grep . | while read -r sym; do
        grep -qx "CONFIG_$sym=y" "$out/.config" || echo "$sym"; done)
    if [ -n "$missing" ]; then
        echo "$0: options in $options that kconfig did not keep:" $missing >&2
        exit 1
    fi
    mv "$out/.options.new" "$out/.options.ours"
fi
kmake -j"$jobs" busybox busybox.links >"$out/make.log" 2>&1 || {
    tail -n 40 "$out/make.log" >&2
    echo "$0: busybox build failed (whole log: $out/make.log)" >&2
    exit 1
}
