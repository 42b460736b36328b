'use strict';
// Errors: missing, foreign, truncated and corrupted files, closed handles,
// wrong arguments. Each is a QuireError (or TypeError), never a crash.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs } = require('./helpers');

// Texts dominate the file, so its middle byte lies inside compressed text.
function bigCorpus() {
  return writeCorpus(path.join(tmpDir(), 'big.quire'), modelDocs(300, 3), { blockSize: 4096 });
}

function corrupt(file) {
  const data = fs.readFileSync(file);
  data[data.length >> 1] ^= 0xff;
  fs.writeFileSync(file, data);
}

test('a missing file', () => {
  const missing = path.join(tmpDir(), 'missing.quire');
  assert.throws(() => quire.open(missing), (err) => {
    assert.ok(err instanceof quire.QuireError);
    assert.ok(err instanceof Error);
    assert.equal(err.code, -1);
    assert.equal(err.quireCode, 'QUIRE_ENOTFOUND');
    assert.ok(err.message.includes(missing), err.message);
    return true;
  });
});

test('not a quire file', () => {
  const file = path.join(tmpDir(), 'notes.txt');
  fs.writeFileSync(file, 'just some text, long enough for a header and a footer '.repeat(10));
  assert.throws(() => quire.open(file), { code: -7, quireCode: 'QUIRE_ENOTQUIRE' });
  assert.throws(() => quire.open(Buffer.from('not a corpus at all'.repeat(10))), { quireCode: 'QUIRE_ENOTQUIRE' });
  assert.throws(() => quire.open(Buffer.alloc(0)), quire.QuireError);
});

test('a truncated file', () => {
  const data = fs.readFileSync(bigCorpus());
  assert.throws(() => quire.open(data.subarray(0, data.length >> 1)), (err) =>
    ['QUIRE_ECORRUPT', 'QUIRE_ENOTQUIRE'].includes(err.quireCode));
});

test('a corrupted file', () => {
  const file = bigCorpus();
  corrupt(file);
  const corpus = quire.open(file);
  assert.throws(() => {
    for (const doc of corpus.query()) assert.ok(doc.text !== undefined);
  }, { code: -2, quireCode: 'QUIRE_ECORRUPT' });
  assert.ok(corpus.verify().damaged > 0);
  assert.ok(corpus.verify().report.length > 0);
  corpus.close();
});

test('salvage keeps the intact documents', () => {
  const file = bigCorpus();
  corrupt(file);
  const out = path.join(tmpDir(), 'saved.quire');
  const { kept, lost, report } = quire.salvage(file, out);
  assert.ok(kept > 0 && lost > 0);
  assert.equal(kept + lost, 300);
  assert.ok(report.length > 0);
  const saved = quire.open(out);
  assert.equal(saved.count, kept);
  for (const doc of saved) assert.equal(typeof doc.text, 'string');
  saved.close();
});

test('a closed corpus', () => {
  const corpus = quire.open(bigCorpus());
  const it = corpus.query({ fields: [], batchSize: 4 });
  const first = it.next().value;
  corpus.close();
  corpus.close();
  assert.equal(corpus.closed, true);
  const estate = { code: -12, quireCode: 'QUIRE_ESTATE' };
  assert.throws(() => it.next(), estate);
  assert.throws(() => first.text, estate);
  assert.throws(() => corpus.count, estate);
  assert.throws(() => corpus.countMatches(), estate);
  assert.throws(() => [...corpus.query()], estate);
  assert.throws(() => corpus.createExportStream(), estate);
});

test('wrong arguments are TypeErrors or QuireErrors, not crashes', () => {
  const dir = tmpDir();
  assert.throws(() => quire.open(42), TypeError);
  assert.throws(() => quire.open('bad\0path'), { quireCode: 'QUIRE_EINVAL' });
  assert.throws(() => quire.open(''), { quireCode: 'QUIRE_EINVAL' });
  assert.throws(() => new quire.Writer(path.join(dir, 'no', 'such', 'x.quire')), (err) =>
    ['QUIRE_EIO', 'QUIRE_ENOTFOUND'].includes(err.quireCode));
  const corpus = quire.open(bigCorpus());
  assert.throws(() => corpus.exportCsv(path.join(dir, 'x.csv'), { columns: 'id,nonsense' }), { quireCode: 'QUIRE_EINVAL' });
  assert.throws(() => corpus.exportCsv(path.join(dir, 'x.csv'), { dialect: 'tsv' }), { quireCode: 'QUIRE_EINVAL' });
  assert.equal(fs.existsSync(path.join(dir, 'x.csv')), false);
  corpus.close();
});

test('the raw addon checks the kind of every handle', () => {
  const native = require('../lib/addon');
  const corpus = native.corpusOpen(bigCorpus());
  const writer = native.writerOpen(path.join(tmpDir(), 'w.quire'));
  assert.throws(() => native.cursorNext(corpus, new Float64Array(5), [], 0), TypeError);
  assert.throws(() => native.corpusInfo(writer), TypeError);
  assert.throws(() => native.corpusInfo({}), TypeError);
  assert.throws(() => native.corpusInfo(), TypeError);
  const cursor = native.cursorOpen(corpus, undefined);
  assert.throws(() => native.cursorNext(cursor, new Uint8Array(5), [], 0), TypeError);
  assert.throws(() => native.writerAdd(writer, 1, 2, 3, 4, 5, 6), TypeError);
  native.corpusClose(corpus);
  assert.throws(() => native.cursorNext(cursor, new Float64Array(5), [], 0), { quireCode: 'QUIRE_ESTATE' });
  native.writerClose(writer);
});
