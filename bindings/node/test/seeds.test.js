'use strict';
// The real sample in ../shared/seeds, packed through the binding's Writer
// from manifest.csv and the .txt files.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, seedsDir, cliPath } = require('./helpers');

/** The manifest's rows. The manifest is plain CSV (RFC 4180): quoted
 * fields may hold commas and doubled quotes. */
function readManifest(file) {
  const rows = [];
  let row = [], field = '', quoted = false;
  const text = fs.readFileSync(file, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') field += text[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

function packSeeds(dir) {
  const rows = readManifest(path.join(dir, 'manifest.csv'));
  const file = path.join(tmpDir(), 'seeds.quire');
  const writer = new quire.Writer(file, { order: 'input' });
  for (const row of rows) {
    writer.add({ ...row, text: fs.readFileSync(path.join(dir, row.file), 'utf8') });
  }
  writer.finish();
  writer.close();
  return { file, rows };
}

test('the seeds read back', (t) => {
  const dir = seedsDir();
  if (!dir) {
    t.skip('seeds sample not found (../shared/seeds): skipping');
    return;
  }
  const { file, rows } = packSeeds(dir);
  const corpus = quire.open(file);
  assert.equal(corpus.count, 5);
  const docs = [...corpus];
  docs.forEach((doc, i) => {
    const row = rows[i];
    assert.equal(doc.source, row.source || null);
    assert.equal(doc.date, row.date || null);
    assert.deepEqual([doc.title, doc.author, doc.url], [row.title, row.author, row.url]);
    const text = fs.readFileSync(path.join(dir, row.file), 'utf8');
    assert.equal(doc.text, text);
    assert.equal(doc.textLength, Buffer.byteLength(text));
  });
  assert.equal(corpus.undatedCount, rows.filter((r) => !r.date).length);
  assert.deepEqual(corpus.sources, [
    { name: 'Belarus in Focus', documents: 2 },
    { name: 'Eurasia Daily Monitor', documents: 1 },
    { name: 'South China Morning Post', documents: 1 },
  ]);
  assert.equal(corpus.countMatches({ sources: 'Belarus in Focus' }), 2);
  assert.deepEqual([...corpus.query({ from: '2016', to: '2016' })].map((d) => d.title), [rows[2].title, rows[4].title]);
  assert.equal(corpus.countMatches({ from: '2024-08' }), 1);
  assert.equal(corpus.countMatches({ from: '2017-05-08T09:22', to: '2017-05-08T09:22' }), 1);
  const cli = cliPath();
  if (cli) {
    for (const [args, filter] of [[[], {}], [['--source', 'Belarus in Focus'], { sources: 'Belarus in Focus' }],
      [['--from', '2016', '--to', '2016'], { from: '2016', to: '2016' }],
      [['--from', '2017', '--undated'], { from: '2017', undated: true }]]) {
      assert.equal(corpus.countMatches(filter), Number(execFileSync(cli, ['count', file, ...args], { encoding: 'utf8' })));
    }
  }
  corpus.close();
});
