'use strict';
// Terms (match, matchAny) against a brute-force reference written from
// docs/guide.md's rules with JavaScript's own Unicode tables.

const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, writeCorpus } = require('./helpers');

// Simple case folding as JavaScript can give it: the lowercase of the
// uppercase when each is one code point. The letters generated below avoid
// the dotted and dotless i, where this differs (docs/guide.md; tested apart).
function fold(ch) {
  const up = ch.toUpperCase();
  if ([...up].length !== 1) return ch;
  const low = up.toLowerCase();
  return [...low].length === 1 ? low : ch;
}

const words = (text) => (text.match(/[\p{L}\p{N}]+/gu) || []).map((w) => [...w].map(fold).join(''));

function holds(field, term) {
  const f = words(field);
  const t = words(term);
  for (let i = 0; i + t.length <= f.length; i++) {
    if (t.every((w, j) => f[i + j] === w)) return true;
  }
  return false;
}

function reference(doc, match = [], matchAny = []) {
  const has = (t) => holds(doc.title, t) || holds(doc.text, t);
  return match.every(has) && (matchAny.length === 0 || matchAny.some(has));
}

// A seeded generator (mulberry32), so every run tests the same documents.
function rng(seed) {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const LETTERS = [...'abckABCKлукЛУКσςΣάΆéÉßẞǅǆſKµ٣²日'];
const SEPS = [' ', ' ', '-', '’', "'", '_', ', ', '\u0301', '\u00a0', '😀', '\n'];
const next = rng(13);
const VOCAB = Array.from({ length: 40 }, () =>
  Array.from({ length: 1 + next(3) }, () => LETTERS[next(LETTERS.length)]).join(''));
const text = (k) => Array.from({ length: k }, () => VOCAB[next(VOCAB.length)] + SEPS[next(SEPS.length)]).join('');
const DOCS = Array.from({ length: 200 }, (_, i) => ({
  source: i % 2 ? 'B' : 'A', date: String(2010 + (i % 5)), title: text(next(4)), author: '', url: '',
  text: text(next(50)),
}));
const FILE = writeCorpus(path.join(tmpDir(), 'words.quire'), DOCS, { blockSize: 4096, order: 'input' });

test('terms agree with the reference', () => {
  const corpus = quire.open(FILE);
  try {
    const cases = VOCAB.slice(0, 25).map((w) => ({ match: w.toUpperCase() }));
    cases.push({ match: 'ẞ' }, { match: 'STRASSE' }, { match: `${VOCAB[1]} ${VOCAB[2]}` },
      { match: [VOCAB[3], VOCAB[4]] }, { matchAny: [VOCAB[5], VOCAB[6], 'absentzz'] },
      { match: VOCAB[7], matchAny: [VOCAB[8], VOCAB[9]] }, { match: VOCAB[10], sources: 'B' });
    let nontrivial = 0;
    for (const c of cases) {
      const list = (v) => (v === undefined ? [] : [].concat(v));
      const want = [];
      DOCS.forEach((d, i) => {
        if ((!c.sources || d.source === c.sources) && reference(d, list(c.match), list(c.matchAny))) want.push(i);
      });
      const got = [...corpus.query(c)].map((d) => d.id);
      assert.deepEqual(got, want, JSON.stringify(c));
      assert.equal(corpus.countMatches(c), want.length);
      if (want.length > 0 && want.length < DOCS.length) nontrivial++;
    }
    assert.ok(nontrivial >= 15, `only ${nontrivial} cases were neither empty nor everything`);
    const out = path.join(tmpDir(), 'words.csv');
    const result = corpus.exportCsv(out, { match: VOCAB[11], columns: 'id' });
    assert.equal(result.rows, corpus.countMatches({ match: VOCAB[11] }));
  } finally {
    corpus.close();
  }
});

test('dotted and dotless i, and bad terms', () => {
  const file = writeCorpus(path.join(tmpDir(), 'i.quire'), [{ title: '', text: 'İstanbul ıi I' }]);
  const corpus = quire.open(file);
  try {
    const count = (t) => corpus.countMatches({ match: t });
    assert.deepEqual(['istanbul', 'İSTANBUL', 'ıI', 'ii', 'i', 'ı'].map(count), [0, 1, 1, 0, 1, 0]);
    assert.throws(() => corpus.countMatches({ match: ' - ' }), /no word/);
    assert.throws(() => corpus.countMatches({ matchAny: '' }), /no word/);
    assert.throws(() => corpus.countMatches({ match: [3] }), TypeError);
  } finally {
    corpus.close();
  }
});

test('word summaries change nothing but the size', () => {
  const dir = tmpDir();
  const a = quire.open(writeCorpus(path.join(dir, 'with.quire'), DOCS, { blockSize: 4096 }));
  const b = quire.open(writeCorpus(path.join(dir, 'without.quire'), DOCS, { blockSize: 4096, wordSummaries: false }));
  try {
    for (const w of [...VOCAB.slice(0, 15), 'absentzz']) {
      assert.equal(a.countMatches({ match: w }), b.countMatches({ match: w }), w);
    }
    assert.throws(() => writeCorpus(path.join(dir, 'bad.quire'), DOCS, { wordSummaries: 1 }), TypeError);
  } finally {
    a.close();
    b.close();
  }
});
