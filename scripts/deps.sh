#!/usr/bin/env bash
# Installs what quire needs to build and to run every test, on a fresh
# Debian machine: Debian packages through apt, pytest through PyPI and, when
# the installed Node has no headers, node-api-headers through npm. It
# downloads nothing from anywhere else. Toolchains (Go >= 1.23, Rust with
# clippy, Node >= 18, Python >= 3.9) are expected on the machine: it says so
# clearly when one is missing. Safe to run again: it installs only what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(zlib1g-dev libzstd-dev libcsv-dev libutf8proc-dev libcriterion-dev cmake pkg-config libdeflate-dev
  gcc g++ make clang libclang-rt-14-dev abigail-tools python3)
# Spreadsheets (issue 16): libxlsxwriter writes the XLSX export; the tests
# open the exports in LibreOffice Calc and read what it saves with openpyxl
# (PyPI, below); poppler-utils renders the README's picture of the XLSX.
packages+=(libxlsxwriter-dev libreoffice-calc-nogui poppler-utils)
# test.sh checks the C files' format with .ci/format-check.sh: Debian's
# clang-format (14 on bookworm), the version the files are formatted with.
packages+=(clang-format)
# ... and runs the Clang static analyser through clang-tidy (.ci/analyze.sh).
packages+=(clang-tidy)
# The Node tests make zstd-compressed CSV with the zstd program where
# node:zlib has no zstd (before Node 22.15).
packages+=(zstd)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest

# The tests' real consumers, all from PyPI: openpyxl, pandas and DuckDB read
# the spreadsheet exports; pyarrow, polars and DuckDB the Arrow stream;
# pyspark, dask and distributed run the cluster data sources.
for mod in openpyxl:openpyxl pandas:pandas duckdb:duckdb pyarrow:pyarrow polars:polars \
  pyspark:pyspark dask:"dask[dataframe]" distributed:distributed; do
  python3 -c "import ${mod%%:*}" >/dev/null 2>&1 || python3 -m pip install -q "${mod#*:}"
done

# Spark needs a Java runtime (Debian's OpenJDK).
if ! command -v java >/dev/null 2>&1; then
  echo "deps: installing openjdk-17-jre-headless (Spark tests)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
fi

need() { # command, what it is for
  command -v "$1" >/dev/null 2>&1 || { echo "deps: $1 is missing ($2)" >&2; exit 1; }
}
need go "the Go binding (Go >= 1.23)"
need cargo "the Rust binding"
need node "the Node.js binding"
need npm "the Node.js binding"
cargo clippy --version >/dev/null 2>&1 || { echo "deps: cargo clippy is missing (rustup component add clippy)" >&2; exit 1; }
# ---- bundled builds (issue 15) ----
# quire-sys compiles the bundled C sources with the `cc` crate (crates.io):
# fetched once here, so that ctest's cargo runs offline. The Node addon is
# built by node-gyp (npm's own copy), which needs python3, make and a C
# compiler; the Python package by setuptools (from PyPI, at build time).
(cd bindings/rust && cargo fetch --locked -q)
(cd bindings/go/arrowquire && GOTOOLCHAIN=local go mod download)
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "$go_minor" -ge 23 ] || { echo "deps: Go $(go env GOVERSION) is older than 1.23" >&2; exit 1; }

# The Node addon compiles against node_api.h: the installed Node's own, or
# the npm package node-api-headers.
if [ ! -f /usr/include/node/node_api.h ] && [ ! -f /usr/local/include/node/node_api.h ] &&
  [ ! -f bindings/node/node_modules/node-api-headers/include/node_api.h ]; then
  (cd bindings/node && npm install --no-save --no-audit --no-fund node-api-headers)
fi
# The Node binding's toArrow() tests (issue 12): apache-arrow from npm, the
# version package.json pins (an optional peer dependency of the binding).
if [ ! -f bindings/node/node_modules/apache-arrow/package.json ]; then
  (cd bindings/node && npm install --no-save --no-audit --no-fund apache-arrow@21.2.0)
fi
echo "deps: everything is installed"
