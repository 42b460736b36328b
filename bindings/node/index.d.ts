// TypeScript declarations of the quire Node.js binding (lib/index.js).

import { Readable } from 'node:stream';

/** How much of a document's date is known. */
export type Precision = 'none' | 'year' | 'month' | 'day' | 'minute' | 'second';

/** A field that can be fetched with each batch of a query, or later. */
export type LazyField = 'date' | 'title' | 'author' | 'url' | 'text';

/** A date bound or document date: ISO 8601 or RFC 2822 text of any
 * precision ("2016", "2016-01", "2017-05-08T09:22"), or a Date. */
export type DateInput = string | Date;

/** A failed libquire call. */
export class QuireError extends Error {
  /** The C status number, such as -2 for QUIRE_ECORRUPT. */
  code: number;
  /** The C status name, such as "QUIRE_ECORRUPT". */
  quireCode:
    | 'QUIRE_ENOTFOUND'
    | 'QUIRE_ECORRUPT'
    | 'QUIRE_EIO'
    | 'QUIRE_ENOMEM'
    | 'QUIRE_EINVAL'
    | 'QUIRE_EVERSION'
    | 'QUIRE_ENOTQUIRE'
    | 'QUIRE_EDATE'
    | 'QUIRE_EUTF8'
    | 'QUIRE_ECSV'
    | 'QUIRE_ELIMIT'
    | 'QUIRE_ESTATE'
    | 'QUIRE_ECALLBACK'
    | 'QUIRE_EUNKNOWN';
}

/** Which documents: all conditions must hold. */
export interface Filter {
  /** Documents of any of these sources (none, or an empty list: the source
   * does not matter). */
  sources?: string | readonly string[];
  /** On or after the first instant of this date. */
  from?: DateInput;
  /** Terms every document holds in its title or text: words (runs of
   * Unicode letters and digits) compared by simple case folding, the words
   * of one term one after another ("Belt and Road"). docs/guide.md, "Terms". */
  match?: string | readonly string[];
  /** Terms of which at least one must occur, besides every `match`. */
  matchAny?: string | readonly string[];
  /** On or before the last instant of this date ("2016" ends 2016-12-31T23:59:59Z). */
  to?: DateInput;
  /** true: always keep undated documents; false: never; unset: only when
   * no date bound is given. */
  undated?: boolean;
}

export interface QueryOptions extends Filter {
  /** Fields fetched with each batch (default: all of them); the others are
   * read from the corpus on first use. */
  fields?: readonly LazyField[];
  /** Documents fetched from C per call (default 256). */
  batchSize?: number;
}

/** Options of toArrow() and arrowBatches(). */
export interface ArrowOptions {
  /** Columns and their order (default all): doc, source, date,
   * date_precision, date_text, title, author, url, text; an array or a
   * comma-separated string. Columns not named are never read. */
  columns?: string | readonly string[];
  /** Documents per record batch (default 8192). */
  batchSize?: number;
}

/** A progress callback: done of total (total 0 when not known in advance).
 * It runs on the JS thread, never after the call it follows has returned
 * (or, for a stream, after the stream ended). Returning false stops the
 * operation with a QuireError QUIRE_ECALLBACK; throwing stops it with that
 * exception. */
export type ProgressCallback = (done: number, total: number) => boolean | void;

export interface ExportOptions extends Filter {
  /** Columns and their order: "id,source,date,title,author,url,text" or an
   * array; also year, month, day, datetime_utc, date_precision. */
  columns?: string | readonly string[];
  /** "plain" (RFC 4180, the default) or "excel" (BOM, CRLF, inert formulas, cut cells). */
  dialect?: 'plain' | 'excel';
  /** Rows written of the documents selected (0 when match/matchAny make
   * the number unknown), at least every 1,024 rows and at the end. */
  onProgress?: ProgressCallback;
}

export interface StreamExportOptions extends ExportOptions {
  /** The most bytes one read gives (default 256 KiB): each read is one job
   * on Node's worker pool. */
  chunkSize?: number;
}

export interface FileExportOptions extends ExportOptions {
  /** Numbered files of at most this many rows each (out-001.csv, ...). */
  splitRows?: number;
}

export interface XlsxExportOptions extends Filter {
  /** Columns and their order, as for CSV. */
  columns?: string | readonly string[];
  /** As for CSV. */
  onProgress?: ProgressCallback;
  /** Numbered workbooks of at most this many rows each (out-001.xlsx, ...). */
  splitRows?: number;
}

export interface ExportResult {
  /** Documents written. */
  rows: number;
  /** Cells cut to the spreadsheet limit (excel dialect, XLSX). */
  cellsCut: number;
  /** CSV rows past the 1,048,576 a spreadsheet sheet shows. */
  rowsOverSheet: number;
  /** Files written. */
  files: number;
}

export interface Source {
  name: string;
  documents: number;
}

/** One document of a corpus. */
export class Document {
  private constructor();
  /** 0-based position in the file. */
  readonly id: number;
  /** The source (publication), or null. */
  readonly source: string | null;
  /** UTC seconds of the first instant of the date, or null when undated. */
  readonly timestamp: number | null;
  readonly precision: Precision;
  /** Bytes of UTF-8 in the text, known without reading the text. */
  readonly textLength: number;
  /** ISO 8601 text of the date as it was given, or null. */
  readonly date: string | null;
  /** The first instant of the date, or null. */
  readonly dateTime: Date | null;
  readonly title: string;
  readonly author: string;
  readonly url: string;
  readonly text: string;
  toJSON(): {
    id: number;
    source: string | null;
    date: string | null;
    title: string;
    author: string;
    url: string;
    text: string;
  };
}

/** The documents of a query, fetched from C a batch at a time. */
export class DocumentIterator implements IterableIterator<Document> {
  private constructor();
  next(): IteratorResult<Document, undefined>;
  /** Frees the C cursor now (for...of calls it when a loop is left early). */
  return(): IteratorResult<Document, undefined>;
  [Symbol.iterator](): DocumentIterator;
  toArray(): Document[];
  /** The query's documents as Batches of columns instead (`fields` and
   * `batchSize` do not apply). Only before the first document is taken
   * (else QUIRE_ESTATE); this iterator is then used up. */
  batches(options?: BatchOptions): BatchIterator;
  /** The query's documents as an apache-arrow Table, with no copy (needs
   * the optional apache-arrow package). */
  toArrow(options?: ArrowOptions): import('apache-arrow').Table;
}

export interface BatchOptions {
  /** Documents per batch (default 2048); the last batch may hold fewer. */
  size?: number;
}

/** Consecutive documents of a query as columns, read from C with one call
 * for the whole batch: element i of every column is the batch's i-th
 * document. The arrays are the batch's own and stay valid after the
 * iteration moves on. */
export class Batch implements Iterable<Document> {
  private constructor();
  /** Document numbers (0-based positions in the file; exact: below 2^32). */
  readonly docs: Float64Array;
  /** UTC seconds of the first instant of each date; NaN when undated. */
  readonly dates: Float64Array;
  /** How much of each date is known: an index into PRECISIONS (0: undated). */
  readonly precisions: Int32Array;
  /** Source ids: indexes into Corpus#sources, -1 when none. */
  readonly sources: Int32Array;
  /** Bytes of UTF-8 in each text, known without reading the texts. */
  readonly textLengths: Float64Array;
  /** Number of documents. */
  readonly length: number;
  /** The source name of document i, or null when it has none. */
  sourceName(i: number): string | null;
  /** Document i as a Document; its strings are read on first use. */
  document(i: number): Document;
  [Symbol.iterator](): IterableIterator<Document>;
}

/** The Batches of a query, one call into C each. */
export class BatchIterator implements IterableIterator<Batch> {
  private constructor();
  next(): IteratorResult<Batch, undefined>;
  /** Frees the C cursor now (for...of calls it when a loop is left early). */
  return(): IteratorResult<Batch, undefined>;
  [Symbol.iterator](): BatchIterator;
  toArray(): Batch[];
}

/** CSV of a selection as a stream of Buffers, pulled chunk by chunk with
 * quire_export_read() on Node's worker pool: the event loop never waits for
 * libquire, nothing runs while nobody reads, and there is no thread of its
 * own. Works with pipe(), pipeline() and for await. onProgress is called on
 * the JS thread as chunks arrive; throwing or returning false destroys the
 * stream with that error or QUIRE_ECALLBACK. */
export class ExportStream extends Readable {
  private constructor();
  /** Documents written, once the stream has ended. */
  rows: number | undefined;
}

/** An open .quire corpus. */
export class Corpus implements Iterable<Document> {
  private constructor();
  static open(source: string | URL | Buffer | Uint8Array | ArrayBuffer): Corpus;
  /** Closes the corpus; iterations still running over it then throw QUIRE_ESTATE. */
  close(): void;
  readonly closed: boolean;
  /** Number of documents. */
  readonly count: number;
  readonly sourceCount: number;
  readonly undatedCount: number;
  readonly fileSize: number;
  /** Bytes of every field of every document laid end to end. */
  readonly rawSize: number;
  readonly formatVersion: { major: number; minor: number };
  /** How the corpus was packed (format 1.1); level 0 when the file does not say. */
  readonly packing: {
    codec: 'zstd' | 'deflate';
    level: number;
    blockSize: number;
    dictionaries: number[];
  };
  /** Every source and its number of documents, in byte order of the names. */
  readonly sources: Source[];
  /** First instants of the earliest and latest dates, or null when none is dated. */
  dateSpan(): { first: Date; last: Date } | null;
  /** Document number n with every field. */
  doc(n: number): Document;
  query(options?: QueryOptions): DocumentIterator;
  /** Every document as Batches of columns: corpus.query().batches(options). */
  batches(options?: BatchOptions): BatchIterator;
  [Symbol.iterator](): DocumentIterator;
  /** The selected documents as an apache-arrow Table built over
   * libquire's Arrow C stream, with no copy (needs the optional
   * apache-arrow package). */
  toArrow(options?: Filter & ArrowOptions): import('apache-arrow').Table;
  /** The same as apache-arrow RecordBatches, one at a time. */
  arrowBatches(options?: Filter & ArrowOptions): IterableIterator<import('apache-arrow').RecordBatch>;
  /** How many documents a filter selects, from the indexes alone. */
  countMatches(filter?: Filter): number;
  /** Writes CSV to a path, atomically, on the calling thread (onProgress
   * too); stopped from onProgress, it leaves no file. */
  exportCsv(path: string, options?: FileExportOptions): ExportResult;
  exportXlsx(path: string, options?: XlsxExportOptions): ExportResult;
  /** The same CSV as a Readable stream, read on the worker pool. */
  createExportStream(options?: StreamExportOptions): ExportStream;
  /** Checks every checksum; report has one line per damaged part. */
  verify(): { damaged: number; report: string[] };
}

export interface WriterOptions {
  /** Uncompressed size text blocks are cut at (4 KiB to 64 MiB). */
  blockSize?: number;
  /** Block codec: "zstd" (the default, format 1.1) or "deflate" (read by quire 1.0). */
  codec?: 'zstd' | 'deflate';
  /** Level on the codec's scale: zstd 1 to 22, deflate 1 to 9. */
  level?: number;
  /** Size of the zstd dictionary trained on the corpus; 0 for none. */
  dictionarySize?: number;
  /** Per-block word summaries, which let `match` skip blocks (about 2.5% of
   * the file); true by default. */
  wordSummaries?: boolean;
  /** "clustered" (by source, then date: the default) or "input". */
  order?: 'clustered' | 'input';
  /** What libquire does with invalid UTF-8 (JS strings reach it already valid). */
  utf8?: 'reject' | 'replace';
  /** Threads compressing blocks. */
  threads?: number;
  /** Drop each document that duplicates one added before, by these kinds. */
  dedup?: DupKind | DupKind[];
  /** The near-duplicate threshold for dedup (default DEFAULT_SIMILARITY). */
  similarity?: number;
  /** Called by finish() on the calling thread: documents put into blocks of
   * all of them (a clustered writer does most of its work there), at least
   * every 4,096 and at the end. Stopped, finish() writes nothing. */
  onProgress?: ProgressCallback;
}

export interface NewDocument {
  source?: string | null;
  date?: DateInput | null;
  title?: string | null;
  author?: string | null;
  url?: string | null;
  text?: string | null;
}

export type ImportField = 'source' | 'date' | 'title' | 'author' | 'url' | 'text' | 'file' | 'ignore';

export interface ImportOptions {
  /** Header name to field, overriding libquire's aliases. */
  columns?: Record<string, ImportField>;
  /** Skip and record bad rows instead of stopping at the first one. */
  skipBadRows?: boolean;
  /** The folder "file" columns are relative to. */
  baseDir?: string;
  /** Bytes of the CSV read of its size (0 when not known), on the calling
   * thread, at least every MiB and at the end. */
  onProgress?: ProgressCallback;
}

export interface ImportResult {
  rows: number;
  skipped: number;
  /** 1-based record numbers of skipped rows (the header is 1). */
  skippedRows: number[];
  warnings: string[];
}

/** Writes a new corpus; nothing appears at path before finish() succeeds. */
export class Writer {
  constructor(path: string, options?: WriterOptions);
  /** A writer appending to the corpus at path; finish() replaces the file
   * atomically, close() unfinished leaves it as it was. */
  static openAppend(path: string, options?: AppendOptions): Writer;
  add(doc: NewDocument): void;
  /** Copies every document of a corpus (or of the corpus at a path, or in
   * bytes) by its compressed blocks; the corpus may be closed right after. */
  addCorpus(corpus: Corpus | string | URL | Buffer | Uint8Array | ArrayBuffer): void;
  /** Documents added so far. */
  readonly count: number;
  /** Documents not added because they duplicate one kept (dedup). */
  readonly dropped: number;
  importCsv(source: string | Buffer, options?: ImportOptions): ImportResult;
  /** Writes the indexes and moves the file into place; returns the document count. */
  finish(): number;
  /** Frees the writer; an unfinished file is abandoned. */
  close(): void;
}

export interface AppendOptions {
  threads?: number;
  /** Drop new documents that duplicate one kept (old ones included). */
  dedup?: DupKind | DupKind[];
  similarity?: number;
  /** As WriterOptions.onProgress: followed by finish(). */
  onProgress?: ProgressCallback;
}

export interface MergeOptions extends AppendOptions {
  /** Put the inputs one after the other instead of ordering the blocks by
   * source and date. */
  keepOrder?: boolean;
  wordSummaries?: boolean;
}

export interface MergeResult {
  documents: number;
  /** Documents dropped as duplicates (dedup). */
  dropped: number;
}

/** Merges corpora (Corpus objects or paths) into a new corpus at out,
 * copying their compressed blocks; on failure nothing is written. */
export function merge(out: string, inputs: Array<Corpus | string>, options?: MergeOptions): MergeResult;

/** Precision names by number, as Batch#precisions holds them. */
export const PRECISIONS: readonly Precision[];
export function open(source: string | URL | Buffer | Uint8Array | ArrayBuffer): Corpus;
/** onProgress here is the import's (bytes of the CSV read). */
export function importCsv(csv: string | Buffer, out: string, options?: ImportOptions & WriterOptions): ImportResult;
export function parseDate(text: string): { timestamp: number; precision: Precision };
export function formatDate(timestamp: number, precision: Precision): string | null;
/** url: same normalised URL; text: same text after NFC and white-space
 * collapsing; near: shingle similarity at least the threshold. */
export type DupKind = 'url' | 'text' | 'near';
export interface DupMember {
  /** Index of its corpus in the array given to findDups. */
  corpus: number;
  /** Its document number in that corpus. */
  doc: number;
  /** Its similarity to the group's first document (1 for url and text). */
  similarity: number;
}
export interface DupGroup {
  kind: DupKind;
  /** members[0] is the first in input order, the one dedup keeps. */
  members: DupMember[];
}
/** The near-duplicate threshold used when none is given. */
export const DEFAULT_SIMILARITY: number;
/** Finds the groups of duplicates among the documents of the corpora. */
export function findDups(
  corpora: Corpus[],
  options?: { kinds?: DupKind | DupKind[]; similarity?: number },
): DupGroup[];
export function salvage(damaged: string, out: string): { kept: number; lost: number; report: string[] };
export function strerror(code: number): string;
/** Version of the libquire loaded, such as "1.0.0". */
export const version: string;
/** MAJOR*10000 + MINOR*100 + PATCH of the libquire loaded. */
export const versionNumber: number;
/** Version of this binding. */
export const bindingVersion: string;
