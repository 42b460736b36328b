#!/usr/bin/env bash
# exports_test.sh: checks that libquire.so exports exactly the QUIRE_API
# functions of include/quire.h, each under the version node core/quire.map
# gives it (QUIRE_1.0 for every function of 1.0), and that its soname is
# libquire.so.1.
#
# usage: exports_test.sh LIBQUIRE_SO QUIRE_H QUIRE_MAP
set -euo pipefail
lib=$1 header=$2 map=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=api_names.sh
. "$here/api_names.sh"

failed=0
fail() {
  printf 'FAIL: %s\n' "$*"
  failed=1
}
# Prints the lines of $1 that are not in $2 (both sorted), indented.
missing_from() { comm -23 <(printf '%s\n' "$1") <(printf '%s\n' "$2") | sed 's/^/    /'; }

declared=$(header_functions "$header")
[ "$(printf '%s\n' "$declared" | wc -l)" -ge 70 ] ||
  fail "found only $(printf '%s\n' "$declared" | wc -l) QUIRE_API functions in $header"

mapped=$(map_symbols "$map")
[ "$(grep -m1 -o '^QUIRE_[0-9.]*' "$map")" = QUIRE_1.0 ] ||
  fail "the first version node of $map is not QUIRE_1.0"
if [ "$(cut -d' ' -f1 <<<"$mapped")" != "$declared" ]; then
  fail "$map and $header disagree"
  echo "  in the header, not the map:"; missing_from "$declared" "$(cut -d' ' -f1 <<<"$mapped")"
  echo "  in the map, not the header:"; missing_from "$(cut -d' ' -f1 <<<"$mapped")" "$declared"
fi

# nm prints "value type name@@node"; the node itself is an absolute symbol.
dynamic=$(nm -D --defined-only "$lib" | awk '{ print $2, $3 }')
nodes=$(awk '$1 == "A" { print $2 }' <<<"$dynamic" | sort -u)
exported=$(awk '$1 != "A" { print $2 }' <<<"$dynamic" | sort -u)
names=$(sed 's/@.*//' <<<"$exported" | sort -u)
if [ "$names" != "$declared" ]; then
  fail "$lib does not export exactly the QUIRE_API functions"
  echo "  declared, not exported:"; missing_from "$declared" "$names"
  echo "  exported, not declared:"; missing_from "$names" "$declared"
fi
not_functions=$(nm -D --defined-only "$lib" | awk '$2 != "T" && $2 != "A"')
[ -z "$not_functions" ] || fail "$lib exports symbols that are not functions: $not_functions"
versioned=$(sed 's/@@/ /' <<<"$exported" | sort -u)
if [ "$versioned" != "$mapped" ]; then
  fail "symbol versions differ from $map (want name@@node for every function)"
  echo "  expected:"; missing_from "$mapped" "$versioned"
  echo "  found:"; missing_from "$versioned" "$mapped"
fi
[ "$nodes" = "$(cut -d' ' -f2 <<<"$mapped" | sort -u)" ] ||
  fail "version nodes are '$nodes', the map has '$(cut -d' ' -f2 <<<"$mapped" | sort -u | tr '\n' ' ')'"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libquire.so.1 ] || fail "soname is '$soname', not libquire.so.1"

[ "$failed" = 0 ] || exit 1
echo "$(wc -l <<<"$names") functions exported, all as declared, under $(tr '\n' ' ' <<<"$nodes")"
