#!/usr/bin/env bash
# Runs the whole C test suite (every tests/test_*.c) built with
# AddressSanitizer + UndefinedBehaviorSanitizer, leaks included, and the CLI
# tests (tests/cli, pytest) against the `quire` of that build, then the
# concurrency tests built with ThreadSanitizer. Configures and builds in
# its own directories, prints one line per test program, and exits non-zero
# on any failed test, sanitizer report or build failure.
#
# usage: .ci/sanitize.sh
# environment:
#   QUIRE_ASAN_BUILD   ASan+UBSan build directory (default build-hard-asan)
#   QUIRE_TSAN_BUILD   TSan build directory (default build-hard-tsan)
#
# Criterion runs each test in a child process whose leak report does not
# change its exit status, so the output is searched for sanitizer reports
# too. Tests run one at a time (--jobs 1): Criterion's parallel runner
# itself leaks a little, which LeakSanitizer would report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
asan=${QUIRE_ASAN_BUILD:-$root/build-hard-asan}
tsan=${QUIRE_TSAN_BUILD:-$root/build-hard-tsan}
start=$SECONDS
failed=0
export QUIRE_SEEDS_DIR=${QUIRE_SEEDS_DIR:-$root/../shared/seeds}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# Configures and builds: build DIR SOURCE ARGS...
build() {
  local dir=$1 src=$2
  shift 2
  mkdir -p "$dir"
  if ! cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DQUIRE_BINDINGS=OFF "$@" >"$dir/configure.log" 2>&1 ||
    ! cmake --build "$dir" -j2 >"$dir/build.log" 2>&1; then
    tail -n 40 "$dir/configure.log" "$dir/build.log" >&2
    echo "sanitize: building $dir failed" >&2
    exit 1
  fi
}

# Runs one test program and prints its line: run NAME LOG COMMAND...
run() {
  local name=$1 log=$2
  shift 2
  local t0=$SECONDS status=0
  "$@" >"$log" 2>&1 || status=$?
  local synthesis reports
  synthesis=$(grep -a 'Synthesis' "$log" | tail -1 | sed 's/.*Synthesis: //')
  reports=$(grep -acE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' "$log" || true)
  echo "$name: ${synthesis:-no synthesis}, $reports sanitizer reports," \
    "exit $status ($((SECONDS - t0)) s)"
  if [[ $status -ne 0 || $reports -ne 0 || -z $synthesis ||
    ! $synthesis =~ Failing:\ 0\ \|\ Crashing:\ 0 ]]; then
    grep -aE -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer|\[FAIL\]|Assertion' "$log" | head -60 >&2 || true
    echo "sanitize: $name FAILED; the log is $log" >&2
    failed=1
  fi
}

build "$asan" "$root" -DQUIRE_SANITIZE=ON
echo "sanitize: ASan+UBSan build in $((SECONDS - start)) s"
for test in "$asan"/test_*; do
  [[ -x $test && -f $test ]] || continue
  name=$(basename "$test")
  run "asan $name" "$asan/$name.log" "$test" --jobs 1
done

# The CLI tests against the sanitized `quire`: a sanitizer report aborts
# the command (abort_on_error, and LeakSanitizer's exit code), which fails
# the test that ran it.
t0=$SECONDS
status=0
QUIRE_BIN="$asan/quire" python3 -m pytest -q -p no:cacheprovider \
  "$root/tests/cli" >"$asan/cli.log" 2>&1 || status=$?
reports=$(grep -acE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$asan/cli.log" || true)
echo "asan cli: $(tail -1 "$asan/cli.log"), $reports sanitizer reports," \
  "exit $status ($((SECONDS - t0)) s)"
if [[ $status -ne 0 || $reports -ne 0 ]]; then
  grep -aE -B2 -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:|FAILED|Error' \
    "$asan/cli.log" | head -80 >&2 || true
  echo "sanitize: the CLI tests FAILED; the log is $asan/cli.log" >&2
  failed=1
fi

t0=$SECONDS
build "$tsan" "$root/tests/tsan"
echo "sanitize: TSan build in $((SECONDS - t0)) s"
run "tsan test_concurrency" "$tsan/tsan_concurrency.log" "$tsan/tsan_concurrency"

echo "sanitize: $((SECONDS - start)) s in all"
exit $failed
