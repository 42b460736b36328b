'use strict';
// Batches: the column-wise iteration (one quire_cursor_next_batch call per
// batch, filling typed arrays) against the per-document iterator, with
// filters; its columns, its Documents, closing, damage and bad arguments.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs } = require('./helpers');

const DOCS = modelDocs(600, 11);
// Small blocks: batches then cross many of them.
const FILE = writeCorpus(path.join(tmpDir(), 'batches.quire'), DOCS, { blockSize: 4096 });

const FILTERS = [
  {},
  { sources: ['Belarus in Focus', 'Xinhua'] },
  { from: '2016', to: '2017' },
  { undated: false },
  { undated: true, from: '2018-06' },
  { sources: ['nobody'] },
];

/** One row per document of the batches: what each column says of it. */
function rowsOfBatches(batches) {
  const rows = [];
  for (const batch of batches) {
    assert.ok(batch.length > 0, 'no empty batch');
    for (let i = 0; i < batch.length; i++) {
      const date = batch.dates[i];
      rows.push({
        id: batch.docs[i],
        timestamp: Number.isNaN(date) ? null : date,
        precision: quire.PRECISIONS[batch.precisions[i]],
        source: batch.sourceName(i),
        textLength: batch.textLengths[i],
      });
    }
  }
  return rows;
}

function rowsOfDocuments(docs) {
  return [...docs].map(({ id, timestamp, precision, source, textLength }) =>
    ({ id, timestamp, precision, source, textLength }));
}

test('batches give what the per-document iterator gives, with every filter', () => {
  const corpus = quire.open(FILE);
  for (const filter of FILTERS) {
    const want = rowsOfDocuments(corpus.query({ ...filter, fields: [] }));
    assert.equal(want.length, corpus.countMatches(filter));
    for (const size of [1, 7, 4096]) {
      const what = `${JSON.stringify(filter)} size ${size}`;
      assert.deepEqual(rowsOfBatches(corpus.query(filter).batches({ size })), want, what);
      const sizes = corpus.query(filter).batches({ size }).toArray().map((b) => b.length);
      assert.equal(sizes.reduce((a, b) => a + b, 0), want.length, what);
      assert.ok(sizes.slice(0, -1).every((n) => n === size), `${what}: only the last batch is short`);
    }
  }
  assert.deepEqual(rowsOfBatches(corpus.batches()), rowsOfDocuments(corpus));
  corpus.close();
});

test('the columns are typed arrays of the documents, and stay as they were', () => {
  const corpus = quire.open(FILE);
  const batches = [...corpus.batches({ size: 50 })];
  assert.equal(batches.length, 12);
  const first = batches[0];
  assert.ok(first instanceof quire.Batch);
  assert.ok(first.docs instanceof Float64Array);
  assert.ok(first.dates instanceof Float64Array);
  assert.ok(first.precisions instanceof Int32Array);
  assert.ok(first.sources instanceof Int32Array);
  assert.ok(first.textLengths instanceof Float64Array);
  for (const column of [first.docs, first.dates, first.precisions, first.sources, first.textLengths]) {
    assert.equal(column.length, 50);
  }
  // Each batch has columns of its own: later batches do not overwrite them.
  assert.deepEqual([...first.docs], Array.from({ length: 50 }, (_, i) => i));
  const again = [...corpus.batches({ size: 50 })];
  batches.forEach((batch, n) => {
    assert.deepEqual(batch.dates, again[n].dates);
    assert.deepEqual(batch.textLengths, again[n].textLengths);
  });
  // Source ids index corpus.sources; -1 is no source, NaN no date.
  const names = corpus.sources.map((s) => s.name);
  let undated = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.length; i++) {
      const id = batch.sources[i];
      assert.equal(batch.sourceName(i), id < 0 ? null : names[id]);
      assert.ok(id >= -1 && id < names.length);
      if (Number.isNaN(batch.dates[i])) {
        undated++;
        assert.equal(batch.precisions[i], 0);
      }
    }
  }
  assert.equal(undated, corpus.undatedCount);
  assert.ok(undated > 0 && undated < DOCS.length, 'the model has dated and undated documents');
  assert.throws(() => first.sourceName(50), RangeError);
  assert.throws(() => first.document(-1), RangeError);
  corpus.close();
});

test('the documents of a batch read their fields', () => {
  const file = writeCorpus(path.join(tmpDir(), 'input.quire'), DOCS, { blockSize: 4096, order: 'input' });
  const corpus = quire.open(file);
  const batches = corpus.batches({ size: 64 }).toArray();
  // Read in an order no cursor walks: last batch first, backwards.
  for (const batch of batches.reverse()) {
    const docs = [...batch];
    assert.equal(docs.length, batch.length);
    for (let i = batch.length - 1; i >= 0; i--) {
      const doc = batch.document(i);
      const want = DOCS[doc.id];
      assert.equal(doc.id, docs[i].id);
      assert.equal(doc.title, want.title);
      assert.equal(doc.text, want.text);
      assert.equal(doc.date, want.date ?? null);
      assert.equal(doc.source, want.source ?? null);
      assert.equal(doc.textLength, Buffer.byteLength(want.text));
    }
  }
  corpus.close();
});

test('an empty selection and an empty corpus give no batch', () => {
  const corpus = quire.open(FILE);
  assert.deepEqual(corpus.query({ sources: 'nobody' }).batches().toArray(), []);
  corpus.close();
  const empty = quire.open(writeCorpus(path.join(tmpDir(), 'empty.quire'), []));
  assert.deepEqual([...empty.batches()], []);
  empty.close();
});

test('leaving a loop early frees the cursor', () => {
  const corpus = quire.open(FILE);
  const it = corpus.batches({ size: 10 });
  for (const batch of it) {
    assert.equal(batch.length, 10);
    break;
  }
  assert.deepEqual(it.next(), { done: true, value: undefined });
  corpus.close();
});

test('closing the corpus ends its batches; batches read before stay', () => {
  const corpus = quire.open(FILE);
  const it = corpus.batches({ size: 10 });
  const first = it.next().value;
  const later = corpus.query({ from: '2016' }).batches();
  corpus.close();
  const estate = { code: -12, quireCode: 'QUIRE_ESTATE' };
  assert.throws(() => it.next(), estate);
  assert.deepEqual(it.next(), { done: true, value: undefined });
  assert.throws(() => later.next(), estate);
  assert.throws(() => corpus.batches().next(), estate);
  assert.equal(first.length, 10);
  assert.deepEqual([...first.docs], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(typeof first.sourceName(0), first.sources[0] < 0 ? 'object' : 'string');
  assert.throws(() => first.document(0).title, estate);
});

/** Flips a bit in chunk number `chunk` (4096 bytes, 128 rows) of the
 * document table (section 4; docs/FORMAT.md), whose rows then read as
 * damaged while the text stays whole. */
function damageRowChunk(file, chunk) {
  const data = fs.readFileSync(file);
  const footer = data.length - 288;
  const entry = footer + 104 + 4 * 24;
  const offset = Number(data.readBigUInt64LE(entry));
  data[offset + chunk * 4096 + 100] ^= 0x08;
  fs.writeFileSync(file, data);
}

test('damage comes after the documents before it', () => {
  const file = writeCorpus(path.join(tmpDir(), 'damaged.quire'), DOCS, { blockSize: 4096 });
  damageRowChunk(file, 1); // rows 128..255
  const corpus = quire.open(file);
  const got = [];
  assert.throws(() => {
    for (const batch of corpus.batches({ size: 100 })) got.push(...batch.docs);
  }, (err) => {
    assert.ok(err instanceof quire.QuireError);
    assert.equal(err.quireCode, 'QUIRE_ECORRUPT');
    assert.ok(err.message.length > 0);
    return true;
  });
  assert.deepEqual(got, Array.from({ length: 128 }, (_, i) => i));
  const seen = [];
  assert.throws(() => {
    for (const doc of corpus.query({ fields: [] })) seen.push(doc.id);
  }, { quireCode: 'QUIRE_ECORRUPT' });
  assert.deepEqual(seen, got);
  corpus.close();
});

test('bad sizes and options', () => {
  const corpus = quire.open(FILE);
  for (const size of [0, -1, 1.5, NaN, '8', true, 2 ** 53]) {
    assert.throws(() => corpus.batches({ size }), TypeError, String(size));
  }
  assert.throws(() => corpus.batches(8), TypeError);
  assert.throws(() => corpus.batches(null), TypeError);
  assert.throws(() => corpus.batches({ batchSize: 8 }), TypeError);
  const started = corpus.query();
  started.next();
  assert.throws(() => started.batches(), { quireCode: 'QUIRE_ESTATE' });
  // batches() takes the query's documents: the iterator is then used up.
  const query = corpus.query({ sources: 'Xinhua' });
  const batches = query.batches();
  assert.deepEqual(query.next(), { done: true, value: undefined });
  assert.ok(batches.next().value.length > 0);
  assert.throws(() => [...corpus.query({ to: 'soon' }).batches()], { quireCode: 'QUIRE_EDATE' });
  corpus.close();
});

test('the raw addon checks the columns it fills', () => {
  const native = require('../lib/addon');
  const corpus = native.corpusOpen(FILE);
  const cursor = native.cursorOpen(corpus, undefined);
  const columns = (n) => [new Float64Array(n), new Float64Array(n), new Int32Array(n), new Int32Array(n),
    new Float64Array(n)];
  const [docs, dates, precisions, sources, lengths] = columns(4);
  assert.throws(() => native.cursorColumns(corpus, docs, dates, precisions, sources, lengths), TypeError);
  assert.throws(() => native.cursorColumns(cursor, docs, dates, new Float64Array(4), sources, lengths), TypeError);
  assert.throws(() => native.cursorColumns(cursor, docs, dates, precisions, [], lengths), TypeError);
  assert.throws(() => native.cursorColumns(cursor, docs, dates, precisions, sources, new Float64Array(3)),
    TypeError);
  assert.equal(native.cursorColumns(cursor, ...columns(0)), 0, 'no room: nothing read');
  assert.equal(native.cursorColumns(cursor, docs, dates, precisions, sources, lengths), 4);
  assert.deepEqual([...docs], [0, 1, 2, 3]);
  // Longer columns than docs are fine; only docs.length documents are read.
  const wide = columns(8);
  assert.equal(native.cursorColumns(cursor, new Float64Array(2), ...wide.slice(1)), 2);
  native.corpusClose(corpus);
  assert.throws(() => native.cursorColumns(cursor, docs, dates, precisions, sources, lengths),
    { quireCode: 'QUIRE_ESTATE' });
});
