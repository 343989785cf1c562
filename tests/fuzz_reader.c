/*
 * libFuzzer target for the clusterer's record reader: the input is a file
 * (JSONL, or gzip/zstd when it starts with their magic bytes) that goes
 * through the same path as `sheaf cluster` input, from the decompressing
 * byte stream and line splitting to JSON parsing, UTF-8 checks and
 * signing. On top of "no crash, no leak, no read out of bounds" it checks:
 *
 * - every record lies inside its batch's block, in order, line numbers
 *   rising;
 * - each line parsed alone, in a buffer of exactly its size, gives the same
 *   verdict as in the batch;
 * - a decoded text that is valid UTF-8 survives a round trip through the
 *   JSON writer of --format jsonl and the parser again, byte for byte;
 * - the UTF-8 validator, and the parser's check of the strings it decodes,
 *   agree with a plain byte-at-a-time one;
 * - a publication time ("time" field) that parses is in range, and comes
 *   back the same written again as RFC 3339 UTC by gmtime_r.
 *
 * Built by `make fuzz` with the library and the clusterer's sources.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "input.h"
#include "jsonl.h"
#include "outfile.h"
#include "output.h"
#include "pubtime.h"
#include "reader.h"
#include "utf8.h"

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_reader: check failed: %s (line %d)\n",       \
                    #cond, __LINE__);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const jsonl_fields FIELDS = {"id", 2, "text", 4};
static const record_fields RECORD_FIELDS = {{"id", 2, "text", 4}, "time", 4};

static jsonl_error parse(char *line, size_t len, jsonl_result *r)
{
    return jsonl_parse_timed(&FIELDS, RECORD_FIELDS.time,
                             RECORD_FIELDS.time_len, line, len, r);
}

/* A time the parser accepted: in range, and the same again when written
 * back as RFC 3339 UTC by the C library. */
static void check_time(int64_t t)
{
    CHECK(t >= PUBTIME_MIN && t <= PUBTIME_MAX);
    time_t tt = (time_t)t;
    struct tm tm;
    char again[32];
    int64_t t2;
    CHECK(gmtime_r(&tt, &tm));
    int n = snprintf(again, sizeof again, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
    CHECK(pubtime_parse_text(again, (size_t)n, &t2) == PUBTIME_OK && t2 == t);
}

/* The reference validator: decode one sequence at a time. */
static size_t slow_utf8_invalid_at(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], cp, n;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC0 && c < 0xE0) {
            n = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c < 0xF0) {
            n = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c < 0xF8) {
            n = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        unsigned min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* Write text as a JSON string with the --format jsonl writer, into memory:
 * the outfile's buffer is large enough never to be flushed. */
static char *escape(const char *text, size_t len, size_t *out_len)
{
    outfile o;
    memset(&o, 0, sizeof o);
    o.fd = -1;
    o.buf = malloc((size_t)1 << 20);
    CHECK(o.buf);
    outfile_puts(&o, "{\"text\":");
    output_json_string(&o, text, len);
    outfile_puts(&o, "}");
    CHECK(o.err == 0);
    *out_len = o.len;
    return o.buf;
}

static void check_line(const char *raw, size_t len, const record *rec,
                       const batch *b)
{
    char *line = malloc(len ? len : 1);
    CHECK(line);
    memcpy(line, raw, len);
    jsonl_result r;
    jsonl_error e = parse(line, len, &r);
    CHECK(e != JSONL_OK || r.error_at == 0);
    if (rec->status == RECORD_OK || rec->status == RECORD_EMPTY_TEXT ||
        rec->status == RECORD_NO_TEXT || rec->status == RECORD_TEXT_TYPE ||
        rec->status == RECORD_ID_TYPE || rec->status == RECORD_TIME_TYPE ||
        rec->status == RECORD_BAD_TIME)
        CHECK(e == JSONL_OK);
    if (rec->status == RECORD_SYNTAX)
        CHECK(e == rec->detail && r.error_at == rec->at && r.error_at <= len);
    if (rec->status == RECORD_BLANK)
        CHECK(e == JSONL_BLANK);
    if (e != JSONL_OK)
        goto done;
    CHECK(r.text.off <= len && r.text.len <= len - r.text.off);
    CHECK(r.id.off <= len && r.id.len <= len - r.id.off);
    CHECK(r.time.off <= len && r.time.len <= len - r.time.off);
    CHECK(r.id.surrogate == 0 ||
          (r.id.type == JSONL_STRING && r.id.surrogate >= 0xD800 &&
           r.id.surrogate <= 0xDFFF));
    /* The UTF-8 checked while decoding, against the reference. */
    if (r.text.type == JSONL_STRING)
        CHECK(r.text.bad_utf8 ==
              slow_utf8_invalid_at((const unsigned char *)line + r.text.off,
                                   r.text.len));
    if (r.id.type == JSONL_STRING)
        CHECK(r.id.bad_utf8 ==
              slow_utf8_invalid_at((const unsigned char *)line + r.id.off,
                                   r.id.len));
    if (rec->status == RECORD_OK) {
        CHECK((r.time.type == JSONL_STRING || r.time.type == JSONL_NUMBER) ==
              (rec->time != SHEAF_NO_TIME));
        if (rec->time != SHEAF_NO_TIME)
            check_time(rec->time);
        /* The same text as the batch's in-place decoding. */
        CHECK(r.text.len == rec->text_len);
        CHECK(memcmp(line + r.text.off, b->block + rec->text_off, r.text.len) ==
              0);
    }
    if (r.text.type == JSONL_STRING &&
        utf8_invalid_at(line + r.text.off, r.text.len) == r.text.len) {
        size_t n;
        char *again = escape(line + r.text.off, r.text.len, &n);
        jsonl_result r2;
        CHECK(parse(again, n, &r2) == JSONL_OK);
        CHECK(r2.text.type == JSONL_STRING && r2.text.len == r.text.len);
        CHECK(memcmp(again + r2.text.off, line + r.text.off, r.text.len) == 0);
        free(again);
    }
done:
    free(line);
}

static void check_batch(const batch *b, const input_list *inputs)
{
    size_t end = 0;
    uint64_t line = 0;
    for (size_t i = 0; i < b->count; i++) {
        const record *rec = &b->recs[i];
        CHECK(rec->file < inputs->count);
        if (rec->kind == RECORD_FAILURE) {
            CHECK(rec->message && rec->status == RECORD_FAILED_READ);
            continue;
        }
        CHECK(rec->off >= end && rec->off <= b->used &&
              rec->len <= b->used - rec->off);
        end = rec->off + rec->len;
        if (rec->kind == RECORD_LINE) {
            CHECK(rec->line > line);
            line = rec->line;
        }
        if (rec->status == RECORD_OK) {
            CHECK(rec->text_len > 0);
            CHECK(rec->text_off >= rec->off &&
                  rec->text_off + rec->text_len <= rec->off + rec->len);
            const unsigned char *t =
                (const unsigned char *)b->block + rec->text_off;
            size_t bad = slow_utf8_invalid_at(t, rec->text_len);
            CHECK(rec->bad_utf8 == (bad < rec->text_len));
            CHECK(!rec->bad_utf8 || rec->at == bad);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    static sheaf_hasher hasher;
    static batch *b;
    if (!b) {
        sheaf_params p;
        sheaf_params_init(&p);
        CHECK(sheaf_hasher_init(&hasher, &p) == SHEAF_OK);
        b = batch_new();
        snprintf(path, sizeof path, "/tmp/fuzz_reader.%ld.jsonl",
                 (long)getpid());
    }

    /* The input as a time, both ways: the parsers must hold up on
     * anything, and whatever they accept must be a real instant. */
    int64_t t;
    if (pubtime_parse_text((const char *)data, size, &t) == PUBTIME_OK)
        check_time(t);
    if (pubtime_parse_number((const char *)data, size, &t) == PUBTIME_OK)
        check_time(t);

    /* Lines of the input, each parsed alone: the parser must hold up on
     * anything, including what the reader would never hand it. */
    for (size_t at = 0; at <= size;) {
        const uint8_t *nl =
            size > at ? memchr(data + at, '\n', size - at) : NULL;
        size_t n = nl ? (size_t)(nl - data) - at : size - at;
        char *line = malloc(n ? n : 1);
        CHECK(line);
        memcpy(line, data + at, n);
        jsonl_result r;
        if (parse(line, n, &r) == JSONL_OK) {
            CHECK(r.text.off <= n && r.text.len <= n - r.text.off);
            CHECK(r.id.off <= n && r.id.len <= n - r.id.off);
            CHECK(r.time.off <= n && r.time.len <= n - r.time.off);
        } else {
            CHECK(r.error_at <= n);
        }
        CHECK(utf8_invalid_at((const char *)data + at, n) ==
              slow_utf8_invalid_at(data + at, n));
        free(line);
        at += n + 1;
    }

    /* The whole input as a file, through the reader; a small record limit
     * when the first byte is odd, to exercise over-long lines, and
     * decompression on its own thread when its second bit is set. */
    FILE *f = fopen(path, "wb");
    CHECK(f);
    CHECK(fwrite(data, 1, size, f) == size);
    CHECK(fclose(f) == 0);
    input_file file = {path, path, 1};
    input_list inputs = {&file, 1, 1, size, 1};
    size_t max_record = size && (data[0] & 1) ? 16 + data[0] : (size_t)1 << 26;
    reader rd;
    reader_init(&rd, &inputs, max_record, size && (data[0] & 2));
    work_ctx ctx = {RECORD_FIELDS, &hasher};
    while (reader_fill(&rd, b)) {
        /* Keep the raw lines: processing decodes them in place. */
        char *raw = malloc(b->used ? b->used : 1);
        CHECK(raw);
        memcpy(raw, b->block, b->used);
        batch_process(b, &ctx);
        check_batch(b, &inputs);
        for (size_t i = 0; i < b->count; i++) {
            const record *rec = &b->recs[i];
            if (rec->kind != RECORD_LINE)
                continue;
            CHECK(!memchr(raw + rec->off, '\n', rec->len));
            check_line(raw + rec->off, rec->len, rec, b);
        }
        free(raw);
    }
    reader_free(&rd);
    batch_reset(b);
    unlink(path);
    return 0;
}
