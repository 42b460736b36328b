'use strict';
// Filters: what the binding counts and iterates against a model computed in
// JS and against the quire CLI (an independent caller of libquire).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { SOURCES, tmpDir, writeCorpus, modelDocs, firstInstant, lastInstant, cliPath } = require('./helpers');

const DOCS = modelDocs();
// Small blocks: filters then cross many of them.
const FILE = writeCorpus(path.join(tmpDir(), 'model.quire'), DOCS, { blockSize: 4096 });

function expected({ sources, from, to, undated } = {}) {
  const lo = from ? firstInstant(from) : null;
  const hi = to ? lastInstant(to) : null;
  const keepUndated = undated ?? (lo === null && hi === null);
  const list = typeof sources === 'string' ? [sources] : sources;
  return DOCS.filter((doc) => {
    if (list && !list.includes(doc.source)) return false;
    if (!doc.date) return keepUndated;
    const t = firstInstant(doc.date);
    return (lo === null || t >= lo) && (hi === null || t <= hi);
  }).map((doc) => doc.title);
}

const FILTERS = [
  {},
  { sources: ['Belarus in Focus'] },
  { sources: 'Xinhua' },
  { sources: ['Белта', 'Xinhua'] },
  { sources: ['nobody'] },
  { from: '2016' },
  { to: '2016' },
  { from: '2016', to: '2016' },
  { from: '2015-06', to: '2017-02' },
  { from: '2016-02-29', to: '2016-03-01' },
  { from: '2017-05-08T09:22', to: '2018-01-01T00:00:30' },
  { from: '2016', undated: true },
  { to: '2015-12', undated: false },
  { undated: false },
  { undated: true, sources: ['Xinhua'] },
  { sources: ['Eurasia Daily Monitor', 'South China Morning Post'], from: '2014-07', to: '2018' },
];

test('filters match the model, by iteration and by count', () => {
  const corpus = quire.open(FILE);
  for (const filter of FILTERS) {
    const want = expected(filter).sort();
    const docs = [...corpus.query({ ...filter, fields: ['title'], batchSize: 100 })];
    assert.deepEqual(docs.map((d) => d.title).sort(), want, JSON.stringify(filter));
    assert.equal(corpus.countMatches(filter), want.length, JSON.stringify(filter));
    const ids = docs.map((d) => d.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'document order');
  }
  corpus.close();
});

test('date bounds take Date objects', () => {
  const corpus = quire.open(FILE);
  const n = corpus.countMatches({ from: new Date(Date.UTC(2016, 0, 1)), to: new Date(Date.UTC(2016, 11, 31, 23, 59, 59)) });
  assert.equal(n, expected({ from: '2016', to: '2016' }).length);
  corpus.close();
});

test('sources match the model', () => {
  const corpus = quire.open(FILE);
  const counts = Object.fromEntries(corpus.sources.map((s) => [s.name, s.documents]));
  assert.deepEqual(counts, Object.fromEntries(SOURCES.map((s) => [s, DOCS.filter((d) => d.source === s).length])));
  corpus.close();
});

test('counts match the quire CLI', (t) => {
  const cli = cliPath();
  if (!cli) {
    t.skip('the quire CLI is not built (set QUIRE_CLI)');
    return;
  }
  const corpus = quire.open(FILE);
  for (const filter of FILTERS.filter((f) => f.undated !== false)) {
    const args = ['count', FILE];
    for (const s of [filter.sources ?? []].flat()) args.push('--source', s);
    if (filter.from) args.push('--from', filter.from);
    if (filter.to) args.push('--to', filter.to);
    if (filter.undated) args.push('--undated');
    const cliCount = Number(execFileSync(cli, args, { encoding: 'utf8' }).trim());
    assert.equal(corpus.countMatches(filter), cliCount, JSON.stringify(filter));
  }
  corpus.close();
});

test('bad filters', () => {
  const corpus = quire.open(FILE);
  assert.throws(() => corpus.countMatches({ from: 'the 5th of May' }), { code: -8, quireCode: 'QUIRE_EDATE' });
  assert.throws(() => corpus.query({ source: 'typo' }), TypeError);
  assert.throws(() => corpus.countMatches({ undated: 'yes' }), TypeError);
  assert.throws(() => corpus.query({ fields: ['body'] }), TypeError);
  assert.throws(() => [...corpus.query({ to: 'soon' })], { quireCode: 'QUIRE_EDATE' });
  corpus.close();
});
