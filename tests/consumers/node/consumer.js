'use strict';
// A Node program using the quire package as a consumer does (the npm
// tarball installed into a fresh project, no environment variable): it
// packs a corpus of its own, then the seeds sample when its folder is
// given, and filters and exports both.

const fs = require('node:fs');
const path = require('node:path');
const quire = require('quire');

function fail(message) {
  console.error(`node consumer: ${message}`);
  process.exit(1);
}

function exercise(file, docs, filter, matches, want) {
  const corpus = quire.open(file);
  try {
    const n = corpus.count;
    const m = corpus.countMatches(filter);
    if (n !== docs || m !== matches) fail(`${file}: ${n} documents, ${m} matching; want ${docs} and ${matches}`);
    const out = `${file}.csv`;
    const { rows } = corpus.exportCsv(out, filter);
    const csv = fs.readFileSync(out, 'utf8');
    if (rows !== matches || !csv.includes(want)) fail(`${out}: ${rows} rows, want ${matches} containing ${want}`);
    console.log(`node consumer: ${path.basename(file)}: ${n} documents, ${rows} exported`);
  } finally {
    corpus.close();
  }
}

const [work, seeds] = process.argv.slice(2);
if (!work || !seeds) fail('usage: consumer.js WORKDIR SEEDS_DIR');
console.log(`node consumer: libquire ${quire.version}`);

const own = path.join(work, 'own.quire');
let writer = new quire.Writer(own);
writer.add({ source: 'Belarus in Focus', date: '2016-04-22T18:38', title: 'Sino-Belarusian', text: 'Текст 😀' });
writer.add({ source: 'Xinhua', date: '2017-01', title: 'second', text: 'two' });
writer.add({ title: 'no source, no date', text: 'three' });
writer.finish();
exercise(own, 3, { from: '2016', to: '2016' }, 1, 'Sino-Belarusian');

const manifest = path.join(seeds, 'manifest.csv');
if (!fs.existsSync(manifest)) {
  console.log(`node consumer: seeds not found at ${seeds}: skipping the seeds part`);
} else {
  const packed = path.join(work, 'seeds.quire');
  writer = new quire.Writer(packed);
  writer.importCsv(manifest);
  writer.finish();
  exercise(packed, 5, { sources: 'Belarus in Focus', from: '2016', to: '2017' }, 2,
    'Sino-Belarusian cooperation not unique for the region');
}
