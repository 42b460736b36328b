'use strict';
// The addon's C source against include/quire.h as api/quire-api.json
// describes it (scripts/api-describe.py makes it; ctest api_description
// checks it is current): every quire_* function the addon calls must be
// declared in the header with the same number of parameters, every function
// of the header must be called or excused in NOT_WRAPPED, and every quire_*
// name the addon uses must exist there, so the header cannot drift from the
// binding unnoticed. QUIRE_API_JSON names another description.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { REPO } = require('./helpers');

const API_JSON = process.env.QUIRE_API_JSON || path.join(REPO, 'api', 'quire-api.json');
const SRC = path.join(__dirname, '..', 'src');

// Functions of quire.h the addon deliberately leaves out, with the reason.
const SHARDS = 'shards are cut with `quire split` or Python\'s quire.split';
const NOT_WRAPPED = {
  quire_set_allocator: 'the allocator is process-wide and belongs to the application (ABI.md)',
  quire_export_to_fd: 'exportCsv writes to a path, createExportStream to any Node stream',
  quire_export_to_callback: 'createExportStream pulls with quire_export_read on the worker pool: no callback, no thread',
  quire_filter_set_range: 'filters take ISO 8601 dates down to the second, which says the same',
  quire_cursor_next: 'iteration moves in batches with quire_cursor_next_batch',
  quire_split_new: SHARDS,
  quire_split_free: SHARDS,
  quire_split_set_shards: SHARDS,
  quire_split_set_by: SHARDS,
  quire_split_set_max_size: SHARDS,
  quire_split_set_level: SHARDS,
  quire_split_set_threads: SHARDS,
  quire_split_corpus: SHARDS,
  quire_split_csv: SHARDS,
  quire_split_shard_count: SHARDS,
  quire_split_shard_name: SHARDS,
  quire_split_errmsg: SHARDS,
};

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
 * names the header declares, from the description scripts/api-describe.py
 * made of it. */
function readApi(description) {
  const functions = {};
  const experimental = new Set();
  for (const f of description.functions) {
    functions[f.name] = f.params.length;
    if (f.experimental) experimental.add(f.name);
  }
  const types = new Set(description.types.map((t) => t.name));
  for (const s of description.structs) {
    types.add(s.name);
    if (s.typedef) types.add(s.typedef);
  }
  return { functions, types, experimental };
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
  const { functions, types } = readApi(JSON.parse(fs.readFileSync(API_JSON, 'utf8')));
  assert.ok(Object.keys(functions).length > 60, 'the description holds too few functions');
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

test('every function of quire.h is used by the addon or excused', () => {
  const { functions, experimental } = readApi(JSON.parse(fs.readFileSync(API_JSON, 'utf8')));
  const used = new Set(parseAddon().map((u) => u.name));
  for (const name of Object.keys(functions)) {
    // Experimental functions (#ifdef QUIRE_EXPERIMENTAL) may be left out.
    assert.ok(used.has(name) || name in NOT_WRAPPED || experimental.has(name),
      `${name} is in quire.h but the addon neither uses it nor lists it in NOT_WRAPPED`);
    assert.ok(!(used.has(name) && name in NOT_WRAPPED),
      `${name} is used now: remove it from NOT_WRAPPED (${NOT_WRAPPED[name]})`);
  }
  for (const name of Object.keys(NOT_WRAPPED)) {
    assert.ok(name in functions, `NOT_WRAPPED lists ${name}, which quire.h does not declare`);
  }
});

test('the parsers see a changed arity', () => {
  const { functions } = readApi({
    functions: [{ name: 'quire_writer_finish', params: [{ type: 'quire_writer *' }, { type: 'int' }] }],
    types: [],
    structs: [],
  });
  assert.equal(functions.quire_writer_finish, 2);
  const code = strip('x = quire_cursor_field(cur, field, &data, f(a, b));');
  assert.equal(countArgs(code, code.indexOf('(')), 4);
});
