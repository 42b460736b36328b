#!/usr/bin/env bash
# Runs the quire benchmarks against sqlite3, DuckDB, Python's csv module and
# zcat, then writes RESULTS.md and results/times.png, and the export to XLSX
# beside CSV (sheets.py: SHEETS.md). See README.md.
#
#   benchmarks/run.sh [--sizes 10000,100000,1000000] [--runs 5]
#                     [--heavy-runs N] [any other bench.py option]
#
# It installs nothing: run benchmarks/setup.sh once first.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${QUIRE_BENCH_BUILD:-$repo/build-bench}

missing=()
for tool in cmake cc python3 node gzip zcat sqlite3 hyperfine gnuplot; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/bin/time ] || missing+=("/usr/bin/time")
[ -d "$here/node_modules/@duckdb/node-api" ] || missing+=("@duckdb/node-api")
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: missing ${missing[*]}: run benchmarks/setup.sh first" >&2
  exit 1
fi

# --no-build measures the binaries already in the build directory, so that
# sizes run at different times measure the same build.
no_build=0
args=()
for arg in "$@"; do
  if [ "$arg" = --no-build ]; then no_build=1; else args+=("$arg"); fi
done
set -- "${args[@]}"

# The library and CLI as a user builds them (the project's default build
# type), without tests or bindings, in a build directory of its own.
if [ "$no_build" = 0 ] || [ ! -x "$build/quire" ]; then
  cmake -S "$repo" -B "$build" -DQUIRE_BINDINGS=OFF -DQUIRE_TESTS=OFF \
    -DCMAKE_C_FLAGS= >/dev/null
  cmake --build "$build" -j2 --target quire quire_cli >/dev/null
  # What was built, for RESULTS.md (read by bench.py, also after --no-build).
  commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git -C "$repo" status --porcelain -- core include cli CMakeLists.txt 2>/dev/null)" ]; then
    commit="$commit with uncommitted changes"
  fi
  echo "$commit" > "$build/bench-build-commit"
fi
cc -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
  -I "$repo/include" "$here/inproc.c" -L "$build" -lquire \
  -Wl,-rpath,"$build" -o "$build/inproc"

python3 "$here/bench.py" --quire "$build/quire" --inproc "$build/inproc" "$@"

# Export speed to XLSX beside CSV (SHEETS.md, results/sheets.json): the same
# build, at the sizes asked for up to 100,000 documents (an XLSX of a
# million runs for minutes).
sheet_sizes=10000,100000
prev=
for arg in "$@"; do
  case "$prev" in --sizes) sheet_sizes=$arg ;; esac
  case "$arg" in --sizes=*) sheet_sizes=${arg#*=} ;; esac
  prev=$arg
done
sheet_sizes=$(tr ',' '\n' <<<"$sheet_sizes" | awk '$1 <= 100000' | paste -sd, -)
if [ -n "$sheet_sizes" ]; then
  python3 "$here/sheets.py" --quire "$build/quire" --sizes "$sheet_sizes"
fi

# With --results DIR the report goes there too, leaving RESULTS.md alone.
report=()
while [ $# -gt 0 ]; do
  case "$1" in
    --results) report=(--results "$2" --out "$2/RESULTS.md"); shift ;;
    --results=*) report=(--results "${1#*=}" --out "${1#*=}/RESULTS.md") ;;
  esac
  shift
done
python3 "$here/report.py" "${report[@]}"
