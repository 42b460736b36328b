#!/usr/bin/env bash
# install_test.sh: installs libquire from a build tree into a fresh prefix and
# builds and runs a consumer against the installed copy, the ways ABI.md
# tells applications to: pkg-config (shared and static) and the CMake package
# (quire::quire and quire::quire_static). Also runs the installed CLI.
#
# usage: install_test.sh BUILD_DIR WORK_DIR [C_COMPILER]
set -euo pipefail

build=$1
work=$2
cc=${3:-cc}
here=$(cd "$(dirname "$0")" && pwd)
source_root=$(cd "$here/../.." && pwd)
prefix=$work/prefix

step() { printf '== %s\n' "$*"; }
die() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# The build tree's library must never stand in for the installed one.
unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH
rm -rf "$work"
mkdir -p "$work"

step "cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
  die "cmake --install failed: $(cat "$work/install.log")"

step "installed files"
libdir=$(dirname "$(find "$prefix" -name libquire.so.1 -print -quit)")
[ -n "$libdir" ] && [ -d "$libdir" ] || die "libquire.so.1 not installed"
for f in "$prefix/include/quire.h" "$libdir/libquire.a" "$libdir/libquire.so" \
  "$libdir/pkgconfig/quire.pc" "$libdir/cmake/quire/quireConfig.cmake" \
  "$libdir/cmake/quire/quireConfigVersion.cmake" "$prefix/bin/quire"; do
  [ -e "$f" ] || die "$f was not installed"
done
cmp -s "$prefix/include/quire.h" "$source_root/include/quire.h" ||
  die "the installed quire.h differs from include/quire.h"
[ "$(readlink "$libdir/libquire.so")" = libquire.so.1 ] ||
  die "libquire.so does not link to libquire.so.1"
soname=$(readelf -d "$libdir/libquire.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libquire.so.1 ] || die "soname is '$soname', not libquire.so.1"

# Runs a consumer and checks which libquire it used: the installed shared
# library, or (static) none but its own copy.
run_consumer() {
  local exe=$1 kind=$2 out
  mkdir -p "$work/run"
  out=$("$exe" "$work/run") || die "$exe failed"
  case $kind in
  shared) expected=$libdir/libquire.so.1 ;;
  static) expected=$exe ;;
  esac
  [ "$(realpath "${out##* from }")" = "$(realpath "$expected")" ] ||
    die "$exe: $out (expected it from $expected)"
  if [ "$kind" = static ] && readelf -d "$exe" | grep -q 'libquire'; then
    die "$exe links libquire dynamically"
  fi
  printf '   %s: %s\n' "$(basename "$exe")" "$out"
}

step "pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --variable=prefix quire)" = "$prefix" ] ||
  die "pkg-config found another quire.pc: $(pkg-config --path quire)"
[ "$(pkg-config --modversion quire)" = "$(sed -n 's/^#define QUIRE_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/quire.h")" ] ||
  die "quire.pc's version is not the header's"
flags="-std=c11 -Wall -Wextra -Wpedantic -Werror"
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc" "$here/consumer/consumer.c" \
  $(pkg-config --cflags --libs quire) -Wl,-rpath,"$libdir" -ldl
run_consumer "$work/consumer_pc" shared
# A static link takes libquire.a and what quire.pc says it needs.
static_libs=$(pkg-config --static --libs quire | sed 's/-lquire/-Wl,-Bstatic -lquire -Wl,-Bdynamic/')
# shellcheck disable=SC2046,SC2086
"$cc" $flags -o "$work/consumer_pc_static" "$here/consumer/consumer.c" \
  $(pkg-config --cflags quire) $static_libs -ldl
run_consumer "$work/consumer_pc_static" static
unset PKG_CONFIG_PATH

step "find_package(quire) with quire::quire and quire::quire_static"
cmake -S "$here/consumer" -B "$work/cmake" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DEXPECTED_QUIRE_DIR="$libdir/cmake/quire" >"$work/cmake.log" 2>&1 ||
  die "configuring the CMake consumer failed: $(cat "$work/cmake.log")"
cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 ||
  die "building the CMake consumer failed: $(cat "$work/cmake.log")"
run_consumer "$work/cmake/consumer_shared" shared
run_consumer "$work/cmake/consumer_static" static

step "the installed CLI"
"$prefix/bin/quire" --version | grep -qx "quire $(pkg-config --with-path="$libdir/pkgconfig" --modversion quire)" ||
  die "the installed quire --version is wrong"
"$prefix/bin/quire" info "$work/run/consumer.quire" >/dev/null ||
  die "the installed quire cannot read a corpus"

step "quire-uninstalled.pc of the build tree"
uninstalled=$(PKG_CONFIG_PATH=$build/pkgconfig pkg-config --variable=libdir quire)
[ "$(realpath "$uninstalled")" = "$(realpath "$build")" ] ||
  die "PKG_CONFIG_PATH=$build/pkgconfig does not give the build tree ($uninstalled)"

rm -rf "$work"
echo "install test passed"
