/*
 * The clusterer's parser of publication times (--time-field): RFC 3339
 * strings and epoch numbers, checked against hand-worked values, against
 * gmtime_r over the whole range of years, and on malformed input.
 *
 * The clusterer's sources are not in libsheaf.a, so the one tested is
 * included.
 */
#define _DEFAULT_SOURCE /* gmtime_r, before any header */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../examples/cluster/pubtime.c"

static int64_t text_ok(const char *s)
{
    int64_t t = 12345;
    pubtime_error e = pubtime_parse_text(s, strlen(s), &t);
    if (e != PUBTIME_OK)
        fail_msg("'%s': %s", s, pubtime_strerror(e));
    return t;
}

static void text_bad(const char *s, pubtime_error want)
{
    int64_t t = 12345;
    pubtime_error e = pubtime_parse_text(s, strlen(s), &t);
    if (e != want)
        fail_msg("'%s': got '%s', expected '%s'", s, pubtime_strerror(e),
                 pubtime_strerror(want));
    assert_int_equal(t, 12345); /* untouched on error */
}

static int64_t number_ok(const char *s)
{
    int64_t t = 12345;
    pubtime_error e = pubtime_parse_number(s, strlen(s), &t);
    if (e != PUBTIME_OK)
        fail_msg("'%s': %s", s, pubtime_strerror(e));
    return t;
}

static void number_bad(const char *s, pubtime_error want)
{
    int64_t t = 12345;
    pubtime_error e = pubtime_parse_number(s, strlen(s), &t);
    if (e != want)
        fail_msg("'%s': got '%s', expected '%s'", s, pubtime_strerror(e),
                 pubtime_strerror(want));
    assert_int_equal(t, 12345);
}

static void test_text_values(void **state)
{
    (void)state;
    assert_int_equal(text_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(text_ok("1970-01-01"), 0);
    /* The mission's example: APEC in Lima. */
    assert_int_equal(text_ok("2016-11-20T16:31:00Z"), 1479659460);
    assert_int_equal(text_ok("2016-11-20"), 1479600000);
    /* Offsets: the same instant written east and west of UTC. */
    assert_int_equal(text_ok("2016-11-20T19:31:00+03:00"), 1479659460);
    assert_int_equal(text_ok("2016-11-20T11:01:00-05:30"), 1479659460);
    assert_int_equal(text_ok("2016-11-21T00:01:00+07:30"), 1479659460);
    assert_int_equal(text_ok("2016-11-20T16:31:00-00:00"), 1479659460);
    assert_int_equal(text_ok("2016-11-20T16:31:00+00:00"), 1479659460);
    /* Fractions are dropped, also before 1970 (so the result rounds down,
     * as for numbers). */
    assert_int_equal(text_ok("2016-11-20T16:31:00.123+03:00"),
                     1479659460 - 3 * 3600);
    assert_int_equal(text_ok("2016-11-20T16:31:00.999999999999Z"), 1479659460);
    assert_int_equal(text_ok("1969-12-31T23:59:59.5Z"), -1);
    /* Lower case, and a space for the T, as RFC 3339 allows. */
    assert_int_equal(text_ok("2016-11-20t16:31:00z"), 1479659460);
    assert_int_equal(text_ok("2016-11-20 16:31:00Z"), 1479659460);
    /* A leap second is the next minute's second 0. */
    assert_int_equal(text_ok("2016-12-31T23:59:60Z"),
                     text_ok("2017-01-01T00:00:00Z"));
    assert_int_equal(text_ok("2017-01-01"), 1483228800);
    /* Before the epoch. */
    assert_int_equal(text_ok("1969-12-31T23:59:59Z"), -1);
    assert_int_equal(text_ok("1900-01-01"), -2208988800);
    /* The ends of the range. */
    assert_int_equal(text_ok("0000-01-01T00:00:00Z"), PUBTIME_MIN);
    assert_int_equal(text_ok("0000-01-01"), PUBTIME_MIN);
    assert_int_equal(text_ok("9999-12-31T23:59:59Z"), PUBTIME_MAX);
    assert_int_equal(text_ok("9999-12-31T23:59:59.999Z"), PUBTIME_MAX);
    assert_int_equal(text_ok("0000-01-01T01:00:00+01:00"), PUBTIME_MIN);
    assert_int_equal(text_ok("9999-12-31T22:59:59-01:00"), PUBTIME_MAX);
}

static void test_leap_years(void **state)
{
    (void)state;
    /* Multiples of 4 are leap years, except those of 100, except those of
     * 400; year 0 is a multiple of 400. */
    static const int leap[] = {0, 4, 400, 1600, 1996, 2000, 2004, 2016, 2400};
    static const int common[] = {1, 100, 1700, 1800, 1900, 2015, 2100, 9999};
    char s[32];
    for (size_t i = 0; i < sizeof leap / sizeof leap[0]; i++) {
        snprintf(s, sizeof s, "%04d-02-29", leap[i]);
        int64_t feb29 = text_ok(s);
        snprintf(s, sizeof s, "%04d-03-01", leap[i]);
        assert_int_equal(text_ok(s) - feb29, 86400);
        snprintf(s, sizeof s, "%04d-12-31", leap[i]);
        int64_t dec31 = text_ok(s);
        snprintf(s, sizeof s, "%04d-01-01", leap[i]);
        assert_int_equal(dec31 - text_ok(s), 365 * 86400);
    }
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        snprintf(s, sizeof s, "%04d-02-29", common[i]);
        text_bad(s, PUBTIME_BAD_DAY);
        snprintf(s, sizeof s, "%04d-02-28T12:00:00Z", common[i]);
        int64_t feb28 = text_ok(s);
        snprintf(s, sizeof s, "%04d-03-01T12:00:00Z", common[i]);
        assert_int_equal(text_ok(s) - feb28, 86400);
    }
    /* Days in each month. */
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++) {
        snprintf(s, sizeof s, "2015-%02d-%02d", m, days[m - 1]);
        text_ok(s);
        snprintf(s, sizeof s, "2015-%02d-%02d", m, days[m - 1] + 1);
        text_bad(s, PUBTIME_BAD_DAY);
    }
}

/* Format t as RFC 3339 in the zone offset seconds east of UTC, with
 * gmtime_r, which knows nothing of the parser. */
static void format(int64_t t, int offset, char *s, size_t n)
{
    time_t local = (time_t)(t + offset);
    struct tm tm;
    assert_non_null(gmtime_r(&local, &tm));
    int a = offset < 0 ? -offset : offset;
    if (offset == 0)
        snprintf(s, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        snprintf(s, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', a / 3600,
                 a / 60 % 60);
}

static void test_against_gmtime(void **state)
{
    (void)state;
    static const int offsets[] = {0,     3600,   -3600, 19800, -34200,
                                  50400, -43200, 85500, -85500};
    char s[64];
    size_t k = 0;
    /* A step coprime with a day's seconds visits every kind of date and
     * time of day; about 40,000 instants from 0000 to 9999. */
    const int64_t step = 7889231; /* odd, and not a multiple of 3 or 5 */
    for (int64_t t = PUBTIME_MIN; t <= PUBTIME_MAX; t += step, k++) {
        int offset = offsets[k % (sizeof offsets / sizeof offsets[0])];
        if (t + offset < PUBTIME_MIN || t + offset > PUBTIME_MAX)
            offset = 0;
        format(t, offset, s, sizeof s);
        if (text_ok(s) != t)
            fail_msg("'%s': %lld, expected %lld", s, (long long)text_ok(s),
                     (long long)t);
        /* The date alone is that day's midnight UTC. */
        int64_t midnight = t - ((t % 86400) + 86400) % 86400;
        format(t, 0, s, sizeof s);
        s[10] = '\0';
        assert_int_equal(text_ok(s), midnight);
    }
    assert_true(k > 30000);
}

static void test_text_errors(void **state)
{
    (void)state;
    static const char *syntax[] = {
        "",
        "2016",
        "2016-11",
        "2016-1-20",
        "16-11-20",
        "20161120",
        "2016/11/20",
        " 2016-11-20",
        "2016-11-20 ",
        "2016-11-20T",
        "2016-11-20T16:31Z",
        "2016-11-20T16:31:0Z",
        "2016-11-20T16:31:00.Z",
        "2016-11-20T16:31:00,5Z",
        "2016-11-20T16:31:00+3:00",
        "2016-11-20T16:31:00+03",
        "2016-11-20T16:31:00+0300",
        "2016-11-20T16:31:00+03:00:00",
        "2016-11-20T16:31:00ZZ",
        "2016-11-20T16:31:00 Z",
        "2016-11-20T16:31:00UTC",
        "2016-11-20X16:31:00Z",
        "+2016-11-20",
        "-2016-11-20",
        "2016-11-20\n",
        "２０１６-11-20",
    };
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++)
        text_bad(syntax[i], PUBTIME_SYNTAX);
    /* A string with a NUL inside is not cut there. */
    int64_t t = 1;
    assert_int_equal(pubtime_parse_text("2016-11-20\0", 11, &t),
                     PUBTIME_SYNTAX);
    text_bad("2016-11-20T16:31:00", PUBTIME_NO_OFFSET);
    text_bad("2016-11-20T16:31:00.5", PUBTIME_NO_OFFSET);
    text_bad("2016-00-20", PUBTIME_BAD_MONTH);
    text_bad("2016-13-20T16:31:00Z", PUBTIME_BAD_MONTH);
    text_bad("2016-11-00", PUBTIME_BAD_DAY);
    text_bad("2016-11-31", PUBTIME_BAD_DAY);
    text_bad("2016-11-20T24:00:00Z", PUBTIME_BAD_CLOCK);
    text_bad("2016-11-20T16:60:00Z", PUBTIME_BAD_CLOCK);
    text_bad("2016-11-20T16:31:61Z", PUBTIME_BAD_CLOCK);
    text_bad("2016-11-20T16:31:00+24:00", PUBTIME_BAD_OFFSET);
    text_bad("2016-11-20T16:31:00-23:60", PUBTIME_BAD_OFFSET);
    text_bad("0000-01-01T00:00:00+00:01", PUBTIME_OUT_OF_RANGE);
    text_bad("9999-12-31T23:59:59-00:01", PUBTIME_OUT_OF_RANGE);
    text_bad("9999-12-31T23:59:60Z", PUBTIME_OUT_OF_RANGE);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_int_equal(number_ok("0"), 0);
    assert_int_equal(number_ok("-0"), 0);
    assert_int_equal(number_ok("0.0"), 0);
    assert_int_equal(number_ok("1479659460"), 1479659460);
    assert_int_equal(number_ok("-86400"), -86400);
    /* Rounded down, as the text form drops fractions. */
    assert_int_equal(number_ok("1479659460.999"), 1479659460);
    assert_int_equal(number_ok("0.5"), 0);
    assert_int_equal(number_ok("-0.5"), -1);
    assert_int_equal(number_ok("-1.5"), -2);
    assert_int_equal(number_ok("-1.0"), -1);
    assert_int_equal(number_ok("-2.000000000000000000000000000001"), -3);
    assert_int_equal(number_ok("1479659460.0000000000000000000000001"),
                     1479659460);
    /* Exponents, exactly, not through a double. */
    assert_int_equal(number_ok("1.47965946e9"), 1479659460);
    assert_int_equal(number_ok("1.47965946E+9"), 1479659460);
    assert_int_equal(number_ok("14796594600e-1"), 1479659460);
    assert_int_equal(number_ok("0.000001479659460E15"), 1479659460);
    assert_int_equal(number_ok("1479659460e0"), 1479659460);
    assert_int_equal(number_ok("1e-5"), 0);
    assert_int_equal(number_ok("-1e-5"), -1);
    assert_int_equal(number_ok("1e-99999999999999999999"), 0);
    assert_int_equal(number_ok("0e99999999999999"), 0);
    assert_int_equal(number_ok("253402300799"), PUBTIME_MAX);
    assert_int_equal(number_ok("253402300799.9"), PUBTIME_MAX);
    assert_int_equal(number_ok("-62167219200"), PUBTIME_MIN);
    /* As a double this would round up to the next second. */
    assert_int_equal(number_ok("1479659460.9999999999999999"), 1479659460);
    assert_int_equal(number_ok("-6216721920.0e1"), PUBTIME_MIN);

    number_bad("253402300800", PUBTIME_OUT_OF_RANGE);
    number_bad("-62167219200.5", PUBTIME_OUT_OF_RANGE);
    number_bad("-62167219201", PUBTIME_OUT_OF_RANGE);
    number_bad("1479659460123", PUBTIME_OUT_OF_RANGE); /* milliseconds */
    number_bad("1e12", PUBTIME_OUT_OF_RANGE);
    number_bad("1e400", PUBTIME_OUT_OF_RANGE);
    number_bad("-1e99999999999999999999", PUBTIME_OUT_OF_RANGE);
    static const char *not_numbers[] = {
        "",    "-",   "00", "01", "1.",   ".5",  "+1",       "1e",
        "1e+", "--1", "1 ", " 1", "0x10", "1,5", "Infinity", "NaN"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++)
        number_bad(not_numbers[i], PUBTIME_NOT_NUMBER);
}

static void test_messages(void **state)
{
    (void)state;
    for (pubtime_error e = PUBTIME_OK; e <= PUBTIME_NOT_NUMBER; e++)
        assert_string_not_equal(pubtime_strerror(e), "unknown error");
    assert_string_equal(pubtime_strerror((pubtime_error)99), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_values),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_against_gmtime),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
