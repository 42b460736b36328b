'use strict';
// Shared by the tests: temporary folders, sample documents, the paths of
// the repo's header, the seeds sample and the quire CLI when they are there.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const quire = require('..');

const REPO = path.resolve(__dirname, '..', '..', '..');

const made = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed when the test process exits. */
function tmpDir() {
  const base = process.env.QUIRE_TEST_TMP || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, 'node-'));
  made.push(dir);
  return dir;
}

// Every field of these must come back exactly: empty strings, Cyrillic,
// emoji, no source, no date, each date precision, quotes and newlines.
const ROUND_TRIP_DOCS = [
  { source: 'Belarus in Focus', date: '2016-04-22T18:38', title: 'Sino-Belarusian cooperation', author: '',
    url: 'http://www.belarusinfocus.info/x', text: 'First line.\nSecond, "quoted" line.' },
  { source: null, date: null, title: '', author: '', url: '', text: '' },
  { source: 'Белта', date: '2016-01', title: 'Минск и Пекин', author: 'Алесь Бяляцкі',
    url: 'https://belta.by/статья', text: 'Беларусь развивает сотрудничество с Китаем.' },
  { source: 'Emoji 📰', date: '2017', title: '🇧🇾🤝🇨🇳', author: '👩‍💻', url: '',
    text: 'Text with emoji 😀 and a zero-width joiner 👨‍👩‍👧.' },
  { source: '', date: '2024-08-31', title: 'no source, a day', author: 'A', url: '', text: 'x'.repeat(10000) },
  { source: 'Belarus in Focus', date: '2017-05-08T09:22:05', title: 'seconds', author: 'B', url: 'u',
    text: 'Tab\tand CRLF\r\nand comma, all kept' },
  { source: 'South China Morning Post', date: '', title: 'empty date string', author: '', url: '', text: 'undated' },
];

function writeCorpus(file, docs, options = {}) {
  const writer = new quire.Writer(file, options);
  try {
    for (const doc of docs) writer.add(doc);
    writer.finish();
  } finally {
    writer.close();
  }
  return file;
}

const SOURCES = ['Belarus in Focus', 'Eurasia Daily Monitor', 'South China Morning Post', 'Белта', 'Xinhua'];

/** A deterministic generator (mulberry32), so every run tests the same corpus. */
function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

const pad = (n) => String(n).padStart(2, '0');

/** n documents with sources, dates of every precision and gaps. */
function modelDocs(n = 600, seed = 7) {
  const rng = random(seed);
  const words = ['Minsk', 'Beijing', 'Moscow', 'trade', 'ties', 'Лукашенко', '😀'];
  const docs = [];
  for (let i = 0; i < n; i++) {
    const y = rng.int(2014, 2019), mo = pad(rng.int(1, 12)), d = pad(rng.int(1, 28));
    const h = pad(rng.int(0, 23)), mi = pad(rng.int(0, 59)), s = pad(rng.int(0, 59));
    const date = rng.pick([null, `${y}`, `${y}-${mo}`, `${y}-${mo}-${d}`, `${y}-${mo}-${d}T${h}:${mi}`,
      `${y}-${mo}-${d}T${h}:${mi}:${s}`]);
    const text = Array.from({ length: rng.int(0, 300) }, () => rng.pick(words)).join(' ');
    docs.push({ source: rng.pick([...SOURCES, null]), date, title: `doc-${i}`,
      author: rng.pick(['', 'Nikola Mikovic', 'Юрий']), url: `https://example.org/${i}`, text });
  }
  return docs;
}

/** UTC seconds of the first instant of an ISO date without offset. */
function firstInstant(date) {
  const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0] = date.split(/[-T:]/).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

/** UTC seconds of the last instant of the period a partial date names. */
function lastInstant(date) {
  const parts = date.split(/[-T:]/).map(Number);
  const [y, mo = 1, d = 1, h = 0, mi = 0, s = 0] = parts;
  const next = [
    () => Date.UTC(y + 1, 0, 1),
    () => Date.UTC(y, mo, 1),
    () => Date.UTC(y, mo - 1, d + 1),
    () => Date.UTC(y, mo - 1, d, h + 1),
    () => Date.UTC(y, mo - 1, d, h, mi + 1),
    () => Date.UTC(y, mo - 1, d, h, mi, s + 1),
  ][parts.length - 1]();
  return next / 1000 - 1;
}

function seedsDir() {
  const dir = process.env.QUIRE_SEEDS_DIR || path.join(REPO, '..', 'shared', 'seeds');
  return fs.existsSync(path.join(dir, 'manifest.csv')) ? dir : null;
}

function cliPath() {
  const cli = process.env.QUIRE_CLI;
  return cli && fs.existsSync(cli) ? cli : null;
}

module.exports = {
  REPO, ROUND_TRIP_DOCS, SOURCES, tmpDir, writeCorpus, modelDocs, firstInstant, lastInstant, seedsDir, cliPath,
};
