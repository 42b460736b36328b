'use strict';
// index.d.ts against lib/index.js: every export and every public member of
// the exported classes is declared, and nothing declared is missing, so the
// declarations cannot drift from the code unnoticed.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const quire = require('..');

const DTS = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');

/** The body of `export class NAME ... { ... }` in index.d.ts. */
function classBody(name) {
  const start = DTS.search(new RegExp(`export class ${name}\\b`));
  assert.ok(start >= 0, `index.d.ts lacks class ${name}`);
  let depth = 0;
  for (let i = DTS.indexOf('{', start); i < DTS.length; i++) {
    if (DTS[i] === '{') depth++;
    else if (DTS[i] === '}' && --depth === 0) return DTS.slice(start, i);
  }
  throw new Error(`unbalanced class ${name}`);
}

/** Names a class body declares: methods, accessors, properties. */
function declaredMembers(body) {
  const names = new Set();
  for (const m of body.matchAll(/^\s{2}(?:static\s+|readonly\s+)*([A-Za-z_]\w*)\??[(:]/gm)) names.add(m[1]);
  return names;
}

test('every export is declared and every declaration exported', () => {
  const declared = new Set([...DTS.matchAll(/^export (?:class|function|const) (\w+)/gm)].map((m) => m[1]));
  assert.deepEqual([...declared].sort(), Object.keys(quire).sort());
});

test('the public members of each class are declared', () => {
  for (const name of ['Corpus', 'Writer', 'Document', 'DocumentIterator', 'ExportStream', 'Batch', 'BatchIterator']) {
    const cls = quire[name];
    const members = new Set([
      ...Object.getOwnPropertyNames(cls.prototype),
      ...Object.getOwnPropertyNames(cls).filter((n) => !['length', 'name', 'prototype'].includes(n)),
    ]);
    members.delete('constructor');
    for (const inherited of ['_read', '_destroy', 'fill']) members.delete(inherited); // stream internals, batch helper
    const declared = declaredMembers(classBody(name));
    for (const member of members) assert.ok(declared.has(member), `${name}.${member} is not in index.d.ts`);
  }
});

test('declared instance properties exist on real objects', () => {
  const { writeCorpus, tmpDir } = require('./helpers');
  const corpus = quire.open(writeCorpus(path.join(tmpDir(), 't.quire'), [{ source: 's', date: '2016', text: 'x' }]));
  const doc = corpus.doc(0);
  for (const member of declaredMembers(classBody('Document'))) {
    if (member === 'constructor') continue;
    assert.ok(member in doc, `Document.${member} is declared but missing`);
  }
  for (const member of declaredMembers(classBody('Corpus'))) {
    if (member === 'constructor' || member === 'open') continue;
    assert.ok(member in corpus, `Corpus.${member} is declared but missing`);
  }
  const batch = corpus.batches().next().value;
  for (const member of declaredMembers(classBody('Batch'))) {
    if (member === 'constructor') continue;
    assert.ok(member in batch, `Batch.${member} is declared but missing`);
  }
  corpus.close();
});
