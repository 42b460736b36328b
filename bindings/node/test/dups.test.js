'use strict';
// findDups() and Writer's dedup option: every kind, across corpora, the
// first of each group kept, the seeds, and bad arguments.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, seedsDir } = require('./helpers');

function words(seed, n) {
  let state = seed >>> 0;
  const out = [];
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.push(`w${state % 5000}`);
  }
  return out.join(' ');
}

const story = words(1, 500);
const edited = story.split(' ').map((w, i) => (i % 30 === 0 ? 'changed' : w)).join(' ');
const other = words(4, 400);
const DOCS = [
  { title: 't0', url: 'https://news.example/a?utm_source=x&fbclid=y', text: story },
  { title: 't1', url: '', text: words(2, 400) },
  { title: 't2', url: 'HTTP://News.EXAMPLE:80/a/#top', text: words(3, 400) },
  { title: 't3', url: '', text: edited },
  { title: 't4', url: '', text: 'Cafe\u0301 ' + other },
  { title: 't5', url: '', text: 'Caf\u00e9\n\n ' + other + ' ' },
];

function write(docs, options = {}) {
  const file = path.join(tmpDir(), 'd.quire');
  const w = new quire.Writer(file, { order: 'input', ...options });
  for (const d of docs) w.add(d);
  const dropped = w.dropped;
  w.finish();
  w.close();
  return { file, dropped };
}

const shape = (groups) =>
  groups.map((g) => `${g.kind}:${g.members.map((m) => `${m.corpus}/${m.doc}`).join(',')}`);

test('every kind, and across corpora', () => {
  const corpus = quire.open(write(DOCS).file);
  const groups = quire.findDups([corpus]);
  assert.deepEqual(shape(groups), ['url:0/0,0/2', 'text:0/4,0/5', 'near:0/0,0/3', 'near:0/4,0/5']);
  assert.deepEqual(groups[0].members[0], { corpus: 0, doc: 0, similarity: 1 });
  const s = groups[2].members[1].similarity;
  assert.ok(s > 0.6 && s < 1, `similarity ${s}`);
  const strict = quire.findDups([corpus, corpus], { kinds: 'near', similarity: 0.99 });
  assert.equal(strict.length, 5);
  assert.ok(strict.every((g) => g.members[0].corpus === 0 && g.members.at(-1).corpus === 1));
  assert.deepEqual(shape(quire.findDups([corpus], { kinds: ['url'] })), ['url:0/0,0/2']);
  corpus.close();
});

test('the writer keeps the first of each group', () => {
  const { file, dropped } = write(DOCS, { dedup: ['url', 'text'] });
  assert.equal(dropped, 2);
  const corpus = quire.open(file);
  assert.deepEqual([...corpus].map((d) => d.title), ['t0', 't1', 't3', 't4']);
  corpus.close();
  assert.equal(write(DOCS, { dedup: 'near', similarity: 1 }).dropped, 1);
});

test('the seeds twice', (t) => {
  const dir = seedsDir();
  if (!dir) {
    t.skip('seeds sample not found (../shared/seeds): skipping');
    return;
  }
  const file = path.join(tmpDir(), 'seeds.quire');
  const w = new quire.Writer(file);
  w.importCsv(path.join(dir, 'manifest.csv'));
  w.finish();
  w.close();
  const corpus = quire.open(file);
  assert.deepEqual(quire.findDups([corpus]), []);
  const kinds = quire.findDups([corpus, corpus]).map((g) => g.kind).sort();
  assert.deepEqual(kinds, [...Array(5).fill('near'), ...Array(5).fill('text'), 'url', 'url']);
  corpus.close();
});

test('bad arguments', () => {
  const corpus = quire.open(write(DOCS).file);
  assert.throws(() => quire.findDups([corpus], { kinds: 'title' }), { name: 'QuireError', code: -5 });
  assert.throws(() => quire.findDups([corpus], { kinds: [] }), { code: -5 });
  assert.throws(() => quire.findDups([corpus], { similarity: 1.5 }), { code: -5, message: /similarity/ });
  assert.throws(() => quire.findDups([corpus], { similarity: 'high' }), TypeError);
  assert.throws(() => quire.findDups([corpus], { bogus: 1 }), TypeError);
  assert.throws(() => quire.findDups(corpus), TypeError);
  assert.throws(() => quire.findDups([{}]), TypeError);
  corpus.close();
  assert.throws(() => quire.findDups([corpus]), { code: -12 });
  const file = path.join(tmpDir(), 'x.quire');
  assert.throws(() => new quire.Writer(file, { dedup: 'fuzzy' }), { code: -5 });
  assert.throws(() => new quire.Writer(file, { dedup: 'near', similarity: -1 }), { code: -5 });
  assert.equal(fs.existsSync(file), false);
  assert.deepEqual(quire.findDups([]), []);
  assert.ok(quire.DEFAULT_SIMILARITY > 0 && quire.DEFAULT_SIMILARITY <= 1);
});
