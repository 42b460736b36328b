#!/usr/bin/env bash
# Runs the Clang static analyser (clang-tidy's clang-analyzer-* checks) over
# the library and the CLI, and exits non-zero on any finding. Configures its
# own build directory for the compile commands.
#
# Two checks are off, each for a reason:
#   - security.insecureAPI.DeprecatedOrUnsafeBufferHandling asks for C11's
#     optional Annex K (memcpy_s...), which glibc does not have;
#   - valist.Uninitialized reports every va_list passed to vsnprintf()
#     right after va_start() (clang-tidy 14 on x86-64, where va_list is an
#     array type): a false positive of that checker.
#
# usage: .ci/analyze.sh
# environment: QUIRE_ANALYZE_BUILD  build directory (default build-analyze)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${QUIRE_ANALYZE_BUILD:-$root/build-analyze}
command -v clang-tidy >/dev/null ||
  { echo "analyze: clang-tidy is missing (apt-get install clang-tidy)" >&2; exit 1; }
start=$SECONDS
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DQUIRE_TESTS=OFF -DQUIRE_BINDINGS=OFF \
  >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; echo "analyze: configure failed" >&2; exit 1; }
checks='-*,clang-analyzer-*'
checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
checks+=',-clang-analyzer-valist.Uninitialized'
cd "$root"
files=(core/*.c cli/*.c)
log=$build/analyze.log
# gcc-only warning switches of the build mean nothing to clang.
clang-tidy -p "$build" --quiet -checks="$checks" \
  --extra-arg=-Wno-unknown-warning-option "${files[@]}" >"$log" 2>&1 || true
findings=$(grep -cE '(warning|error):' "$log" || true)
echo "analyze: ${#files[@]} files, $findings findings ($((SECONDS - start)) s)"
if [[ $findings -ne 0 ]]; then
  grep -E -A6 '(warning|error):' "$log" | head -120 >&2
  echo "analyze: the log is $log" >&2
  exit 1
fi
