/*
 * writer.h: the writer's state, shared by writer.c (the API: options,
 * documents added one at a time, finishing), writer_blocks.c (cutting and
 * compressing blocks), writer_spill.c (the spill file, dictionary training,
 * clustered order), writer_layout.c (sections, footer, header) and
 * writer_copy.c (whole corpora added by copying their compressed blocks:
 * merge and append). Not installed; nothing here is in the ABI.
 */
#ifndef QUIRE_WRITER_H
#define QUIRE_WRITER_H

#include "codec.h"
#include "dedup.h"
#include "format.h"
#include "internal.h"
#include "postings.h"
#include "reader.h"
#include "wordsum.h"
#include "wpool.h"

/* A spilled document (clustered order, and input order while sampling):
 * the lengths of a metadata record (QM_*), the text's length, then title,
 * author, url and text, without NULs. */
#define Q_SPILL_TEXT_LEN 12 /* u32 */
#define Q_SPILL_HEAD 16

/* What the writer keeps of each document until finish. */
typedef struct wdoc {
  int64_t date;
  uint64_t spill_offset; /* clustered order: where its record starts */
  uint32_t source;       /* number in order of first appearance */
  uint32_t title_len, author_len, url_len, text_len;
  uint8_t precision, tz_kind;
  int16_t tz_minutes;
} wdoc;

/* A block being filled: text or metadata. */
typedef struct wblock {
  q_buf data;
  uint32_t first_doc;
  uint32_t docs;
  q_buf table;    /* finished blocks' records (QS_BLOCKS or QS_META_BLOCKS) */
  uint32_t count; /* blocks written, with their records */
  uint32_t cut;   /* blocks cut so far: the number of the one being filled.
                     Ahead of count while helper threads compress. */
} wblock;

/* Source names, interned: each distinct name is stored once. */
typedef struct wsource {
  uint64_t name_offset; /* into names */
  uint32_t name_len;
  uint32_t hash;
} wsource;

struct quire_writer {
  int status; /* QUIRE_OK, or the fatal failure that ended the writer */
  int finished;
  char msg[Q_MSG_CAP];

  q_outfile out;
  uint64_t out_pos;

  uint32_t block_size; /* 0: the codec's default */
  int level;           /* 0: the codec's default */
  uint32_t dict_size;  /* UINT32_MAX: the default */
  int order;
  int utf8_policy;
  int threads;
  quire_progress_fn progress; /* quire_writer_set_progress(), or NULL */
  void *progress_ctx;
  int started; /* a document was added: options are fixed */

  q_buf names;      /* source names, concatenated */
  wsource *sources; /* in order of first appearance */
  uint32_t source_count;
  size_t source_cap;
  uint32_t *slots; /* open-addressing hash table of source ids + 1 */
  uint32_t slot_count;

  wdoc *docs;
  uint64_t doc_count;
  size_t doc_cap;
  uint64_t raw_size;

  int spill_fd; /* clustered order only */
  uint64_t spill_size;
  q_buf spill_buf;

  q_buf rows; /* QS_DOCS records, in file order */
  wblock text, meta;
  q_buf meta_run;          /* compressed metadata blocks not yet written */
  uint32_t meta_queued;    /* their records, the last of meta.table, hold
                              offsets into meta_run until it is written */
  q_wconfig config;        /* codec, level, dictionaries: for blocks */
  q_packer *packer;        /* the calling thread's compressor */
  q_zdict *zdict[2];       /* text and metadata dictionaries, or NULL */
  uint32_t dict_number[2]; /* their numbers in QB_FLAGS, 0 for none */
  q_buf dict_dir;          /* QX_DICTIONARIES directory entries; offsets are
                              into dict_bytes (writer_copy.c) */
  q_buf dict_bytes;        /* the dictionaries, end to end */
  q_buf dict_frames;       /* per directory entry, a q_dict_frame: where its
                              stored frame is in frame_bytes, if it has one */
  q_buf frame_bytes;       /* frames of copied dictionaries, end to end */
  int dicts_fixed;         /* taken from a copied corpus: nothing to train */
  int zstd_copied;         /* a copied block is a zstd frame */
  uint32_t meta_dict_size;
  int sampling;          /* input order: documents wait in the spill file until
                            the dictionaries are trained on them */
  uint64_t sampled_text; /* text bytes spilled while sampling */
  q_buf compressed;
  q_wpool *pool;  /* helper threads compressing blocks, or NULL */
  q_buf repaired; /* scratch for QUIRE_UTF8_REPLACE */

  /* --dedup (dedup.c): documents that duplicate one kept are dropped. */
  q_dedup *dedup;
  uint64_t dropped;
  /* Word summaries (wordsum.c) and postings (postings.c), issue 17. */
  int no_word_summaries;
  q_wsum_builder *wordsum;  /* made at the first block */
  q_post_builder *postings; /* made at the first block */
  q_buf word_hashes;        /* the words of the block being summarized */
  q_buf wordsum_section;
  q_buf wsum_plan;       /* per text block written: a q_wsum_origin */
  uint32_t built_blocks; /* text blocks compressed here (not copied) */

  /* Copied corpora (writer_copy.c). */
  uint64_t given;       /* documents given so far, dropped ones included:
                           the ids of duplicate detection */
  uint64_t copied_docs; /* documents placed by copying their blocks */
  struct wcorpus *corpora;
  uint32_t corpus_count;
  size_t corpus_cap;
  struct wcopy *copies; /* clustered order: blocks to copy at finish */
  uint64_t copy_count;
  size_t copy_cap;
  quire_corpus *base; /* quire_writer_open_append(): the corpus appended to */
  int base_pending;   /* its blocks are still to be copied */
};

/* The fields of one document as they go into the file. */
typedef struct wfields {
  const char *title, *author, *url, *text;
} wfields;

/* Fails the writer with status (and what as its message unless NULL).
 * Inline, so that the static analyser sees the status it returns. */
static inline int q_writer_fail(quire_writer *w, int status, const char *what) {
  w->status = status;
  if (what)
    q_fail(w->msg, status, "%s", what);
  return status;
}
/* ---- writer.c ------------------------------------------------------------ */

/* Fixes the options and makes the compressor, spill file and threads. */
int q_writer_start(quire_writer *w);
/* Stores in *id the writer's number of source name, adding it if new. */
int q_writer_source(quire_writer *w, const char *name, size_t len,
                    uint32_t *id);
/* quire_writer_add_document() without duplicate detection: for documents
 * already checked by a copy. */
int q_writer_add_checked(quire_writer *w, const char *source, size_t source_len,
                         const char *date, size_t date_len, const char *title,
                         size_t title_len, const char *author,
                         size_t author_len, const char *url, size_t url_len,
                         const char *text, size_t text_len);

/* Tells the progress callback that done of total documents are in blocks;
 * QUIRE_ECALLBACK (the writer failed) when it asks to stop. */
int q_writer_report_progress(quire_writer *w, uint64_t done, uint64_t total);

/* ---- writer_blocks.c ----------------------------------------------------- */

/* Appends bytes to the output file. */
int q_writer_write(quire_writer *w, const void *data, size_t len);
/* Places the compressed bytes of the next text (kind 0) or metadata (kind
 * 1) block in the file and appends its record. Text blocks are written at
 * once; metadata blocks are gathered into runs of Q_META_RUN bytes, written
 * together (see writer_blocks.c). */
int q_writer_put_block(quire_writer *w, int kind, const void *bytes,
                       size_t csize, uint32_t usize, uint32_t crc,
                       uint32_t first_doc, uint32_t docs, uint32_t flags);
/* Compresses and writes the blocks being filled, then waits for the
 * helper threads, so that the next block written is the next in the file. */
int q_writer_flush_all(quire_writer *w);
/* The number of rows written so far: the next document's number. */
uint32_t q_writer_rows(const quire_writer *w);
/* Puts document d into the current blocks and appends its row: it is the
 * next document of the file. */
int q_writer_emit_document(quire_writer *w, const wdoc *d, const wfields *f);
/* Gives up the word summaries (their temporary file failed): the file is
 * written without them, which changes no result. */
void q_writer_drop_word_summaries(quire_writer *w);

/* ---- writer_spill.c ------------------------------------------------------ */

/* Appends document d to the spill file, recording where in d. */
int q_writer_spill_document(quire_writer *w, wdoc *d, const wfields *f);
/* Text bytes to train the dictionaries on. */
uint64_t q_writer_sample_budget(const quire_writer *w);
/* Input order, first documents still waiting for the dictionaries: trains
 * them on what waits and writes it. */
int q_writer_end_sampling(quire_writer *w);
/* Clustered order, at finish: trains the dictionaries, then emits the
 * spilled documents sorted by source (rank gives the file's number of
 * each writer source) and date. */
int q_writer_replay_clustered(quire_writer *w, const uint32_t *rank);

/* ---- writer_layout.c ----------------------------------------------------- */

/* Once every block is written: gives the rows their final source ids
 * (rank, as above; by_rank its inverse), then writes the indexes and
 * other sections, the extensions, the footer and the header. */
int q_writer_write_layout(quire_writer *w, const uint32_t *rank,
                          const uint32_t *by_rank);

/* ---- writer_copy.c ------------------------------------------------------- */

/* Stores a dictionary in the file's directory once (compared by id and
 * bytes) and gives its number (1-based, as in QB_FLAGS) in *number. frame
 * (frame_size bytes, or NULL) is the zstd frame another file stores it as:
 * the file then stores that frame as it is, instead of compressing the
 * dictionary again. */
int q_writer_dict_add(quire_writer *w, uint32_t id, uint32_t use,
                      const void *bytes, uint32_t size, const void *frame,
                      uint32_t frame_size, uint32_t *number);
/* Appends the QX_DICTIONARIES section to out (nothing when there are no
 * dictionaries). */
int q_writer_dict_section(quire_writer *w, q_buf *out);
/* Copies the base corpus of an append if that is still to do. */
int q_writer_copy_base(quire_writer *w);
/* Clustered order: copies the queued blocks, ordered by the source (rank
 * gives the file's number of each writer source) and date of their first
 * document. */
int q_writer_copy_queued(quire_writer *w, const uint32_t *rank);
/* Makes the word-summaries section of the new file from the builder's
 * section (built, possibly empty) and the copied corpora's; out is left
 * empty when no block has a summary. */
int q_writer_wsum_section(quire_writer *w, const q_buf *built, q_buf *out);
/* quire_writer_add_corpus() for the documents of c whose byte in select
 * (one per document of c) is not 0: blocks all of whose documents are
 * selected are copied, the selected documents of the others added one by
 * one. For quire_split_corpus(). */
int q_writer_add_selection(quire_writer *w, const quire_corpus *c,
                           const uint8_t *select);
/* Frees what copying holds. */
void q_writer_copy_free(quire_writer *w);

#endif
