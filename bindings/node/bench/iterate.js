#!/usr/bin/env node
'use strict';
// Iterates every document of a corpus through the Node binding, reading its
// date, source (a string) and text length without inflating any text, and
// prints the line every language's version prints (benchmarks/bindings):
//   docs=<N> checksum=<sum of text lengths and dates, mod 2^64> seconds=<loop>
// Run: QUIRE_NODE_ADDON=build/bindings/node/quire.node node bindings/node/bench/iterate.js corpus.quire
// With --passes N the walk is repeated in the same process, one line each:
// the first pass includes the JIT's warm-up, later ones do not.

const quire = require('..');

function walk(corpus) {
  const start = process.hrtime.bigint();
  let docs = 0;
  let checksum = 0; // exact: stays far below 2^53 for any real corpus
  for (const doc of corpus.query({ fields: [] })) {
    const source = doc.source; // eslint-disable-line no-unused-vars
    checksum += doc.textLength + (doc.timestamp ?? 0);
    docs++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sum = BigInt.asUintN(64, BigInt(checksum));
  console.log(`docs=${docs} checksum=${sum} seconds=${seconds.toFixed(6)}`);
}

function main(argv) {
  const passes = argv[1] === '--passes' ? Number(argv[2]) : 1;
  if (!(argv.length === 1 || (argv.length === 3 && passes >= 1))) {
    process.stderr.write('usage: iterate.js CORPUS.quire [--passes N]\n');
    return 2;
  }
  const corpus = quire.open(argv[0]);
  for (let i = 0; i < passes; i++) walk(corpus);
  corpus.close();
  return 0;
}

process.exitCode = main(process.argv.slice(2));
