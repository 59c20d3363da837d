#!/bin/sh
# Builds the Lua interpreter (lua.c and the library, not luac) from
# Debian's lua5.4 source tree as one static program. Debian's own
# makefile builds shared libraries through libtool, which a static cross
# build does not want, so the compiler is called directly, with the
# options of upstream's `make posix` (no readline, no dlopen: a static
# program cannot load C modules).
#
#   build_lua.sh --src SRC --cc CROSS_CC --out DIR
set -eu

usage() { echo "usage: $0 --src SRC --cc CC --out DIR" >&2; exit 2; }
src= cc= out=
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --src) src=$2 ;;
        --cc) cc=$2 ;;
        --out) out=$2 ;;
        *) usage ;;
    esac
    shift 2
done
[ -n "$src" ] && [ -n "$cc" ] && [ -n "$out" ] || usage

rm -rf "$out/obj"
mkdir -p "$out/obj"
# luaconf.h as Debian patched it names the multiarch folder of C
# modules through a header debian/rules writes; the same one here.
printf '#ifndef _LUA_DEB_MULTIARCH_\n#define _LUA_DEB_MULTIARCH_\n#define DEB_HOST_MULTIARCH "riscv64-linux-gnu"\n#endif\n' \
    >"$out/obj/lua5.4-deb-multiarch.h"
export cc out
# Every .c of src/ but the bytecode compiler's main (luac.c); two at a
# time, the two cores the test machine has.
ls "$src"/src/*.c | grep -v '/luac\.c$' | xargs -P "${MYRIAD_LUA_JOBS:-2}" -I{} sh -c \
    'f="{}"; o="$out/obj/$(basename "$f" .c).o"; "$cc" -std=gnu99 -O2 -Wall -Wextra -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -I"$out/obj" -c "$f" -o "$o"'
"$cc" -static -o "$out/lua" "$out"/obj/*.o -lm
