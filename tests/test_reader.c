/*
 * The clusterer's record reader, piece by piece: the JSON record parser,
 * the checks of a record's fields (publication times included), UTF-8
 * validation, the decompressing byte stream, the line reader with its
 * batches, and the JSON writer of --format jsonl. The end-to-end behaviour
 * is tested by test_cli.sh; this suite pins down the corners.
 *
 * The clusterer's sources are not in libsheaf.a, so they are included.
 */
#define _XOPEN_SOURCE 700 /* as outfile.c asks, before any header */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the four above, which it needs */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "../examples/cluster/batch.c"
#include "../examples/cluster/diag.c"
#include "../examples/cluster/input.c"
#include "../examples/cluster/interrupt.c"
#include "../examples/cluster/jsonl.c"
#include "../examples/cluster/outfile.c"
#include "../examples/cluster/output.c"
#include "../examples/cluster/pubtime.c"
#include "../examples/cluster/reader.c"
#include "../examples/cluster/utf8.c"
#include "../examples/cluster/xalloc.c"

#include "testutil.h"

static const jsonl_fields FIELDS = {"id", 2, "text", 4};

/* Parse a copy of s; the copy is kept in *line for the caller to inspect
 * (freed by the caller). */
static jsonl_error parse(const char *s, jsonl_result *r, char **line)
{
    size_t n = strlen(s);
    *line = malloc(n + 1);
    memcpy(*line, s, n + 1);
    return jsonl_parse(&FIELDS, *line, n, r);
}

static void expect_text(const char *json, const char *text, size_t text_len)
{
    jsonl_result r;
    char *line;
    assert_int_equal(parse(json, &r, &line), JSONL_OK);
    assert_int_equal(r.text.type, JSONL_STRING);
    assert_int_equal(r.text.len, text_len);
    assert_memory_equal(line + r.text.off, text, text_len);
    free(line);
}

static void expect_error(const char *json, jsonl_error e, size_t at)
{
    jsonl_result r;
    char *line;
    assert_int_equal(parse(json, &r, &line), e);
    assert_int_equal(r.error_at, at);
    free(line);
}

static void test_parse_fields(void **state)
{
    (void)state;
    jsonl_result r;
    char *line;
    assert_int_equal(
        parse("{\"id\":\"a\",\"text\":\"hello world\"}", &r, &line), JSONL_OK);
    assert_int_equal(r.id.type, JSONL_STRING);
    assert_int_equal(r.id.len, 1);
    assert_memory_equal(line + r.id.off, "a", 1);
    assert_memory_equal(line + r.text.off, "hello world", 11);
    free(line);

    /* A number id is kept as written. */
    assert_int_equal(
        parse(" { \"text\" : \"x\" , \"id\" : -12.50E+03 } \r", &r, &line),
        JSONL_OK);
    assert_int_equal(r.id.type, JSONL_NUMBER);
    assert_memory_equal(line + r.id.off, "-12.50E+03", 10);
    free(line);

    /* Other types are reported, not decoded. */
    assert_int_equal(
        parse("{\"id\":[1,{\"id\":\"x\"}],\"text\":{\"text\":\"y\"}}", &r,
              &line),
        JSONL_OK);
    assert_int_equal(r.id.type, JSONL_ARRAY);
    assert_int_equal(r.text.type, JSONL_OBJECT);
    free(line);
    assert_int_equal(parse("{\"id\":null,\"text\":true}", &r, &line), JSONL_OK);
    assert_int_equal(r.id.type, JSONL_NULL);
    assert_int_equal(r.text.type, JSONL_BOOLEAN);
    free(line);
    assert_int_equal(parse("{}", &r, &line), JSONL_OK);
    assert_int_equal(r.id.type, JSONL_ABSENT);
    assert_int_equal(r.text.type, JSONL_ABSENT);
    free(line);

    /* Keys are compared unescaped; the last of a repeated key counts. */
    expect_text("{\"t\\u0065xt\":\"escaped key\"}", "escaped key", 11);
    expect_text("{\"text\":\"first\",\"text\":\"second\"}", "second", 6);
    /* Only top-level keys count. */
    expect_text("{\"a\":{\"text\":\"inner\"},\"text\":\"outer\"}", "outer", 5);
    /* Prefixes of the field name are other keys. */
    assert_int_equal(parse("{\"tex\":\"a\",\"texts\":\"b\"}", &r, &line),
                     JSONL_OK);
    assert_int_equal(r.text.type, JSONL_ABSENT);
    free(line);
    assert_int_equal(parse(" \t\r ", &r, &line), JSONL_BLANK);
    free(line);
}

static void test_parse_escapes(void **state)
{
    (void)state;
    expect_text("{\"text\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"}",
                "a\"b\\c/d\be\ff\ng\rh\ti", 17);
    expect_text("{\"text\":\"\\u00e9\\u00E9\\u20ac\\u0041\"}",
                "\xC3\xA9\xC3\xA9\xE2\x82\xAC"
                "A",
                8);
    /* A surrogate pair is one code point; a lone half is U+FFFD. */
    expect_text("{\"text\":\"\\ud83d\\ude00\"}", "\xF0\x9F\x98\x80", 4);
    expect_text("{\"text\":\"\\ud800x\"}", "\xEF\xBF\xBDx", 4);
    expect_text("{\"text\":\"\\udc00\"}", "\xEF\xBF\xBD", 3);
    expect_text("{\"text\":\"\\ud800\\u0041\"}",
                "\xEF\xBF\xBD"
                "A",
                4);
    expect_text("{\"text\":\"\\ud800\\ud800\\udc00\"}",
                "\xEF\xBF\xBD\xF0\x90\x80\x80", 7);
    expect_text("{\"text\":\"nul\\u0000inside\"}", "nul\0inside", 10);
    /* The first unpaired half is noted, in the field it is in only. */
    static const struct {
        const char *json;
        unsigned id, text;
    } lone[] = {
        {"{\"id\":\"a\\ud800\",\"text\":\"b\\ud83d\\ude00\"}", 0xD800, 0},
        {"{\"id\":\"\\udfff\\ud800\",\"text\":\"\\udbff\"}", 0xDFFF, 0xDBFF},
        {"{\"id\":\"\\ufffd\",\"text\":\"x\",\"o\\ud800\":\"\\ud800\"}", 0, 0},
        {"{\"id\":7,\"text\":\"\\ud800\\ud800\\udc00\"}", 0, 0xD800},
    };
    for (size_t i = 0; i < sizeof lone / sizeof lone[0]; i++) {
        jsonl_result r;
        char *line;
        assert_int_equal(parse(lone[i].json, &r, &line), JSONL_OK);
        assert_int_equal(r.id.surrogate, lone[i].id);
        assert_int_equal(r.text.surrogate, lone[i].text);
        free(line);
    }
    /* Raw UTF-8 and even raw invalid bytes pass through untouched. */
    expect_text("{\"text\":\"caf\xC3\xA9 \xFF\"}", "caf\xC3\xA9 \xFF", 7);
    /* Long plain runs cross the 16- and 8-byte steps of the scanner. */
    expect_text("{\"text\":\"0123456789abcdef0123456789abcdef\\n0123456789\"}",
                "0123456789abcdef0123456789abcdef\n0123456789", 43);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("[1]", JSONL_NOT_OBJECT, 0);
    expect_error("  \"s\"", JSONL_NOT_OBJECT, 2);
    expect_error("{\"text\":\"abc", JSONL_UNTERMINATED_STRING, 12);
    expect_error("{\"text\":\"abc\\", JSONL_UNTERMINATED_STRING, 13);
    expect_error("{\"text\":\"a\\x\"}", JSONL_BAD_ESCAPE, 10);
    expect_error("{\"text\":\"\\u12\"}", JSONL_BAD_UNICODE_ESCAPE, 9);
    expect_error("{\"text\":\"\\u12", JSONL_BAD_UNICODE_ESCAPE, 9);
    expect_error("{\"text\":\"a\tb\"}", JSONL_CONTROL_CHAR, 10);
    expect_error("{\"text\" \"a\"}", JSONL_EXPECTED_COLON, 8);
    expect_error("{\"text\":}", JSONL_EXPECTED_VALUE, 8);
    expect_error("{\"a\":1 \"b\":2}", JSONL_EXPECTED_COMMA_OBJECT, 7);
    expect_error("{\"a\":[1 2]}", JSONL_EXPECTED_COMMA_ARRAY, 8);
    expect_error("{,}", JSONL_EXPECTED_KEY, 1);
    expect_error("{\"a\":1,}", JSONL_EXPECTED_KEY, 7);
    expect_error("{\"a\":01}", JSONL_EXPECTED_COMMA_OBJECT, 6);
    expect_error("{\"a\":-}", JSONL_BAD_NUMBER, 6);
    expect_error("{\"a\":1.}", JSONL_BAD_NUMBER, 7);
    expect_error("{\"a\":1e+}", JSONL_BAD_NUMBER, 8);
    expect_error("{\"a\":nul}", JSONL_BAD_LITERAL, 5);
    expect_error("{\"a\":1} x", JSONL_TRAILING, 8);
    expect_error("{\"a\":1}}", JSONL_TRAILING, 7);
    expect_error("{\"a\":[", JSONL_UNEXPECTED_END, 6);
    expect_error("{\"a\":1", JSONL_UNEXPECTED_END, 6);
    expect_error("{\"a\"", JSONL_UNEXPECTED_END, 4);
    expect_error("{", JSONL_UNEXPECTED_END, 1);
    for (jsonl_error e = JSONL_OK; e <= JSONL_TRAILING; e++)
        assert_string_not_equal(jsonl_strerror(e), "unknown error");
}

/* Nesting up to JSONL_MAX_DEPTH levels, the line's object included. */
static void test_parse_depth(void **state)
{
    (void)state;
    for (int depth = JSONL_MAX_DEPTH; depth <= JSONL_MAX_DEPTH + 1; depth++) {
        size_t n = 0, cap = 2 * (size_t)depth + 64;
        char *s = malloc(cap);
        n += (size_t)sprintf(s, "{\"text\":\"t\",\"x\":");
        for (int i = 1; i < depth; i++)
            s[n++] = '[';
        for (int i = 1; i < depth; i++)
            s[n++] = ']';
        s[n++] = '}';
        jsonl_result r;
        jsonl_error e = jsonl_parse(&FIELDS, s, n, &r);
        assert_int_equal(e,
                         depth <= JSONL_MAX_DEPTH ? JSONL_OK : JSONL_TOO_DEEP);
        free(s);
    }
}

static void test_parse_time_field(void **state)
{
    (void)state;
    static const char json[] = "{\"id\":\"a\",\"t\":\"2016-11-\\u00320\","
                               "\"text\":\"x\",\"u\":1}";
    char line[sizeof json];
    jsonl_result r;
    /* Asked for, the time is decoded like the other two. */
    memcpy(line, json, sizeof json);
    assert_int_equal(
        jsonl_parse_timed(&FIELDS, "t", 1, line, sizeof json - 1, &r),
        JSONL_OK);
    assert_int_equal(r.time.type, JSONL_STRING);
    assert_int_equal(r.time.len, 10);
    assert_memory_equal(line + r.time.off, "2016-11-20", 10);
    assert_memory_equal(line + r.text.off, "x", 1);
    /* A number is kept as written. */
    memcpy(line, json, sizeof json);
    assert_int_equal(
        jsonl_parse_timed(&FIELDS, "u", 1, line, sizeof json - 1, &r),
        JSONL_OK);
    assert_int_equal(r.time.type, JSONL_NUMBER);
    assert_memory_equal(line + r.time.off, "1", 1);
    /* Not asked for, or not there: absent. */
    memcpy(line, json, sizeof json);
    assert_int_equal(jsonl_parse(&FIELDS, line, sizeof json - 1, &r), JSONL_OK);
    assert_int_equal(r.time.type, JSONL_ABSENT);
    memcpy(line, json, sizeof json);
    assert_int_equal(
        jsonl_parse_timed(&FIELDS, "time", 4, line, sizeof json - 1, &r),
        JSONL_OK);
    assert_int_equal(r.time.type, JSONL_ABSENT);

    assert_true(jsonl_is_number("0", 1));
    assert_true(jsonl_is_number("-12.5e+3", 8));
    assert_true(jsonl_is_number("4471", 4));
    assert_false(jsonl_is_number("", 0));
    assert_false(jsonl_is_number("0123", 4));
    assert_false(jsonl_is_number("12a", 3));
    assert_false(jsonl_is_number("1.", 2));
    assert_false(jsonl_is_number("+1", 2));
    assert_false(jsonl_is_number("-", 1));
}

/* Records with times through batch_process: the times, and the messages
 * of the bad ones. */
static void test_record_times(void **state)
{
    (void)state;
    static const char *lines[] = {
        "{\"id\":\"a\",\"text\":\"x\",\"at\":\"2016-11-20T16:31:00Z\"}",
        "{\"id\":\"b\",\"text\":\"x\",\"at\":1479659460.5}",
        "{\"id\":\"c\",\"text\":\"x\",\"at\":null}",
        "{\"id\":\"d\",\"text\":\"x\"}",
        "{\"id\":\"e\",\"text\":\"x\",\"at\":\"2016-02-30\"}",
        "{\"id\":\"f\",\"text\":\"x\",\"at\":true}",
        "{\"id\":\"g\",\"text\":\"x\",\"at\":1479659460123}",
        "{\"id\":\"h\",\"text\":\"x\",\"at\":\"a\\nvery long value that "
        "goes on and on past forty bytes\"}",
    };
    sheaf_params p;
    sheaf_params_init(&p);
    sheaf_hasher h;
    assert_int_equal(sheaf_hasher_init(&h, &p), SHEAF_OK);
    work_ctx ctx = {{FIELDS, "at", 2}, &h};
    batch *b = batch_new();
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        record *r = &b->recs[b->count++];
        memset(r, 0, sizeof *r);
        r->kind = RECORD_LINE;
        r->off = b->used;
        r->len = strlen(lines[i]);
        memcpy(b->block + b->used, lines[i], r->len);
        b->used += r->len;
    }
    batch_process(b, &ctx);
    const record *r = b->recs;
    assert_int_equal(r[0].status, RECORD_OK);
    assert_int_equal(r[0].time, 1479659460);
    assert_int_equal(r[1].status, RECORD_OK);
    assert_int_equal(r[1].time, 1479659460);
    assert_int_equal(r[2].status, RECORD_OK);
    assert_int_equal(r[2].time, SHEAF_NO_TIME);
    assert_int_equal(r[3].status, RECORD_OK);
    assert_int_equal(r[3].time, SHEAF_NO_TIME);
    char why[200];
    assert_int_equal(r[4].status, RECORD_BAD_TIME);
    record_problem(b, &r[4], &ctx.fields, why, sizeof why);
    assert_string_equal(why, "\"at\" is '2016-02-30', not a valid time: day "
                             "out of range for its month");
    assert_int_equal(r[5].status, RECORD_TIME_TYPE);
    record_problem(b, &r[5], &ctx.fields, why, sizeof why);
    assert_string_equal(
        why, "\"at\" is a boolean; a time must be a string or a number");
    assert_int_equal(r[6].status, RECORD_BAD_TIME);
    record_problem(b, &r[6], &ctx.fields, why, sizeof why);
    assert_string_equal(why, "\"at\" is '1479659460123', not a valid time: "
                             "outside the years 0000 to 9999 (epoch times "
                             "are in seconds)");
    /* A long value is cut, a control character shown as '?'. */
    assert_int_equal(r[7].status, RECORD_BAD_TIME);
    record_problem(b, &r[7], &ctx.fields, why, sizeof why);
    assert_string_equal(why, "\"at\" is 'a?very long value that goes on and "
                             "on pa...', not a valid time: not an RFC 3339 "
                             "date-time (2016-11-20T16:31:00Z) or date "
                             "(2016-11-20)");
    batch_free(b);
}

static size_t ref_utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t c = s[i], cp, n, k;
        if (c < 0x80) {
            i++;
            continue;
        }
        n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC0 || c >= 0xF8 || len - i < n)
            return i;
        cp = c & (0x7F >> n);
        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < (n == 2   ? 0x80u
                  : n == 3 ? 0x800u
                           : 0x10000u) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

#define VALID SIZE_MAX

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"plain ascii text, long enough for a vector step", VALID},
        {"caf\xC3\xA9", VALID},
        {"\xF0\x9F\x98\x80 smile", VALID},
        {"\xC0\x80", 0},         /* overlong NUL */
        {"ab\xE0\x80\x80", 2},   /* overlong 3-byte */
        {"\xED\xA0\x80", 0},     /* surrogate */
        {"\xF4\x90\x80\x80", 0}, /* past U+10FFFF */
        {"\xF5\x80\x80\x80", 0},
        {"x\xE2\x82", 1},             /* truncated */
        {"0123456789abcdef\xFF", 16}, /* after a vector step */
        {"\x80", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].s);
        assert_int_equal(utf8_invalid_at(cases[i].s, n),
                         cases[i].bad == VALID ? n : cases[i].bad);
    }
    /* Random strings, mostly ASCII with some multi-byte characters and
     * some damage, against the byte-at-a-time reference. */
    rng g = {42};
    unsigned char text[200];
    for (int round = 0; round < 20000; round++) {
        size_t n = rng_below(&g, sizeof text);
        for (size_t i = 0; i < n; i++) {
            uint32_t k = rng_below(&g, 100);
            text[i] = k < 80 ? (unsigned char)(' ' + rng_below(&g, 90))
                             : (unsigned char)rng_below(&g, 256);
        }
        assert_int_equal(utf8_invalid_at((const char *)text, n),
                         ref_utf8_invalid_at(text, n));
    }
    /* Control characters in valid UTF-8: C0, DEL and C1, not U+00A0. */
    static const struct {
        const char *s;
        size_t at;
    } controls[] = {
        {"plain", 5},          {"tab\there", 3},        {"del\x7F", 3},
        {"c1 \xC2\x80", 3},    {"c1 \xC2\x9F", 3},     {"nbsp\xC2\xA0", 6},
        {"\xC3\x85\xC2\x85", 2}, {"\xE2\x80\x8B zwsp", 8},
    };
    for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++)
        assert_int_equal(utf8_control_at(controls[i].s, strlen(controls[i].s)),
                         controls[i].at);
}

/* Parse line[0..n) from a buffer of exactly n bytes, so that a sanitizer
 * sees any read past the line. */
static jsonl_error parse_exact(const char *line, size_t n, jsonl_result *r,
                               char **copy)
{
    *copy = malloc(n ? n : 1);
    memcpy(*copy, line, n);
    return jsonl_parse(&FIELDS, *copy, n, r);
}

/* The string scanner's steps (16 bytes, then 64, then 16, then the line's
 * last bytes) must each find the first byte that ends a run, wherever it
 * falls and however long the line. */
static void test_parse_scan(void **state)
{
    (void)state;
    char line[300];
    jsonl_result r;
    char *copy;
    for (size_t n = 0; n < 200; n++) {
        memcpy(line, "{\"text\":\"", 9);
        memset(line + 9, 'a', n);
        memcpy(line + 9 + n, "\"}", 2);
        assert_int_equal(parse_exact(line, n + 11, &r, &copy), JSONL_OK);
        assert_int_equal(r.text.len, n);
        assert_int_equal(r.text.bad_utf8, n);
        free(copy);
        /* Unterminated: the line ends inside the string. */
        assert_int_equal(parse_exact(line, n + 9, &r, &copy),
                         JSONL_UNTERMINATED_STRING);
        assert_int_equal(r.error_at, n + 9);
        free(copy);
        for (size_t k = 0; k < n; k++) {
            static const char ends[] = {'\x01', '\x1F', '\t'};
            for (size_t e = 0; e < sizeof ends; e++) {
                line[9 + k] = ends[e];
                assert_int_equal(parse_exact(line, n + 11, &r, &copy),
                                 JSONL_CONTROL_CHAR);
                assert_int_equal(r.error_at, 9 + k);
                free(copy);
            }
            /* A non-ASCII byte does not end the string, and is where its
             * UTF-8 goes wrong. */
            line[9 + k] = '\xFF';
            assert_int_equal(parse_exact(line, n + 11, &r, &copy), JSONL_OK);
            assert_int_equal(r.text.len, n);
            assert_int_equal(r.text.bad_utf8, k);
            free(copy);
            line[9 + k] = 'a';
        }
    }
}

/* The parser checks the UTF-8 of the strings it decodes as it scans them:
 * the same answer as utf8_invalid_at on the decoded bytes, escapes (which
 * always decode to valid UTF-8) and raw bytes mixed. */
static void test_parse_utf8(void **state)
{
    (void)state;
    static const char *pieces[] = {
        "a", " ", "word ", "\\\"", "\\\\", "\\n", "\\u00e9", "\\u20AC",
        "\\ud83d\\ude00", "\\ud800", "\\udc00x", "\xC3\xA9", "\xE2\x82\xAC",
        "\xF0\x9F\x98\x80", "\xC3", "\xE2\x82", "\x80", "\xFF", "\xC0\x80",
        "\xED\xA0\x80", "\xF4\x90\x80\x80", "0123456789abcdef",
        "a longer plain run of text, long enough for a 64-byte step......"};
    static const struct {
        const char *s;
        size_t bad;
    } cases[] = {
        {"caf\xC3\xA9", VALID},
        {"caf\\u00e9 \xE2\x82\xAC", VALID},
        {"\xC3\\u00a9", 0},  /* a lead byte, then an escaped character */
        {"\\u00e9\xA9", 2},  /* a continuation byte after an escape */
        {"ab\xE2\x82", 2},   /* cut by the closing quote */
        {"\\ud800\xED\xA0\x80", 3},
    };
    jsonl_result r;
    char *copy;
    char line[2048];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"%s\",\"text\":\"%s\"}",
                         cases[i].s, cases[i].s);
        assert_int_equal(parse_exact(line, (size_t)n, &r, &copy), JSONL_OK);
        size_t want = cases[i].bad == VALID ? r.text.len : cases[i].bad;
        assert_int_equal(r.text.bad_utf8, want);
        assert_int_equal(r.id.bad_utf8, want);
        free(copy);
    }
    /* Numbers and other values: their length. */
    assert_int_equal(parse_exact("{\"id\":12,\"text\":\"x\"}", 20, &r, &copy),
                     JSONL_OK);
    assert_int_equal(r.id.bad_utf8, 2);
    free(copy);
    rng g = {7};
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        memcpy(line, "{\"text\":\"", 9);
        n = 9;
        size_t count = rng_below(&g, 24);
        for (size_t i = 0; i < count; i++) {
            const char *p = pieces[rng_below(&g, sizeof pieces / sizeof *pieces)];
            size_t k = strlen(p);
            memcpy(line + n, p, k);
            n += k;
        }
        memcpy(line + n, "\"}", 2);
        n += 2;
        assert_int_equal(parse_exact(line, n, &r, &copy), JSONL_OK);
        assert_int_equal(r.text.bad_utf8,
                         ref_utf8_invalid_at((const unsigned char *)copy +
                                                 r.text.off,
                                             r.text.len));
        free(copy);
    }
}

/* ---------------------------------------------------------- byte streams */

static char *temp_path(const char *suffix)
{
    static int counter;
    char *p = malloc(128);
    snprintf(p, 128, "/tmp/test_reader.%ld.%d%s", (long)getpid(), counter++,
             suffix);
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static char *sample(size_t *n)
{
    size_t cap = 1 << 20, len = 0;
    char *s = malloc(cap);
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(
            s + len, cap - len,
            "{\"id\":\"r%d\",\"text\":\"line %d of the sample\"}\n", i, i);
    assert_true(len < cap);
    *n = len;
    return s;
}

/* Read all of path through bsrc in pieces of `step` bytes. Returns the
 * bytes (and -1 in *status when reading failed, with the message). */
static char *read_all(const char *path, int threaded, size_t step, size_t *n,
                      int *status, char *msg, size_t msglen)
{
    input_file f = {(char *)path, path, 1};
    bsrc *s = bsrc_open(&f, threaded, msg, msglen);
    assert_non_null(s);
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    *status = 0;
    for (;;) {
        if (cap - len < step)
            out = realloc(out, cap *= 2);
        ssize_t r = bsrc_read(s, out + len, step);
        if (r < 0) {
            *status = -1;
            snprintf(msg, msglen, "%s", bsrc_error(s));
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    bsrc_close(s);
    *n = len;
    return out;
}

/* Both ways: decompressing in bsrc_read, and on a thread of its own. */
static void check_bsrc(int threaded)
{
    size_t n, got;
    int status;
    char msg[256];
    char *data = sample(&n);

    char *plain = temp_path(".jsonl");
    write_file(plain, data, n);

    /* gzip, two members. */
    char *gz = temp_path(".gz");
    gzFile g = gzopen(gz, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, data, (unsigned)(n / 2)), (int)(n / 2));
    assert_int_equal(gzclose(g), Z_OK);
    g = gzopen(gz, "ab");
    assert_int_equal(gzwrite(g, data + n / 2, (unsigned)(n - n / 2)),
                     (int)(n - n / 2));
    assert_int_equal(gzclose(g), Z_OK);

    char *zst = temp_path(".zst");
    size_t bound = ZSTD_compressBound(n);
    char *z = malloc(bound);
    size_t zn = ZSTD_compress(z, bound, data, n, 3);
    assert_false(ZSTD_isError(zn));
    write_file(zst, z, zn);

    /* zstd as pzstd writes it, and more: skippable frames (any of the 16
     * magic numbers, any size, empty too) before, between and after two
     * frames. */
    char *zst2 = temp_path(".zst");
    char *z2 = malloc(2 * bound + 64);
    size_t z2n = 0;
    memcpy(z2, "\x50\x2a\x4d\x18\x04\0\0\0\xfb\x01\0\0", 12);
    z2n += 12;
    size_t part = ZSTD_compress(z2 + z2n, bound, data, n / 3, 1);
    assert_false(ZSTD_isError(part));
    z2n += part;
    memcpy(z2 + z2n, "\x5f\x2a\x4d\x18\0\0\0\0", 8);
    z2n += 8;
    part = ZSTD_compress(z2 + z2n, bound, data + n / 3, n - n / 3, 19);
    assert_false(ZSTD_isError(part));
    z2n += part;
    memcpy(z2 + z2n, "\x5a\x2a\x4d\x18\x03\0\0\0xyz", 11);
    z2n += 11;
    write_file(zst2, z2, z2n);

    const char *paths[] = {plain, gz, zst, zst2};
    size_t steps[] = {1, 7, 4096, 1 << 20, 3 << 20};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 5; k++) {
            if (steps[k] == 1 && i > 0)
                continue; /* slow and no different from 7 */
            char *out = read_all(paths[i], threaded, steps[k], &got, &status,
                                 msg, sizeof msg);
            assert_int_equal(status, 0);
            assert_int_equal(got, n);
            assert_memory_equal(out, data, n);
            free(out);
        }

    /* Truncated: every byte before the cut comes first, then the error. */
    FILE *f = fopen(gz, "rb");
    char *gzdata = malloc(n);
    size_t gzn = fread(gzdata, 1, n, f);
    fclose(f);
    char *cut = temp_path(".gz");
    write_file(cut, gzdata, gzn / 3);
    char *out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, -1);
    assert_string_equal(msg, "truncated gzip data (unexpected end of file)");
    assert_true(got > 0 && got < n);
    assert_memory_equal(out, data, got);
    free(out);
    write_file(cut, z, zn / 3);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, -1);
    assert_string_equal(msg, "truncated zstd data (unexpected end of file)");
    assert_memory_equal(out, data, got);
    free(out);
    /* Corrupt zstd: a clear error, never a crash. */
    memset(z + zn / 2, 0x55, 16);
    write_file(cut, z, zn);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, -1);
    assert_non_null(strstr(msg, "corrupt zstd data"));
    free(out);
    /* Cut inside the last skippable frame, or just after a magic number:
     * truncated too. */
    write_file(cut, z2, z2n - 1);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, -1);
    assert_string_equal(msg, "truncated zstd data (unexpected end of file)");
    assert_int_equal(got, n);
    free(out);
    write_file(cut, z2, 4);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, -1);
    assert_string_equal(msg, "truncated zstd data (unexpected end of file)");
    assert_int_equal(got, 0);
    free(out);
    /* Empty and tiny files are plain. */
    write_file(cut, "", 0);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, 0);
    assert_int_equal(got, 0);
    free(out);
    write_file(cut, "\x1f", 1);
    out = read_all(cut, threaded, 4096, &got, &status, msg, sizeof msg);
    assert_int_equal(status, 0);
    assert_int_equal(got, 1);
    free(out);

    input_file missing = {"/nonexistent/x.jsonl", "/nonexistent/x.jsonl", 1};
    assert_null(bsrc_open(&missing, threaded, msg, sizeof msg));
    assert_string_equal(msg, "No such file or directory");

    unlink(plain);
    unlink(gz);
    unlink(zst);
    unlink(zst2);
    unlink(cut);
    free(plain);
    free(gz);
    free(zst);
    free(zst2);
    free(cut);
    free(z);
    free(z2);
    free(gzdata);
    free(data);
}

static void test_bsrc(void **state)
{
    (void)state;
    check_bsrc(0);
}

static void test_bsrc_threaded(void **state)
{
    (void)state;
    check_bsrc(1);
}

/* ---------------------------------------------------------- the reader */

static void test_reader_batches(void **state)
{
    (void)state;
    size_t n;
    char *data = sample(&n);
    char *path = temp_path(".jsonl");
    write_file(path, data, n);
    input_file file = {path, path, 1};
    input_list inputs = {&file, 1, 1, n, 1};
    reader rd;
    reader_init(&rd, &inputs, 1 << 20, 0);
    batch *b = batch_new();
    uint64_t line = 0;
    size_t batches = 0;
    while (reader_fill(&rd, b)) {
        batches++;
        assert_true(b->count <= BATCH_MAX_RECORDS);
        for (size_t i = 0; i < b->count; i++) {
            const record *r = &b->recs[i];
            assert_int_equal(r->kind, RECORD_LINE);
            assert_int_equal(r->line, ++line);
            char want[80];
            int w = snprintf(
                want, sizeof want,
                "{\"id\":\"r%llu\",\"text\":\"line %llu of the sample\"}",
                (unsigned long long)line - 1, (unsigned long long)line - 1);
            assert_int_equal(r->len, (size_t)w);
            assert_memory_equal(b->block + r->off, want, (size_t)w);
        }
    }
    assert_int_equal(line, 20000);
    assert_true(batches >= 20000 / BATCH_MAX_RECORDS);
    assert_int_equal(rd.bytes, n);
    assert_int_equal(reader_raw_bytes(&rd), n);
    reader_free(&rd);

    /* Over-long lines become failures, wherever they fall. */
    const char *text = "short\n"
                       "a line that is too long for the limit\n"
                       "ok\n"
                       "another line that is far too long, at the end";
    write_file(path, text, strlen(text));
    reader_init(&rd, &inputs, 10, 0);
    assert_int_equal(reader_fill(&rd, b), 4);
    assert_int_equal(b->recs[0].kind, RECORD_LINE);
    assert_int_equal(b->recs[1].kind, RECORD_FAILURE);
    assert_int_equal(b->recs[1].detail, FAILURE_LINE);
    assert_int_equal(b->recs[1].line, 2);
    assert_string_equal(
        b->recs[1].message,
        "line longer than 10 bytes (--max-record-bytes); skipped");
    assert_int_equal(b->recs[2].line, 3);
    assert_memory_equal(b->block + b->recs[2].off, "ok", 2);
    assert_int_equal(b->recs[3].kind, RECORD_FAILURE);
    assert_int_equal(b->recs[3].line, 4);
    assert_int_equal(reader_fill(&rd, b), 0);
    reader_free(&rd);

    /* A text file is one record; a BOM is not part of it. */
    write_file(path, "\xEF\xBB\xBFwhole\nfile\n", 14);
    file.jsonl = 0;
    reader_init(&rd, &inputs, 1 << 20, 0);
    assert_int_equal(reader_fill(&rd, b), 1);
    assert_int_equal(b->recs[0].kind, RECORD_FILE);
    assert_int_equal(b->recs[0].len, 11);
    assert_memory_equal(b->block + b->recs[0].off, "whole\nfile\n", 11);
    reader_free(&rd);

    batch_free(b);
    unlink(path);
    free(path);
    free(data);
}

/* --------------------------------------------------------- JSON output */

static char *json_of(const char *s, size_t n, size_t *len)
{
    outfile o;
    memset(&o, 0, sizeof o);
    o.fd = -1;
    o.buf = malloc(1 << 20);
    output_json_string(&o, s, n);
    assert_int_equal(o.err, 0);
    o.buf[o.len] = '\0';
    *len = o.len;
    return o.buf;
}

static void test_json_writer(void **state)
{
    (void)state;
    size_t n;
    static const char special[] = "a\"b\\c\n\t\r\x01\x1f\x7f caf\xC3\xA9";
    char *j = json_of(special, sizeof special - 1, &n);
    assert_string_equal(
        j, "\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f\x7f caf\xC3\xA9\"");
    free(j);
    j = json_of("bad \xFF\xC3 end", 10, &n);
    assert_string_equal(j, "\"bad \\ufffd\\ufffd end\"");
    free(j);
    /* What is written parses back to the same bytes. */
    rng g = {7};
    for (int round = 0; round < 2000; round++) {
        char s[64], line[512];
        size_t len = rng_below(&g, sizeof s);
        for (size_t i = 0; i < len; i++)
            s[i] = (char)rng_below(&g, 128);
        j = json_of(s, len, &n);
        int w = snprintf(line, sizeof line, "{\"text\":%s}", j);
        jsonl_result r;
        assert_int_equal(jsonl_parse(&FIELDS, line, (size_t)w, &r), JSONL_OK);
        assert_int_equal(r.text.len, len);
        assert_memory_equal(line + r.text.off, s, len);
        free(j);
    }
}

static void test_snippet(void **state)
{
    (void)state;
    char out[24];
    assert_int_equal(output_snippet("  Two\n\twords  ", 14, out, sizeof out),
                     9);
    assert_string_equal(out, "Two words");
    output_snippet("A long headline that goes on and on", 35, out, sizeof out);
    assert_string_equal(out, "A long headline that...");
    /* Never cut inside a character; bad bytes show as '?'. */
    output_snippet("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                   "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
                   22, out, sizeof out);
    assert_int_equal(utf8_invalid_at(out, strlen(out)), strlen(out));
    output_snippet("x\xFFy", 3, out, sizeof out);
    assert_string_equal(out, "x?y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_escapes),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_depth),
        cmocka_unit_test(test_parse_time_field),
        cmocka_unit_test(test_record_times),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_parse_scan),
        cmocka_unit_test(test_parse_utf8),
        cmocka_unit_test(test_bsrc),
        cmocka_unit_test(test_bsrc_threaded),
        cmocka_unit_test(test_reader_batches),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_snippet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
