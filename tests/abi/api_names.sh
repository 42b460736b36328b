# api_names.sh: the public API as the sources declare it, for the ABI tests
# (sourced by exports_test.sh and header_test.sh).

# Prints the functions include/quire.h marks QUIRE_API, one a line, sorted.
# A declaration names its function on the QUIRE_API line.
header_functions() {
  sed -n 's/^QUIRE_API[^(]*[^a-zA-Z0-9_]\(quire_[a-zA-Z0-9_]*\)(.*/\1/p' "$1" |
    sort -u
}

# Prints "symbol node" for every symbol the version script exports, sorted.
map_symbols() {
  awk '
    /^[A-Za-z_][A-Za-z0-9_.]*[ \t]*\{/ { node = $1; sub(/\{.*/, "", node) }
    /^[ \t]*local:/ { node = "" }
    node != "" && /^[ \t]*quire_[A-Za-z0-9_]*[ \t]*;/ {
      name = $1; sub(/;.*/, "", name); print name, node
    }' "$1" | sort -u
}
