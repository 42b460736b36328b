'use strict';
// Handles closed by the garbage collector, and processes that exit with
// iterations and exports still open: no leak of mappings, no crash, no hang.

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const v8 = require('node:v8');
const vm = require('node:vm');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs } = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const FILE = writeCorpus(path.join(tmpDir(), 'life.quire'), modelDocs(400, 5), { blockSize: 4096 });

function mappings() {
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(FILE)).length;
}

async function collectGarbage() {
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('the garbage collector closes corpora, cursors and writers', { skip: !fs.existsSync('/proc/self/maps') }, async () => {
  const before = mappings();
  (() => {
    for (let i = 0; i < 30; i++) {
      const corpus = quire.open(FILE);
      const it = corpus.query({ batchSize: 8 });
      it.next();
      corpus.query().next();
      corpus.doc(3).text; // eslint-disable-line no-unused-expressions
    }
  })();
  assert.ok(mappings() >= before + 30, 'each open corpus maps the file');
  await collectGarbage();
  assert.equal(mappings(), before, 'collected corpora are unmapped');

  const target = path.join(tmpDir(), 'dropped.quire');
  (() => {
    const writer = new quire.Writer(target);
    writer.add({ text: 'never finished' });
  })();
  await collectGarbage();
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(fs.readdirSync(path.dirname(target)), []);
});

test('a process may exit with iterations and streams open', () => {
  const script = `
    const quire = require(${JSON.stringify(path.join(__dirname, '..'))});
    const corpus = quire.open(${JSON.stringify(FILE)});
    const it = corpus.query({ batchSize: 4 }); it.next();
    const started = corpus.createExportStream(); started.once('data', () => {
      started.pause();
      corpus.createExportStream(); // never read
      const other = quire.open(${JSON.stringify(FILE)});
      other.createExportStream().read();
      console.log('done');
    });
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000, env: process.env });
  assert.equal(run.error, undefined, 'the process hung');
  assert.equal(run.stderr, '');
  assert.equal(run.status, 0);
  assert.equal(run.stdout.trim(), 'done');
});
