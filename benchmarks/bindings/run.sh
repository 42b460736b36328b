#!/usr/bin/env bash
# The bindings benchmark: iterates every document of one corpus reading its
# date, source and text length (no text inflated) from C, Go, Rust, Node and
# Python, runs each N times interleaved, and prints the medians and their
# ratios to C. Every program prints `docs=<N> checksum=<C> seconds=<loop>`
# (C: the sum mod 2^64 of text lengths and dates, 0 for undated), times only
# its own loop, and must agree with C on docs and checksum.
#
#   benchmarks/bindings/run.sh [--build DIR] [--docs N] [--runs N]
#                              [--corpus FILE.quire [--csv-gz FILE.csv.gz]]
#                              [--work DIR] [--results FILE.md]
#
#   --build DIR    the CMake build tree of this checkout whose libquire is
#                  measured (default $QUIRE_BUILD, else build/); configured
#                  if absent, and the library, CLI and Node addon are built
#   --docs N       size of the generated corpus (default 100000)
#   --corpus F     measure this .quire file instead of generating one; the
#                  csv-module baseline then needs --csv-gz
#   --runs N       runs of each program (default 9)
#   --work DIR     where corpora and programs go (default
#                  benchmarks/bindings/work, gitignored)
#   --results F    also write the report (Markdown) to F
#
# Rows: c (benchmarks/bindings/iterate_c.c), go (cmd/iterate-bench), rust
# (example iterate_bench, release), node (bench/iterate.js: column-wise,
# corpus.batches(), one pass: the JIT warms up during it), node-warm (the
# 5th pass in one process), node-docs (Document objects, one pass), python
# (bench/iterate.py: column-wise, Corpus.batches()), python-docs (the same
# with Document objects) and python-csv (bench/iterate_csv.py: Python's csv
# module over the gzip -6'd CSV of the same corpus).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${QUIRE_BUILD:-$repo/build}
docs=100000
runs=9
corpus=""
csv_gz=""
work=$here/work
results=""

usage() {
  sed -n '2,30s/^# \{0,1\}//p' "$0" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
  --build) build=$2 ;;
  --docs) docs=$2 ;;
  --runs) runs=$2 ;;
  --corpus) corpus=$2 ;;
  --csv-gz) csv_gz=$2 ;;
  --work) work=$2 ;;
  --results) results=$2 ;;
  *) usage ;;
  esac
  shift 2
done
[[ $docs =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || usage

die() {
  echo "run.sh: $*" >&2
  exit 1
}
for tool in cmake cc go cargo node python3 gzip pkg-config; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
build=$(mkdir -p "$build" && cd "$build" && pwd)

# ---- the library, the CLI and the Node addon, from the given build tree ----
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "run.sh: configuring $build"
  cmake -S "$repo" -B "$build" >"$work/cmake.log" 2>&1 || die "cmake failed: $work/cmake.log"
fi
if grep -q '^CMAKE_BUILD_TYPE:[A-Z]*=Debug$' "$build/CMakeCache.txt"; then
  echo "run.sh: warning: $build is a Debug build" >&2
fi
if grep -q '^QUIRE_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "run.sh: warning: $build is a sanitizer build" >&2
fi
echo "run.sh: building libquire, the CLI and the Node addon in $build"
cmake --build "$build" -j2 --target quire quire_cli quire_node >"$work/build.log" 2>&1 ||
  die "build failed (is the Node binding configured?): $work/build.log"
lib=$build/libquire.so
addon=$build/bindings/node/quire.node
[ -f "$lib" ] && [ -f "$addon" ] || die "$lib or $addon missing after the build"

# ---- each language's program, against that library ----
echo "run.sh: building the C, Go and Rust programs in $work"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I "$repo/include" \
  "$here/iterate_c.c" -L "$build" -lquire -Wl,-rpath,"$build" -o "$work/iterate_c"
# The Go binding finds libquire through pkg-config, as an installed one
# (-tags quire_system; by default it would compile its bundled sources).
mkdir -p "$work/pkgconfig"
cat >"$work/pkgconfig/quire.pc" <<EOF
Name: quire
Description: libquire of $build
Version: 1.0.0
Cflags: -I$repo/include
Libs: -L$build -Wl,-rpath,$build -lquire
EOF
(cd "$repo/bindings/go" &&
  PKG_CONFIG_PATH=$work/pkgconfig CGO_ENABLED=1 GOTOOLCHAIN=local \
    CGO_LDFLAGS="-L$build -Wl,-rpath,$build" \
    go build -tags quire_system -o "$work/iterate_go" ./cmd/iterate-bench) || die "go build failed"
(cd "$repo/bindings/rust" &&
  QUIRE_LIB_DIR=$build CARGO_TARGET_DIR=$work/cargo CARGO_NET_OFFLINE=true \
    cargo build --quiet --locked --release -p quire --features system --example iterate_bench) ||
  die "cargo build failed"
rust=$work/cargo/release/examples/iterate_bench

# ---- the corpus ----
if [ -z "$corpus" ]; then
  dir=$work/$docs
  mkdir -p "$dir"
  if [ ! -f "$dir/c.csv.gz" ] || [ "$here/../gen_corpus.py" -nt "$dir/c.csv.gz" ]; then
    echo "run.sh: generating $docs documents in $dir"
    python3 "$here/../gen_corpus.py" -n "$docs" -o "$dir/c.csv"
    gzip -6 -c "$dir/c.csv" >"$dir/c.csv.gz"
  fi
  # Packed by the build being measured, every time.
  echo "run.sh: packing $dir/c.quire"
  "$build/quire" pack -o "$dir/c.quire" "$dir/c.csv" >/dev/null
  corpus=$dir/c.quire
  csv_gz=$dir/c.csv.gz
fi
[ -f "$corpus" ] || die "no corpus at $corpus"

# ---- the runs, interleaved: one of each program per round, the starting
# program rotating, so that a noisy minute hits all of them alike ----
py=$repo/bindings/python/bench
names=(c go rust node node-warm node-docs python python-docs)
cmds=(
  "$work/iterate_c $corpus"
  "$work/iterate_go $corpus"
  "$rust $corpus"
  "node $repo/bindings/node/bench/iterate.js $corpus"
  "node $repo/bindings/node/bench/iterate.js $corpus --passes 5"
  "node $repo/bindings/node/bench/iterate.js --documents $corpus"
  "python3 $py/iterate.py $corpus"
  "python3 $py/iterate.py --documents $corpus"
)
if [ -n "$csv_gz" ]; then
  names+=(python-csv)
  cmds+=("python3 $py/iterate_csv.py $csv_gz")
else
  echo "run.sh: no --csv-gz: the python-csv row is left out" >&2
fi
export QUIRE_LIBRARY=$lib QUIRE_NODE_ADDON=$addon PYTHONDONTWRITEBYTECODE=1
measurements=$work/runs.tsv
: >"$measurements"
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run.sh: $runs rounds of ${names[*]} over $corpus"
count=${#names[@]}
for ((round = 0; round < runs; round++)); do
  for ((k = 0; k < count; k++)); do
    i=$(((round + k) % count))
    # shellcheck disable=SC2086 # the commands are word lists on purpose
    line=$(${cmds[$i]} | tail -n 1) || die "${names[$i]} failed: ${cmds[$i]}"
    printf '%s\t%s\t%s\n' "${names[$i]}" "$round" "$line" >>"$measurements"
  done
  printf '.' >&2
done
echo >&2

# ---- the report: medians, ratios to C, the machine and the tools ----
machine=$work/machine.tsv
{
  printf 'CPU\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'load average before the runs\t%s\n' "$load"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'cc\t%s\n' "$(cc --version | head -n 1)"
  printf 'go\t%s\n' "$(go version)"
  printf 'rustc\t%s\n' "$(rustc --version)"
  printf 'node\t%s\n' "$(node --version)"
  printf 'python3\t%s\n' "$(python3 --version 2>&1)"
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
  printf 'libquire\t%s, %s build\n' "$("$build/quire" --version 2>&1 | head -n 1)" \
    "${type:-RelWithDebInfo (default)}"
  printf 'corpus\t%s (%s bytes)\n' "$corpus" "$(stat -c %s "$corpus")"
} >"$machine"
report=$work/report.md
status=0
python3 "$here/table.py" "$measurements" "$machine" >"$report" || status=$?
cat "$report"
if [ -n "$results" ] && [ "$status" = 0 ]; then
  cp "$report" "$results"
fi
exit "$status"
