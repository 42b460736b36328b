#!/usr/bin/env bash
# tests/consumers/run.sh LANG CACHE_DIR [SEEDS_DIR]
#
# Installs one binding the way a user of its language does, into a fresh
# temporary project, and runs a small program there (LANG/ in this folder)
# that packs a corpus, filters and exports it, and does the same with the
# seeds sample when SEEDS_DIR holds it:
#   go      a module that requires quire.dev/quire, replaced by bindings/go
#   rust    a crate made by `cargo new`, then `cargo add --path .../quire`
#   python  a venv installing the wheel that `python -m build` made (from
#           its sdist), nothing else
#   node    a project installing the tarball that `npm pack` made
# Each runs with no libquire installed or built, none of the project's
# environment variables (env -i: only PATH, HOME and the toolchains'
# caches, kept under CACHE_DIR or the user's own, so reruns are fast), and
# checks that the build left nothing in the checkout.
set -euo pipefail
lang=${1:?usage: run.sh go|rust|python|node CACHE_DIR [SEEDS_DIR]}
cache=$(mkdir -p "${2:?cache dir}" && cd "$2" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/consumers
seeds=${3:-$root/../shared/seeds}
[ -f "$seeds/manifest.csv" ] || echo "consumer: seeds not found at $seeds: the program skips that part"
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/work"

# What git sees in the checkout (ignored files included), before and after.
checkout_state() { git -C "$root" status --porcelain --ignored -- bindings | grep -v -e '^!! bindings/node/csrc/$' -e '^!! bindings/node/build/$' -e '^!! bindings/node/node_modules/$' || true; }
before=$(checkout_state)

clean() { # runs a command with a clean environment
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 TMPDIR="$tmp" "$@"
}

start=$SECONDS
case $lang in
go)
  mkdir "$tmp/app"
  cp "$here/go/main.go" "$tmp/app/"
  cat >"$tmp/app/go.mod" <<MOD
module example.com/consumer

go 1.24

require quire.dev/quire v1.0.0

// Until quire.dev serves the module, the checkout stands in for it.
replace quire.dev/quire => $root/bindings/go
MOD
  # Go's own build cache (~/.cache/go-build) is reused; nothing is fetched.
  (cd "$tmp/app" && clean GOTOOLCHAIN=local GOFLAGS=-mod=mod GOMODCACHE="$cache/go-mod" \
    go build -o consumer .)
  run=("$tmp/app/consumer")
  ;;
rust)
  (cd "$tmp" && clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" cargo new -q --vcs none app)
  (cd "$tmp/app" && clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" cargo add -q --offline --path "$root/bindings/rust/quire")
  cp "$here/rust/src/main.rs" "$tmp/app/src/main.rs"
  # Offline when the crates it needs (cc) are in cargo's cache, else from crates.io.
  (cd "$tmp/app" && { clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" cargo generate-lockfile -q --offline 2>/dev/null ||
    clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" cargo generate-lockfile -q; })
  (cd "$tmp/app" && clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" CARGO_TARGET_DIR="$cache/rust-target" \
    cargo build -q --offline)
  # `cargo package` of both crates, from a copy of the workspace outside the
  # repository with the bundle in quire-sys/csrc, as a release would make
  # it; quire-sys's .crate is then built on its own from what it holds.
  # (quire's is not verified here: cargo would build it against a copy of
  # quire-sys 1.0.0 it unpacked on an earlier run and never refreshes, as
  # the version is the same; `cargo package --workspace` verifies both.)
  mkdir "$tmp/pkg"
  (cd "$root/bindings/rust" && tar cf - --exclude=./target --exclude=./quire-sys/csrc .) | tar xf - -C "$tmp/pkg"
  bash "$root/scripts/bundle.sh" "$tmp/pkg/quire-sys/csrc"
  (cd "$tmp/pkg" && clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" CARGO_TARGET_DIR="$cache/rust-package" \
    cargo package -q --offline --workspace --no-verify --allow-dirty &&
    clean CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" CARGO_TARGET_DIR="$cache/rust-package" \
    cargo package -q --offline -p quire-sys --allow-dirty)
  tar tzf "$cache/rust-package/package/quire-sys-1.0.0.crate" >"$tmp/crate.txt"
  grep -q '/csrc/core/reader\.c$' "$tmp/crate.txt" || { echo "consumer: quire-sys's .crate lacks csrc/" >&2; exit 1; }
  run=("$cache/rust-target/debug/app")
  ;;
python)
  # python -m build makes the sdist, then the wheel from the sdist. Its
  # build requirements (setuptools, and build itself) come from PyPI once,
  # into a venv kept in the cache, instead of two fresh ones per run.
  builder=$cache/py-build-venv
  if [ ! -x "$builder/bin/python" ] || ! "$builder/bin/python" -c 'import build, setuptools' 2>/dev/null; then
    rm -rf "$builder"
    clean python3 -m venv "$builder"
    clean PIP_CACHE_DIR="$cache/pip" "$builder/bin/pip" install -q 'setuptools>=70.1' build
  fi
  clean "$builder/bin/python" -m build -q --no-isolation --outdir "$tmp/dist" "$root/bindings/python" \
    >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
  tar tzf "$tmp"/dist/quire-*.tar.gz >"$tmp/sdist.txt"
  grep -q '/csrc/core/reader\.c$' "$tmp/sdist.txt" || { echo "consumer: the sdist lacks csrc/" >&2; exit 1; }
  # A bare venv (no pip of its own, which is slow to set up), into which
  # the builder's pip installs the wheel and nothing else.
  clean python3 -m venv --without-pip "$tmp/venv"
  clean "$builder/bin/pip" --python "$tmp/venv/bin/python" install -q --no-index "$tmp"/dist/quire-*.whl
  run=("$tmp/venv/bin/python" "$here/python/consumer.py")
  ;;
node)
  (cd "$tmp" && clean npm_config_cache="$cache/npm" npm pack -q --pack-destination "$tmp" "$root/bindings/node" >/dev/null)
  mkdir "$tmp/app"
  echo '{ "name": "consumer", "version": "1.0.0", "private": true }' >"$tmp/app/package.json"
  cp "$here/node/consumer.js" "$tmp/app/"
  (cd "$tmp/app" && clean npm_config_cache="$cache/npm" npm install -q --no-audit --no-fund "$tmp"/quire-*.tgz >"$tmp/npm.log" 2>&1) ||
    { cat "$tmp/npm.log"; exit 1; }
  run=(node "$tmp/app/consumer.js")
  ;;
*)
  echo "run.sh: unknown language $lang" >&2
  exit 2
  ;;
esac
built=$((SECONDS - start))
(cd "$tmp/app" 2>/dev/null || cd "$tmp"; clean "${run[@]}" "$tmp/work" "$seeds")

after=$(checkout_state)
if [ "$before" != "$after" ]; then
  echo "consumer: building the $lang package changed the checkout:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "consumer: $lang installed in ${built}s, ran in $((SECONDS - start - built))s"
