/*
 * fuzz_date.c: quire_date_parse on arbitrary text, and what the library
 * does with a date it accepted.
 *
 * An accepted date must have a precision from the documented set; written
 * back by quire_date_format it must parse to the same instant and
 * precision; written as the writer stores it (its own zone, q_date_format)
 * it must format at all, since a reader calls an unformattable stored date
 * damage; and a filter must accept exactly the dates the parser accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hardening.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exactly sized copy, so that reading one byte too far is caught. */
  char *text = malloc(size ? size : 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  int64_t seconds;
  int precision;
  int status = quire_date_parse(text, size, &seconds, &precision);
  HD_CHECK(status == QUIRE_OK || status == QUIRE_EDATE);

  quire_filter *f;
  HD_CHECK(quire_filter_new(&f) == QUIRE_OK);
  int from = quire_filter_set_from(f, text, size);
  int to = quire_filter_set_to(f, text, size);
  quire_filter_free(f);
  if (size > 0) {
    HD_CHECK(from == status && to == status);
  }

  if (status == QUIRE_OK) {
    HD_CHECK(precision >= QUIRE_DATE_YEAR && precision <= QUIRE_DATE_SECOND);
    char buf[64];
    size_t len = quire_date_format(seconds, precision, buf, sizeof buf);
    HD_CHECK(len > 0 && len < sizeof buf && buf[len] == '\0');
    int64_t again;
    int again_precision;
    HD_CHECK(quire_date_parse(buf, len, &again, &again_precision) == QUIRE_OK);
    HD_CHECK(again == seconds && again_precision == precision);

    q_date d;
    HD_CHECK(q_date_parse(text, size, &d) == QUIRE_OK);
    HD_CHECK(d.seconds == seconds && d.precision == precision);
    len = q_date_format(&d, buf, sizeof buf);
    HD_CHECK(len > 0);
    q_date back;
    HD_CHECK(q_date_parse(buf, len, &back) == QUIRE_OK);
    HD_CHECK(back.seconds == d.seconds && back.precision == d.precision);
    HD_CHECK(q_date_period_end(&d) >= d.seconds);
  }
  free(text);
  return 0;
}
