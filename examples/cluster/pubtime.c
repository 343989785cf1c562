/* Publication times (see pubtime.h). */
#include "pubtime.h"

#define SECONDS_PER_DAY 86400

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 0000-01-01 to y-m-d, for years 0..9999 of the proleptic
 * Gregorian calendar. The years before y hold 365 days each plus one per
 * leap year among them, and the leap years in [0, y) are the multiples of
 * 4, less those of 100, plus those of 400 (each term counts multiples of
 * k in [0, y) as ceil(y / k), year 0 included). */
static int64_t days_from_year_zero(int y, int m, int d)
{
    static const short before[12] = {0,   31,  59,  90,  120, 151,
                                     181, 212, 243, 273, 304, 334};
    int64_t days =
        (int64_t)365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    days += before[m - 1] + (m > 2 && is_leap(y)) + d - 1;
    return days;
}

/* 1970-01-01 counted from 0000-01-01. */
#define EPOCH_DAYS INT64_C(719528)

/* n decimal digits at s[*i], advancing *i; -1 when they are not all
 * digits or the text ends first. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
    int v = 0;
    if (len - *i < (size_t)n)
        return -1;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    return v;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return 0;
    (*i)++;
    return 1;
}

pubtime_error pubtime_parse_text(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t offset = 0; /* seconds east of UTC */
    if ((y = digits(s, n, &i, 4)) < 0 || !expect(s, n, &i, '-') ||
        (mo = digits(s, n, &i, 2)) < 0 || !expect(s, n, &i, '-') ||
        (d = digits(s, n, &i, 2)) < 0)
        return PUBTIME_SYNTAX;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return PUBTIME_SYNTAX;
        i++;
        if ((h = digits(s, n, &i, 2)) < 0 || !expect(s, n, &i, ':') ||
            (mi = digits(s, n, &i, 2)) < 0 || !expect(s, n, &i, ':') ||
            (sec = digits(s, n, &i, 2)) < 0)
            return PUBTIME_SYNTAX;
        if (expect(s, n, &i, '.')) {
            size_t start = i;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
            if (i == start)
                return PUBTIME_SYNTAX;
        }
        if (i == n)
            return PUBTIME_NO_OFFSET;
        if (s[i] == 'Z' || s[i] == 'z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1, oh, om;
            i++;
            if ((oh = digits(s, n, &i, 2)) < 0 || !expect(s, n, &i, ':') ||
                (om = digits(s, n, &i, 2)) < 0)
                return PUBTIME_SYNTAX;
            if (oh > 23 || om > 59)
                return PUBTIME_BAD_OFFSET;
            offset = sign * ((int64_t)oh * 3600 + om * 60);
        } else {
            return PUBTIME_SYNTAX;
        }
        if (i != n)
            return PUBTIME_SYNTAX;
    }
    if (mo < 1 || mo > 12)
        return PUBTIME_BAD_MONTH;
    if (d < 1 || d > days_in_month(y, mo))
        return PUBTIME_BAD_DAY;
    if (h > 23 || mi > 59 || sec > 60)
        return PUBTIME_BAD_CLOCK;
    int64_t t = (days_from_year_zero(y, mo, d) - EPOCH_DAYS) * SECONDS_PER_DAY +
                h * 3600 + mi * 60 + sec - offset;
    /* An offset can carry the first or last day of the range past it. */
    if (t < PUBTIME_MIN || t > PUBTIME_MAX)
        return PUBTIME_OUT_OF_RANGE;
    *out = t;
    return PUBTIME_OK;
}

/* Enough significant digits for any whole part in range (12), and one
 * more to tell a number of 13 digits. */
#define KEEP_DIGITS 13

pubtime_error pubtime_parse_number(const char *s, size_t n, int64_t *out)
{
    /* The value is 0.D1D2D3... * 10^point, with D1 the first nonzero
     * digit; the first KEEP_DIGITS of D are kept, and whether any later
     * one is nonzero. Exact for any length, unlike strtod. */
    char kept[KEEP_DIGITS];
    int nkept = 0, nonzero_tail = 0, seen = 0, neg = 0;
    int64_t point = 0;
    size_t i = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    /* JSON: a single 0, or digits not starting with 0. */
    if (i < n && s[i] == '0') {
        i++;
        seen = 1;
    } else {
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            seen = 1;
            if (nkept < KEEP_DIGITS)
                kept[nkept++] = s[i];
            else
                nonzero_tail |= s[i] != '0';
            point++;
        }
    }
    if (!seen)
        return PUBTIME_NOT_NUMBER;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (nkept == 0 && s[i] == '0')
                point--; /* a leading zero of the fraction */
            else if (nkept < KEEP_DIGITS)
                kept[nkept++] = s[i];
            else
                nonzero_tail |= s[i] != '0';
        }
        if (i == start)
            return PUBTIME_NOT_NUMBER;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int esign = 1;
        int64_t e = 0;
        size_t start;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            esign = s[i++] == '-' ? -1 : 1;
        for (start = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 1000000) /* far past any exponent in range */
                e = e * 10 + (s[i] - '0');
        if (i == start)
            return PUBTIME_NOT_NUMBER;
        point += esign * e;
    }
    if (i != n)
        return PUBTIME_NOT_NUMBER;
    if (nkept == 0) { /* zero, however written */
        *out = 0;
        return PUBTIME_OK;
    }
    if (point > 12)
        return PUBTIME_OUT_OF_RANGE;
    /* The whole part: the first `point` digits, zeros past those kept. */
    int64_t whole = 0;
    for (int64_t k = 0; k < point; k++)
        whole = whole * 10 + (k < nkept ? kept[k] - '0' : 0);
    int fraction = nonzero_tail;
    for (int64_t k = point < 0 ? 0 : point; k < nkept; k++)
        fraction |= kept[k] != '0';
    int64_t t = neg ? -whole - fraction : whole;
    if (t < PUBTIME_MIN || t > PUBTIME_MAX)
        return PUBTIME_OUT_OF_RANGE;
    *out = t;
    return PUBTIME_OK;
}

const char *pubtime_strerror(pubtime_error e)
{
    switch (e) {
    case PUBTIME_OK:
        return "no error";
    case PUBTIME_SYNTAX:
        return "not an RFC 3339 date-time (2016-11-20T16:31:00Z) or date "
               "(2016-11-20)";
    case PUBTIME_NO_OFFSET:
        return "no UTC offset (end it with Z or +HH:MM)";
    case PUBTIME_BAD_MONTH:
        return "month out of range";
    case PUBTIME_BAD_DAY:
        return "day out of range for its month";
    case PUBTIME_BAD_CLOCK:
        return "hour, minute or second out of range";
    case PUBTIME_BAD_OFFSET:
        return "UTC offset out of range";
    case PUBTIME_OUT_OF_RANGE:
        return "outside the years 0000 to 9999 (epoch times are in seconds)";
    case PUBTIME_NOT_NUMBER:
        return "not a number";
    }
    return "unknown error";
}
