/*
 * date.c: ISO 8601 and RFC 2822 dates, kept at the precision they were given.
 *
 * A date is stored as the UTC instant of its first moment plus its precision
 * and the way its zone was written, so that "2016-01" filters as
 * 2016-01-01T00:00:00Z and is written back as "2016-01".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), valid for every year we accept. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse: year, month, day of a day count, by Neri and Schneider's
 * "Euclidean affine functions and their application to calendar
 * algorithms" (2022): multiplications and shifts only, where Hinnant's
 * civil_from_days divides, and it was a tenth of the time of an Arrow
 * batch of metadata, which formats every date. The count is shifted by 82
 * eras (146097 days each) to make it unsigned; valid for every day count
 * over -12,699,422, far beyond year 1 to 9999 (dates.every_day_formats_back
 * checks each). */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m,
                            unsigned *d) {
  const uint32_t eras = 82, shift = 719468 + 146097 * eras;
  uint32_t n = (uint32_t)(days + shift);
  uint32_t n1 = 4 * n + 3;
  uint32_t century = n1 / 146097, of_century = n1 % 146097 / 4;
  uint64_t p2 = (uint64_t)2939745 * (4 * of_century + 3);
  uint32_t of_year = (uint32_t)p2 / 2939745 / 4; /* from March 1st */
  uint32_t year = 100 * century + (uint32_t)(p2 >> 32);
  uint32_t n3 = 2141 * of_year + 197913;
  uint32_t after_december = of_year >= 306; /* January or February */
  *y = (int64_t)year - 400 * eras + after_december;
  *m = after_december ? n3 / 65536 - 12 : n3 / 65536;
  *d = n3 % 65536 / 2141 + 1;
}

static int is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* A cursor over the text being parsed. */
typedef struct scan {
  const char *p;
  const char *end;
} scan;

static int at_end(const scan *s) {
  return s->p >= s->end;
}
static int peek(const scan *s) {
  return at_end(s) ? -1 : (unsigned char)*s->p;
}

static int take(scan *s, char c) {
  if (peek(s) != (unsigned char)c)
    return 0;
  s->p++;
  return 1;
}

/* Reads exactly n digits into *value. */
static int digits(scan *s, int n, int *value) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    int c = peek(s);
    if (c < '0' || c > '9')
      return 0;
    v = v * 10 + (c - '0');
    s->p++;
  }
  *value = v;
  return 1;
}

static void skip_spaces(scan *s) {
  while (!at_end(s) && (*s->p == ' ' || *s->p == '\t'))
    s->p++;
}

/* Years 1 to 9999: what the parsers accept, and what a damaged or crafted
 * file is held to before any arithmetic on its dates. */
#define Q_DATE_MIN (-62135596800LL)
#define Q_DATE_MAX 253402300799LL

/* Fills d from the civil fields, local to the zone in d->tz_minutes. */
static int set_instant(q_date *d, int year, int month, int day, int hour,
                       int minute, int second) {
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      (unsigned)day > days_in_month(year, (unsigned)month) || hour > 23 ||
      minute > 59 || second > 59)
    return QUIRE_EDATE;
  int64_t days = days_from_civil(year, (unsigned)month, (unsigned)day);
  d->seconds = days * 86400 + hour * 3600 + minute * 60 + second -
               (int64_t)d->tz_minutes * 60;
  /* The instant too, not only the local date: an offset can carry year 1
   * or 9999 outside, and readers call a stored date outside damage. */
  if (d->seconds < Q_DATE_MIN || d->seconds > Q_DATE_MAX)
    return QUIRE_EDATE;
  return QUIRE_OK;
}

/* Parses "hh:mm" or "hh:mm:ss", setting the precision to match. */
static int clock_time(scan *s, q_date *d, int *hour, int *minute, int *second) {
  if (!digits(s, 2, hour) || !take(s, ':') || !digits(s, 2, minute))
    return QUIRE_EDATE;
  d->precision = QUIRE_DATE_MINUTE;
  if (take(s, ':')) {
    if (!digits(s, 2, second))
      return QUIRE_EDATE;
    d->precision = QUIRE_DATE_SECOND;
  }
  return QUIRE_OK;
}

/* Parses "Z", "+hh:mm", "+hhmm" or "+hh" (or nothing) after a time. */
static int iso_zone(scan *s, q_date *d) {
  if (at_end(s))
    return QUIRE_OK;
  if (take(s, 'Z') || take(s, 'z')) {
    d->tz_kind = Q_TZ_UTC;
    return QUIRE_OK;
  }
  int sign = peek(s) == '+' ? 1 : peek(s) == '-' ? -1 : 0;
  if (!sign)
    return QUIRE_EDATE;
  s->p++;
  int hh, mm = 0;
  if (!digits(s, 2, &hh))
    return QUIRE_EDATE;
  if (!at_end(s)) {
    take(s, ':');
    if (!digits(s, 2, &mm))
      return QUIRE_EDATE;
  }
  if (hh > 23 || mm > 59)
    return QUIRE_EDATE;
  d->tz_kind = Q_TZ_OFFSET;
  d->tz_minutes = sign * (hh * 60 + mm);
  return QUIRE_OK;
}

static int parse_iso(scan *s, q_date *d) {
  int year, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  if (!digits(s, 4, &year))
    return QUIRE_EDATE;
  d->precision = QUIRE_DATE_YEAR;
  if (take(s, '-')) {
    if (!digits(s, 2, &month))
      return QUIRE_EDATE;
    d->precision = QUIRE_DATE_MONTH;
    if (take(s, '-')) {
      if (!digits(s, 2, &day))
        return QUIRE_EDATE;
      d->precision = QUIRE_DATE_DAY;
      if (take(s, 'T') || take(s, 't') || take(s, ' ')) {
        if (clock_time(s, d, &hour, &minute, &second) != QUIRE_OK)
          return QUIRE_EDATE;
        if (d->precision == QUIRE_DATE_SECOND) {
          /* A fraction of a second is accepted and dropped. */
          if (take(s, '.') || take(s, ',')) {
            int any = 0;
            while (peek(s) >= '0' && peek(s) <= '9') {
              s->p++;
              any = 1;
            }
            if (!any)
              return QUIRE_EDATE;
          }
        }
        if (iso_zone(s, d) != QUIRE_OK)
          return QUIRE_EDATE;
      }
    }
  }
  if (!at_end(s))
    return QUIRE_EDATE;
  return set_instant(d, year, month, day, hour, minute, second);
}

static int match_word(scan *s, const char *const *words, int count) {
  for (int i = 0; i < count; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(s->end - s->p) >= n && strncasecmp(s->p, words[i], n) == 0) {
      s->p += n;
      return i;
    }
  }
  return -1;
}

/* RFC 2822 zones: numeric, or the obsolete names it still allows. */
static int rfc_zone(scan *s, q_date *d) {
  static const char *const names[] = {"UT",  "GMT", "Z",   "EST", "EDT", "CST",
                                      "CDT", "MST", "MDT", "PST", "PDT"};
  static const int offsets[] = {0,    0,    0,    -300, -240, -360,
                                -300, -420, -360, -480, -420};
  int sign = peek(s) == '+' ? 1 : peek(s) == '-' ? -1 : 0;
  if (sign) {
    s->p++;
    int hh, mm;
    if (!digits(s, 2, &hh) || !digits(s, 2, &mm) || hh > 23 || mm > 59)
      return QUIRE_EDATE;
    d->tz_minutes = sign * (hh * 60 + mm);
  } else {
    int i = match_word(s, names, 11);
    if (i < 0)
      return QUIRE_EDATE;
    d->tz_minutes = offsets[i];
  }
  d->tz_kind = Q_TZ_OFFSET;
  return QUIRE_OK;
}

static int parse_rfc2822(scan *s, q_date *d) {
  static const char *const weekdays[] = {"Mon", "Tue", "Wed", "Thu",
                                         "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  if (match_word(s, weekdays, 7) >= 0) {
    if (!take(s, ','))
      return QUIRE_EDATE;
    skip_spaces(s);
  }
  int day, year, hour, minute, second = 0;
  const char *start = s->p;
  while (peek(s) >= '0' && peek(s) <= '9' && s->p - start < 2)
    s->p++;
  if (s->p == start)
    return QUIRE_EDATE;
  scan day_digits = {start, s->p};
  if (!digits(&day_digits, (int)(s->p - start), &day))
    return QUIRE_EDATE;
  skip_spaces(s);
  int month = match_word(s, months, 12) + 1;
  if (month == 0)
    return QUIRE_EDATE;
  skip_spaces(s);
  start = s->p;
  while (peek(s) >= '0' && peek(s) <= '9')
    s->p++;
  scan year_digits = {start, s->p};
  if (s->p - start == 4) {
    if (!digits(&year_digits, 4, &year))
      return QUIRE_EDATE;
  } else if (s->p - start == 2) { /* obsolete two-digit year */
    if (!digits(&year_digits, 2, &year))
      return QUIRE_EDATE;
    year += year < 50 ? 2000 : 1900;
  } else
    return QUIRE_EDATE;
  skip_spaces(s);
  if (clock_time(s, d, &hour, &minute, &second) != QUIRE_OK)
    return QUIRE_EDATE;
  skip_spaces(s);
  if (rfc_zone(s, d) != QUIRE_OK)
    return QUIRE_EDATE;
  skip_spaces(s);
  /* A trailing comment such as "(UTC)" is allowed by RFC 2822. */
  if (take(s, '(')) {
    while (!at_end(s) && *s->p != ')')
      s->p++;
    if (!take(s, ')'))
      return QUIRE_EDATE;
  }
  skip_spaces(s);
  if (!at_end(s))
    return QUIRE_EDATE;
  return set_instant(d, year, month, day, hour, minute, second);
}

int q_date_parse(const char *text, size_t len, q_date *out) {
  q_date d = {QUIRE_NO_DATE, QUIRE_DATE_NONE, Q_TZ_NONE, 0};
  if (!text && len)
    return QUIRE_EDATE;
  scan s = {text, text + len};
  skip_spaces(&s);
  while (s.end > s.p && (s.end[-1] == ' ' || s.end[-1] == '\t'))
    s.end--;
  if (at_end(&s))
    return QUIRE_EDATE;
  /* ISO dates start with four digits and a dash or end; RFC 2822 dates
   * start with a weekday name or a one- or two-digit day. */
  int iso = s.end - s.p >= 4 && peek(&s) >= '0' && peek(&s) <= '9' &&
            s.p[1] >= '0' && s.p[1] <= '9' && s.p[2] >= '0' && s.p[2] <= '9' &&
            s.p[3] >= '0' && s.p[3] <= '9';
  int status = iso ? parse_iso(&s, &d) : parse_rfc2822(&s, &d);
  if (status != QUIRE_OK)
    return QUIRE_EDATE;
  *out = d;
  return QUIRE_OK;
}

static int in_range(const q_date *d) {
  return d->seconds >= Q_DATE_MIN && d->seconds <= Q_DATE_MAX &&
         d->tz_minutes >= -24 * 60 && d->tz_minutes <= 24 * 60;
}

/* Writes v (0 to 99) as two digits, from a table: dividing by ten was a
 * fifth of the time of formatting a date, which an export and an Arrow
 * stream do for every document. */
static char *put2(char *p, unsigned v) {
  static const char pairs[201] = "00010203040506070809"
                                 "10111213141516171819"
                                 "20212223242526272829"
                                 "30313233343536373839"
                                 "40414243444546474849"
                                 "50515253545556575859"
                                 "60616263646566676869"
                                 "70717273747576777879"
                                 "80818283848586878889"
                                 "90919293949596979899";
  memcpy(p, pairs + 2 * v, 2);
  return p + 2;
}

size_t q_date_format(const q_date *d, char *buf, size_t cap) {
  /* How much of "YYYY-MM-DDTHH:MM:SS" each precision keeps. */
  static const unsigned char kept[] = {0, 4, 7, 10, 16, 19};
  if (d->precision <= QUIRE_DATE_NONE || d->precision > QUIRE_DATE_SECOND ||
      cap < 40 || !in_range(d))
    return 0;
  int64_t local = d->seconds;
  if (d->tz_kind == Q_TZ_OFFSET)
    local += (int64_t)d->tz_minutes * 60;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  unsigned rest = (unsigned)(local - days * 86400);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  if (year < 0)
    return 0;
  /* Digits by hand: snprintf was most of the time of a metadata export.
   * Every field is written and the precision's length kept: a branch on
   * each precision cost more than the digits. A time zone's offset can
   * take the local year of 9999-12-31 to 10000. */
  char *p = buf;
  if (year >= 10000)
    *p++ = (char)('0' + year / 10000);
  char *start = p;
  unsigned yyyy = (unsigned)(year % 10000);
  p = put2(put2(p, yyyy / 100), yyyy % 100);
  *p++ = '-';
  p = put2(p, month);
  *p++ = '-';
  p = put2(p, day);
  *p++ = 'T';
  p = put2(p, rest / 3600);
  *p++ = ':';
  p = put2(p, rest / 60 % 60);
  *p++ = ':';
  put2(p, rest % 60);
  p = start + kept[d->precision];
  if (d->tz_kind == Q_TZ_UTC) {
    *p++ = 'Z';
  } else if (d->tz_kind == Q_TZ_OFFSET) {
    int off = d->tz_minutes < 0 ? -d->tz_minutes : d->tz_minutes;
    *p++ = d->tz_minutes < 0 ? '-' : '+';
    p = put2(p, (unsigned)off / 60);
    *p++ = ':';
    p = put2(p, (unsigned)off % 60);
  }
  size_t len = (size_t)(p - buf);
  buf[len] = '\0';
  return len;
}

int64_t q_date_period_end(const q_date *d) {
  if (!in_range(d))
    return d->seconds;
  int64_t offset = d->tz_kind == Q_TZ_OFFSET ? (int64_t)d->tz_minutes * 60 : 0;
  int64_t local = d->seconds + offset;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  int64_t next;
  switch (d->precision) {
  case QUIRE_DATE_YEAR:
    next = days_from_civil(year + 1, 1, 1) * 86400;
    break;
  case QUIRE_DATE_MONTH:
    next = (month == 12 ? days_from_civil(year + 1, 1, 1)
                        : days_from_civil(year, month + 1, 1)) *
           86400;
    break;
  case QUIRE_DATE_DAY:
    next = (days + 1) * 86400;
    break;
  case QUIRE_DATE_MINUTE:
    next = local + 60;
    break;
  default:
    next = local + 1;
    break;
  }
  return next - 1 - offset;
}

int quire_date_parse(const char *text, size_t len, int64_t *seconds,
                     int *precision) {
  if (!seconds || !precision)
    return QUIRE_EINVAL;
  q_date d;
  int status = q_date_parse(text, len, &d);
  if (status != QUIRE_OK)
    return status;
  *seconds = d.seconds;
  *precision = d.precision;
  return QUIRE_OK;
}

size_t quire_date_format(int64_t seconds, int precision, char *buf,
                         size_t cap) {
  if (!buf || precision < QUIRE_DATE_YEAR || precision > QUIRE_DATE_SECOND)
    return 0;
  q_date d = {seconds, precision,
              precision >= QUIRE_DATE_MINUTE ? Q_TZ_UTC : Q_TZ_NONE, 0};
  char tmp[48];
  size_t len = q_date_format(&d, tmp, sizeof tmp);
  if (len == 0 || len + 1 > cap)
    return 0;
  memcpy(buf, tmp, len + 1);
  return len;
}
