'use strict';
// Every field through the binding's Writer and back through its reader.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { ROUND_TRIP_DOCS, tmpDir, writeCorpus, firstInstant } = require('./helpers');

const PRECISION = { 4: 'year', 7: 'month', 10: 'day', 16: 'minute', 19: 'second' };

function roundTripCorpus() {
  return writeCorpus(path.join(tmpDir(), 'round.quire'), ROUND_TRIP_DOCS, { order: 'input' });
}

function checkFields(doc, want) {
  assert.equal(doc.source, want.source || null);
  assert.equal(doc.date, want.date || null);
  assert.equal(doc.timestamp, want.date ? firstInstant(want.date) : null);
  assert.equal(doc.precision, want.date ? PRECISION[want.date.length] : 'none');
  assert.equal(doc.title, want.title);
  assert.equal(doc.author, want.author);
  assert.equal(doc.url, want.url);
  assert.equal(doc.text, want.text);
  assert.equal(doc.textLength, Buffer.byteLength(want.text));
}

test('every field comes back, fetched with the batch or lazily', () => {
  const corpus = quire.open(roundTripCorpus());
  for (const fields of [undefined, [], ['text'], ['date', 'url']]) {
    const docs = [...corpus.query({ fields, batchSize: 3 })];
    assert.equal(docs.length, ROUND_TRIP_DOCS.length);
    docs.forEach((doc, i) => {
      assert.equal(doc.id, i);
      checkFields(doc, ROUND_TRIP_DOCS[i]);
    });
  }
  assert.equal(corpus.count, ROUND_TRIP_DOCS.length);
  corpus.close();
});

test('doc(n) and lazy fields read out of order', () => {
  const corpus = quire.open(roundTripCorpus());
  for (let n = ROUND_TRIP_DOCS.length - 1; n >= 0; n--) checkFields(corpus.doc(n), ROUND_TRIP_DOCS[n]);
  const lazy = corpus.query({ fields: [] }).toArray();
  for (const doc of lazy.reverse()) checkFields(doc, ROUND_TRIP_DOCS[doc.id]);
  assert.deepEqual(JSON.parse(JSON.stringify(corpus.doc(2))), {
    id: 2, ...ROUND_TRIP_DOCS[2],
  });
  assert.throws(() => corpus.doc(ROUND_TRIP_DOCS.length), { code: -1, quireCode: 'QUIRE_ENOTFOUND' });
  assert.throws(() => corpus.doc(-1), { quireCode: 'QUIRE_ENOTFOUND' });
  assert.throws(() => corpus.doc(1.5), TypeError);
  corpus.close();
});

test('open from a Buffer, which the corpus copies', () => {
  const data = fs.readFileSync(roundTripCorpus());
  const corpus = quire.open(data);
  data.fill(0);
  assert.deepEqual([...corpus].map((d) => d.text), ROUND_TRIP_DOCS.map((d) => d.text));
  const fromView = quire.open(new Uint8Array(fs.readFileSync(roundTripCorpus())));
  assert.equal(fromView.count, ROUND_TRIP_DOCS.length);
  corpus.close();
  fromView.close();
});

test('clustered order keeps every document', () => {
  const file = writeCorpus(path.join(tmpDir(), 'c.quire'), ROUND_TRIP_DOCS);
  const corpus = quire.open(file);
  const key = (d) => JSON.stringify([d.title, d.text, d.source || '', d.date || '']);
  assert.deepEqual([...corpus].map(key).sort(), ROUND_TRIP_DOCS.map(key).sort());
  corpus.close();
});

test('corpus facts', () => {
  const file = roundTripCorpus();
  const corpus = quire.open(file);
  const names = [...new Set(ROUND_TRIP_DOCS.map((d) => d.source).filter(Boolean))]
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(corpus.sources.map((s) => s.name), names);
  assert.equal(corpus.sourceCount, names.length);
  assert.equal(corpus.sources.reduce((n, s) => n + s.documents, 0), ROUND_TRIP_DOCS.filter((d) => d.source).length);
  assert.equal(corpus.undatedCount, ROUND_TRIP_DOCS.filter((d) => !d.date).length);
  assert.deepEqual(corpus.dateSpan(), { first: new Date('2016-01-01T00:00:00Z'), last: new Date('2024-08-31T00:00:00Z') });
  assert.deepEqual(corpus.formatVersion, { major: 1, minor: 1 });
  assert.equal(corpus.fileSize, fs.statSync(file).size);
  assert.ok(corpus.rawSize >= ROUND_TRIP_DOCS.reduce((n, d) => n + Buffer.byteLength(d.text), 0));
  assert.deepEqual(corpus.verify(), { damaged: 0, report: [] });
  assert.equal(Math.floor(quire.versionNumber / 10000), 1);
  assert.match(quire.version, /^1\./);
  corpus.close();
});

test('dates with offsets, RFC 2822 and Date objects', () => {
  const docs = [
    { date: '2017-05-08T12:22+03:00', text: 'offset' },
    { date: 'Mon, 08 May 2017 09:22:00 +0000', text: 'rfc 2822' },
    { date: new Date(Date.UTC(2017, 4, 8, 9, 22)), text: 'Date' },
  ];
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'o.quire'), docs, { order: 'input' }));
  const instant = Date.UTC(2017, 4, 8, 9, 22) / 1000;
  assert.deepEqual([...corpus].map((d) => d.timestamp), [instant, instant, instant]);
  assert.deepEqual(corpus.doc(0).dateTime, new Date(instant * 1000));
  corpus.close();
  assert.deepEqual(quire.parseDate('2016-01'), { timestamp: 1451606400, precision: 'month' });
  assert.equal(quire.formatDate(1451606400, 'month'), '2016-01');
  assert.throws(() => quire.parseDate('yesterday'), { quireCode: 'QUIRE_EDATE' });
});

test('bad documents are refused and the writer stays usable', () => {
  const dir = tmpDir();
  const writer = new quire.Writer(path.join(dir, 'r.quire'));
  assert.throws(() => writer.add({ date: '31/01/2016', text: 'x' }), { code: -8, quireCode: 'QUIRE_EDATE' });
  assert.throws(() => writer.add({ text: 42 }), TypeError);
  writer.add({ text: 'still usable' });
  assert.equal(writer.count, 1);
  assert.equal(writer.finish(), 1);
  assert.throws(() => writer.add({ text: 'after finish' }), { quireCode: 'QUIRE_ESTATE' });
  writer.close();
  assert.throws(() => writer.add({ text: 'after close' }), { quireCode: 'QUIRE_ESTATE' });
});

test('a lone surrogate reaches C as U+FFFD, as V8 converts it', () => {
  const file = writeCorpus(path.join(tmpDir(), 's.quire'), [{ title: 'lone \udc80 surrogate' }]);
  const corpus = quire.open(file);
  assert.equal(corpus.doc(0).title, 'lone \ufffd surrogate');
  corpus.close();
});

test('an abandoned writer leaves no file', () => {
  const dir = tmpDir();
  const target = path.join(dir, 'never.quire');
  const writer = new quire.Writer(target);
  writer.add({ text: 'x' });
  writer.close();
  writer.close();
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('writer options', () => {
  const docs = Array.from({ length: 50 }, (_, i) => ({ source: 's', date: `2016-01-${String(i % 28 + 1).padStart(2, '0')}`, text: 'word '.repeat(2000) }));
  const file = writeCorpus(path.join(tmpDir(), 'w.quire'), docs, { blockSize: 4096, level: 1, threads: 2, order: 'input' });
  const corpus = quire.open(file);
  assert.deepEqual([...corpus].map((d) => d.text), docs.map((d) => d.text));
  corpus.close();
  assert.throws(() => new quire.Writer(path.join(tmpDir(), 'b.quire'), { blockSize: 10 }), { quireCode: 'QUIRE_EINVAL' });
  assert.throws(() => new quire.Writer(path.join(tmpDir(), 'b.quire'), { order: 'random' }), { quireCode: 'QUIRE_EINVAL' });
  assert.throws(() => new quire.Writer(path.join(tmpDir(), 'b.quire'), { blocksize: 4096 }), TypeError);
});

test('codecs, levels and dictionaries', () => {
  const dir = tmpDir();
  const docs = [];
  for (let i = 0; i < 400; i++) {
    docs.push({
      source: `s${i % 5}`, date: `2016-01-${String(i % 28 + 1).padStart(2, '0')}`, title: `t${i}`,
      text: `Story ${i} of a town ${i * 7 % 31}. `.repeat(20 + i % 13),
    });
  }
  const texts = docs.map((d) => d.text).sort();
  const one = writeCorpus(path.join(dir, 'one.quire'), docs, { blockSize: 8192, threads: 1 });
  const three = writeCorpus(path.join(dir, 'three.quire'), docs, { blockSize: 8192, threads: 3 });
  assert.ok(fs.readFileSync(one).equals(fs.readFileSync(three)), 'the thread count changed the bytes');
  let corpus = quire.open(one);
  const p = corpus.packing;
  assert.deepEqual([p.codec, p.level, p.blockSize], ['zstd', 5, 8192]);
  assert.ok(p.dictionaries.length >= 1 && p.dictionaries.every((s) => s >= 4096));
  assert.deepEqual([...corpus].map((d) => d.text).sort(), texts);
  corpus.close();
  corpus = quire.open(writeCorpus(path.join(dir, 'd.quire'), docs, { codec: 'deflate', level: 9 }));
  assert.deepEqual(corpus.packing, { codec: 'deflate', level: 9, blockSize: 1 << 20, dictionaries: [] });
  assert.deepEqual([...corpus].map((d) => d.text).sort(), texts);
  corpus.close();
  corpus = quire.open(writeCorpus(path.join(dir, 'n.quire'), docs, { level: 19, dictionarySize: 0 }));
  assert.deepEqual([corpus.packing.level, corpus.packing.dictionaries], [19, []]);
  corpus.close();
  assert.throws(() => new quire.Writer(path.join(dir, 'bad.quire'), { codec: 'lz4' }), quire.QuireError);
  assert.throws(() => new quire.Writer(path.join(dir, 'bad.quire'), { codec: 'deflate', level: 12 }), quire.QuireError);
  assert.throws(() => new quire.Writer(path.join(dir, 'bad.quire'), { dictionarySize: 100 }), quire.QuireError);
  assert.throws(() => new quire.Writer(path.join(dir, 'bad.quire'), { dictionarySize: -1 }), quire.QuireError);
  assert.ok(!fs.existsSync(path.join(dir, 'bad.quire')));
});
