#!/usr/bin/env bash
# One command for everything a new user needs: installs the dependencies,
# builds libquire, the quire tool and the bindings, then runs the main job
# on the sample corpus bundled in examples/: pack it, describe it, filter it
# and export a selection to CSV.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"

quire=build/quire
out=build/demo
mkdir -p "$out"
set -x
"$quire" pack -o "$out/sample.quire" examples/sample.csv
"$quire" info "$out/sample.quire"
"$quire" count "$out/sample.quire" --from 2010 --to 2014
"$quire" ls "$out/sample.quire" --source "Riverside Wire" --from 2010 --to 2014
"$quire" export "$out/sample.quire" --from 2010 --to 2014 --columns id,source,date,title -o "$out/2010-2014.csv"
"$quire" stats "$out/sample.quire" --source "The Aarhus Monitor" --source "Salzburg Courier"
"$quire" verify "$out/sample.quire"
{ set +x; } 2>/dev/null
if [ -f ../shared/seeds/manifest.csv ]; then
  set -x
  "$quire" pack -o "$out/seeds.quire" --manifest ../shared/seeds/manifest.csv ../shared/seeds
  "$quire" ls "$out/seeds.quire"
  { set +x; } 2>/dev/null
fi
echo "setup: done; the packed sample is $out/sample.quire"
