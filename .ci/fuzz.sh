#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS seconds (default 60)
# from its seed corpus, with its dictionary. Prints one line per target
# (executions, crashes, corpus size, coverage) and exits non-zero when any
# target crashed, hung, leaked or allocated past the limit, or the build
# failed.
#
# usage: .ci/fuzz.sh [SECONDS_PER_TARGET]
#   .ci/fuzz.sh          about a minute per target, as CI runs it
#   .ci/fuzz.sh 3600     the long run: an hour per target
# environment:
#   QUIRE_FUZZ_BUILD     build directory (default build-hard-fuzz)
#   QUIRE_FUZZ_TARGETS   targets to run (default "corpus csv date dedup dict")
#
# The corpus each target grows is kept in BUILD/fuzz-work/TARGET, so a
# later run goes on from it; an input that crashed is written to
# BUILD/fuzz-artifacts/. Keep every crash as a regression test: copy it to
# tests/fuzz/regressions/TARGET/ under a name saying what it broke, and
# test_fuzz_replay replays it from then on.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${QUIRE_FUZZ_BUILD:-$root/build-hard-fuzz}
targets=${QUIRE_FUZZ_TARGETS:-corpus csv date dedup dict}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }

start=$SECONDS
command -v clang >/dev/null || { echo "fuzz: clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$build"
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; echo "fuzz: configure failed" >&2; exit 1; }
cmake --build "$build" -j2 >"$build/build.log" 2>&1 ||
  { cat "$build/build.log" >&2; echo "fuzz: build failed" >&2; exit 1; }
echo "fuzz: built the targets in $((SECONDS - start)) s; $seconds s each"

failed=0
for t in $targets; do
  work=$build/fuzz-work/$t
  artifacts=$build/fuzz-artifacts
  log=$build/fuzz-$t.log
  mkdir -p "$work" "$artifacts"
  before=$(ls "$artifacts" | grep -c "^$t-" || true)
  # -malloc_limit_mb: no input of these sizes may make the library ask for
  # half a gigabyte at once; a size read from a file without a bound would.
  # The grown corpus first (new inputs go there), then the seeds and every
  # input that once crashed, which are all run first.
  dirs=("$work" "$root/tests/fuzz/corpus/$t")
  [[ -d $root/tests/fuzz/regressions/$t ]] && dirs+=("$root/tests/fuzz/regressions/$t")
  status=0
  "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -print_final_stats=1 -dict="$root/tests/fuzz/$t.dict" \
    -artifact_prefix="$artifacts/$t-" "${dirs[@]}" >"$log" 2>&1 || status=$?
  after=$(ls "$artifacts" | grep -c "^$t-" || true)
  crashes=$((after - before))
  if [[ $status -ne 0 && $crashes -eq 0 ]]; then crashes=1; fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  done_line=$(grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)" "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
  echo "fuzz_$t: ${execs:-0} executions in $seconds s, $crashes crashes," \
    "corpus ${corp:-?} inputs, coverage ${cov:-?} edges"
  if [[ $crashes -ne 0 ]]; then
    failed=1
    grep -E 'ERROR|SUMMARY|check failed|runtime error|Test unit written' "$log" | head -20 >&2 || true
    echo "fuzz_$t: FAILED; the log is $log; the input is in $artifacts" >&2
  fi
done
echo "fuzz: $((SECONDS - start)) s in all"
exit $failed
