'use strict';
// toArrow(): libquire's Arrow C stream as apache-arrow Tables, every field
// of every document compared with the iterator, on the seeds and on a
// generated corpus, through filters and projections. Skipped when the
// optional apache-arrow package is not installed.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs, seedsDir } = require('./helpers');

let arrow = null;
try {
  arrow = require('apache-arrow');
} catch {
  arrow = null;
}
const skip = arrow ? false : 'apache-arrow is not installed (npm install in bindings/node)';

const COLUMNS = ['doc', 'source', 'date', 'date_precision', 'date_text', 'title', 'author', 'url', 'text'];
const PRECISIONS = ['none', 'year', 'month', 'day', 'minute', 'second'];

/** The rows the iterator gives, as the table should have them. */
function expected(corpus, filter, columns = COLUMNS) {
  return [...corpus.query(filter)].map((d) => {
    const full = {
      doc: BigInt(d.id),
      source: d.source,
      date: d.timestamp === null ? null : d.timestamp * 1000,
      date_precision: d.timestamp === null ? null : PRECISIONS.indexOf(d.precision),
      date_text: d.date,
      title: d.title || null,
      author: d.author || null,
      url: d.url || null,
      text: d.text,
    };
    return Object.fromEntries(columns.map((c) => [c, full[c]]));
  });
}

/** Every row of a Table as plain objects (apache-arrow gives timestamps in
 * milliseconds). */
function rows(table) {
  const names = table.schema.fields.map((f) => f.name);
  const out = [];
  for (let i = 0; i < table.numRows; i++) {
    out.push(Object.fromEntries(names.map((n) => [n, table.getChild(n).get(i)])));
  }
  return out;
}

const FILTERS = [{}, { sources: ['Xinhua', 'Белта'] }, { from: '2016', to: '2017-06' },
  { from: '2015', undated: true }, { undated: false }, { sources: 'nobody' }, { match: 'Minsk' }];
const PROJECTIONS = [undefined, ['text', 'doc'], ['doc', 'source', 'date', 'date_precision', 'date_text'],
  'url,author,title', ['source']];

test('toArrow(): every field through filters and projections', { skip }, () => {
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'gen.quire'), modelDocs(300)));
  for (const filter of FILTERS) {
    for (const columns of PROJECTIONS) {
      const names = columns === undefined ? COLUMNS : Array.isArray(columns) ? columns : columns.split(',');
      const table = corpus.toArrow({ ...filter, columns, batchSize: 37 });
      assert.deepEqual(table.schema.fields.map((f) => f.name), names);
      assert.deepEqual(rows(table), expected(corpus, filter, names), JSON.stringify({ filter, columns }));
    }
  }
  const schema = corpus.toArrow({ sources: 'nobody' }).schema;
  assert.deepEqual(schema.fields.map((f) => String(f.type)), ['Uint64', 'Dictionary<Int32, Utf8>',
    'Timestamp<SECOND, UTC>', 'Int8', 'Utf8', 'Utf8', 'Utf8', 'Utf8', 'LargeUtf8']);
  // query(...).toArrow() takes the query's filter.
  const q = corpus.query({ from: '2016' }).toArrow({ columns: ['doc'] });
  assert.deepEqual(rows(q), expected(corpus, { from: '2016' }, ['doc']));
  // Batches are record batches of the asked size.
  const sizes = [...corpus.arrowBatches({ columns: 'doc', batchSize: 128 })].map((b) => b.numRows);
  assert.deepEqual(sizes, [128, 128, 44]);
  corpus.close();
});

test('toArrow(): the seeds', { skip }, (t) => {
  const dir = seedsDir();
  if (!dir) {
    t.skip('seeds sample not found (../shared/seeds): skipping');
    return;
  }
  const lines = fs.readFileSync(path.join(dir, 'manifest.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
  assert.ok(lines.length > 1);
  const file = path.join(tmpDir(), 'seeds.quire');
  const writer = new quire.Writer(file, { order: 'input' });
  writer.importCsv(path.join(dir, 'manifest.csv'));
  writer.finish();
  writer.close();
  const corpus = quire.open(file);
  const table = corpus.toArrow({ batchSize: 2 });
  assert.equal(table.numRows, 5);
  assert.deepEqual(rows(table), expected(corpus, {}));
  const texts = rows(table).map((r) => r.text);
  const names = lines.slice(1).map((l) => l.split(',')[0]);
  assert.deepEqual(texts, names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8')));
  assert.deepEqual(rows(corpus.toArrow({ sources: 'Belarus in Focus', columns: ['doc', 'title'] })),
    expected(corpus, { sources: 'Belarus in Focus' }, ['doc', 'title']));
  corpus.close();
});

test('toArrow(): errors, and a corpus closed under its batches', { skip }, () => {
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'small.quire'), modelDocs(50)));
  assert.throws(() => corpus.toArrow({ columns: ['doc', 'body'] }), /unknown column "body"/);
  assert.throws(() => corpus.toArrow({ batchSize: 0 }), /batchSize/);
  assert.throws(() => corpus.toArrow({ from: 'nonsense' }), (e) => e.quireCode === 'QUIRE_EDATE');
  assert.throws(() => corpus.toArrow({ colums: ['doc'] }), /unknown toArrow option "colums"/);
  const it = corpus.arrowBatches({ batchSize: 10 });
  const first = it.next().value;
  corpus.close();
  assert.throws(() => it.next(), (e) => e.quireCode === 'QUIRE_ESTATE' && /closed/.test(e.message));
  assert.equal(first.numRows, 10);
  assert.equal(first.getChild('doc').get(9), 9n); // still valid: its memory is its own
  assert.throws(() => corpus.toArrow(), (e) => e.quireCode === 'QUIRE_ESTATE');
});
