'use strict';
// CSV export to a path and as a Readable stream, and CSV import.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const zlib = require('node:zlib');
const { Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { test } = require('node:test');

const quire = require('..');
const { ROUND_TRIP_DOCS, tmpDir, writeCorpus, modelDocs } = require('./helpers');

function roundTripCorpus() {
  return quire.open(writeCorpus(path.join(tmpDir(), 'round.quire'), ROUND_TRIP_DOCS, { order: 'input' }));
}

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('exportCsv writes the same bytes as the stream', async () => {
  const corpus = roundTripCorpus();
  const file = path.join(tmpDir(), 'out.csv');
  assert.deepEqual(corpus.exportCsv(file), { rows: ROUND_TRIP_DOCS.length, cellsCut: 0, rowsOverSheet: 0, files: 1 });
  const stream = corpus.createExportStream();
  const streamed = await collect(stream);
  assert.equal(stream.rows, ROUND_TRIP_DOCS.length);
  const written = fs.readFileSync(file);
  assert.ok(written.equals(streamed));
  const text = written.toString('utf8');
  assert.ok(text.startsWith('id,source,date,title,author,url,text\n'));
  for (const doc of ROUND_TRIP_DOCS) assert.ok(text.includes(doc.title.includes(',') ? `"${doc.title}"` : doc.title));
  assert.ok(text.includes('"Tab\tand CRLF\r\nand comma, all kept"'));
  corpus.close();
});

test('selection, columns and dialect', async () => {
  const corpus = roundTripCorpus();
  const csv = (await collect(corpus.createExportStream({ sources: 'Belarus in Focus', columns: ['title', 'source'] }))).toString();
  assert.equal(csv, 'title,source\nSino-Belarusian cooperation,Belarus in Focus\nseconds,Belarus in Focus\n');
  const excel = await collect(corpus.createExportStream({ from: '2017', dialect: 'excel' }));
  assert.deepEqual([...excel.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.ok(excel.includes('\r\n'));
  const file = path.join(tmpDir(), 'sel.csv');
  assert.equal(corpus.exportCsv(file, { undated: false, columns: 'date' }).rows, ROUND_TRIP_DOCS.filter((d) => d.date).length);
  corpus.close();
});

test('a large export streams in chunks and waits for a slow consumer', async () => {
  const docs = modelDocs(2000, 11);
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'big.quire'), docs));
  const reference = path.join(tmpDir(), 'ref.csv');
  corpus.exportCsv(reference);
  const chunks = [];
  const slow = new Writable({
    highWaterMark: 1,
    write(chunk, _enc, done) {
      chunks.push(chunk);
      setTimeout(done, 1);
    },
  });
  const stream = corpus.createExportStream();
  await pipeline(stream, slow);
  assert.ok(chunks.length > 3, `${chunks.length} chunks`);
  assert.ok(Buffer.concat(chunks).equals(fs.readFileSync(reference)));
  assert.equal(stream.rows, docs.length);
  corpus.close();
});

test('destroying the stream early stops the export', async () => {
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'big.quire'), modelDocs(2000, 12)));
  for (let i = 0; i < 5; i++) {
    const stream = corpus.createExportStream();
    let seen = 0;
    for await (const chunk of stream) {
      seen += chunk.length;
      break; // destroys the stream
    }
    assert.ok(seen > 0);
    assert.equal(stream.destroyed, true);
  }
  const unread = corpus.createExportStream(); // never read: starts nothing
  unread.destroy();
  corpus.close();
});

test('closing the corpus lets a running stream finish', async () => {
  const docs = modelDocs(500, 13);
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'c.quire'), docs));
  const stream = corpus.createExportStream({ columns: 'id' });
  const first = stream.read(); // starts it
  assert.equal(first, null);
  corpus.close();
  const rest = await collect(stream);
  assert.equal(rest.toString().trim().split('\n').length, docs.length + 1);
});

test('an export to a missing folder fails and leaves nothing', async () => {
  const corpus = roundTripCorpus();
  const dir = tmpDir();
  assert.throws(() => corpus.exportCsv(path.join(dir, 'no', 'x.csv')), quire.QuireError);
  assert.deepEqual(fs.readdirSync(dir), []);
  corpus.close();
});

test('import what was exported', () => {
  const corpus = roundTripCorpus();
  const csv = path.join(tmpDir(), 'all.csv');
  corpus.exportCsv(csv, { columns: 'source,date,title,author,url,text' });
  corpus.close();
  const out = path.join(tmpDir(), 'again.quire');
  const result = quire.importCsv(csv, out, { order: 'input' });
  assert.deepEqual(result, { rows: ROUND_TRIP_DOCS.length, skipped: 0, skippedRows: [], warnings: [] });
  const again = quire.open(out);
  assert.deepEqual([...again].map((d) => d.toJSON()), ROUND_TRIP_DOCS.map((d, id) => ({
    id, ...d, source: d.source || null, date: d.date || null })));
  again.close();
});

// zstd bytes from node:zlib where it has zstd (Node 22.15 and later), else
// from the zstd program (Debian's zstd package, installed by scripts/deps.sh).
function zstdCompress(bytes) {
  if (zlib.zstdCompressSync) return zlib.zstdCompressSync(bytes);
  const run = spawnSync('zstd', ['-q', '-c'], { input: bytes, maxBuffer: 1 << 30 });
  assert.equal(run.status, 0, `zstd: ${run.error || run.stderr}`);
  return run.stdout;
}

test('import gzip or zstd, from a file or a Buffer, as its plain CSV; refuse it cut short', () => {
  const dir = tmpDir();
  const corpus = roundTripCorpus();
  const csv = path.join(dir, 'all.csv');
  corpus.exportCsv(csv, { columns: 'source,date,title,author,url,text' });
  corpus.close();
  const plain = fs.readFileSync(csv);
  const inputs = { 'all.csv.gz': zlib.gzipSync(plain) };
  inputs['all.csv.zst'] = zstdCompress(plain);
  quire.importCsv(csv, path.join(dir, 'plain.quire'));
  const want = fs.readFileSync(path.join(dir, 'plain.quire'));
  for (const [name, bytes] of Object.entries(inputs)) {
    fs.writeFileSync(path.join(dir, name), bytes);
    quire.importCsv(path.join(dir, name), path.join(dir, `${name}.quire`));
    assert.deepEqual(fs.readFileSync(path.join(dir, `${name}.quire`)), want, name);
    quire.importCsv(bytes, path.join(dir, `${name}.mem.quire`)); // in memory
    assert.deepEqual(fs.readFileSync(path.join(dir, `${name}.mem.quire`)), want, `${name} in memory`);
  }
  const gz = inputs['all.csv.gz'];
  fs.writeFileSync(path.join(dir, 'cut.csv.gz'), gz.subarray(0, gz.length >> 1));
  assert.throws(() => quire.importCsv(path.join(dir, 'cut.csv.gz'), path.join(dir, 'cut.quire')),
    { quireCode: 'QUIRE_ECSV', message: /ends early/ });
  assert.equal(fs.existsSync(path.join(dir, 'cut.quire')), false);
  assert.throws(() => quire.importCsv(gz.subarray(0, gz.length >> 1), path.join(dir, 'cut-mem.quire')),
    { quireCode: 'QUIRE_ECSV', message: /ends early/ });
  assert.equal(fs.existsSync(path.join(dir, 'cut-mem.quire')), false);
});

test('import from a Buffer with a column map and bad rows', () => {
  const csv = Buffer.from('Publication,When,Headline,Body,junk\nA,2016-01,first,one,x\nB,not a date,second,two,x\nC,2017,third,three,x\n');
  const out = path.join(tmpDir(), 'm.quire');
  const writer = new quire.Writer(out, { order: 'input' });
  const result = writer.importCsv(csv, {
    columns: { Publication: 'source', When: 'date', Headline: 'title', Body: 'text', junk: 'ignore' },
    skipBadRows: true,
  });
  writer.finish();
  writer.close();
  assert.deepEqual([result.rows, result.skipped, result.skippedRows], [2, 1, [3]]);
  const corpus = quire.open(out);
  assert.deepEqual([...corpus].map((d) => [d.source, d.date, d.title, d.text]),
    [['A', '2016-01', 'first', 'one'], ['C', '2017', 'third', 'three']]);
  corpus.close();
});

test('a failed import writes nothing', () => {
  const dir = tmpDir();
  const bad = path.join(dir, 'bad.csv');
  fs.writeFileSync(bad, 'source,date,text\nA,2016,ok\nB,31/12/2016,bad date\n');
  assert.throws(() => quire.importCsv(bad, path.join(dir, 'bad.quire')), { quireCode: 'QUIRE_EDATE' });
  assert.equal(fs.existsSync(path.join(dir, 'bad.quire')), false);
  assert.throws(() => quire.importCsv(path.join(dir, 'none.csv'), path.join(dir, 'none.quire')), { quireCode: 'QUIRE_ENOTFOUND' });
  assert.throws(() => quire.importCsv(bad, path.join(dir, 'x.quire'), { columns: { date: 'when' } }), { quireCode: 'QUIRE_EINVAL' });
});
