'use strict';
// Spreadsheet exports: derived date columns, split files and XLSX.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { test } = require('node:test');

const quire = require('..');
const { tmpDir, writeCorpus } = require('./helpers');

const DOCS = [
  { source: 'S; one', date: '2016-04-22', title: '00123', author: '=1+1', url: 'http://x.test', text: 'a\nb' },
  { source: 'S', date: '2016-01', title: '1e5', author: '', url: '', text: 'TRUE' },
  { source: '', date: '', title: 'undated', author: '', url: '', text: '' },
];

function corpus(dir) {
  return quire.open(writeCorpus(path.join(dir, 's.quire'), DOCS, { order: 'input' }));
}

/** The named member of a ZIP file (what an XLSX is), inflated. */
function zipMember(file, name) {
  const buf = fs.readFileSync(file);
  for (let at = buf.indexOf('PK\x01\x02'); at >= 0; at = buf.indexOf('PK\x01\x02', at + 4)) {
    const nameLen = buf.readUInt16LE(at + 28);
    if (buf.toString('utf8', at + 46, at + 46 + nameLen) !== name) continue;
    const local = buf.readUInt32LE(at + 42);
    const size = buf.readUInt32LE(at + 20);
    const method = buf.readUInt16LE(at + 10);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    return (method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8');
  }
  throw new Error(`${file} has no ${name}`);
}

test('derived columns in the excel dialect', () => {
  const dir = tmpDir();
  const c = corpus(dir);
  const file = path.join(dir, 'x.csv');
  const res = c.exportCsv(file, {
    columns: ['id', 'year', 'month', 'day', 'datetime_utc', 'date_precision', 'title'], dialect: 'excel',
  });
  assert.deepEqual(res, { rows: 3, cellsCut: 0, rowsOverSheet: 0, files: 1 });
  const lines = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\r\n');
  assert.equal(lines[1], '0,2016,4,22,2016-04-22T00:00:00Z,"day","00123"');
  assert.equal(lines[2], '1,2016,1,,2016-01-01T00:00:00Z,"month","1e5"');
  assert.equal(lines[3], '2,,,,,"","undated"');
  c.close();
});

test('splitRows writes numbered files', () => {
  const dir = tmpDir();
  const c = corpus(dir);
  assert.equal(c.exportCsv(path.join(dir, 'p.csv'), { splitRows: 2 }).files, 2);
  assert.ok(fs.readFileSync(path.join(dir, 'p-002.csv'), 'utf8').startsWith('id,source,date,title,author,url,text\n2,'));
  assert.throws(() => c.exportCsv(path.join(dir, 'q.csv'), { splitRows: 0 }), TypeError);
  assert.throws(() => c.createExportStream({ splitRows: 2 }), TypeError);
  assert.equal(c.exportXlsx(path.join(dir, 'b.xlsx'), { splitRows: 2 }).files, 2);
  assert.ok(fs.existsSync(path.join(dir, 'b-001.xlsx')) && fs.existsSync(path.join(dir, 'b-002.xlsx')));
  c.close();
});

test('exportXlsx writes typed cells, never formulas', () => {
  const dir = tmpDir();
  const c = corpus(dir);
  const file = path.join(dir, 'book.xlsx');
  assert.deepEqual(c.exportXlsx(file, { columns: 'id,date,author,url,title', from: '2016' }),
    { rows: 2, cellsCut: 0, rowsOverSheet: 0, files: 1 });
  const xml = zipMember(file, 'xl/worksheets/sheet1.xml');
  for (const want of ['<t>=1+1</t>', '<t>00123</t>', '<t>2016-01</t>', '<v>42482</v>', '<pane ']) {
    assert.ok(xml.includes(want), `sheet lacks ${want}`);
  }
  assert.ok(!xml.includes('<f>') && !xml.includes('hyperlink'));
  assert.throws(() => c.exportXlsx(path.join(dir, 'no', 'x.xlsx')), { quireCode: 'QUIRE_ENOTFOUND' });
  assert.throws(() => c.exportXlsx(file, { dialect: 'excel' }), TypeError);
  assert.throws(() => c.exportXlsx(path.join(dir, 'u.xlsx'), { columns: 'weekday' }), { quireCode: 'QUIRE_EINVAL' });
  assert.ok(!fs.existsSync(path.join(dir, 'u.xlsx')));
  c.close();
});
