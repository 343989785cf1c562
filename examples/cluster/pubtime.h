/*
 * Publication times of --time-field: RFC 3339 strings and epoch numbers,
 * to seconds since the Unix epoch (UTC, no leap seconds), as the library
 * takes them.
 *
 * Parsed by hand, not with strptime and timegm: those depend on the locale
 * and the TZ variable, timegm is not standard C or POSIX, and neither
 * reports which part of a value is wrong.
 */
#ifndef CLUSTER_PUBTIME_H
#define CLUSTER_PUBTIME_H

#include <stddef.h>
#include <stdint.h>

typedef enum pubtime_error {
    PUBTIME_OK = 0,
    PUBTIME_SYNTAX,       /* not YYYY-MM-DD[THH:MM:SS[.frac]offset] */
    PUBTIME_NO_OFFSET,    /* a date and time without Z or +HH:MM */
    PUBTIME_BAD_MONTH,    /* month not in 01..12 */
    PUBTIME_BAD_DAY,      /* day 00, or past the end of its month */
    PUBTIME_BAD_CLOCK,    /* hour past 23, minute past 59, second past 60 */
    PUBTIME_BAD_OFFSET,   /* offset hour past 23 or minute past 59 */
    PUBTIME_OUT_OF_RANGE, /* before 0000-01-01T00:00:00Z or after
                             9999-12-31T23:59:59Z */
    PUBTIME_NOT_NUMBER    /* not a JSON number */
} pubtime_error;

/* The first and last instants that have a four-digit year in UTC. */
#define PUBTIME_MIN INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define PUBTIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* An RFC 3339 date-time, s[0..n) exactly: 2016-11-20T16:31:00Z,
 * 2016-11-20T16:31:00.123+03:00. The T and Z may be lower case, and the T
 * a space (RFC 3339 allows both); -00:00 is UTC. A fraction of a second is
 * dropped. Second 60 (a leap second) counts as the next minute's second 0,
 * as POSIX time has no leap seconds. A date alone (2016-11-20) is its
 * midnight UTC. Gregorian calendar, years 0000 to 9999. */
pubtime_error pubtime_parse_text(const char *s, size_t n, int64_t *out);

/* A JSON number of seconds since the epoch, s[0..n) exactly: 1479659460,
 * -86400, 1479659460.5, 1.47965946e9. Rounded down to a whole second, so
 * that it agrees with the text form, which drops fractions. Rejected
 * outside the years 0000 to 9999, which also catches milliseconds. */
pubtime_error pubtime_parse_number(const char *s, size_t n, int64_t *out);

/* What is wrong, for messages: "month out of range". */
const char *pubtime_strerror(pubtime_error e);

#endif
