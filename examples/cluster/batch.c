/* Batches (see batch.h) and the work done on them off the main thread. */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "pubtime.h"
#include "utf8.h"
#include "xalloc.h"

batch *batch_new(void)
{
    batch *b = xcalloc(1, sizeof *b);
    b->cap = BATCH_BLOCK;
    b->block = xmalloc(b->cap);
    b->sigs = xreallocarray(NULL, BATCH_MAX_RECORDS, sizeof *b->sigs);
    return b;
}

void batch_reset(batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        free(b->recs[i].message);
        b->recs[i].message = NULL;
    }
    b->count = 0;
    b->used = 0;
    b->done = 0;
    if (b->cap > 4 * BATCH_BLOCK) {
        free(b->block);
        b->cap = BATCH_BLOCK;
        b->block = xmalloc(b->cap);
    }
}

void batch_free(batch *b)
{
    if (!b)
        return;
    batch_reset(b);
    free(b->block);
    free(b->sigs);
    free(b);
}

/* Parse a JSONL record in place; RECORD_OK with the text and id located,
 * or why it is skipped. */
static record_status parse_line(record *r, char *line, const record_fields *f)
{
    jsonl_result res;
    jsonl_error e =
        jsonl_parse_timed(&f->json, f->time, f->time_len, line, r->len, &res);
    if (e == JSONL_BLANK)
        return RECORD_BLANK;
    if (e != JSONL_OK) {
        r->detail = (uint8_t)e;
        r->at = res.error_at;
        return RECORD_SYNTAX;
    }
    if (res.text.type == JSONL_ABSENT)
        return RECORD_NO_TEXT;
    if (res.text.type != JSONL_STRING) {
        r->detail = (uint8_t)res.text.type;
        return RECORD_TEXT_TYPE;
    }
    if (res.id.type != JSONL_ABSENT && res.id.type != JSONL_STRING &&
        res.id.type != JSONL_NUMBER) {
        r->detail = (uint8_t)res.id.type;
        return RECORD_ID_TYPE;
    }
    if (res.text.len == 0)
        return RECORD_EMPTY_TEXT;
    /* null says "no time" as plainly as leaving the field out. */
    if (res.time.type == JSONL_STRING || res.time.type == JSONL_NUMBER) {
        const char *t = line + res.time.off;
        pubtime_error pe =
            res.time.type == JSONL_STRING
                ? pubtime_parse_text(t, res.time.len, &r->time)
                : pubtime_parse_number(t, res.time.len, &r->time);
        if (pe != PUBTIME_OK) {
            r->detail = (uint8_t)pe;
            r->time_off = r->off + res.time.off;
            r->time_len = res.time.len;
            return RECORD_BAD_TIME;
        }
    } else if (res.time.type != JSONL_ABSENT && res.time.type != JSONL_NULL) {
        r->detail = (uint8_t)res.time.type;
        return RECORD_TIME_TYPE;
    }
    r->id_type = (uint8_t)res.id.type;
    r->id_surrogate = (uint16_t)res.id.surrogate;
    r->id_off = r->off + res.id.off;
    r->id_len = res.id.len;
    r->text_off = r->off + res.text.off;
    r->text_len = res.text.len;
    r->at = res.text.bad_utf8;
    return RECORD_OK;
}

static record_status check_file(record *r, const char *text)
{
    if (r->len == 0)
        return RECORD_EMPTY_TEXT;
    if (memchr(text, 0, r->len))
        return RECORD_BINARY;
    r->text_off = r->off;
    r->text_len = r->len;
    return RECORD_OK;
}

void batch_process(batch *b, const work_ctx *c)
{
    for (size_t i = 0; i < b->count; i++) {
        record *r = &b->recs[i];
        char *raw = b->block + r->off;
        record_status st;
        r->id_type = JSONL_ABSENT;
        r->id_surrogate = 0;
        r->bad_utf8 = 0;
        r->time = SHEAF_NO_TIME;
        if (r->kind == RECORD_FAILURE)
            st = RECORD_FAILED_READ;
        else if (r->kind == RECORD_LINE)
            st = parse_line(r, raw, &c->fields);
        else
            st = check_file(r, raw);
        if (st == RECORD_OK) {
            const char *text = b->block + r->text_off;
            /* The parser has checked the UTF-8 of a line's text already. */
            if (r->kind == RECORD_FILE)
                r->at = utf8_invalid_at(text, r->text_len);
            r->bad_utf8 = r->at < r->text_len;
            int rc = c->hasher ? sheaf_hasher_sign(c->hasher, text,
                                                   r->text_len, &b->sigs[i])
                               : SHEAF_OK;
            if (rc != SHEAF_OK) {
                r->detail = (uint8_t)-rc;
                st = RECORD_SIGN_FAILED;
            }
        }
        r->status = (uint8_t)st;
    }
}

/* A value quoted in a message: at most 40 bytes of it, control characters
 * as '?', so a message stays on one line. */
static void quote_value(const char *s, size_t len, char *buf, size_t n)
{
    size_t k = len < 40 ? len : 40, w = 0;
    for (size_t i = 0; i < k && w + 1 < n; i++)
        buf[w++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (k < len && w + 4 < n) {
        memcpy(buf + w, "...", 3);
        w += 3;
    }
    buf[w] = '\0';
}

void record_problem(const batch *b, const record *r, const record_fields *rf,
                    char *buf, size_t n)
{
    const jsonl_fields *f = &rf->json;
    char value[48];
    switch ((record_status)r->status) {
    case RECORD_OK:
    case RECORD_BLANK:
        snprintf(buf, n, "no problem");
        return;
    case RECORD_SYNTAX:
        if (r->detail == JSONL_NOT_OBJECT)
            snprintf(buf, n, "not a JSON object");
        else
            snprintf(buf, n, "malformed JSON at column %zu: %s", r->at + 1,
                     jsonl_strerror((jsonl_error)r->detail));
        return;
    case RECORD_NO_TEXT:
        snprintf(buf, n, "no \"%s\" field", f->text);
        return;
    case RECORD_TEXT_TYPE:
        snprintf(buf, n, "\"%s\" is %s, not a string", f->text,
                 jsonl_type_name((jsonl_type)r->detail));
        return;
    case RECORD_EMPTY_TEXT:
        if (r->kind == RECORD_FILE)
            snprintf(buf, n, "empty file");
        else
            snprintf(buf, n, "\"%s\" is empty", f->text);
        return;
    case RECORD_BINARY:
        snprintf(buf, n, "binary file (contains NUL bytes), not text");
        return;
    case RECORD_ID_TYPE:
        snprintf(buf, n, "\"%s\" is %s; an id must be a string or a number",
                 f->id, jsonl_type_name((jsonl_type)r->detail));
        return;
    case RECORD_TIME_TYPE:
        snprintf(buf, n, "\"%s\" is %s; a time must be a string or a number",
                 rf->time, jsonl_type_name((jsonl_type)r->detail));
        return;
    case RECORD_BAD_TIME:
        quote_value(b->block + r->time_off, r->time_len, value, sizeof value);
        snprintf(buf, n, "\"%s\" is '%s', not a valid time: %s", rf->time,
                 value, pubtime_strerror((pubtime_error)r->detail));
        return;
    case RECORD_SIGN_FAILED:
        snprintf(buf, n, "cannot sign the text: %s",
                 sheaf_strerror(-(int)r->detail));
        return;
    case RECORD_FAILED_READ:
        snprintf(buf, n, "%s", r->message ? r->message : "read failed");
        return;
    }
    snprintf(buf, n, "unknown problem");
}
