#!/usr/bin/env bash
# check-versions.sh: every place that states quire's release number states
# the same one as include/quire.h (QUIRE_VERSION_STRING): CMake, the Node
# package, the Python package and module, the Rust workspace, the Go module's
# bundled header, and the top entry of CHANGELOG.md. Prints the places that
# differ and exits 1; docs/release.md says when to run it (ctest runs it as
# release_versions).
set -euo pipefail
cd "$(dirname "$0")/.."

header=$(sed -n 's/^#define QUIRE_VERSION_STRING "\(.*\)"/\1/p' include/quire.h)
[ -n "$header" ] || { echo "versions: no QUIRE_VERSION_STRING in include/quire.h" >&2; exit 1; }
parts=$(sed -n 's/^#define QUIRE_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' include/quire.h | paste -sd.)

bad=0
check() { # check WHERE VALUE
  if [ "$2" != "$header" ]; then
    echo "versions: $1 says '$2', include/quire.h says '$header'" >&2
    bad=1
  fi
}
check "QUIRE_VERSION_MAJOR/MINOR/PATCH" "$parts"
check CMakeLists.txt "$(sed -n 's/^project(quire VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)"
check bindings/node/package.json "$(sed -n 's/^  "version": "\(.*\)",$/\1/p' bindings/node/package.json)"
check bindings/python/pyproject.toml "$(sed -n 's/^version = "\(.*\)"$/\1/p' bindings/python/pyproject.toml)"
check bindings/python/quire/__init__.py "$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' bindings/python/quire/__init__.py)"
check bindings/rust/Cargo.toml "$(sed -n 's/^version = "\(.*\)"$/\1/p' bindings/rust/Cargo.toml)"
check bindings/go/csrc/include/quire.h \
  "$(sed -n 's/^#define QUIRE_VERSION_STRING "\(.*\)"/\1/p' bindings/go/csrc/include/quire.h)"
check CHANGELOG.md "$(sed -n 's/^## \([0-9][0-9.]*\)\b.*/\1/p' CHANGELOG.md | head -1)"

[ $bad -eq 0 ] && echo "versions: every place says $header"
exit $bad
