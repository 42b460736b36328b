'use strict';
// quire.merge(), Writer#addCorpus and Writer.openAppend: every field of
// every document after a merge (concatenated in order, or the same
// documents clustered), append keeping the old documents first, dedup,
// corpora closed or collected early, misuse and damage.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const v8 = require('node:v8');
const vm = require('node:vm');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs, seedsDir } = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

async function collectGarbage() {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Every field of every document, in document order: [id, ...fields]. */
function rows(source) {
  const corpus = source instanceof quire.Corpus ? source : quire.open(source);
  try {
    return [...corpus].map((d) => [d.id, d.source, d.date, d.precision, d.timestamp, d.title, d.author,
      d.url, d.text, d.textLength]);
  } finally {
    if (corpus !== source) corpus.close();
  }
}

/** The rows without their document numbers (which a merge changes). */
const fields = (rs) => rs.map((r) => JSON.stringify(r.slice(1)));
const sorted = (list) => [...list].sort();

/** Two generated corpora of different layouts, with small blocks. */
function pair() {
  const dir = tmpDir();
  const a = writeCorpus(path.join(dir, 'a.quire'), modelDocs(400, 1), { blockSize: 16 << 10 });
  const b = writeCorpus(path.join(dir, 'b.quire'), modelDocs(300, 2),
    { order: 'input', codec: 'deflate', blockSize: 16 << 10 });
  return { dir, a, b };
}

/** Throws the QuireError with the given quireCode, whose message matches. */
function throwsQuire(fn, quireCode, message = /./) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof quire.QuireError, `${err}`);
    assert.equal(err.quireCode, quireCode, err.message);
    assert.match(err.message, message);
    return true;
  });
}

// ---- merge ------------------------------------------------------------------

test('keepOrder concatenates exactly', () => {
  const { dir, a, b } = pair();
  const out = path.join(dir, 'm.quire');
  assert.deepEqual(quire.merge(out, [b, a], { keepOrder: true }), { documents: 700, dropped: 0 });
  const got = rows(out);
  assert.deepEqual(got.map((r) => r[0]), [...Array(700).keys()]);
  assert.deepEqual(fields(got), [...fields(rows(b)), ...fields(rows(a))]);
});

test('a clustered merge holds the same documents', () => {
  const { dir, a, b } = pair();
  const out = path.join(dir, 'm.quire');
  const ca = quire.open(a); // a Corpus and a path mixed
  assert.deepEqual(quire.merge(out, [ca, b]), { documents: 700, dropped: 0 });
  assert.equal(ca.count, 400); // still usable
  ca.close();
  const got = fields(rows(out));
  const want = [...fields(rows(a)), ...fields(rows(b))];
  assert.notDeepEqual(got, want); // the blocks are reordered...
  assert.deepEqual(sorted(got), sorted(want)); // ...not the documents
  const merged = quire.open(out);
  const xinhua = (f) => {
    const c = quire.open(f);
    try {
      return c.countMatches({ sources: ['Xinhua'] });
    } finally {
      c.close();
    }
  };
  assert.equal(merged.countMatches({ sources: ['Xinhua'] }), xinhua(a) + xinhua(b));
  assert.equal(merged.verify().damaged, 0);
  merged.close();
});

test('addCorpus mixes with add', () => {
  const { dir, a } = pair();
  const out = path.join(dir, 'm.quire');
  const w = new quire.Writer(out, { order: 'input' });
  w.add({ source: 'first', date: '2020-02', title: 'before', text: 'one by one' });
  w.addCorpus(a);
  w.add({ source: 'last', title: 'after', text: 'one more' });
  assert.equal(w.count, 402);
  assert.equal(w.finish(), 402);
  w.close();
  const got = rows(out);
  assert.deepEqual(got[0].slice(1, 3), ['first', '2020-02']);
  assert.deepEqual(fields(got.slice(1, 401)), fields(rows(a)));
  assert.deepEqual([got[401][5], got[401][8]], ['after', 'one more']);
});

test('dedup drops the second copy', () => {
  const dir = tmpDir();
  const docs = modelDocs(500, 5);
  const a = writeCorpus(path.join(dir, 'a.quire'), docs.slice(0, 300), { order: 'input' });
  const b = writeCorpus(path.join(dir, 'b.quire'), docs.slice(200), { order: 'input' }); // 200..299 shared
  const out = path.join(dir, 'm.quire');
  assert.deepEqual(quire.merge(out, [a, b], { keepOrder: true, dedup: 'url' }), { documents: 500, dropped: 100 });
  assert.deepEqual(fields(rows(out)), [...fields(rows(a)), ...fields(rows(b)).slice(100)]);
  const w = new quire.Writer(path.join(dir, 'w.quire'), { order: 'input', dedup: ['url', 'text'] });
  w.addCorpus(b);
  w.addCorpus(a);
  assert.equal(w.dropped, 100);
  w.finish();
  w.close();
  assert.deepEqual(fields(rows(path.join(dir, 'w.quire'))), [...fields(rows(b)), ...fields(rows(a)).slice(0, 200)]);
});

for (const order of ['clustered', 'input']) {
  test(`corpora closed and collected before finish (${order})`, async () => {
    const { dir, a, b } = pair();
    const out = path.join(dir, 'm.quire');
    const w = new quire.Writer(out, { order });
    const corpus = quire.open(a);
    w.addCorpus(corpus);
    corpus.close();
    (() => {
      w.addCorpus(quire.open(fs.readFileSync(b))); // never closed: left to the collector
    })();
    await collectGarbage();
    // Reuse freed memory, so that bytes let go too early would show.
    const junk = Array.from({ length: 20 }, (_, i) => Buffer.alloc(fs.statSync(b).size, i));
    w.addCorpus(a); // a path: opened and closed by addCorpus itself
    junk.length = 0;
    w.finish();
    w.close();
    let got = fields(rows(out));
    let want = [...fields(rows(a)), ...fields(rows(b)), ...fields(rows(a))];
    if (order === 'clustered') [got, want] = [sorted(got), sorted(want)];
    assert.deepEqual(got, want);
    assert.equal(corpus.closed, true);
    throwsQuire(() => corpus.countMatches(), 'QUIRE_ESTATE', /closed/);
  });
}

test('a writer collected with corpora held leaves nothing', async () => {
  const { dir, a, b } = pair();
  (() => {
    const w = new quire.Writer(path.join(dir, 'never.quire'));
    w.addCorpus(quire.open(fs.readFileSync(b)));
    w.addCorpus(a);
  })();
  await collectGarbage();
  assert.equal(fs.existsSync(path.join(dir, 'never.quire')), false);
});

test('the seeds merged with themselves', (t) => {
  const seeds = seedsDir();
  if (!seeds) return t.skip('seeds sample not found: skipping the seeds test');
  const dir = tmpDir();
  const file = path.join(dir, 'seeds.quire');
  const w = new quire.Writer(file, { order: 'input' });
  const result = w.importCsv(path.join(seeds, 'manifest.csv'), { baseDir: seeds });
  assert.equal(result.rows, 5);
  w.finish();
  w.close();
  const once = fields(rows(file));
  assert.deepEqual(quire.merge(path.join(dir, 'twice.quire'), [file, file], { keepOrder: true }),
    { documents: 10, dropped: 0 });
  assert.deepEqual(fields(rows(path.join(dir, 'twice.quire'))), [...once, ...once]);
  assert.deepEqual(quire.merge(path.join(dir, 'once.quire'), [file, file], { dedup: ['url', 'text'] }),
    { documents: 5, dropped: 5 });
  assert.deepEqual(sorted(fields(rows(path.join(dir, 'once.quire')))), sorted(once));
  // Appended to itself through the CSV: old five first, unchanged.
  const before = rows(file);
  const ap = quire.Writer.openAppend(file);
  ap.importCsv(path.join(seeds, 'manifest.csv'), { baseDir: seeds });
  assert.equal(ap.finish(), 10);
  ap.close();
  const after = rows(file);
  assert.deepEqual(after.slice(0, 5), before);
  assert.deepEqual(fields(after.slice(5)), once);
});

// ---- append -----------------------------------------------------------------

for (const options of [{}, { order: 'input', codec: 'deflate' }]) {
  test(`append keeps the old documents first (${JSON.stringify(options)})`, () => {
    const dir = tmpDir();
    const file = writeCorpus(path.join(dir, 'c.quire'), modelDocs(300, 11), { blockSize: 16 << 10, ...options });
    const before = rows(file);
    const added = modelDocs(80, 12);
    const w = quire.Writer.openAppend(file);
    for (const doc of added) w.add(doc);
    assert.equal(w.count, 380);
    assert.equal(w.finish(), 380);
    w.close();
    const after = rows(file);
    assert.equal(after.length, 380);
    assert.deepEqual(after.slice(0, 300), before); // numbers and every field
    const fresh = writeCorpus(path.join(dir, 'fresh.quire'), added, { blockSize: 16 << 10, ...options });
    assert.deepEqual(fields(after.slice(300)), fields(rows(fresh)));
    const c = quire.open(file);
    assert.equal(c.packing.codec, options.codec ?? 'zstd');
    assert.equal(c.verify().damaged, 0);
    c.close();
  });
}

test('append with dedup covers the old documents, and takes a corpus', () => {
  const dir = tmpDir();
  const docs = modelDocs(200, 21);
  const file = writeCorpus(path.join(dir, 'c.quire'), docs.slice(0, 150), { order: 'input' });
  const other = writeCorpus(path.join(dir, 'o.quire'), docs.slice(100), { order: 'input' });
  const w = quire.Writer.openAppend(file, { dedup: 'url', threads: 1 });
  w.addCorpus(quire.open(other));
  assert.equal(w.dropped, 50);
  w.finish();
  w.close();
  const ref = writeCorpus(path.join(dir, 'r.quire'), docs, { order: 'input' });
  assert.deepEqual(fields(rows(file)), fields(rows(ref)));
});

test('an abandoned append changes nothing', () => {
  const dir = tmpDir();
  const file = writeCorpus(path.join(dir, 'c.quire'), modelDocs(120, 31));
  const before = fs.readFileSync(file);
  const w = quire.Writer.openAppend(file);
  w.add({ source: 'new', text: 'never written' });
  w.addCorpus(file);
  w.close();
  assert.deepEqual(fs.readFileSync(file), before);
  if (Symbol.dispose) {
    assert.throws(() => {
      const d = quire.Writer.openAppend(file);
      try {
        d.add({ text: 'x' });
        throw new Error('stop');
      } finally {
        d[Symbol.dispose]();
      }
    }, /stop/);
    assert.deepEqual(fs.readFileSync(file), before);
  }
  assert.deepEqual(fs.readdirSync(dir), ['c.quire']); // no temporary file left
});

// ---- misuse and damage ------------------------------------------------------

test('bad arguments', () => {
  const { dir, a, b } = pair();
  const out = path.join(dir, 'm.quire');
  const w = new quire.Writer(out);
  assert.throws(() => w.addCorpus(undefined), TypeError);
  assert.throws(() => w.addCorpus(null), TypeError);
  assert.throws(() => w.addCorpus(42), TypeError);
  w.close();
  assert.throws(() => quire.merge(out, a), TypeError); // one path, not an array
  assert.throws(() => quire.merge(out, null), TypeError);
  assert.throws(() => quire.merge(out, [a], { keep_order: true }), TypeError);
  throwsQuire(() => quire.merge(out, []), 'QUIRE_EINVAL', /at least one/);
  throwsQuire(() => quire.merge(out, [a], { dedup: 'title' }), 'QUIRE_EINVAL', /unknown duplicate kind/);
  throwsQuire(() => quire.merge(a, [b, a]), 'QUIRE_EINVAL', /also an input/);
  throwsQuire(() => quire.merge(out, [a, path.join(dir, 'missing.quire')]), 'QUIRE_ENOTFOUND');
  assert.throws(() => quire.merge(out, [a, undefined]), TypeError);
  assert.equal(fs.existsSync(out), false);
  throwsQuire(() => quire.Writer.openAppend(path.join(dir, 'missing.quire')), 'QUIRE_ENOTFOUND', /cannot append/);
  assert.equal(fs.existsSync(path.join(dir, 'missing.quire')), false);
  fs.writeFileSync(path.join(dir, 't.csv'), 'source,text\nx,y\n');
  throwsQuire(() => quire.Writer.openAppend(path.join(dir, 't.csv')), 'QUIRE_ENOTQUIRE');
  assert.throws(() => quire.Writer.openAppend(a, { order: 'input' }), TypeError);
  throwsQuire(() => quire.Writer.openAppend(''), 'QUIRE_EINVAL', /empty/);
  throwsQuire(() => quire.Writer.openAppend(undefined), 'QUIRE_EINVAL', /empty/);
});

test('closed corpus and closed writer', () => {
  const { dir, a } = pair();
  const corpus = quire.open(a);
  corpus.close();
  const w = new quire.Writer(path.join(dir, 'm.quire'));
  throwsQuire(() => w.addCorpus(corpus), 'QUIRE_ESTATE', /closed/);
  w.addCorpus(a);
  assert.equal(w.finish(), 400);
  throwsQuire(() => w.addCorpus(a), 'QUIRE_ESTATE'); // finished
  w.close();
  throwsQuire(() => w.addCorpus(a), 'QUIRE_ESTATE', /closed/);
  throwsQuire(() => w.addCorpus(quire.open(a)), 'QUIRE_ESTATE', /closed/);
  w.close(); // twice is fine
  throwsQuire(() => quire.merge(path.join(dir, 'n.quire'), [corpus]), 'QUIRE_ESTATE');
  assert.equal(fs.existsSync(path.join(dir, 'n.quire')), false);
  // A handle of another kind is refused, never used.
  const other = new quire.Writer(path.join(dir, 'o.quire'));
  const handle = other[Object.getOwnPropertySymbols(other)[0]];
  const addon = require('../lib/addon');
  assert.throws(() => addon.writerAddCorpus(handle, handle), TypeError); // a writer as the corpus
  assert.throws(() => addon.writerAddCorpus(handle, {}), TypeError);
  other.close();
});

for (const keepOrder of [false, true]) {
  test(`a damaged input fails cleanly (keepOrder ${keepOrder})`, () => {
    const dir = tmpDir();
    const good = writeCorpus(path.join(dir, 'good.quire'), modelDocs(300, 61), { order: 'input' });
    const bytes = fs.readFileSync(good);
    bytes[64 + 100] ^= 0x55; // inside the first text block
    const bad = path.join(dir, 'bad.quire');
    fs.writeFileSync(bad, bytes);
    const out = path.join(dir, 'm.quire');
    throwsQuire(() => quire.merge(out, [good, bad], { keepOrder }), 'QUIRE_ECORRUPT', /block/);
    // Found by addCorpus() (keepOrder) or at finish() (clustered), the error
    // names the input: its path, or its place for bytes.
    throwsQuire(() => quire.merge(out, [good, bad], { keepOrder }), 'QUIRE_ECORRUPT',
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    throwsQuire(() => quire.merge(out, [good, bytes], { keepOrder }), 'QUIRE_ECORRUPT',
      keepOrder ? /^merge input 2: / : /^added corpus 2: /);
    assert.equal(fs.existsSync(out), false);
    const w = quire.Writer.openAppend(bad);
    // The old blocks are copied at the first add (or at finish).
    throwsQuire(() => {
      w.add({ text: 'x' });
      w.finish();
    }, 'QUIRE_ECORRUPT', /block/);
    w.close();
    assert.deepEqual(fs.readFileSync(bad), bytes);
    assert.deepEqual(sorted(fs.readdirSync(dir)), ['bad.quire', 'good.quire']);
  });
}
