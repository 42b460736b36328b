#!/usr/bin/env bash
# Checks that every C file of the project is formatted by .clang-format
# (the Go module's bundled copies of core/ excepted: scripts/bundle.sh makes
# them from files this checks). Prints the files that are not and exits 1;
# `clang-format -i FILE` formats one.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null ||
  { echo "format: clang-format is missing (apt-get install clang-format)" >&2; exit 1; }
bad=0
while IFS= read -r file; do
  if ! clang-format --dry-run -Werror "$file" >/dev/null 2>&1; then
    echo "format: $file is not formatted (clang-format -i $file)" >&2
    bad=1
  fi
done < <(git ls-files '*.c' '*.h' | grep -v -E '^bindings/go/(csrc/|libquire_)')
[[ $bad -eq 0 ]] && echo "format: every C file is formatted"
exit $bad
