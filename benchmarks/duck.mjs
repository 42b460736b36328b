// The DuckDB peer of the quire benchmarks: one small process per task, as a
// user would run it, over a Parquet file written by DuckDB itself.
//
//   node duck.mjs version                        prints DuckDB's version
//   node duck.mjs write  CSV PARQUET             CSV -> Parquet (ZSTD)
//   node duck.mjs count  PARQUET                 prints the number of rows
//   node duck.mjs fcount PARQUET FROM TO SRC...  rows of the sources in [FROM, TO]
//   node duck.mjs fexport PARQUET OUT FROM TO SRC...  those rows to CSV
//   node duck.mjs export PARQUET OUT             every row to CSV
//
// Dates are kept as the ISO 8601 text of the CSV (their precision varies),
// so a range of whole years is the text range [FROM, TO+1), as in SQLite.
import { DuckDBInstance } from '@duckdb/node-api';

const COLUMNS = "{'source': 'VARCHAR', 'date': 'VARCHAR', 'title': 'VARCHAR', " +
  "'author': 'VARCHAR', 'url': 'VARCHAR', 'text': 'VARCHAR'}";

function quote(s) {
  return "'" + String(s).replace(/'/g, "''") + "'";
}

function usage() {
  console.error('usage: node duck.mjs version|write|count|fcount|fexport|export ARGS (see the top of duck.mjs)');
  process.exit(2);
}

// The WHERE clause of the filtered tasks: sources and whole years, inclusive.
function selection(from, to, sources) {
  if (!/^\d{4}$/.test(from) || !/^\d{4}$/.test(to) || sources.length === 0) usage();
  const list = sources.map(quote).join(', ');
  return `source IN (${list}) AND date >= ${quote(from)} AND date < ${quote(String(Number(to) + 1))}`;
}

// The columns of `quire export`: first the 0-based document number, which
// Parquet keeps as the row's position in the file.
const EXPORT_COLUMNS = 'file_row_number AS id, source, date, title, author, url, text';

function scan(parquet) {
  return `read_parquet(${quote(parquet)}, file_row_number = true)`;
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  const scalar = async (sql) => {
    const reader = await db.runAndReadAll(sql);
    return reader.getRows()[0][0];
  };
  switch (cmd) {
    case 'write': {
      if (args.length !== 2) usage();
      const [csv, parquet] = args;
      await db.run(
        `COPY (SELECT * FROM read_csv(${quote(csv)}, header = true, ` +
        `columns = ${COLUMNS}, quote = '"', escape = '"', max_line_size = 300000000)) ` +
        `TO ${quote(parquet)} (FORMAT parquet, COMPRESSION zstd)`);
      break;
    }
    case 'version':
      console.log(String(await scalar('SELECT version()')));
      break;
    case 'count':
      if (args.length !== 1) usage();
      console.log(String(await scalar(`SELECT count(*) FROM read_parquet(${quote(args[0])})`)));
      break;
    case 'fcount': {
      if (args.length < 4) usage();
      const [parquet, from, to, ...sources] = args;
      console.log(String(await scalar(
        `SELECT count(*) FROM read_parquet(${quote(parquet)}) WHERE ${selection(from, to, sources)}`)));
      break;
    }
    case 'fexport': {
      if (args.length < 5) usage();
      const [parquet, out, from, to, ...sources] = args;
      await db.run(`COPY (SELECT ${EXPORT_COLUMNS} FROM ${scan(parquet)} ` +
        `WHERE ${selection(from, to, sources)} ORDER BY id) TO ${quote(out)} (HEADER, DELIMITER ',')`);
      break;
    }
    case 'export': {
      if (args.length !== 2) usage();
      const [parquet, out] = args;
      await db.run(`COPY (SELECT ${EXPORT_COLUMNS} FROM ${scan(parquet)}) ` +
        `TO ${quote(out)} (HEADER, DELIMITER ',')`);
      break;
    }
    default:
      usage();
  }
}

main().catch((err) => {
  console.error(`duck.mjs: ${err.message}`);
  process.exit(1);
});
