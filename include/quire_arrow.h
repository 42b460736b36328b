/*
 * quire_arrow.h: the Arrow C Data Interface and C Stream Interface structs,
 * for programs that call quire_arrow_stream_open() (declared in quire.h).
 *
 * The definitions below are copied exactly from the Arrow specification
 * (https://arrow.apache.org/docs/format/CDataInterface.html and
 * CStreamInterface.html), with its ARROW_C_DATA_INTERFACE and
 * ARROW_C_STREAM_INTERFACE guards, so this header coexists with Arrow's own
 * headers (arrow/c/abi.h, nanoarrow.h) included before or after it. They sit
 * in this companion header rather than in quire.h so that quire.h stays free
 * of foreign types for the programs that never touch Arrow: quire.h only
 * forward-declares struct ArrowArrayStream.
 */
#ifndef QUIRE_ARROW_H
#define QUIRE_ARROW_H

#include <stdint.h>

#include "quire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The definitions below are Arrow's, as its specification prints them:
 * kept to the letter, not in this project's format. */
/* clang-format off */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  // Callbacks providing stream functionality
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);

  // Release callback
  void (*release)(struct ArrowArrayStream*);

  // Opaque producer-specific data
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE
/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif /* QUIRE_ARROW_H */
