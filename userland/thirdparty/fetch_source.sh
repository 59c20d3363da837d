#!/bin/sh
# Fetches and unpacks a Debian source package the Debian way (apt-get
# source: the .dsc, the upstream tarball and Debian's patches, checked
# against the archive's signed index and applied by dpkg-source), through
# an apt configuration of its own under BUILD/apt: its own sources.list
# (deb-src lines for bookworm), lists, cache and state. Nothing of the
# system's apt setup is read for sources or written; no root needed.
#
#   fetch_source.sh --build BUILD PKG
#
# Leaves the unpacked tree at BUILD/thirdparty/PKG/src and its Debian
# version in BUILD/thirdparty/PKG/version. Once there, later calls do
# nothing, so rebuilds and offline builds do not touch the network; the
# downloaded .dsc and tarballs stay in BUILD/thirdparty/PKG/ and are
# unpacked again from there if the tree was removed.
set -eu

usage() { echo "usage: $0 --build BUILD_DIR PACKAGE" >&2; exit 2; }
[ $# -eq 3 ] && [ "$1" = --build ] || usage
build=$(cd "$2" && pwd)
pkg=$3
case "$pkg" in *[!a-z0-9.+-]*|"") usage ;; esac

# Debian's archive, as the system's own apt sources name it; signed by
# the archive keys of debian-archive-keyring (already on a Debian host).
: "${MYRIAD_DEBIAN_MIRROR:=http://deb.debian.org/debian}"
: "${MYRIAD_DEBIAN_SUITE:=bookworm}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

dest="$build/thirdparty/$pkg"
if [ -f "$dest/version" ] && [ -d "$dest/src" ]; then
    exit 0
fi
mkdir -p "$dest" "$build/apt"
# One package at a time: the build fetches busybox and lua in parallel,
# and two apt-get runs on one lists folder trip over each other.
exec 9>"$build/apt/lock"
flock 9

unpack() {
    rm -rf "$dest/src" "$dest/src.tmp"
    # apt-get checked the files against the signed Sources index.
    (cd "$dest" && dpkg-source --no-check -x "$1" src.tmp >/dev/null)
    sed -n 's/^Version: //p' "$1" >"$dest/version"
    mv "$dest/src.tmp" "$dest/src"
}

# A tarball already downloaded: unpack it again without the network.
dsc=$(ls "$dest"/"$pkg"_*.dsc 2>/dev/null | head -n 1 || true)
if [ -n "$dsc" ]; then
    unpack "$dsc"
    exit 0
fi

apt="$build/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/apt.conf.d" \
    "$apt/etc/preferences.d" "$apt/etc/sources.list.d"
signed=""
[ -f "$keyring" ] && signed="[signed-by=$keyring] "
echo "deb-src $signed$MYRIAD_DEBIAN_MIRROR $MYRIAD_DEBIAN_SUITE main" >"$apt/etc/sources.list"
# Every path apt reads or writes points into BUILD/apt. The sandbox user
# is the caller: apt's default (_apt) needs root to switch to.
cat >"$apt/apt.conf" <<CONF
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "/dev/null";
Dir::Cache "$apt/cache";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Parts "$apt/etc/apt.conf.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
APT::Sandbox::User "$(id -un)";
Debug::NoLocking "true";
CONF
export APT_CONFIG="$apt/apt.conf"
if ! ls "$apt/lists/"*Sources* >/dev/null 2>&1; then
    apt-get -q update >"$apt/update.log" 2>&1 || {
        cat "$apt/update.log" >&2
        echo "$0: apt-get update from $MYRIAD_DEBIAN_MIRROR failed" >&2
        exit 1
    }
fi
# --download-only: the unpacking is ours (into src/, under a fixed name).
(cd "$dest" && apt-get -q source --download-only "$pkg" >"$dest/fetch.log" 2>&1) || {
    cat "$dest/fetch.log" >&2
    echo "$0: apt-get source $pkg failed" >&2
    exit 1
}
dsc=$(ls "$dest"/"$pkg"_*.dsc | head -n 1)
unpack "$dsc"
