#!/usr/bin/env bash
# Regenerates the binary seeds of the fuzz targets from real data:
#   corpus/corpus/  the real sample (../shared/seeds) packed in both orders,
#                   and corpora packed from the CSV seeds (small, several
#                   blocks, empty), each behind a mode byte (fuzz_corpus.c)
#   corpus/csv/     the sample's manifest and its full CSV export
# The hand-written CSV and date seeds are kept as they are.
#
# usage: tests/fuzz/make_seeds.sh BUILD_DIR   (a build with the quire CLI)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
quire=${1:?usage: make_seeds.sh BUILD_DIR}/quire
seeds=${QUIRE_SEEDS_DIR:-$here/../../../shared/seeds}
out=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Writes mode byte $1 then file $2 to seed $3.
seed() { { printf "\\x$1"; cat "$2"; } > "$3"; }

if [[ -f $seeds/manifest.csv ]]; then
  "$quire" pack -o "$tmp/seeds.quire" --manifest "$seeds/manifest.csv"
  "$quire" pack -o "$tmp/seeds-input.quire" --input-order --block-size 4k \
    --manifest "$seeds/manifest.csv"
  seed 00 "$tmp/seeds.quire" "$out/corpus/seeds-clustered"
  seed 00 "$tmp/seeds-input.quire" "$out/corpus/seeds-input-4k"
  seed 07 "$tmp/seeds-input.quire" "$out/corpus/seeds-input-4k-fixed"
  cp "$seeds/manifest.csv" "$tmp/manifest.csv"
  seed 00 "$tmp/manifest.csv" "$out/csv/csv-seeds-manifest"
  "$quire" export "$tmp/seeds.quire" -o "$tmp/seeds.csv"
  seed 14 "$tmp/seeds.csv" "$out/csv/csv-seeds-export"
else
  echo "make_seeds.sh: $seeds absent: the real-sample seeds are not remade" >&2
fi

# Small corpora from the CSV seeds that import cleanly.
for name in aliases roundtrip excel_bom_crlf header_only unknown_columns; do
  tail -c +2 "$out/csv/csv-$name" > "$tmp/$name.csv"
  "$quire" pack -o "$tmp/$name.quire" --input-order "$tmp/$name.csv" \
    2>/dev/null
  seed 00 "$tmp/$name.quire" "$out/corpus/small-$name"
done
seed 06 "$tmp/roundtrip.quire" "$out/corpus/small-roundtrip-fixed"

# Compressed CSV, imported through a file (mode bit 5): gzip and zstd whole,
# in two members or frames, and cut short.
tail -c +2 "$out/csv/csv-roundtrip" > "$tmp/roundtrip.csv"
gzip -9nc "$tmp/roundtrip.csv" > "$tmp/roundtrip.csv.gz"
zstd -q19c "$tmp/roundtrip.csv" > "$tmp/roundtrip.csv.zst"
seed 20 "$tmp/roundtrip.csv.gz" "$out/csv/csv-gzip"
seed 20 "$tmp/roundtrip.csv.zst" "$out/csv/csv-zstd"
cat "$tmp/roundtrip.csv.gz" "$tmp/roundtrip.csv.gz" > "$tmp/two.gz"
cat "$tmp/roundtrip.csv.zst" "$tmp/roundtrip.csv.zst" > "$tmp/two.zst"
seed 21 "$tmp/two.gz" "$out/csv/csv-gzip-two-members"
seed 21 "$tmp/two.zst" "$out/csv/csv-zstd-two-frames"
head -c 40 "$tmp/roundtrip.csv.gz" > "$tmp/cut.gz"
head -c 40 "$tmp/roundtrip.csv.zst" > "$tmp/cut.zst"
seed 20 "$tmp/cut.gz" "$out/csv/csv-gzip-cut"
seed 20 "$tmp/cut.zst" "$out/csv/csv-zstd-cut"
echo "seeds: $(ls "$out/corpus" | wc -l) corpus, $(ls "$out/csv" | wc -l) csv, $(ls "$out/date" | wc -l) date"
