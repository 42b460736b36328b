/*
 * batch.c: moving a cursor over many documents in one call, for bindings
 * whose every call into C costs more than reading a document does (ctypes,
 * cgo, Node-API). It adds no behaviour: it is quire_cursor_next() in a loop,
 * storing the per-document numbers that need no inflating.
 */
#include "internal.h"

int quire_cursor_next_batch(quire_cursor *cursor, size_t cap, uint64_t *docs,
                            int64_t *dates, int32_t *precisions,
                            int64_t *sources, uint64_t *text_lengths,
                            size_t *count) {
  if (!cursor || !count || cap == 0)
    return QUIRE_EINVAL;
  size_t n = 0;
  uint64_t last = 0;
  int status = QUIRE_DONE;
  while (n < cap && (status = quire_cursor_next(cursor)) == QUIRE_ROW) {
    last = quire_cursor_doc(cursor);
    if (docs)
      docs[n] = quire_cursor_doc(cursor);
    if (dates)
      dates[n] = quire_cursor_date(cursor);
    if (precisions)
      precisions[n] = quire_cursor_date_precision(cursor);
    if (sources)
      sources[n] = quire_cursor_source_id(cursor);
    if (text_lengths)
      text_lengths[n] = quire_cursor_text_length(cursor);
    n++;
  }
  *count = n;
  if (status < 0)
    return status; /* the documents before the failure are stored */
  /* A batch cut short by the end of the selection has stepped past its last
   * document; go back to it so that its fields can be read. The next call
   * still finds nothing after it. */
  if (status == QUIRE_DONE && n > 0)
    status = quire_cursor_seek(cursor, last);
  return n > 0 ? status : QUIRE_DONE;
}
