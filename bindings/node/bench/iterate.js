#!/usr/bin/env node
'use strict';
// Iterates every document of a corpus through the Node binding, reading its
// date, source (a string) and text length without inflating any text, and
// prints the line every language's version prints (benchmarks/bindings):
//   docs=<N> checksum=<sum of text lengths and dates, mod 2^64> seconds=<loop>
// By default it walks the corpus the fastest way a Node user would for this
// job, column-wise with corpus.batches() (one call into C per 2048
// documents, no object per document); with --documents it iterates Document
// objects one by one, as `for (const doc of corpus)` does.
// Run: QUIRE_NODE_ADDON=build/bindings/node/quire.node \
//      node bindings/node/bench/iterate.js [--documents] corpus.quire [--passes N]
// With --passes N the walk is repeated in the same process, one line each:
// the first pass includes the JIT's warm-up, later ones do not.

const quire = require('..');

// Both walks keep the checksum in a double: exact, as it stays far below
// 2^53 for any real corpus (100,000 dates of ~1.5e9 seconds sum to ~1.5e14).

function byColumns(corpus) {
  let docs = 0;
  let checksum = 0;
  for (const batch of corpus.batches()) {
    const { dates, textLengths } = batch;
    for (let i = 0; i < batch.length; i++) {
      const source = batch.sourceName(i); // eslint-disable-line no-unused-vars
      const date = dates[i];
      checksum += textLengths[i] + (date === date ? date : 0); // NaN: undated
    }
    docs += batch.length;
  }
  return [docs, checksum];
}

function byDocuments(corpus) {
  let docs = 0;
  let checksum = 0;
  for (const doc of corpus.query({ fields: [] })) {
    const source = doc.source; // eslint-disable-line no-unused-vars
    checksum += doc.textLength + (doc.timestamp ?? 0);
    docs++;
  }
  return [docs, checksum];
}

function timed(walk, corpus) {
  const start = process.hrtime.bigint();
  const [docs, checksum] = walk(corpus);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sum = BigInt.asUintN(64, BigInt(checksum));
  console.log(`docs=${docs} checksum=${sum} seconds=${seconds.toFixed(6)}`);
}

function main(argv) {
  let walk = byColumns;
  if (argv[0] === '--documents') {
    walk = byDocuments;
    argv = argv.slice(1);
  }
  const passes = argv[1] === '--passes' ? Number(argv[2]) : 1;
  if (!(argv.length === 1 || (argv.length === 3 && Number.isSafeInteger(passes) && passes >= 1))) {
    process.stderr.write('usage: iterate.js [--documents] CORPUS.quire [--passes N]\n');
    return 2;
  }
  const corpus = quire.open(argv[0]);
  for (let i = 0; i < passes; i++) timed(walk, corpus);
  corpus.close();
  return 0;
}

process.exitCode = main(process.argv.slice(2));
