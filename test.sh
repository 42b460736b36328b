#!/usr/bin/env bash
# Runs every test: the C library, the CLI and the four bindings (ctest), the
# whole C suite again under AddressSanitizer and UndefinedBehaviorSanitizer
# and the concurrency tests under ThreadSanitizer, a short fuzz run of each
# target, and the ABI check against the committed baseline and of the API
# description (api/quire-api.json) against quire.h. Installs what is
# missing first, checks the C files' format before building and runs the
# static analyser after.
set -euo pipefail
cd "$(dirname "$0")"
start=$SECONDS
step() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - start)); }

step "dependencies"
bash scripts/deps.sh

step "format"
bash .ci/format-check.sh
bash .ci/commit-check.sh

step "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"

step "static analysis"
bash .ci/analyze.sh

step "ctest: C library, CLI, bindings, install"
(cd build && ctest --output-on-failure -j2)

step "sanitizers"
bash .ci/sanitize.sh

step "fuzzing"
bash .ci/fuzz.sh "${QUIRE_FUZZ_SECONDS:-60}"

step "ABI check"
bash .ci/abi-check.sh

step "API description"
python3 scripts/api-describe.py --check

step "all tests passed"
