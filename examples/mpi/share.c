/* This rank's share of the input (see share.h). */
#include "share.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "idcheck.h"
#include "diag.h"
#include "output.h"
#include "pipeline.h"
#include "reader.h"
#include "xalloc.h"

/* As the clusterer: messages about one file beyond this many are counted,
 * not shown. The count is per rank, so a file spread over R ranks shows
 * up to R times this many. */
#define MESSAGES_PER_FILE 20
#define SNIPPET_BYTES 72

/* A note under the per-file limit; always: shown whatever the count (a
 * file that cannot be read further is always worth saying). */
static void vnote(share *s, uint32_t file, uint64_t line, int always,
                  const char *fmt, va_list ap)
{
    char msg[600];
    if (s->opt->strict)
        return; /* only the first problem of all ranks is told (main.c) */
    if (++s->shown[file] > MESSAGES_PER_FILE && !always) {
        s->hidden[file]++;
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *name = s->inputs->files[file].name;
    if (line)
        diag("%s:%llu: %s", name, (unsigned long long)line, msg);
    else
        diag("%s: %s", name, msg);
}

void share_note(share *s, uint32_t file, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(s, file, line, 0, fmt, ap);
    va_end(ap);
}

static void note_always(share *s, uint32_t file, uint64_t line, int always,
                        const char *fmt, ...) DIAG_PRINTF(5, 6);

static void note_always(share *s, uint32_t file, uint64_t line, int always,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(s, file, line, always, fmt, ap);
    va_end(ap);
}

void share_flush_hidden(share *s)
{
    for (size_t f = 0; f < s->inputs->count; f++)
        if (s->hidden[f])
            diag("%s: %llu more problem%s not shown", s->inputs->files[f].name,
                 (unsigned long long)s->hidden[f], s->hidden[f] == 1 ? "" : "s");
}

static void skip(share *s, uint64_t at, const record *rec, const char *why)
{
    int file = rec->kind == RECORD_FAILURE && rec->detail == FAILURE_FILE;
    const char *tail = file || rec->kind == RECORD_FAILURE ? ""
                                                           : "; record skipped";
    if (file)
        s->skipped_files++;
    else
        s->skipped_records++;
    if (s->opt->strict && at < s->problem_at) {
        const char *name = s->inputs->files[rec->file].name;
        s->problem_at = at;
        if (rec->line)
            snprintf(s->problem, sizeof s->problem, "%s:%llu: %s%s", name,
                     (unsigned long long)rec->line, why, tail);
        else
            snprintf(s->problem, sizeof s->problem, "%s: %s%s", name, why,
                     tail);
    }
    note_always(s, rec->file, rec->line, file, "%s%s", why, tail);
}

static void keep(share *s, batch *b, size_t i, const char *id, size_t id_len)
{
    const record *rec = &b->recs[i];
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
        if (s->hashes)
            s->values = xreallocarray(s->values, s->cap,
                                      s->hashes * sizeof *s->values);
    }
    own *a = &s->v[s->n];
    memset(a, 0, sizeof *a);
    a->id = articles_intern(&s->arena, id, id_len);
    a->line = rec->line;
    a->file = rec->file;
    a->time = rec->time;
    a->id_number = rec->id_type == JSONL_NUMBER;
    a->match = NO_DOC;
    const char *text = b->block + rec->text_off;
    if (s->opt->format == FORMAT_GROUPS) {
        char snip[SNIPPET_BYTES + 4];
        size_t n = output_snippet(text, rec->text_len, snip, sizeof snip);
        a->snippet = articles_intern(&s->arena, snip, n);
    }
    if (s->hashes) {
        const sheaf_signature *sig = &b->sigs[i];
        uint16_t *v = s->values + s->n * s->hashes;
        for (uint32_t h = 0; h < s->hashes; h++)
            v[h] = (uint16_t)sig->values[h];
        a->shingles = sig->num_shingles != 0;
    } else {
        a->text = articles_intern(&s->arena, text, rec->text_len);
        a->text_len = rec->text_len;
    }
    s->n++;
    if (rec->bad_utf8) {
        s->warnings++;
        share_note(s, rec->file, rec->line,
                   "warning: the text is not valid UTF-8 (byte %zu); bad "
                   "bytes count as U+FFFD",
                   rec->at + 1);
    }
}

/* The id of a good record as the clusterer makes it: the id field, else
 * FILE:LINE for a JSONL line, else the file's name. */
static const char *record_id(const share *s, const batch *b, const record *rec,
                             char *buf, size_t cap, size_t *len)
{
    const input_file *f = &s->inputs->files[rec->file];
    if (rec->id_type != JSONL_ABSENT) {
        *len = rec->id_len;
        return b->block + rec->id_off;
    }
    if (rec->kind == RECORD_LINE) {
        snprintf(buf, cap, "%s:%llu", f->name, (unsigned long long)rec->line);
        *len = strlen(buf);
        return buf;
    }
    *len = strlen(f->name);
    return f->name;
}

/* Take one of this rank's batches back, processed: keep the good records,
 * report the others. Returns how many were kept. */
static uint32_t consume(share *s, batch *b, uint64_t k)
{
    char why[600];
    size_t before = s->n;
    for (size_t i = 0; i < b->count; i++) {
        const record *rec = &b->recs[i];
        uint64_t at = k * BATCH_MAX_RECORDS + i;
        if (rec->status == RECORD_BLANK)
            continue;
        if (rec->status != RECORD_OK) {
            record_problem(b, rec, &s->fields, why, sizeof why);
            skip(s, at, rec, why);
            continue;
        }
        size_t need = strlen(s->inputs->files[rec->file].name) + 24, id_len;
        char *scratch = xmalloc(need), idwhy[128];
        const char *id = record_id(s, b, rec, scratch, need, &id_len);
        const char *problem =
            id_problem(id, id_len, rec->id_surrogate,
                       rec->id_type == JSONL_ABSENT, idwhy, sizeof idwhy);
        if (problem)
            skip(s, at, rec, problem);
        else
            keep(s, b, i, id, id_len);
        free(scratch);
    }
    return (uint32_t)(s->n - before);
}

/* Every rank's count of good articles per batch, to all: the doc numbers. */
static void swap_counts(share *s, const world *w, const uint32_t *mine,
                        uint32_t nmine)
{
    int n = w->size;
    int *cnt = xcalloc((size_t)n, sizeof *cnt), *dsp = xcalloc((size_t)n, sizeof *dsp);
    int total = 0;
    for (int r = 0; r < n; r++) {
        cnt[r] = r < (int)s->nbatches
                     ? (int)((s->nbatches - (uint32_t)r + (uint32_t)n - 1) / (uint32_t)n)
                     : 0;
        dsp[r] = total;
        total += cnt[r];
    }
    if ((uint32_t)cnt[w->rank] != nmine)
        die_all(3, "internal error: %u batches of %u expected", nmine,
                cnt[w->rank]);
    uint32_t *all = xcalloc((size_t)total + 1, sizeof *all);
    MPI_Allgatherv(mine, (int)nmine, MPI_UINT32_T, all, cnt, dsp, MPI_UINT32_T,
                   MPI_COMM_WORLD);
    s->counts = xcalloc((size_t)s->nbatches + 1, sizeof *s->counts);
    s->start = xcalloc((size_t)s->nbatches + 1, sizeof *s->start);
    s->local = xcalloc((size_t)s->nbatches + 1, sizeof *s->local);
    uint64_t *on_rank = xcalloc((size_t)n, sizeof *on_rank), doc = 0;
    for (uint32_t k = 0; k < s->nbatches; k++) {
        uint32_t r = k % (uint32_t)n;
        s->counts[k] = all[dsp[r] + (int)(k / (uint32_t)n)];
        s->start[k] = (uint32_t)doc;
        s->local[k] = (uint32_t)on_rank[r];
        on_rank[r] += s->counts[k];
        doc += s->counts[k];
        if (doc >= NO_DOC)
            die_all(3, "more than %u articles: sheaf numbers them in 32 bits",
                    NO_DOC - 1);
    }
    s->start[s->nbatches] = (uint32_t)doc;
    for (uint32_t k = (uint32_t)w->rank, pos = 0; k < s->nbatches;
         k += (uint32_t)n)
        for (uint32_t i = 0; i < s->counts[k]; i++)
            s->v[pos++].doc = s->start[k] + i;
    s->docs = doc;
    free(on_rank);
    free(all);
    free(cnt);
    free(dsp);
}

int share_owner(const share *s, const world *w, uint32_t doc, size_t *pos)
{
    /* The last batch starting at or before doc holds it (empty batches
     * start where the next one does). */
    uint32_t lo = 0, hi = s->nbatches;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->start[mid] <= doc)
            lo = mid;
        else
            hi = mid;
    }
    *pos = s->local[lo] + (doc - s->start[lo]);
    return (int)(lo % (uint32_t)w->size);
}

/* The block of every batch starts at the same size on every rank, so the
 * reader cuts the input into the same batches everywhere: a batch's
 * records depend on the room in its block (see reader_fill). */
static void fresh_block(batch *b)
{
    if (b->cap != BATCH_BLOCK) {
        b->block = xreallocarray(b->block, BATCH_BLOCK, 1);
        b->cap = BATCH_BLOCK;
    }
}

void share_read(share *s, world *w, const options *o, const input_list *in,
                const sheaf_hasher *hasher)
{
    memset(s, 0, sizeof *s);
    s->opt = o;
    s->inputs = in;
    s->hashes = hasher ? hasher->num_hashes : 0;
    s->problem_at = UINT64_MAX;
    articles_init(&s->arena);
    s->shown = xcalloc(in->count + 1, sizeof *s->shown);
    s->hidden = xcalloc(in->count + 1, sizeof *s->hidden);
    s->fields = (record_fields){{o->id_field, strlen(o->id_field),
                                 o->text_field, strlen(o->text_field)},
                                o->time_field,
                                o->time_field ? strlen(o->time_field) : 0};
    work_ctx ctx = {s->fields, hasher};
    unsigned threads = o->threads;
    size_t depth = threads > 1 ? 2 * (size_t)threads + 1 : 1, npool = 0;
    pipeline *p = pipeline_new(threads, depth, &ctx);
    batch **pool = xcalloc(depth, sizeof *pool), *b;
    batch **spare = xcalloc(depth, sizeof *spare), *other = batch_new();
    size_t nspare = 0;
    uint64_t *queue = xcalloc(depth, sizeof *queue); /* batch numbers */
    size_t qhead = 0, qn = 0;
    uint32_t *mine = NULL, nmine = 0, capmine = 0;
    reader rd;
    /* Decompression on this thread: a decoder thread hands over bytes as
     * they come, which would cut the batches differently on each rank. */
    reader_init(&rd, in, o->max_record, 0);
    for (uint64_t k = 0;; k++) {
        int ours = k % (uint64_t)w->size == (uint64_t)w->rank;
        if (!ours) {
            b = other;
        } else if (nspare) {
            b = spare[--nspare];
        } else if (npool < depth) {
            b = pool[npool++] = batch_new();
        } else {
            b = pipeline_take(p, 1);
            if (nmine == capmine) {
                capmine = capmine ? 2 * capmine : 1024;
                mine = xreallocarray(mine, capmine, sizeof *mine);
            }
            mine[nmine++] = consume(s, b, queue[qhead]);
            qhead = (qhead + 1) % depth;
            qn--;
            k--; /* this batch number is still to be read */
            spare[nspare++] = b;
            continue;
        }
        fresh_block(b);
        if (!reader_fill(&rd, b)) {
            s->nbatches = (uint32_t)k;
            if (ours)
                spare[nspare++] = b;
            break;
        }
        if (!ours)
            continue;
        queue[(qhead + qn++) % depth] = k;
        pipeline_submit(p, b);
    }
    while ((b = pipeline_take(p, 1)) != NULL) {
        if (nmine == capmine) {
            capmine = capmine ? 2 * capmine : 1024;
            mine = xreallocarray(mine, capmine, sizeof *mine);
        }
        mine[nmine++] = consume(s, b, queue[qhead]);
        qhead = (qhead + 1) % depth;
    }
    s->bytes = rd.bytes;
    pipeline_free(p);
    reader_free(&rd);
    for (size_t i = 0; i < npool; i++)
        batch_free(pool[i]);
    batch_free(other);
    free(pool);
    free(spare);
    free(queue);
    swap_counts(s, w, mine, nmine);
    free(mine);
}

void share_free(share *s)
{
    articles_free(&s->arena);
    free(s->v);
    free(s->values);
    free(s->counts);
    free(s->start);
    free(s->local);
    free(s->shown);
    free(s->hidden);
}
