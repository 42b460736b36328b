'use strict';
// corpus.close() against a running export stream (its C side runs on a
// thread of its own), an asynchronous iteration and counts, hundreds of
// times: the process survives, the stream finishes, and every other call
// either completes or throws QUIRE_ESTATE.

const assert = require('node:assert/strict');
const path = require('node:path');
const { Writable } = require('node:stream');
const { test } = require('node:test');
const { setImmediate: tick } = require('node:timers/promises');

const quire = require('..');
const { tmpDir, writeCorpus, modelDocs } = require('./helpers');

const ROUNDS = 200;

function isClosedError(err) {
  return err instanceof quire.QuireError && err.quireCode === 'QUIRE_ESTATE';
}

// Resolves with 'closed' when fn throws QUIRE_ESTATE; rethrows anything else.
async function untilClosed(fn) {
  try {
    for (;;) {
      await fn();
      await tick();
    }
  } catch (err) {
    if (isClosedError(err)) return 'closed';
    throw err;
  }
}

function exportToSink(corpus) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const sink = new Writable({
      write(chunk, _enc, done) {
        bytes += chunk.length;
        setImmediate(done); // a slow consumer: the C thread waits for it
      },
    });
    const stream = corpus.createExportStream({ from: '2015' });
    stream.on('error', reject);
    sink.on('error', reject);
    sink.on('finish', () => resolve(bytes));
    stream.pipe(sink);
  });
}

test('close() while a stream, an async iteration and counts run', async () => {
  const file = writeCorpus(path.join(tmpDir(), 'race.quire'), modelDocs(500, 5), { blockSize: 8192 });
  const full = await exportToSink(quire.open(file));
  assert.ok(full > 0);
  let seed = 15;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < ROUNDS; round++) {
    const corpus = quire.open(file);
    const streamed = exportToSink(corpus);
    const iterated = untilClosed(async () => {
      for (const doc of corpus.query({ from: '2014', batchSize: 16 })) {
        assert.equal(typeof doc.title, 'string');
        if (doc.number % 64 === 0) await tick();
      }
    });
    const counted = untilClosed(() => {
      assert.ok(corpus.countMatches({ from: '2016' }) > 0);
      assert.ok(corpus.count > 0);
    });
    const batched = untilClosed(async () => {
      for (const batch of corpus.batches({ size: 32 })) {
        assert.ok(batch.length > 0);
        await tick();
      }
    });
    for (let n = Math.floor(random() * 6); n > 0; n--) await tick();
    corpus.close();
    assert.equal(corpus.closed, true);
    assert.throws(() => corpus.count, isClosedError);
    const [bytes, ...ends] = await Promise.all([streamed, iterated, counted, batched]);
    assert.equal(bytes, full, `round ${round}: the stream running at close() finishes whole`);
    assert.deepEqual(ends, ['closed', 'closed', 'closed']);
  }
});
