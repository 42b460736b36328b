#!/usr/bin/env bash
# header_test.sh: compiles include/quire.h as C (C99, C11, C17) and as C++
# (C++11, C++17, C++20) with -Wall -Wextra -Wpedantic -Werror and more, with
# gcc and, when installed, clang; links each program against libquire.so and
# runs it (header_use.c says what it checks).
#
# usage: header_test.sh INCLUDE_DIR LIB_DIR WORK_DIR CC CXX
set -euo pipefail
include=$1 libdir=$2 work=$3 cc=$4 cxx=$5
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=api_names.sh
. "$here/api_names.sh"

if [ -z "$cxx" ]; then
  echo "SKIP: no C++ compiler found (apt-get install g++)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
header_functions "$include/quire.h" | sed 's/.*/  (any_function)&,/' >"$work/api_functions.inc"

warnings="-Wall -Wextra -Wpedantic -Werror -Wshadow -Wundef -Wcast-qual -DQUIRE_EXPERIMENTAL"
c_warnings="$warnings -Wstrict-prototypes -Wmissing-prototypes"
compilers=("$cc c" "$cxx c++")
command -v clang >/dev/null && compilers+=("clang c")
command -v clang++ >/dev/null && compilers+=("clang++ c++")

count=0
for entry in "${compilers[@]}"; do
  read -r compiler lang <<<"$entry"
  if [ "$lang" = c ]; then
    standards="c99 c11 c17" flags=$c_warnings
  else
    standards="c++11 c++17 c++20" flags=$warnings
  fi
  for std in $standards; do
    exe="$work/use-$(basename "$compiler")-$std"
    # shellcheck disable=SC2086
    if ! "$compiler" -x "$lang" -std="$std" $flags -I"$include" -I"$work" \
      -o "$exe" "$here/header_use.c" -x none -L"$libdir" -lquire \
      -Wl,-rpath,"$libdir"; then
      echo "FAIL: quire.h does not compile cleanly with $compiler -std=$std"
      exit 1
    fi
    "$exe" || { echo "FAIL: $exe exited with $?"; exit 1; }
    count=$((count + 1))
  done
done
echo "quire.h compiled, linked and ran cleanly in $count configurations"
