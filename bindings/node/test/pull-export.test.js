'use strict';
// The export stream over quire_export_read() (worker-pool jobs, no thread),
// and onProgress on exports, imports and a clustered finish.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { ROUND_TRIP_DOCS, tmpDir, writeCorpus, modelDocs, seedsDir } = require('./helpers');

// Plain and excel dialect, filters, chosen columns, terms.
const SELECTIONS = [
  {},
  { dialect: 'excel' },
  { from: '2016', undated: false },
  { columns: 'date,title,year,datetime_utc' },
  { columns: ['url', 'id'], dialect: 'excel', to: '2017-06' },
  { match: 'minsk' },
];

async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** What quire_export_to_path writes for the same selection. */
function pathExport(corpus, options) {
  const file = path.join(tmpDir(), 'ref.csv');
  const result = corpus.exportCsv(file, options);
  return { bytes: fs.readFileSync(file), result };
}

let generatedFile;
function generated() {
  generatedFile ??= writeCorpus(path.join(tmpDir(), 'gen.quire'), modelDocs(1500, 21), { blockSize: 16384 });
  return quire.open(generatedFile);
}

test('the stream gives the bytes of exportCsv for every selection and chunk size', async () => {
  const corpus = generated();
  for (const options of SELECTIONS) {
    const { bytes, result } = pathExport(corpus, options);
    for (const chunkSize of [undefined, 4093]) {
      const stream = corpus.createExportStream({ ...options, chunkSize });
      const got = await collect(stream);
      assert.ok(got.equals(bytes), `${JSON.stringify(options)} chunkSize ${chunkSize}`);
      assert.equal(stream.rows, result.rows);
    }
  }
  corpus.close();
});

test('one-byte and seven-byte chunks', async () => {
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 'rt.quire'), ROUND_TRIP_DOCS, { order: 'input' }));
  const { bytes } = pathExport(corpus, {});
  const chunks = [];
  for await (const chunk of corpus.createExportStream({ chunkSize: 1 })) chunks.push(chunk);
  assert.equal(chunks.length, bytes.length);
  assert.ok(Buffer.concat(chunks).equals(bytes));
  for (const options of SELECTIONS) {
    const stream = corpus.createExportStream({ ...options, chunkSize: 7 });
    assert.ok((await collect(stream)).equals(pathExport(corpus, options).bytes), JSON.stringify(options));
  }
  assert.throws(() => corpus.createExportStream({ chunkSize: 0 }), TypeError);
  assert.throws(() => corpus.createExportStream({ onProgress: 'no' }), TypeError);
  corpus.close();
});

test('the seeds: stream and path export agree', async (t) => {
  const dir = seedsDir();
  if (!dir) {
    t.skip('seeds sample not found (../shared/seeds): skipping');
    return;
  }
  const file = path.join(tmpDir(), 'seeds.quire');
  const calls = [];
  const manifest = path.join(dir, 'manifest.csv');
  const imported = quire.importCsv(manifest, file, { order: 'input', baseDir: dir,
    onProgress: (done, total) => calls.push([done, total]) });
  assert.equal(imported.rows, 5);
  const size = fs.statSync(manifest).size;
  assert.deepEqual(calls.at(-1), [size, size]);
  const corpus = quire.open(file);
  for (const [i, options] of SELECTIONS.slice(0, 5).entries()) {
    const { bytes } = pathExport(corpus, options);
    for (const chunkSize of i < 2 ? [7, undefined] : [undefined]) {
      assert.ok((await collect(corpus.createExportStream({ ...options, chunkSize }))).equals(bytes));
    }
  }
  corpus.close();
});

test('the event loop keeps running during a large export', async () => {
  const corpus = generated();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let chunks = 0;
  let bytes = 0;
  for await (const chunk of corpus.createExportStream({ chunkSize: 2048 })) {
    chunks++;
    bytes += chunk.length;
  }
  clearInterval(timer);
  assert.ok(chunks > 100, `${chunks} chunks`);
  assert.ok(ticks > 0, 'no timer fired while the export ran');
  assert.equal(bytes, pathExport(corpus, {}).bytes.length);
  corpus.close();
});

test('destroying the stream or closing the corpus in the middle is safe', async () => {
  const corpus = generated();
  for (let i = 0; i < 20; i++) {
    const stream = corpus.createExportStream({ chunkSize: 1000 + i });
    stream.once('data', () => stream.destroy()); // a read may be on the worker
    await new Promise((resolve) => stream.on('close', resolve));
    assert.equal(stream.destroyed, true);
  }
  const stream = corpus.createExportStream({ columns: 'id', chunkSize: 64 });
  stream.read(); // queues the first read
  corpus.close(); // the stream holds the C corpus until it ends
  const rest = await collect(stream);
  assert.equal(rest.toString().trim().split('\n').length, 1501);
  assert.throws(() => corpus.createExportStream(), { quireCode: 'QUIRE_ESTATE' });

  // Destroyed while a read runs on the worker, then collected.
  const again = generated();
  const racing = again.createExportStream();
  racing.read();
  racing.destroy();
  again.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
});

test('export progress: done grows to the rows, total as documented', async () => {
  const corpus = generated();
  for (const [options, total] of [[{}, corpus.count], [{ from: '2016' }, corpus.countMatches({ from: '2016' })],
    [{ match: 'minsk' }, 0]]) {
    const calls = [];
    const result = corpus.exportCsv(path.join(tmpDir(), 'p.csv'), { ...options, onProgress: (d, t) => calls.push([d, t]) });
    const dones = calls.map(([d]) => d);
    assert.deepEqual(dones, [...dones].sort((a, b) => a - b));
    assert.equal(dones.at(-1), result.rows);
    assert.deepEqual(new Set(calls.map(([, t]) => t)), new Set([total]));
    const streamed = [];
    const stream = corpus.createExportStream({ ...options, onProgress: (d, t) => streamed.push([d, t]) });
    await collect(stream);
    assert.deepEqual(streamed.at(-1), calls.at(-1));
    assert.equal(stream.rows, result.rows);
  }
  corpus.close();
});

test('stopping an export from onProgress', async () => {
  const corpus = generated();
  const dir = tmpDir();
  const out = path.join(dir, 'stopped.csv');
  assert.throws(() => corpus.exportCsv(out, { onProgress: () => false }), { quireCode: 'QUIRE_ECALLBACK' });
  assert.throws(() => corpus.exportCsv(out, { onProgress: () => { throw new RangeError('mine'); } }),
    { name: 'RangeError', message: 'mine' });
  assert.throws(() => corpus.exportXlsx(path.join(dir, 'x.xlsx'), { onProgress: () => false }),
    { quireCode: 'QUIRE_ECALLBACK' });
  assert.deepEqual(fs.readdirSync(dir), []);
  await assert.rejects(collect(corpus.createExportStream({ chunkSize: 4096, onProgress: (d) => d < 1024 })),
    { quireCode: 'QUIRE_ECALLBACK' });
  await assert.rejects(collect(corpus.createExportStream({ onProgress: () => { throw new RangeError('mine'); } })),
    { name: 'RangeError' });
  assert.equal(corpus.count, 1500); // still usable
  corpus.close();
});

test('import and finish progress; stopping them writes nothing', () => {
  const dir = tmpDir();
  const csv = path.join(dir, 'in.csv');
  let text = 'source,date,title,text\n';
  for (let i = 0; i < 700; i++) text += `S${i % 3},2016-01-${String((i % 28) + 1).padStart(2, '0')},t${i},${'word '.repeat(400)}\n`;
  fs.writeFileSync(csv, text);
  const size = fs.statSync(csv).size;
  const calls = [];
  assert.equal(quire.importCsv(csv, path.join(dir, 'a.quire'), { onProgress: (d, t) => calls.push([d, t]) }).rows, 700);
  assert.ok(calls.length >= 2);
  assert.deepEqual(calls.at(-1), [size, size]);
  assert.throws(() => quire.importCsv(csv, path.join(dir, 'no.quire'), { onProgress: () => false }),
    { quireCode: 'QUIRE_ECALLBACK' });
  assert.equal(fs.existsSync(path.join(dir, 'no.quire')), false);

  const docs = modelDocs(5000, 5);
  const finishCalls = [];
  const writer = new quire.Writer(path.join(dir, 'c.quire'), { onProgress: (d, t) => finishCalls.push([d, t]) });
  for (const doc of docs) writer.add(doc);
  assert.deepEqual(finishCalls, []);
  assert.equal(writer.finish(), docs.length);
  writer.close();
  assert.ok(finishCalls.length >= 2);
  assert.deepEqual(finishCalls.at(-1), [docs.length, docs.length]);
  const dones = finishCalls.map(([d]) => d);
  assert.deepEqual(dones, [...dones].sort((a, b) => a - b));

  const stopped = path.join(dir, 'stopped.quire');
  const failing = new quire.Writer(stopped, { onProgress: (d) => { if (d >= 4096) throw new RangeError('enough'); } });
  for (const doc of docs) failing.add(doc);
  assert.throws(() => failing.finish(), { name: 'RangeError', message: 'enough' });
  failing.close();
  assert.equal(fs.existsSync(stopped), false);
});

test('onProgress that closes the corpus or the writer under the call', () => {
  const dir = tmpDir();
  const corpus = generated();
  const result = corpus.exportCsv(path.join(dir, 'c.csv'), { onProgress: () => corpus.close() });
  assert.equal(result.rows, 1500); // the running export completes
  assert.equal(corpus.closed, true);
  assert.throws(() => corpus.count, { quireCode: 'QUIRE_ESTATE' });

  const docs = modelDocs(5000, 6);
  const file = path.join(dir, 'w.quire');
  const writer = new quire.Writer(file, { onProgress: () => writer.close() });
  for (const doc of docs) writer.add(doc);
  assert.equal(writer.finish(), docs.length); // closed after finish returns
  assert.throws(() => writer.count, { quireCode: 'QUIRE_ESTATE' });
  assert.equal(quire.open(file).count, docs.length);

  const busy = new quire.Writer(path.join(dir, 'busy.quire'), { onProgress: () => busy.add({ text: 'x' }) });
  for (const doc of docs) busy.add(doc);
  assert.throws(() => busy.finish(), { quireCode: 'QUIRE_ESTATE' }); // thrown by add() inside
  busy.close();
  assert.equal(fs.existsSync(path.join(dir, 'busy.quire')), false);

  const csv = Buffer.from('source,date,text\nA,2016,one\nB,2017,two\n');
  const importer = new quire.Writer(path.join(dir, 'imp.quire'));
  importer.importCsv(csv, { onProgress: () => importer.close() });
  assert.throws(() => importer.count, { quireCode: 'QUIRE_ESTATE' });
});
