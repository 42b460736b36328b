'use strict';
// Arrow export: libquire's Arrow C stream as apache-arrow RecordBatches and
// Tables. The addon hands over libquire's own buffers as external
// ArrayBuffers and this module wraps them in typed arrays with makeData, so
// no byte is copied. apache-arrow is an optional dependency: it is loaded on
// the first call, and the binding works without it.

let arrowModule = null;

function arrow() {
  if (arrowModule === null) {
    try {
      arrowModule = require('apache-arrow');
    } catch (err) {
      const e = new Error('toArrow() needs the apache-arrow package (npm install apache-arrow)');
      e.cause = err;
      throw e;
    }
  }
  return arrowModule;
}

/** The apache-arrow type of a column from its Arrow C format string. */
function typeOf(a, format) {
  switch (format) {
    case 'L': return new a.Uint64();
    case 'i': return new a.Dictionary(new a.Utf8(), new a.Int32());
    case 'tss:UTC': return new a.TimestampSecond('UTC');
    case 'c': return new a.Int8();
    case 'u': return new a.Utf8();
    case 'U': return new a.LargeUtf8();
    default: throw new Error(`unexpected Arrow format ${format}`);
  }
}

const NOT_NULL = new Set(['doc', 'text']);

function schemaOf(a, names, formats) {
  return new a.Schema(names.map((name, i) => new a.Field(name, typeOf(a, formats[i]), !NOT_NULL.has(name))));
}

function bitmap(buf) {
  return buf === null ? undefined : new Uint8Array(buf);
}

function utf8Data(a, type, length, [nullCount, validity, offsets, bytes]) {
  const large = type instanceof a.LargeUtf8;
  return a.makeData({
    type, length, nullCount, nullBitmap: bitmap(validity),
    valueOffsets: large ? new BigInt64Array(offsets) : new Int32Array(offsets),
    data: new Uint8Array(bytes),
  });
}

function columnData(a, type, length, col) {
  const [nullCount, validity, values] = col;
  const nullBitmap = bitmap(validity);
  if (type instanceof a.Utf8 || type instanceof a.LargeUtf8) return utf8Data(a, type, length, col);
  if (type instanceof a.Dictionary) {
    const dict = col[3];
    const dictionary = a.makeVector(utf8Data(a, new a.Utf8(), new Int32Array(dict[2]).length - 1, dict));
    return a.makeData({ type, length, nullCount, nullBitmap, data: new Int32Array(values), dictionary });
  }
  const Typed = type instanceof a.Uint64 ? BigUint64Array : type instanceof a.Int8 ? Int8Array : BigInt64Array;
  return a.makeData({ type, length, nullCount, nullBitmap, data: new Typed(values) });
}

/** The record batches of a stream the addon opened, one at a time. */
function* recordBatches(native, opened) {
  const a = arrow();
  const [handle, names, formats] = opened;
  const schema = schemaOf(a, names, formats);
  const struct = new a.Struct(schema.fields);
  for (;;) {
    const next = native.arrowNext(handle);
    if (next === null) return;
    const [length, cols] = next;
    const children = cols.map((col, i) => columnData(a, schema.fields[i].type, length, col));
    yield new a.RecordBatch(schema, a.makeData({ type: struct, length, nullCount: 0, children }));
  }
}

/** A Table of every batch of a stream the addon opened. */
function table(native, opened) {
  const a = arrow();
  const batches = [...recordBatches(native, opened)];
  return batches.length ? new a.Table(batches) : new a.Table(schemaOf(a, opened[1], opened[2]));
}

module.exports = { arrow, recordBatches, table };
