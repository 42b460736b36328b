#!/usr/bin/env bash
# Installs what benchmarks/run.sh needs on a fresh Debian machine: the build
# tools and libraries of quire, the peers (sqlite3, DuckDB through its npm
# package) and the measuring tools (hyperfine, GNU time, gnuplot).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

apt_get() {
  if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi
}
packages=(build-essential pkg-config zlib1g-dev libcsv-dev libdeflate-dev
  gzip sqlite3 hyperfine time gnuplot-nox fonts-dejavu-core)
# Keep a newer cmake, Python or Node that the machine already has.
command -v cmake >/dev/null || packages+=(cmake)
command -v python3 >/dev/null || packages+=(python3)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
apt_get update
DEBIAN_FRONTEND=noninteractive apt_get install -y --no-install-recommends "${packages[@]}"

# DuckDB's Node package, at the version pinned in package.json and
# package-lock.json. Not `npm ci`: this npm writes lock files without the
# other platforms' optional DuckDB binaries and then refuses them in ci.
cd "$here"
npm install --no-audit --no-fund
