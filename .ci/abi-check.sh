#!/usr/bin/env bash
# abi-check.sh: compares the ABI of libquire.so.1, as built from this tree,
# with the baseline kept in abi/, and fails on any change that a program
# built against the baseline could notice. ABI.md ("Checking the ABI") says
# why and how.
#
#   .ci/abi-check.sh [--build-dir DIR]            check
#   .ci/abi-check.sh [--build-dir DIR] --update   record the current ABI
#
# The check builds the library in DIR (default: build-abicheck at the root of
# the tree) with debug information, then
#   - describes it with abidw (functions, their types, symbol versions) and
#     compares that with abi/libquire.abi using abidiff (abigail-tools);
#   - lists the #define constants of quire.h (status codes, field numbers,
#     limits, ...), which are ABI too but invisible to abidiff, and compares
#     them with abi/constants.txt.
# Exit status:
#   0  the ABI is the baseline's
#   1  incompatible: a function or constant was removed or changed
#   2  the check itself failed (tools missing, build failed, bad usage)
#   3  compatible additions (new functions or constants) that the baseline
#      does not record yet: review them, then run --update and commit abi/
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-abicheck
update=0
usage() {
  sed -n '2,25s/^# \{0,1\}//p' "$0" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
  --update) update=1 ;;
  --build-dir)
    [ $# -ge 2 ] || usage
    build=$2
    shift
    ;;
  -h | --help) usage ;;
  *) usage ;;
  esac
  shift
done

baseline_abi=$root/abi/libquire.abi
baseline_constants=$root/abi/constants.txt
die() {
  echo "abi-check: $*" >&2
  exit 2
}
for tool in abidw abidiff cmake "${CC:-cc}"; do
  command -v "$tool" >/dev/null ||
    die "$tool not found (abidw and abidiff: apt-get install abigail-tools)"
done

# ---- build ---------------------------------------------------------------------
mkdir -p "$build"
log=$build/abi-check.log
echo "abi-check: building libquire in $build"
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DQUIRE_TESTS=OFF -DQUIRE_BINDINGS=OFF -DQUIRE_SANITIZE=OFF \
  -DQUIRE_TSAN=OFF && cmake --build "$build" --target quire -j2; } >"$log" 2>&1; then
  cat "$log" >&2
  die "the build failed"
fi
lib=$build/libquire.so.1
[ -e "$lib" ] || die "$lib was not built"

# ---- describe ------------------------------------------------------------------
current=$build/abi
mkdir -p "$current"
# Only what quire.h declares counts: the handles' private structs, the
# libraries libquire needs and where things were compiled are left out.
abidw --headers-dir "$root/include" --drop-private-types \
  --exported-interfaces-only --no-elf-needed --no-corpus-path \
  --no-comp-dir-path --no-show-locs --out-file "$current/libquire.abi" "$lib" ||
  die "abidw failed on $lib"
symbols=$(grep -c '<elf-symbol ' "$current/libquire.abi" || true)
described=$(grep -c '<function-decl ' "$current/libquire.abi" || true)
[ "$described" -ge "$symbols" ] && [ "$symbols" -gt 0 ] ||
  die "abidw described $described of $symbols functions: no debug information?"

# The constants, one "#define NAME VALUE" a line as the preprocessor sees
# them. The release numbers change with every release and the defaults may
# change in any release, so they are left out (QUIRE_VERSION_MAJOR stays: it
# changes only with the soname).
"${CC:-cc}" -dM -E -x c "$root/include/quire.h" |
  grep '^#define QUIRE_' |
  grep -Ev '^#define (QUIRE_H|QUIRE_API|QUIRE_VERSION_(MINOR|PATCH|NUMBER|STRING)|QUIRE_FORMAT_MINOR|QUIRE_DEFAULT_[A-Z_]*)[ (]' |
  sort >"$current/constants.txt"

# ---- update -------------------------------------------------------------------
if [ "$update" = 1 ]; then
  if [ -e "$baseline_abi" ]; then
    echo "abi-check: changes recorded against the old baseline:"
    abidiff "$baseline_abi" "$current/libquire.abi" | sed 's/^/  /' || true
    diff "$baseline_constants" "$current/constants.txt" | sed 's/^/  /' || true
  fi
  cp "$current/libquire.abi" "$baseline_abi"
  cp "$current/constants.txt" "$baseline_constants"
  echo "abi-check: wrote $baseline_abi and $baseline_constants;" \
    "commit them with the change that explains them"
  exit 0
fi

# ---- compare -------------------------------------------------------------------
[ -e "$baseline_abi" ] && [ -e "$baseline_constants" ] ||
  die "no baseline in $root/abi: create it with $0 --update"

# abidiff's status is a bit set: 1 error, 2 usage, 4 change, 8 incompatible
# change. Additions are compatible, so they are first left out: any change
# that remains is a break (a removed function, a changed parameter, return
# or callback type, a lost symbol version).
incompatible=0
status=0
abidiff --no-added-syms --suppressions "$root/abi/experimental.suppr" \
  "$baseline_abi" "$current/libquire.abi" \
  >"$current/abidiff.txt" 2>&1 || status=$?
if [ $((status & 3)) -ne 0 ]; then
  cat "$current/abidiff.txt" >&2
  die "abidiff failed (status $status)"
fi
if [ "$status" -ne 0 ]; then
  echo "abi-check: INCOMPATIBLE function changes (abidiff status $status):"
  sed 's/^/  /' "$current/abidiff.txt"
  incompatible=1
fi
removed=$(comm -23 "$baseline_constants" "$current/constants.txt")
if [ -n "$removed" ]; then
  # A program compiled with the old value passes it to the new library: a
  # status code, field or flag that changes number is a break. (A raised
  # limit is not; record it with --update after review.)
  echo "abi-check: INCOMPATIBLE constant changes (baseline, then now):"
  sed 's/^/  - /' <<<"$removed"
  names=$(sed 's/^#define \([A-Z0-9_]*\).*/\1/' <<<"$removed")
  grep -wF "$names" "$current/constants.txt" | sed 's/^/  + /' || true
  incompatible=1
fi
if [ "$incompatible" = 1 ]; then
  echo "abi-check: FAILED: this breaks programs built against libquire.so.1."
  echo "  Restore the old interface, or (for 2.0 only) change the soname, the"
  echo "  version node and the baseline together, as ABI.md says."
  exit 1
fi

added=$(abidiff --added-fns "$baseline_abi" "$current/libquire.abi" | grep '\[A\]' || true)
added_constants=$(comm -13 "$baseline_constants" "$current/constants.txt")
if [ -n "$added" ] || [ -n "$added_constants" ]; then
  echo "abi-check: compatible additions, not yet in the baseline:"
  [ -z "$added" ] || sed 's/^ */  /' <<<"$added"
  [ -z "$added_constants" ] || sed 's/^/  + /' <<<"$added_constants"
  echo "  Record them on purpose: $0 --update, then commit abi/."
  exit 3
fi
echo "abi-check: OK, the ABI is the baseline's ($symbols functions," \
  "$(wc -l <"$current/constants.txt") constants)"
