/* The record reader (see reader.h). */
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xalloc.h"

/* Read in pieces of at least this much, so that a block nearly full is
 * handed over rather than read into a few bytes at a time. */
#define MIN_READ ((size_t)64 << 10)

void reader_init(reader *r, const input_list *inputs, size_t max_record,
                 int threaded)
{
    memset(r, 0, sizeof *r);
    r->inputs = inputs;
    r->max_record = max_record;
    r->threaded = threaded;
}

void reader_free(reader *r)
{
    bsrc_close(r->src);
    free(r->carry);
    memset(r, 0, sizeof *r);
}

uint64_t reader_raw_bytes(const reader *r)
{
    return r->raw_done + (r->src ? bsrc_consumed(r->src) : 0);
}

static record *new_record(reader *r, batch *b, record_kind kind)
{
    record *rec = &b->recs[b->count++];
    memset(rec, 0, sizeof *rec);
    rec->kind = (uint8_t)kind;
    rec->file = (uint32_t)r->cur;
    return rec;
}

static void add_failure(reader *r, batch *b, uint64_t line, const char *fmt,
                        ...) DIAG_PRINTF(4, 5);

static void add_failure(reader *r, batch *b, uint64_t line, const char *fmt,
                        ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    record *rec = new_record(r, b, RECORD_FAILURE);
    rec->line = line;
    rec->message = xstrdup(msg);
}

/* A UTF-8 byte order mark opening a file is an encoding signature, not
 * text: leave it out of the first record. */
static void skip_bom(reader *r, size_t *off, size_t *len, const char *block)
{
    if (r->line == 0 && *len >= 3 &&
        memcmp(block + *off, "\xEF\xBB\xBF", 3) == 0) {
        *off += 3;
        *len -= 3;
    }
}

static void add_line(reader *r, batch *b, size_t off, size_t len)
{
    r->line_bytes += len + 1;
    skip_bom(r, &off, &len, b->block);
    r->line++;
    /* Empty lines (a trailing one, CRLF files) are not records. */
    if (len == 0 || (len == 1 && b->block[off] == '\r'))
        return;
    record *rec = new_record(r, b, RECORD_LINE);
    rec->off = off;
    rec->len = len;
    rec->line = r->line;
}

static void add_file(reader *r, batch *b, size_t off, size_t len)
{
    skip_bom(r, &off, &len, b->block);
    record *rec = new_record(r, b, RECORD_FILE);
    rec->off = off;
    rec->len = len;
}

/* "64 MiB" rather than 67108864 when the limit is a round number. */
static const char *size_text(size_t n, char *buf, size_t cap)
{
    if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
        snprintf(buf, cap, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, cap, "%zu KiB", n >> 10);
    else
        snprintf(buf, cap, "%zu bytes", n);
    return buf;
}

static void add_too_long(reader *r, batch *b)
{
    char size[32];
    r->line++;
    add_failure(r, b, r->line,
                "line longer than %s (--max-record-bytes); skipped",
                size_text(r->max_record, size, sizeof size));
    b->recs[b->count - 1].detail = FAILURE_LINE;
    r->skipping = 0;
}

static void close_input(reader *r)
{
    r->raw_done += bsrc_consumed(r->src);
    bsrc_close(r->src);
    r->src = NULL;
}

/* Open the next input; 0 when there is none. A file that cannot be opened
 * becomes a failure record. */
static int open_next(reader *r, batch *b)
{
    char msg[256];
    if (r->next >= r->inputs->count)
        return 0;
    r->cur = r->next++;
    r->line = 0;
    r->line_bytes = 0;
    r->skipping = 0;
    r->nul = 0;
    r->jsonl = r->inputs->files[r->cur].jsonl;
    r->src = bsrc_open(&r->inputs->files[r->cur], r->threaded, msg, sizeof msg);
    if (!r->src)
        add_failure(r, b, 0, "%s; file skipped", msg);
    return 1;
}

/* Double the block for a record that does not fit, but no further than
 * the longest record allowed needs. */
/* How much to read into the block: all the room there is, except that
 * once the length of the file's lines is known, not much more than the
 * batch's free record slots will take. Bytes read beyond them are carried
 * to the next batch, that is copied once more. */
static size_t read_size(const reader *r, const batch *b, size_t unfinished)
{
    size_t room = b->cap - b->used;
    if (!r->jsonl || r->line < 16)
        return room;
    uint64_t mean = r->line_bytes / r->line + 1;
    uint64_t want = (uint64_t)(BATCH_MAX_RECORDS - b->count + 1) * mean;
    want = want > unfinished ? want - unfinished : 0;
    if (want < MIN_READ / 4)
        want = MIN_READ / 4;
    return want < room ? (size_t)want : room;
}

static void grow(reader *r, batch *b)
{
    size_t cap = b->cap * 2, most = r->max_record + MIN_READ;
    if (cap > most)
        cap = most;
    if (cap < b->used + MIN_READ)
        cap = b->used + MIN_READ;
    b->cap = cap;
    b->block = xreallocarray(b->block, b->cap, 1);
}

/* The failure of a JSONL file whose text stops at a NUL byte, in the
 * line after the last one read. */
static void end_at_nul(reader *r, batch *b)
{
    add_failure(r, b, r->line + 1, "NUL byte: not text; rest of file skipped");
}

size_t reader_fill(reader *r, batch *b)
{
    size_t start = 0; /* where the unfinished record begins */
    size_t scan = 0;  /* bytes before this were searched for newlines */
    batch_reset(b);
    if (r->carry_len) {
        /* The carry can be longer than one record: complete lines are
         * carried too when the batch ran out of record slots. */
        if (b->cap < r->carry_len + MIN_READ) {
            b->cap = r->carry_len + MIN_READ;
            b->block = xreallocarray(b->block, b->cap, 1);
        }
        memcpy(b->block, r->carry, r->carry_len);
        b->used = r->carry_len;
        r->carry_len = 0;
    }
    for (;;) {
        if (r->src && r->jsonl) {
            while (b->count < BATCH_MAX_RECORDS && scan < b->used) {
                char *nl = memchr(b->block + scan, '\n', b->used - scan);
                if (!nl) {
                    scan = b->used;
                    break;
                }
                size_t end = (size_t)(nl - b->block);
                if (r->skipping || end - start > r->max_record)
                    add_too_long(r, b);
                else
                    add_line(r, b, start, end - start);
                start = scan = end + 1;
            }
            if (b->count == BATCH_MAX_RECORDS)
                break;
            if (!r->skipping && b->used - start > r->max_record)
                r->skipping = 1;
            if (r->skipping)
                b->used = scan = start;
        }
        if (!r->src) {
            if (b->count == BATCH_MAX_RECORDS || !open_next(r, b))
                break;
            continue;
        }
        if (r->nul) {
            end_at_nul(r, b);
            b->used = scan = start;
            close_input(r);
            continue;
        }
        if (b->cap - b->used < MIN_READ) {
            if (b->count > 0)
                break; /* hand over; the unfinished record is carried */
            if (start > 0) {
                memmove(b->block, b->block + start, b->used - start);
                b->used -= start;
                scan -= start;
                start = 0;
            } else {
                grow(r, b);
            }
            continue;
        }
        ssize_t n = bsrc_read(r->src, b->block + b->used,
                              read_size(r, b, b->used - start));
        if (n > 0) {
            r->bytes += (uint64_t)n;
            /* A NUL byte is not JSONL text: what precedes it is read, and
             * the file ends there (/dev/zero would otherwise never end).
             * A text file is one record, checked whole (batch.c). */
            char *z = r->jsonl ? memchr(b->block + b->used, 0, (size_t)n)
                               : NULL;
            r->nul = z != NULL;
            b->used = z ? (size_t)(z - b->block) : b->used + (size_t)n;
            if (!r->jsonl && b->used - start > r->max_record) {
                char size[32];
                add_failure(r, b, 0,
                            "file larger than %s (--max-record-bytes); skipped",
                            size_text(r->max_record, size, sizeof size));
                b->used = scan = start;
                close_input(r);
            }
            continue;
        }
        if (n == 0) {
            if (!r->jsonl)
                add_file(r, b, start, b->used - start);
            else if (r->skipping)
                add_too_long(r, b);
            else if (b->used > start)
                add_line(r, b, start, b->used - start);
            start = scan = b->used;
        } else if (r->jsonl) {
            /* The unfinished line is lost with the rest of the file; the
             * lines before it were complete and are kept. */
            add_failure(r, b, r->line + 1, "%s; rest of file skipped",
                        bsrc_error(r->src));
            b->used = scan = start;
        } else {
            add_failure(r, b, 0, "%s; file skipped", bsrc_error(r->src));
            b->used = scan = start;
        }
        close_input(r);
    }
    if (b->used > start) {
        size_t n = b->used - start;
        if (r->carry_cap < n) {
            r->carry_cap = n;
            r->carry = xreallocarray(r->carry, n, 1);
        }
        memcpy(r->carry, b->block + start, n);
        r->carry_len = n;
        b->used = start;
    }
    return b->count;
}
