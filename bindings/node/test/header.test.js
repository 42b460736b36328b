'use strict';
// The addon's C source against include/quire.h: every quire_* function the
// addon calls must be declared in the header with the same number of
// parameters, and every quire_* name it uses must exist there, so the header
// cannot drift from the binding unnoticed.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { REPO } = require('./helpers');

const HEADER = process.env.QUIRE_HEADER || path.join(REPO, 'include', 'quire.h');
const SRC = path.join(__dirname, '..', 'src');

/** C source without comments, string and character literals. */
function strip(source) {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

/** The arguments of a call whose '(' is at open: top-level comma count. */
function countArgs(code, open) {
  let depth = 0, commas = 0, empty = true;
  for (let i = open; i < code.length; i++) {
    const ch = code[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (--depth === 0) return empty ? 0 : commas + 1;
    } else if (ch === ',' && depth === 1) commas++;
    else if (depth >= 1 && !/\s/.test(ch)) empty = false;
  }
  throw new Error('unbalanced parentheses');
}

/** {name: parameter count} of every QUIRE_API function, and the quire_* type
 * names the header declares. */
function parseHeader(text) {
  const code = strip(text).replace(/^\s*#(?:[^\n]*\\\n)*[^\n]*/gm, ' ');
  const functions = {};
  for (const m of code.matchAll(/QUIRE_API\s+[^;(]*?\b(quire_\w+)\s*\(([^()]*)\)\s*;/g)) {
    const params = m[2].trim();
    functions[m[1]] = params === 'void' ? 0 : params.split(',').length;
  }
  assert.equal((code.match(/QUIRE_API/g) || []).length, Object.keys(functions).length,
    'a QUIRE_API declaration was not understood');
  const types = new Set([...code.matchAll(/typedef[^;]*?\b(quire_\w+)\s*[;)]/g)].map((m) => m[1]));
  return { functions, types };
}

/** Every use of a quire_* name in the addon: calls with their argument
 * counts, and names used as values (function pointers) or types. */
function parseAddon() {
  const uses = [];
  for (const file of fs.readdirSync(SRC).filter((f) => /\.[ch]$/.test(f))) {
    const code = strip(fs.readFileSync(path.join(SRC, file), 'utf8'));
    for (const m of code.matchAll(/\bquire_\w+\b/g)) {
      const after = code.slice(m.index + m[0].length).match(/^\s*\(/);
      const open = after ? m.index + m[0].length + after[0].length - 1 : -1;
      uses.push({ file, name: m[0], args: open >= 0 ? countArgs(code, open) : null });
    }
  }
  return uses;
}

test('every quire_* call of the addon matches quire.h', () => {
  const { functions, types } = parseHeader(fs.readFileSync(HEADER, 'utf8'));
  assert.ok(Object.keys(functions).length > 60, 'the header parser found too few functions');
  const uses = parseAddon();
  const calls = uses.filter((u) => u.args !== null);
  assert.ok(calls.length > 50, 'the addon parser found too few calls');
  for (const use of uses) {
    if (types.has(use.name) && use.args === null) continue;
    assert.ok(use.name in functions, `${use.file}: ${use.name} is not a function of quire.h`);
    if (use.args !== null) {
      assert.equal(use.args, functions[use.name],
        `${use.file}: ${use.name} is called with ${use.args} arguments, quire.h declares ${functions[use.name]}`);
    }
  }
});

test('the parsers see a changed arity', () => {
  const { functions } = parseHeader('QUIRE_API int quire_writer_finish(quire_writer *writer, int flags);');
  assert.equal(functions.quire_writer_finish, 2);
  const code = strip('x = quire_cursor_field(cur, field, &data, f(a, b));');
  assert.equal(countArgs(code, code.indexOf('(')), 4);
});
