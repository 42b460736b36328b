'use strict';
// quire for Node.js: classes over the C addon (src/*.c), which calls libquire.
// Everything the library defines (formats, filters, dates, CSV) stays in the
// library; this file only shapes it the way JavaScript code expects.

const fs = require('node:fs');
const path = require('node:path');
const { Readable } = require('node:stream');

const arrowExport = require('./arrow');
const native = require('./addon');

/** A failed libquire call: `code` is the C status, `quireCode` its name. */
class QuireError extends Error {
  constructor(message) {
    super(message);
    this.name = 'QuireError';
  }
}
native.setErrorClass(QuireError);

const PRECISIONS = ['none', 'year', 'month', 'day', 'minute', 'second'];
const FIELDS = { id: 0, source: 1, date: 2, title: 3, author: 4, url: 5, text: 6, file: 7, ignore: 8 };
const LAZY_FIELDS = ['date', 'title', 'author', 'url', 'text'];
const UNDATED = { undefined: 0, true: 1, false: 2 };
const ORDERS = { clustered: 0, input: 1 };
const CODECS = { zstd: 1, deflate: 0 };
const UTF8_POLICIES = { reject: 0, replace: 1 };
const DIALECTS = { plain: 0, excel: 1 };
const NUMS = native.NUMBERS_PER_DOC;
const DEFAULT_BATCH = 256;
// Documents per Batch of batches(), unless asked otherwise: enough that the
// few microseconds a batch costs (one call into C, one buffer) vanish next
// to its documents; small enough that its 64 KiB of columns stay in cache
// and below glibc's mmap threshold (128 KiB), so that buffers come from the
// heap instead of an mmap and munmap each: a cold pass over 100,000
// documents took ~1 ms less than with 4096 (bench/iterate.js).
const DEFAULT_BATCH_SIZE = 2048;

const kHandle = Symbol('quire.handle');
const kCorpus = Symbol('quire.corpus');
const kRead = Symbol('quire.read');
const kNames = Symbol('quire.sourceNames');
const kClosed = Symbol('quire.closed');
const kProgress = Symbol('quire.progress');

function quireError(code, quireCode, message) {
  const err = new QuireError(message);
  err.code = code;
  err.quireCode = quireCode;
  return err;
}

function einval(message) {
  return quireError(-5, 'QUIRE_EINVAL', message);
}

function choice(table, value, what, fallback) {
  if (value === undefined) return fallback;
  if (!Object.prototype.hasOwnProperty.call(table, value)) {
    throw einval(`unknown ${what} ${JSON.stringify(value)} (${Object.keys(table).join(', ')})`);
  }
  return table[value];
}

function checkKeys(options, allowed, what) {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`unknown ${what} option "${key}"`);
  }
}

function dateText(value, what) {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`${what} is an invalid Date`);
    return value.toISOString();
  }
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string or a Date`);
  return value;
}

const FILTER_KEYS = ['sources', 'from', 'to', 'undated', 'match', 'matchAny'];

/** undefined, or an array: one string is an array of one. */
function listOf(value) {
  if (typeof value === 'string') return [value];
  if (value === undefined || value === null) return undefined;
  return Array.from(value);
}

/** The filter object the addon reads, from the options users pass. */
function filterSpec(options) {
  const { sources, from, to, undated, match, matchAny } = options;
  if (undated !== undefined && typeof undated !== 'boolean') {
    throw new TypeError('undated must be true, false or undefined');
  }
  return {
    sources: listOf(sources),
    from: dateText(from, 'from'),
    to: dateText(to, 'to'),
    undated: UNDATED[String(undated)],
    match: listOf(match),
    matchAny: listOf(matchAny),
  };
}

function fieldMask(fields) {
  let mask = 0;
  for (const name of fields) {
    if (!LAZY_FIELDS.includes(name)) {
      throw new TypeError(`unknown field "${name}" (${LAZY_FIELDS.join(', ')})`);
    }
    mask |= 1 << FIELDS[name];
  }
  return mask;
}

/** One document. id, source, timestamp, precision and textLength come with
 * it; date, title, author, url and text too when the query asked for them,
 * and otherwise are read from the corpus the first time they are used. */
class Document {
  #corpus;
  #fields; // date, title, author, url, text once fetched

  constructor(corpus, id, source, timestamp, precision, textLength) {
    this.#corpus = corpus;
    /** The document's number: its 0-based position in the file. */
    this.id = id;
    /** The source (publication), or null. */
    this.source = source;
    /** UTC seconds of the first instant of the date, or null when undated. */
    this.timestamp = timestamp;
    /** How much of the date is known: none, year, month, day, minute, second. */
    this.precision = precision;
    /** Bytes of UTF-8 in the text, known without reading the text. */
    this.textLength = textLength;
  }

  #field(name) {
    const fields = (this.#fields ??= {});
    let value = fields[name];
    if (value === undefined) {
      value = this.#corpus[kRead](this.id, name);
      fields[name] = value;
    }
    return value;
  }

  /** The date as ISO 8601 text as it was given ("2016-01",
   * "2017-05-08T09:22"), or null. */
  get date() {
    return this.timestamp === null ? null : this.#field('date');
  }

  /** The first instant of the date as a Date, or null. */
  get dateTime() {
    return this.timestamp === null ? null : new Date(this.timestamp * 1000);
  }

  get title() {
    return this.#field('title');
  }

  get author() {
    return this.#field('author');
  }

  get url() {
    return this.#field('url');
  }

  get text() {
    return this.#field('text');
  }

  /** Stores fields fetched with the document (from the batch). */
  static fill(doc, strings, at, names) {
    const fields = (doc.#fields ??= {});
    for (const name of names) fields[name] = strings[at++];
    return at;
  }

  /** Every field, as Writer#add takes them plus id. */
  toJSON() {
    return {
      id: this.id,
      source: this.source,
      date: this.date,
      title: this.title,
      author: this.author,
      url: this.url,
      text: this.text,
    };
  }
}

// Give Document's timestamp field its final representation now (a number or
// null): a first null, or a first timestamp beyond the small-integer range,
// midway through the first big iteration would change the objects' layout
// and throw away the code the JIT had optimized for them.
new Document(null, 0, null, null, 'none', 0);
new Document(null, 0, 'source', 2 ** 40, 'none', 0);

function makeDocument(corpus, names, nums, base) {
  const date = nums[base + 1];
  const sourceId = nums[base + 2];
  return new Document(
    corpus,
    nums[base],
    sourceId < 0 ? null : names[sourceId],
    date === date ? date : null, // NaN: undated
    PRECISIONS[nums[base + 3]],
    nums[base + 4],
  );
}

/** Iterates the documents of a query, fetching them from C a batch at a
 * time. Leaving a for...of early frees the C cursor at once (return()). */
class DocumentIterator {
  #corpus;
  #spec;
  #fields;
  #mask;
  #handle = null;
  #nums;
  #strings = [];
  #names; // source names by number
  #docs = []; // the documents of the current batch
  #count = 0;
  #pos = 0;
  #done = false;

  constructor(corpus, spec, fields, batchSize) {
    this.#corpus = corpus;
    this.#spec = spec;
    this.#fields = fields;
    this.#mask = fieldMask(fields);
    this.#nums = new Float64Array(batchSize * NUMS);
  }

  #refill() {
    if (this.#handle === null) {
      this.#handle = native.cursorOpen(this.#corpus[kHandle], this.#spec);
      this.#names = this.#corpus[kNames]();
    }
    this.#strings.length = 0;
    this.#pos = 0;
    const n = native.cursorNext(this.#handle, this.#nums, this.#strings, this.#mask);
    // One tight loop per batch: the JIT optimizes it sooner than next().
    const docs = this.#docs;
    docs.length = n;
    for (let i = 0; i < n; i++) docs[i] = makeDocument(this.#corpus, this.#names, this.#nums, i * NUMS);
    if (this.#mask) {
      for (let i = 0; i < n; i++) Document.fill(docs[i], this.#strings, i * this.#fields.length, this.#fields);
    }
    this.#count = n;
    return n > 0;
  }

  next() {
    if (this.#pos === this.#count) return this.#nextBatch();
    if (this.#corpus[kClosed]) return this.#closed();
    return { done: false, value: this.#docs[this.#pos++] };
  }

  #nextBatch() {
    if (this.#done) return { done: true, value: undefined };
    if (this.#corpus[kClosed]) return this.#closed();
    let more;
    try {
      more = this.#refill();
    } catch (err) {
      this.return();
      throw err;
    }
    return more ? this.next() : this.return();
  }

  #closed() {
    this.return();
    throw quireError(-12, 'QUIRE_ESTATE', 'corpus is closed');
  }

  return() {
    this.#done = true;
    this.#pos = this.#count = 0;
    this.#docs.length = 0;
    if (this.#handle !== null) {
      native.cursorClose(this.#handle);
      this.#handle = null;
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator]() {
    return this;
  }

  /** The query's documents as Batches of columns instead (fields and
   * batchSize do not apply), before any has been taken one by one: this
   * iterator is then used up. */
  batches(options = {}) {
    const size = batchSize(options);
    if (this.#done || this.#handle !== null) {
      throw quireError(-12, 'QUIRE_ESTATE', 'batches() must come before the first document is taken');
    }
    this.#done = true;
    return new BatchIterator(this.#corpus, this.#spec, size);
  }

  /** Every remaining document in an array. */
  toArray() {
    return Array.from(this);
  }

  /** The query's documents as an apache-arrow Table of options.columns
   * (default: all) read through libquire's Arrow stream with no copy
   * (needs the apache-arrow package). The iterator itself is not used. */
  toArrow(options = {}) {
    checkKeys(options, ARROW_QUERY_KEYS, 'toArrow');
    return arrowExport.table(native, arrowOpen(this.#corpus, this.#spec, options));
  }
}

/** Consecutive documents of a query as columns: typed arrays with one
 * element per document, read from C with one call for the whole batch. They
 * are the batch's own and stay valid after the iteration moves on (and
 * after the corpus is closed). */
class Batch {
  #corpus;
  #names;

  constructor(corpus, names, docs, dates, precisions, sources, textLengths) {
    this.#corpus = corpus;
    this.#names = names;
    /** Document numbers (0-based positions in the file). */
    this.docs = docs;
    /** UTC seconds of the first instant of each date; NaN when undated. */
    this.dates = dates;
    /** How much of each date is known: an index into quire.PRECISIONS. */
    this.precisions = precisions;
    /** Source ids, indexes into corpus.sources; -1 when none. */
    this.sources = sources;
    /** Bytes of UTF-8 in each text, known without reading the texts. */
    this.textLengths = textLengths;
    /** Number of documents. */
    this.length = docs.length;
  }

  /** The source name of document i of the batch, or null when it has none. */
  sourceName(i) {
    const id = this.sources[i];
    if (id === undefined) throw new RangeError(`no document ${i} in a batch of ${this.length}`);
    return id < 0 ? null : this.#names[id];
  }

  /** Document i of the batch as a Document (its strings read on first use). */
  document(i) {
    const id = this.sources[i];
    if (id === undefined) throw new RangeError(`no document ${i} in a batch of ${this.length}`);
    const date = this.dates[i];
    return new Document(this.#corpus, this.docs[i], id < 0 ? null : this.#names[id],
      date === date ? date : null, PRECISIONS[this.precisions[i]], this.textLengths[i]);
  }

  /** The batch's Documents. */
  *[Symbol.iterator]() {
    for (let i = 0; i < this.length; i++) yield this.document(i);
  }
}

/** Fresh, zeroed columns for size documents, sharing one ArrayBuffer: docs,
 * dates, precisions, sources, textLengths. The two Int32Arrays sit together,
 * so every column starts at a multiple of 8 bytes, as a Float64Array must. */
function makeColumns(size) {
  const buffer = new ArrayBuffer(size * 32);
  return [
    new Float64Array(buffer, 0, size),
    new Float64Array(buffer, 8 * size, size),
    new Int32Array(buffer, 16 * size, size),
    new Int32Array(buffer, 20 * size, size),
    new Float64Array(buffer, 24 * size, size),
  ];
}

/** Iterates the documents of a query as Batches, one call into C each.
 * Leaving a for...of early frees the C cursor at once (return()). */
class BatchIterator {
  #corpus;
  #spec;
  #size;
  #handle = null;
  #names;
  #done = false;

  constructor(corpus, spec, size) {
    this.#corpus = corpus;
    this.#spec = spec;
    this.#size = size;
  }

  next() {
    if (this.#done) return { done: true, value: undefined };
    if (this.#corpus[kClosed]) {
      this.return();
      throw quireError(-12, 'QUIRE_ESTATE', 'corpus is closed');
    }
    let batch;
    try {
      batch = this.#read();
    } catch (err) {
      this.return();
      throw err;
    }
    return batch === null ? this.return() : { done: false, value: batch };
  }

  /** The next batch, or null at the end. */
  #read() {
    if (this.#handle === null) {
      this.#handle = native.cursorOpen(this.#corpus[kHandle], this.#spec);
      this.#names = this.#corpus[kNames]();
      // A batch never needs more room than the corpus has documents.
      this.#size = Math.max(1, Math.min(this.#size, this.#corpus.count));
    }
    let columns = makeColumns(this.#size);
    const n = native.cursorColumns(this.#handle, ...columns);
    if (n === 0) return null;
    if (n < this.#size) columns = columns.map((column) => column.subarray(0, n));
    return new Batch(this.#corpus, this.#names, ...columns);
  }

  return() {
    this.#done = true;
    if (this.#handle !== null) {
      native.cursorClose(this.#handle);
      this.#handle = null;
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator]() {
    return this;
  }

  /** Every remaining batch in an array. */
  toArray() {
    return Array.from(this);
  }
}

const BATCH_KEYS = ['size'];

function batchSize(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('batches() takes an options object such as {size: 2048}');
  }
  checkKeys(options, BATCH_KEYS, 'batches');
  const { size = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isSafeInteger(size) || size < 1) throw new TypeError('size must be a positive integer');
  return size;
}

const QUERY_KEYS = [...FILTER_KEYS, 'fields', 'batchSize'];
const ARROW_KEYS = [...FILTER_KEYS, 'columns', 'batchSize'];
const ARROW_QUERY_KEYS = ['columns', 'batchSize'];

/** Opens libquire's Arrow stream: [handle, names, formats]. */
function arrowOpen(corpus, spec, options) {
  const { columns, batchSize: size } = options;
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 1)) {
    throw new TypeError('batchSize must be a positive integer');
  }
  const list = columns === undefined || columns === null ? '' : listOf(columns).join(',');
  if (columns !== undefined && columns !== null && !list) throw new TypeError('columns is empty');
  return native.arrowOpen(corpus[kHandle], spec, list, size);
}
const EXPORT_KEYS = [...FILTER_KEYS, 'columns', 'dialect', 'onProgress'];
const STREAM_KEYS = [...EXPORT_KEYS, 'chunkSize'];
const FILE_EXPORT_KEYS = [...EXPORT_KEYS, 'splitRows'];
const XLSX_KEYS = [...FILTER_KEYS, 'columns', 'splitRows', 'onProgress'];

/** The onProgress option: undefined or a function. */
function progressOption(options) {
  const { onProgress } = options;
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    throw new TypeError('onProgress must be a function');
  }
  return onProgress ?? undefined;
}

/** The splitRows option of an export to files: undefined or a count >= 1. */
function splitRows(options) {
  const { splitRows: rows } = options;
  if (rows !== undefined && (!Number.isSafeInteger(rows) || rows < 1)) {
    throw new TypeError('splitRows must be a positive integer');
  }
  return rows;
}

function exportArgs(options, keys = EXPORT_KEYS) {
  checkKeys(options, keys, 'export');
  const { columns, dialect } = options;
  const list = Array.isArray(columns) ? columns.join(',') : columns;
  if (list !== undefined && typeof list !== 'string') {
    throw new TypeError('columns must be a string or an array of strings');
  }
  return [filterSpec(options), list, choice(DIALECTS, dialect, 'dialect', 0)];
}

/** CSV of a corpus selection as a Readable stream of Buffers. Each _read()
 * pulls the next chunk (up to chunkSize bytes, 256 KiB by default) with quire_export_read() as one job on
 * Node's worker pool, so the event loop never waits for libquire and nothing
 * runs while the consumer does not read. `rows` is set when the stream ends.
 * onProgress(done, total) is called on the JS thread with the numbers
 * libquire reported during the read of each chunk; throwing in it, or
 * returning false, destroys the stream with that error or QUIRE_ECALLBACK. */
class ExportStream extends Readable {
  #onChunk;

  constructor(corpus, options) {
    super();
    /** Documents written, once the stream has ended. */
    this.rows = undefined;
    const onProgress = progressOption(options);
    this.#onChunk = (err, chunk, rows, done, total) => {
      if (this.destroyed) return;
      if (onProgress && done !== undefined) {
        let go;
        try {
          go = onProgress(done, total);
        } catch (thrown) {
          this.destroy(thrown);
          return;
        }
        if (go === false) {
          this.destroy(quireError(-13, 'QUIRE_ECALLBACK', 'onProgress returned false'));
          return;
        }
      }
      if (err) this.destroy(err);
      else if (chunk) this.push(chunk);
      else {
        this.rows = rows;
        this.push(null);
      }
    };
    this[kCorpus] = corpus; // the corpus must outlive the export
    const { chunkSize } = options;
    if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || chunkSize < 1)) {
      throw new TypeError('chunkSize must be a positive integer');
    }
    this[kHandle] = native.streamOpen(corpus[kHandle], ...exportArgs(options, STREAM_KEYS), Boolean(onProgress),
      chunkSize);
  }

  _read() {
    try {
      native.streamRead(this[kHandle], this.#onChunk);
    } catch (err) {
      this.destroy(err);
    }
  }

  _destroy(err, callback) {
    native.streamCancel(this[kHandle]);
    callback(err);
  }
}

/** An open .quire corpus. Close it with close() (or let the garbage collector
 * do it); closing ends the iterations still running over it. */
class Corpus {
  #info;
  #sources;
  #names;

  /** Use quire.open(). */
  constructor(handle) {
    this[kHandle] = handle;
    this[kClosed] = false;
    this.#info = native.corpusInfo(handle);
  }

  /** Opens a corpus from a path, or from the bytes of a .quire file (a Buffer,
   * Uint8Array or ArrayBuffer, which is copied). */
  static open(source) {
    if (typeof source === 'string') return new Corpus(native.corpusOpen(source));
    if (source instanceof URL) return new Corpus(native.corpusOpen(require('node:url').fileURLToPath(source)));
    if (source instanceof ArrayBuffer || Buffer.isBuffer(source)) {
      return new Corpus(native.corpusOpenBuffer(source));
    }
    if (ArrayBuffer.isView(source)) {
      return new Corpus(native.corpusOpenBuffer(Buffer.from(source.buffer, source.byteOffset, source.byteLength)));
    }
    throw new TypeError('open() takes a path or a Buffer');
  }

  close() {
    native.corpusClose(this[kHandle]);
    this[kClosed] = true;
  }

  get closed() {
    return this[kClosed];
  }

  /** The facts of an open corpus; throws QUIRE_ESTATE once closed. */
  #open() {
    if (this[kClosed]) throw quireError(-12, 'QUIRE_ESTATE', 'corpus is closed');
    return this.#info;
  }

  /** Number of documents. */
  get count() {
    return this.#open().documents;
  }

  get sourceCount() {
    return this.#open().sources;
  }

  get undatedCount() {
    return this.#open().undated;
  }

  get fileSize() {
    return this.#open().fileSize;
  }

  /** Bytes of every field of every document laid end to end. */
  get rawSize() {
    return this.#open().rawSize;
  }

  /** The file's format version. */
  get formatVersion() {
    const info = this.#open();
    return { major: info.formatMajor, minor: info.formatMinor };
  }

  /** How the corpus was packed: {codec: 'zstd' | 'deflate', level (0 when
   * the file does not say: format 1.0), blockSize, dictionaries: the size
   * of each zstd dictionary}. */
  get packing() {
    const p = native.corpusPacking(this[kHandle]);
    return { ...p, codec: p.codec === CODECS.zstd ? 'zstd' : 'deflate' };
  }

  /** Every source with its number of documents, in byte order of the names. */
  get sources() {
    if (this.#sources === undefined) this.#sources = native.corpusSources(this[kHandle]);
    return this.#sources.map((s) => ({ ...s }));
  }

  [kNames]() {
    if (this.#names === undefined) {
      this.#names = (this.#sources ?? (this.#sources = native.corpusSources(this[kHandle]))).map((s) => s.name);
    }
    return this.#names;
  }

  /** First instants of the earliest and latest dates, or null when no
   * document has a date. */
  dateSpan() {
    const span = native.corpusDateSpan(this[kHandle]);
    return span && { first: new Date(span[0] * 1000), last: new Date(span[1] * 1000) };
  }

  /** Document number n (0-based, in file order), with every field. */
  doc(n) {
    if (!Number.isSafeInteger(n)) throw new TypeError('a document number must be an integer');
    const all = fieldMask(LAZY_FIELDS);
    const row = native.corpusRead(this[kHandle], n, all);
    const doc = makeDocument(this, this[kNames](), row, 0);
    Document.fill(doc, row, NUMS, LAZY_FIELDS);
    return doc;
  }

  [kRead](id, field) {
    return native.corpusRead(this[kHandle], id, 1 << FIELDS[field])[NUMS];
  }

  /** The documents matching {sources, from, to, undated}, as an iterator.
   * fields (default: all of date, title, author, url, text) are fetched with each
   * batch; others are read on first use. from and to take partial dates:
   * {from: '2016', to: '2016'} is the whole year. */
  query(options = {}) {
    checkKeys(options, QUERY_KEYS, 'query');
    const { fields = LAZY_FIELDS, batchSize = DEFAULT_BATCH } = options;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new TypeError('batchSize must be a positive integer');
    }
    return new DocumentIterator(this, filterSpec(options), Array.from(fields), batchSize);
  }

  [Symbol.iterator]() {
    return this.query();
  }

  /** Every document as Batches of up to size documents (default 2048), each
   * read with one call into C: the fast way through many documents when
   * their numbers are what is needed. The same as query().batches(options);
   * for a filter, query({...}).batches(). */
  batches(options = {}) {
    return new BatchIterator(this, filterSpec({}), batchSize(options));
  }

  /** The documents matching the filter options as an apache-arrow Table of
   * options.columns (doc, source, date, date_precision, date_text, title,
   * author, url, text; default all), built from libquire's Arrow C stream
   * over its own buffers, with no copy. Columns not asked for are never
   * read. Needs the apache-arrow package (an optional dependency). */
  toArrow(options = {}) {
    checkKeys(options, ARROW_KEYS, 'toArrow');
    return arrowExport.table(native, arrowOpen(this, filterSpec(options), options));
  }

  /** The same as apache-arrow RecordBatches of up to options.batchSize
   * documents (default 8192), one at a time. */
  arrowBatches(options = {}) {
    checkKeys(options, ARROW_KEYS, 'arrowBatches');
    return arrowExport.recordBatches(native, arrowOpen(this, filterSpec(options), options));
  }

  /** How many documents query(filter) would give: from the indexes alone,
   * or with match/matchAny by reading the candidates (exact either way). */
  countMatches(filter = {}) {
    checkKeys(filter, FILTER_KEYS, 'filter');
    return native.corpusCount(this[kHandle], filterSpec(filter));
  }

  /** Writes the selection as CSV to path, atomically, on this thread.
   * options: the filter, columns ("id,source,..." or an array, with the
   * derived year, month, day, datetime_utc, date_precision), dialect
   * ("plain" or "excel") and splitRows (numbered files of at most that many
   * rows: out-001.csv, ...). onProgress(done, total): rows written of the
   * documents selected (0 when match/matchAny make it unknown), called on
   * this thread during the export; throwing in it or returning false stops
   * the export, which then throws that error or QUIRE_ECALLBACK and leaves
   * no file. Returns {rows, cellsCut, rowsOverSheet, files}. */
  exportCsv(file, options = {}) {
    const args = exportArgs(options, FILE_EXPORT_KEYS);
    return native.exportToPath(this[kHandle], file, ...args, splitRows(options), 0, progressOption(options));
  }

  /** Writes the selection as an Excel workbook (XLSX) to path, atomically,
   * on this thread: typed cells (text never a formula, full dates as dates),
   * a frozen header with a filter, a new sheet every 1,048,575 rows.
   * options: the filter, columns, splitRows and onProgress (as for
   * exportCsv()). Returns as exportCsv(). */
  exportXlsx(file, options = {}) {
    const args = exportArgs(options, XLSX_KEYS);
    return native.exportToPath(this[kHandle], file, ...args, splitRows(options), 1, progressOption(options));
  }

  /** The same CSV as a Readable stream (ExportStream), pulled chunk by
   * chunk on the worker pool; options as exportCsv() but splitRows. */
  createExportStream(options = {}) {
    return new ExportStream(this, options);
  }

  /** Checks every checksum; report has one line per damaged part. */
  verify() {
    const { damaged, report } = native.corpusVerify(this[kHandle]);
    return { damaged, report: report.split('\n').filter(Boolean) };
  }
}

if (Symbol.dispose) Corpus.prototype[Symbol.dispose] = Corpus.prototype.close;

const WRITER_KEYS = ['blockSize', 'level', 'order', 'utf8', 'threads', 'codec', 'dictionarySize', 'dedup',
  'similarity', 'wordSummaries', 'onProgress'];
const IMPORT_KEYS = ['columns', 'skipBadRows', 'baseDir', 'onProgress'];
const APPEND_KEYS = ['threads', 'dedup', 'similarity', 'onProgress'];
const MERGE_KEYS = ['keepOrder', 'dedup', 'similarity', 'threads', 'wordSummaries'];

function textArg(value, what) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string`);
  return value;
}

/** Writes a new corpus. Nothing appears at path before finish() succeeds; a
 * writer closed or collected unfinished leaves path as it was. */
class Writer {
  constructor(file, options = {}) {
    checkKeys(options, WRITER_KEYS, 'writer');
    const { blockSize, level, order, utf8, threads, codec, dictionarySize, dedup, similarity,
      wordSummaries } = options;
    if (wordSummaries !== undefined && typeof wordSummaries !== 'boolean') {
      throw new TypeError('wordSummaries must be true, false or undefined');
    }
    this[kHandle] = native.writerOpen(
      file,
      blockSize,
      level,
      choice(ORDERS, order, 'order', undefined),
      choice(UTF8_POLICIES, utf8, 'utf8 policy', undefined),
      threads,
      choice(CODECS, codec, 'codec', undefined),
      dictionarySize,
      dedup === undefined ? undefined : dupMask(dedup),
      similarity,
      wordSummaries === undefined ? undefined : Number(wordSummaries),
    );
    this[kProgress] = progressOption(options);
  }

  /** A writer that appends to the corpus at file: its documents keep their
   * numbers and fields; those added (add, importCsv, addCorpus) follow,
   * compressed as the corpus was (codec, level, block size, order,
   * dictionaries). finish() replaces the file atomically; closed (or
   * disposed, or collected) unfinished, it leaves the file as it was.
   * options: {threads, dedup, similarity}; dedup also drops new documents
   * that duplicate old ones. */
  static openAppend(file, options = {}) {
    checkKeys(options, APPEND_KEYS, 'openAppend');
    const { threads, dedup, similarity } = options;
    const writer = Object.create(Writer.prototype);
    writer[kHandle] = native.writerOpenAppend(file, threads,
      dedup === undefined ? undefined : dupMask(dedup), similarity);
    writer[kProgress] = progressOption(options);
    return writer;
  }

  /** Adds every document of a corpus (an open Corpus, a path, or the bytes
   * of a .quire file) by copying its compressed blocks as they are: how
   * corpora are merged. Order "input" puts them after the documents added
   * before; "clustered" orders whole blocks by the source and date of their
   * first document. The corpus may be closed right after the call: the
   * writer keeps what it needs until it is closed. A damaged corpus throws
   * QUIRE_ECORRUPT (here or at finish) and fails the writer. */
  addCorpus(corpus) {
    if (corpus instanceof Corpus) {
      native.writerAddCorpus(this[kHandle], corpus[kHandle]);
      return;
    }
    if (corpus === undefined || corpus === null) {
      throw new TypeError('addCorpus() needs a Corpus, a path or the bytes of a .quire file');
    }
    native.writerCount(this[kHandle]); // a closed writer throws before any open
    const opened = Corpus.open(corpus);
    try {
      native.writerAddCorpus(this[kHandle], opened[kHandle]);
    } finally {
      opened.close();
    }
  }

  /** Documents not added because they duplicate one kept (the dedup
   * option). */
  get dropped() {
    return native.writerDropped(this[kHandle]);
  }

  /** Adds one document: {source, date, title, author, url, text}, all
   * optional. A missing source or date means the document has none. */
  add(doc) {
    const { source, date, title, author, url, text } = doc;
    native.writerAdd(
      this[kHandle],
      textArg(source, 'source'),
      dateText(date, 'date') ?? '',
      textArg(title, 'title'),
      textArg(author, 'author'),
      textArg(url, 'url'),
      textArg(text, 'text'),
    );
  }

  /** Documents added so far. */
  get count() {
    return native.writerCount(this[kHandle]);
  }

  /** Adds every row of a CSV file (a path, to a file plain or compressed
   * with gzip or zstd, or a Buffer of CSV, which may be compressed the
   * same way). columns maps header
   * names to fields (source, date, title, author, url, text, file, ignore).
   * onProgress(done, total): bytes of the CSV read of its size (0 when not
   * known), called on this thread during the import; throwing in it or
   * returning false stops the import with that error or QUIRE_ECALLBACK.
   * Returns {rows, skipped, skippedRows, warnings}. */
  importCsv(source, options = {}) {
    checkKeys(options, IMPORT_KEYS, 'import');
    const { columns = {}, skipBadRows = false, baseDir } = options;
    const pairs = Object.entries(columns).map(([name, field]) => [name, choice(FIELDS, field, 'field')]);
    const result = native.writerImportCsv(this[kHandle], source, pairs, Boolean(skipBadRows), baseDir,
      progressOption(options));
    result.warnings = result.warnings.split('\n').filter(Boolean);
    return result;
  }

  /** Writes the indexes, syncs and moves the file into place. Returns the
   * number of documents. The writer's onProgress(done, total) is called on
   * this thread while the documents go into blocks (a clustered writer does
   * most of its work here); throwing in it or returning false stops
   * finish(), which throws that error or QUIRE_ECALLBACK, leaves the writer
   * failed and writes nothing. */
  finish() {
    return native.writerFinish(this[kHandle], this[kProgress]);
  }

  /** Frees the writer; unfinished, the file is abandoned. */
  close() {
    native.writerClose(this[kHandle]);
  }
}

if (Symbol.dispose) Writer.prototype[Symbol.dispose] = Writer.prototype.close;

/** Opens a corpus from a path or from the bytes of a .quire file. */
function open(source) {
  return Corpus.open(source);
}

/** Packs a CSV file into a new corpus at out; nothing is written on failure.
 * onProgress is the import's (Writer#importCsv). */
function importCsv(csv, out, options = {}) {
  const { columns, skipBadRows, baseDir, onProgress, ...writerOptions } = options;
  const writer = new Writer(out, writerOptions);
  try {
    const result = writer.importCsv(csv, { columns, skipBadRows, baseDir, onProgress });
    writer.finish();
    return result;
  } finally {
    writer.close();
  }
}

/** Writes to out one corpus holding the documents of every input (Corpus
 * objects or paths), copying their compressed blocks as they are. Blocks are
 * ordered by the source and date of their first document unless keepOrder,
 * which puts the inputs one after the other. options: {keepOrder, dedup:
 * 'url'|'text'|'near'|array (drops each document duplicating one before it
 * in that order), similarity, threads, wordSummaries}. Returns {documents,
 * dropped}; on failure nothing is written at out. */
function merge(out, inputs, options = {}) {
  checkKeys(options, MERGE_KEYS, 'merge');
  if (!Array.isArray(inputs)) throw new TypeError('inputs must be an array of Corpus objects or paths');
  if (inputs.length === 0) throw einval('merge needs at least one input corpus');
  refuseOutputAmongInputs(out, inputs);
  const { keepOrder = false, dedup, similarity, threads, wordSummaries } = options;
  const writer = new Writer(out, { order: keepOrder ? 'input' : 'clustered', dedup, similarity, threads,
    wordSummaries });
  try {
    inputs.forEach((input, i) => addNamed(writer, input, i + 1));
    const documents = writer.finish();
    return { documents, dropped: writer.dropped };
  } finally {
    writer.close();
  }
}

/** writer.addCorpus(input), whose QuireError says which input failed: its
 * path, else its place in the list. A clustered merge copies most blocks at
 * finish(), whose message libquire starts with the path too (or "added
 * corpus N" for bytes). */
function addNamed(writer, input, number) {
  try {
    writer.addCorpus(input);
  } catch (err) {
    if (err instanceof QuireError) {
      const name = typeof input === 'string' ? input : `merge input ${number}`;
      err.message = `${name}: ${err.message}`;
    }
    throw err;
  }
}

/** As `quire merge`: the output may not be one of the inputs (append to it
 * instead). */
function refuseOutputAmongInputs(out, inputs) {
  if (typeof out !== 'string') return; // the writer reports a bad path
  let target;
  try {
    target = fs.statSync(out);
  } catch {
    return; // not there yet
  }
  for (const input of inputs) {
    if (typeof input !== 'string') continue;
    let st;
    try {
      st = fs.statSync(input);
    } catch {
      continue; // opening it reports why
    }
    if (st.dev === target.dev && st.ino === target.ino) {
      throw einval(`${out} is also an input: write elsewhere, or use Writer.openAppend()`);
    }
  }
}

/** Parses an ISO 8601 or RFC 2822 date as libquire does. */
function parseDate(text) {
  const [timestamp, precision] = native.parseDate(text);
  return { timestamp, precision: PRECISIONS[precision] };
}

/** ISO 8601 text of a timestamp at a precision, as libquire writes it. */
function formatDate(timestamp, precision) {
  return native.formatDate(timestamp, choice(Object.fromEntries(PRECISIONS.map((p, i) => [p, i])), precision, 'precision'));
}

/** Writes to out every intact document of a damaged corpus. */
function salvage(damaged, out) {
  const { kept, lost, report } = native.salvage(damaged, out);
  return { kept, lost, report: report.split('\n').filter(Boolean) };
}

// ---- duplicates ---------------------------------------------------------

const DUP_KINDS = { url: 1, text: 2, near: 4 };
const DUP_NAMES = { 1: 'url', 2: 'text', 4: 'near' };
/** The near-duplicate threshold used when none is given
 * (QUIRE_DEFAULT_SIMILARITY). */
const DEFAULT_SIMILARITY = 0.4;

/** The mask of duplicate kinds: 'url', 'text', 'near' or an array of them. */
function dupMask(kinds) {
  const list = typeof kinds === 'string' ? [kinds] : kinds;
  if (!Array.isArray(list)) throw new TypeError('duplicate kinds must be a string or an array');
  let mask = 0;
  for (const kind of list) {
    if (!Object.hasOwn(DUP_KINDS, kind)) {
      throw einval(`unknown duplicate kind ${JSON.stringify(kind)} (url, text, near)`);
    }
    mask |= DUP_KINDS[kind];
  }
  return mask;
}

/** Finds the groups of duplicate documents in the corpora (read in the
 * order given, each in document order): [{kind, members: [{corpus, doc,
 * similarity}]}], ordered by kind (url, text, near) then first document.
 * members[0] is the first in input order, the one a Writer with dedup
 * keeps. options: {kinds: 'url'|'text'|'near'|array (default all),
 * similarity: the near threshold (default DEFAULT_SIMILARITY)}. Runs
 * synchronously: it reads every text of every corpus. */
function findDups(corpora, options = {}) {
  checkKeys(options, ['kinds', 'similarity'], 'findDups');
  if (!Array.isArray(corpora)) throw new TypeError('corpora must be an array of Corpus');
  const handles = corpora.map((c) => {
    if (!(c instanceof Corpus)) throw new TypeError('corpora must be an array of Corpus');
    return c[kHandle];
  });
  const kinds = options.kinds === undefined ? undefined : dupMask(options.kinds);
  if (kinds === 0) throw einval('no duplicate kind given');
  return native.dupsFind(handles, kinds, options.similarity).map((raw) => {
    const members = [];
    for (let i = 1; i < raw.length; i += 3) {
      members.push({ corpus: raw[i], doc: raw[i + 1], similarity: raw[i + 2] });
    }
    return { kind: DUP_NAMES[raw[0]], members };
  });
}

module.exports = {
  open,
  findDups,
  merge,
  DEFAULT_SIMILARITY,
  Corpus,
  Document,
  DocumentIterator,
  Batch,
  BatchIterator,
  PRECISIONS: Object.freeze([...PRECISIONS]),
  ExportStream,
  Writer,
  QuireError,
  importCsv,
  parseDate,
  formatDate,
  salvage,
  version: native.versionString(),
  versionNumber: native.versionNumber(),
  bindingVersion: require('../package.json').version,
  strerror: native.strerror,
};
